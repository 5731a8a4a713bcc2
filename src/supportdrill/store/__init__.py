"""The run store: runs, their events, ticket references, the fault ownership ledger and the
scorecard index, on SQLite or PostgreSQL (one interface, :func:`open_store` picks the side)."""

from __future__ import annotations

from .backend import Backend, Tx
from .location import (
    DEFAULT_STORE,
    STORE_ENV,
    StoreLocation,
    StoreTarget,
    default_store_path,
    parse_store,
)
from .model import (
    FIGURES,
    FigureTally,
    IndexedRun,
    RankQuery,
    RunFigureRow,
    RunRecord,
    RunStatus,
    RunSummary,
    TicketRecord,
)
from .runs import RunStore, new_run_id
from .schema import SCHEMA_VERSION


def open_store(target: StoreTarget | None = None, *, synchronous: str = "FULL") -> RunStore:
    """The store at ``target`` (a path, ``sqlite:///path`` or ``postgresql://…``; default
    ``$SUPPORTDRILL_STORE``, else ``./.supportdrill/runs.db``), migrated and ready."""
    return RunStore(target, synchronous=synchronous)


__all__ = [
    "DEFAULT_STORE",
    "FIGURES",
    "SCHEMA_VERSION",
    "STORE_ENV",
    "Backend",
    "FigureTally",
    "IndexedRun",
    "RankQuery",
    "RunFigureRow",
    "RunRecord",
    "RunStatus",
    "RunStore",
    "RunSummary",
    "StoreLocation",
    "StoreTarget",
    "TicketRecord",
    "Tx",
    "default_store_path",
    "new_run_id",
    "open_store",
    "parse_store",
]
