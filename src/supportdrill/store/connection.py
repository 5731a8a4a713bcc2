"""The run store's connection: opening either backend, migrations, transactions, the secret guard.

Every write method of the store wraps its statements in :meth:`Database._transaction`, which
commits before returning — so a harness killed with SIGKILL loses nothing it appended. A lock in
the backend makes one connection safe to share between threads (the fault layer's signal and
exit hooks). Which engine is underneath is the :mod:`.backend` seam's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ..clock import require_aware
from ..errors import NotARunStore, RunNotFound, StoreError
from ..secrets import Redactor
from .backend import Backend, Tx, connect
from .location import DEFAULT_STORE, STORE_ENV, StoreTarget, default_store_path, parse_store
from .schema import migrate

__all__ = ["DEFAULT_STORE", "STORE_ENV", "Database", "default_store_path", "stamp"]


def stamp(moment: datetime) -> str:
    # One fixed UTC format, so stored times sort as text.
    require_aware(moment, "timestamp")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Database:
    """The connection under :class:`~supportdrill.store.runs.RunStore`.

    ``target`` is a SQLite file path, ``sqlite:///path`` or ``postgresql://…`` (default
    ``$SUPPORTDRILL_STORE``, else ``./.supportdrill/runs.db``).
    """

    def __init__(self, target: StoreTarget | None = None, *, synchronous: str = "FULL") -> None:
        self.location = parse_store(target)
        self.path: Path | None = self.location.path
        """The SQLite file (None on PostgreSQL)."""
        self.where = self.location.display
        self._secrets = Redactor()
        self.backend: Backend = connect(self.location, synchronous=synchronous)
        try:
            self.schema_version = migrate(self.backend)
        except StoreError as exc:
            self.backend.close()
            if self.backend.dialect == "sqlite" and "file is not a database" in str(exc):
                raise NotARunStore(f"{self.where}: not a supportdrill run store: {exc}") from exc
            raise
        except BaseException:
            self.backend.close()
            raise

    # ---- plumbing

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _transaction(self) -> AbstractContextManager[Tx]:
        return self.backend.transaction()

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        return self.backend.query(sql, parameters)

    def guard_secrets(self, secrets: Redactor | Iterable[str]) -> None:
        """Refuse, from now on, any write that contains a secret (desk tokens, passwords).

        Given the drill's :class:`Redactor`, the guard follows it: a secret the redactor learns
        later is refused too. The rule for what counts as a secret is the redactor's.
        """
        if isinstance(secrets, Redactor):
            self._secrets = secrets
        else:
            for value in secrets:
                self._secrets.add(value)

    def _clean(self, text: str, what: str) -> str:
        if self._secrets.finds_secret(text):
            # Never echo the value itself.
            raise StoreError(f"refusing to store a secret value in {what}")
        return text

    def _require_run(self, run_id: str) -> None:
        if not self._query("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)):
            raise RunNotFound(f"no run {run_id!r} in {self.where}")

    def _lock_run(self, tx: Tx, run_id: str) -> None:
        """Inside a write: :class:`RunNotFound` unless the run exists, and hold its row until
        the transaction ends (two writers appending to one run take turns)."""
        found = tx.execute(
            "SELECT 1 FROM runs WHERE run_id = ?" + self.backend.for_update(), (run_id,)
        ).fetchone()
        if not found:
            raise RunNotFound(f"no run {run_id!r} in {self.where}")
