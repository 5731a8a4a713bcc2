"""The run store's SQLite connection: opening, pragmas, migrations, transactions, the secret guard.

One SQLite file in WAL mode, opened in autocommit mode: every write method of the store wraps its
statements in :meth:`Database._transaction`, which commits before returning — so a harness killed
with SIGKILL loses nothing it appended. A lock makes one connection safe to share between threads
(the fault layer's signal and exit hooks).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ..clock import require_aware
from ..errors import RunNotFound, StoreError
from ..secrets import Redactor
from .schema import migrate, refuse_foreign

DEFAULT_STORE = Path(".supportdrill") / "runs.db"
STORE_ENV = "SUPPORTDRILL_STORE"


def default_store_path() -> Path:
    """``$SUPPORTDRILL_STORE``, else ``./.supportdrill/runs.db``."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


def stamp(moment: datetime) -> str:
    # One fixed UTC format, so stored times sort as text.
    require_aware(moment, "timestamp")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Database:
    """The connection under :class:`~supportdrill.store.runs.RunStore`."""

    def __init__(self, path: str | Path | None = None, *, synchronous: str = "FULL") -> None:
        self.path = Path(path) if path is not None else default_store_path()
        if synchronous.upper() not in ("FULL", "NORMAL", "OFF"):
            raise ValueError("synchronous must be FULL, NORMAL or OFF")
        self._lock = threading.RLock()
        self._secrets = Redactor()
        where = str(self.path)
        try:
            if where != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(where, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{where}: cannot open the run store: {exc}") from exc
        try:
            refuse_foreign(self._db, where)
            self._db.execute("PRAGMA busy_timeout = 10000")
            self._db.execute("PRAGMA journal_mode = WAL")
            # FULL: a commit survives power loss too; NORMAL survives a killed process only.
            self._db.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            self._db.execute("PRAGMA foreign_keys = ON")
            self.schema_version = migrate(self._db, where)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{where}: not a supportdrill run store: {exc}") from exc
        except BaseException:
            self._db.close()
            raise

    # ---- plumbing

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StoreError(f"{self.path}: {exc}") from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, parameters).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

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
            raise RunNotFound(f"no run {run_id!r} in {self.path}")
