"""The seam between the store and its database: one small interface, a SQLite and a PostgreSQL side.

Everything above this module writes SQL once, in the dialect both engines accept: ``?``
placeholders, ``INSERT … ON CONFLICT … DO NOTHING / DO UPDATE``, ``COALESCE``, window functions,
TEXT timestamps in one fixed UTC format. A :class:`Backend` turns that into its engine's calls:

- :meth:`Backend.transaction` is a *write* transaction, committed before it returns. On SQLite it
  is ``BEGIN IMMEDIATE`` (the writer lock is taken first, so a read-then-write inside it cannot
  race another process); on PostgreSQL it is an ordinary transaction, and code that reads before
  it writes locks what it reads with :meth:`Backend.for_update` (``SELECT … FOR UPDATE``) or a
  named :meth:`Backend.exclusive` lock (``pg_advisory_xact_lock``; SQLite already holds its
  single writer lock).
- :meth:`Backend.query` is a read outside any transaction.
- Engine errors become :class:`~supportdrill.errors.StoreError` naming the store.

:func:`connect` picks the side from a :class:`~.location.StoreLocation`, the way aiortc's
``create_signaling`` picks a signalling channel from its arguments.
"""

from __future__ import annotations

import abc
import logging
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from ..errors import NotARunStore, StoreError
from .location import StoreLocation


class Cursor(Protocol):
    """What :meth:`Tx.execute` returns (a DB-API cursor of either engine)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Tx(Protocol):
    """The statements of one open transaction."""

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...


LOCK_BACKOFF_S = (1.0, 2.0, 4.0, 8.0)
"""Pauses between attempts to take a SQLite write lock held by another process, each after a
10 s ``busy_timeout``: a store locked for about a minute is waited out, not failed."""

logger = logging.getLogger(__name__)


class Backend(abc.ABC):
    """One connection to one store. Safe to share between threads (one lock serialises use)."""

    dialect: str
    """``sqlite`` or ``postgresql``: for the rare statement that must differ."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self.where = location.display
        self._lock = threading.RLock()

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[Tx]:
        """A write transaction: committed on leaving, rolled back on any exception."""

    @abc.abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one consistent state of the store (several queries, one answer)."""

    @abc.abstractmethod
    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """Every row of one read."""

    def query_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """Every row of several reads, in order (PostgreSQL sends them all before waiting)."""
        return [self.query(sql, parameters) for sql, parameters in statements]

    @abc.abstractmethod
    def close(self) -> None: ...

    def for_update(self) -> str:
        """Suffix for a ``SELECT`` whose rows the transaction is about to change."""
        return ""

    def exclusive(self, tx: Tx, name: str) -> None:
        """Hold the lock ``name`` until ``tx`` ends (no-op on SQLite: the writer lock is held)."""
        del tx, name

    def analyze(self, tables: Sequence[str]) -> None:
        """After a bulk write (import, reindex): refresh the planner's statistics (and, on
        PostgreSQL, the visibility map that lets index walks skip the table)."""
        del tables  # SQLite's planner finds the store's indexes without statistics.

    def _error(self, exc: Exception) -> StoreError:
        return StoreError(f"{self.where}: {exc}")


class SqliteBackend(Backend):
    """One SQLite file in WAL mode, in autocommit mode between explicit transactions."""

    dialect = "sqlite"

    def __init__(self, location: StoreLocation, *, synchronous: str = "FULL") -> None:
        super().__init__(location)
        assert location.path is not None
        if synchronous.upper() not in ("FULL", "NORMAL", "OFF"):
            raise ValueError("synchronous must be FULL, NORMAL or OFF")
        where = str(location.path)
        if location.path.exists() and not location.path.is_file():
            # A folder or a device (``--store /dev/null``): not ours, and not to be written.
            raise NotARunStore(f"{where}: not a supportdrill run store (not a file)")
        try:
            if where != ":memory:":
                location.path.parent.mkdir(parents=True, exist_ok=True)
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
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise NotARunStore(f"{where}: not a supportdrill run store: {exc}") from exc
        except BaseException:
            self._db.close()
            raise

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            try:
                self._begin_immediate()
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._error(exc) from exc
            except BaseException:
                self._rollback()
                raise

    def _begin_immediate(self) -> None:
        """Take the write lock; another process holding it longer than ``busy_timeout`` is
        waited out with backoff (:data:`LOCK_BACKOFF_S`) before the store is called unavailable."""
        for delay in (*LOCK_BACKOFF_S, None):
            try:
                self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if delay is None or "locked" not in str(exc):
                    raise
                logger.warning("%s: %s; trying again in %g s", self.where, exc, delay)
                time.sleep(delay)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        # WAL: a read transaction sees the database as of its first read, whatever commits.
        with self._lock:
            try:
                self._db.execute("BEGIN DEFERRED")
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            try:
                yield
            finally:
                self._rollback()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, parameters).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a named advisory lock."""
    return zlib.crc32(f"supportdrill:{name}".encode())


def refuse_foreign(connection: sqlite3.Connection, where: str) -> None:
    """Refuse a database that holds tables but no supportdrill schema: another application's
    file named by mistake. Checked before anything is written (not even the WAL pragma), so
    the file is left exactly as it was."""
    try:
        tables = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
    except sqlite3.DatabaseError as exc:
        raise NotARunStore(f"{where}: not a supportdrill run store: {exc}") from exc
    if tables and "schema_migrations" not in tables:
        shown = ", ".join(sorted(tables)[:5])
        raise NotARunStore(
            f"{where}: not a supportdrill run store (it holds other tables: {shown}); "
            "refusing to add ours to it — pass another --store"
        )


def connect(location: StoreLocation, *, synchronous: str = "FULL") -> Backend:
    """The backend for ``location``. ``synchronous`` applies to SQLite (PostgreSQL always
    commits durably)."""
    if location.backend == "postgresql":
        from .postgres import PostgresBackend

        return PostgresBackend(location)
    return SqliteBackend(location, synchronous=synchronous)
