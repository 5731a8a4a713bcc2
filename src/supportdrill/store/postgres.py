"""The PostgreSQL side of the store's backend seam, through psycopg 3.

One connection in autocommit mode; :meth:`PostgresBackend.transaction` opens an explicit
transaction (READ COMMITTED, PostgreSQL's default) that commits before it returns, so, as on
SQLite, a harness killed with SIGKILL loses nothing it appended. The store's ``?`` placeholders
become psycopg's ``%s`` here, once per statement text.

A connection the server dropped (a restart, an idle timeout) is opened again on the next call;
the call that saw it fail still fails, because whether its COMMIT landed cannot be known.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from ..errors import StoreError
from .backend import Backend, Cursor, Tx, lock_key
from .location import StoreLocation

# A drill, a scheduler and CI on one store wait this long for each other's row locks.
_LOCK_TIMEOUT = "10s"
_CONNECT_TIMEOUT_S = 10


@functools.lru_cache(maxsize=512)
def _paramstyle(sql: str) -> str:
    # The store's SQL has no literal '%' or '?' inside strings, so this is a plain swap.
    return sql.replace("%", "%%").replace("?", "%s")


class _PgTx:
    """:class:`~.backend.Tx` over a psycopg connection."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        return self._connection.execute(_paramstyle(sql), tuple(parameters))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(_paramstyle(sql), [tuple(row) for row in rows])


class PostgresBackend(Backend):
    """A PostgreSQL database at ``location.dsn``."""

    dialect = "postgresql"

    def __init__(self, location: StoreLocation) -> None:
        super().__init__(location)
        assert location.dsn is not None
        self._dsn = location.dsn
        self._connection = self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            connection = psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=_CONNECT_TIMEOUT_S,
                application_name="supportdrill",
            )
        except psycopg.Error as exc:
            # psycopg's message can echo the DSN; name the store by its redacted form only.
            reason = str(exc).replace(self._dsn, self.where).strip().splitlines()
            raise StoreError(
                f"{self.where}: cannot open the run store: {reason[0] if reason else exc}"
            ) from exc
        try:
            connection.execute(f"SET lock_timeout = '{_LOCK_TIMEOUT}'")
            connection.execute("SET TIME ZONE 'UTC'")
        except psycopg.Error as exc:
            connection.close()
            raise self._error(exc) from exc
        return connection

    def _live(self) -> psycopg.Connection[Any]:
        if self._connection.closed or self._connection.broken:
            self._connection = self._connect()
        return self._connection

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            connection = self._live()
            try:
                with connection.transaction():
                    yield _PgTx(connection)
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._lock:
            connection = self._live()
            try:
                with connection.transaction():
                    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    yield
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._live().execute(_paramstyle(sql), tuple(parameters)).fetchall()
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    def query_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        # Pipeline mode: one wait for the lot instead of one round trip per statement; repeated
        # statement texts are prepared once by psycopg.
        with self._lock:
            connection = self._live()
            try:
                with connection.pipeline():
                    cursors = [
                        connection.execute(_paramstyle(sql), tuple(parameters))
                        for sql, parameters in statements
                    ]
                return [cursor.fetchall() for cursor in cursors]
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def for_update(self) -> str:
        return " FOR UPDATE"

    def exclusive(self, tx: Tx, name: str) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(name),))

    def analyze(self, tables: Sequence[str]) -> None:
        # Fresh rows have no statistics and are not marked all-visible until autovacuum comes
        # round: without the first the planner may sort a whole table instead of walking the
        # scorecard's indexes, without the second every index step also reads the table.
        with self._lock:
            try:
                self._live().execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    def _error(self, exc: Exception) -> StoreError:
        text = str(exc).strip().splitlines()
        return StoreError(f"{self.where}: {text[0] if text else type(exc).__name__}")
