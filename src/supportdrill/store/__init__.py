"""The run store: runs, their events, ticket references, the fault ownership ledger and the
scorecard index, on SQLite or PostgreSQL (one interface, :func:`open_store` picks the side)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_names as _lazy_names

# Where the store is (one rule) needs only the standard library: the command line reads it to
# build its parser. The rest loads on first use (PEP 562), so ``supportdrill --help`` and a
# verb that never opens a store do not pay for the store's modules (and the timeline's).
from .location import (
    DEFAULT_STORE,
    STORE_ENV,
    StoreLocation,
    StoreTarget,
    default_store_path,
    parse_store,
)

if TYPE_CHECKING:
    from .backend import Backend, Tx
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

_LAZY = {
    "Backend": "backend",
    "Tx": "backend",
    "FIGURES": "model",
    "FigureTally": "model",
    "IndexedRun": "model",
    "RankQuery": "model",
    "RunFigureRow": "model",
    "RunRecord": "model",
    "RunStatus": "model",
    "RunSummary": "model",
    "TicketRecord": "model",
    "RunStore": "runs",
    "new_run_id": "runs",
    "SCHEMA_VERSION": "schema",
}


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, globals())


def open_store(target: StoreTarget | None = None, *, synchronous: str = "FULL") -> RunStore:
    """The store at ``target`` (a path, ``sqlite:///path`` or ``postgresql://…``; default
    ``$SUPPORTDRILL_STORE``, else ``./.supportdrill/runs.db``), migrated and ready."""
    from .runs import RunStore

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
