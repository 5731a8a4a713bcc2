"""The run store: runs, their events, ticket references and the fault ownership ledger (SQLite)."""

from __future__ import annotations

from .model import RunRecord, RunStatus, RunSummary, TicketRecord
from .runs import DEFAULT_STORE, STORE_ENV, RunStore, default_store_path, new_run_id
from .schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_STORE",
    "SCHEMA_VERSION",
    "STORE_ENV",
    "RunRecord",
    "RunStatus",
    "RunStore",
    "RunSummary",
    "TicketRecord",
    "default_store_path",
    "new_run_id",
]
