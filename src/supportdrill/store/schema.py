"""The run store's SQLite schema and its migrations.

Each migration is applied once, in order, inside one transaction, and recorded in
``schema_migrations``. A store written by a newer supportdrill (a version this code does not
know) is refused rather than half-understood: its runs would be misread.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import NotARunStore, StoreError


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    script: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "runs, events, tickets, run state, fault ownership ledger",
        """
        CREATE TABLE runs (
            run_id       TEXT PRIMARY KEY,
            drill        TEXT NOT NULL,
            vendor       TEXT NOT NULL,
            desk         TEXT NOT NULL DEFAULT '',
            severity     TEXT NOT NULL DEFAULT '',
            drill_path   TEXT NOT NULL DEFAULT '',
            drill_digest TEXT NOT NULL DEFAULT '',
            drill_text   TEXT NOT NULL DEFAULT '',
            labels       TEXT NOT NULL DEFAULT '{}',
            started_at   TEXT NOT NULL,
            ended_at     TEXT,
            outcome      TEXT,
            status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished'))
        );
        CREATE INDEX runs_by_start ON runs (started_at);
        CREATE INDEX runs_by_vendor ON runs (vendor, started_at);
        CREATE INDEX runs_by_status ON runs (status);

        CREATE TABLE events (
            run_id      TEXT NOT NULL REFERENCES runs (run_id),
            seq         INTEGER NOT NULL,
            kind        TEXT NOT NULL,
            at          TEXT NOT NULL,
            observed_at TEXT NOT NULL,
            record      TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;

        CREATE TABLE tickets (
            run_id          TEXT NOT NULL REFERENCES runs (run_id),
            idempotency_key TEXT NOT NULL,
            desk            TEXT NOT NULL,
            recorded_at     TEXT NOT NULL,
            ticket_id       TEXT,
            created_at      TEXT,
            url             TEXT NOT NULL DEFAULT '',
            extra           TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (run_id, idempotency_key)
        );

        CREATE TABLE run_state (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            name   TEXT NOT NULL,
            value  TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        );

        -- Not tied to runs: the fault layer records a proxy before it touches it, even for a run
        -- whose row a crash kept from being written.
        CREATE TABLE fault_ownership (
            run_id      TEXT NOT NULL,
            backend_url TEXT NOT NULL,
            proxy       TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (run_id, backend_url, proxy)
        );
        """,
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version


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


def current_version(connection: sqlite3.Connection) -> int:
    """The highest migration applied, 0 for an empty database."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    row = connection.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(row[0])


def migrate(connection: sqlite3.Connection, where: str) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION`; the version it is at afterwards.

    ``connection`` must be in autocommit mode (``isolation_level=None``).
    """
    # IMMEDIATE takes the write lock first, so two processes opening a new store at once do not
    # both apply migration 1.
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(connection)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{where}: the store has schema version {version}, newer than this supportdrill "
                f"knows ({SCHEMA_VERSION}); upgrade supportdrill to read it"
            )
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            for statement in _statements(migration.script):
                connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, datetime.now(UTC).isoformat()),
            )
            version = migration.version
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return version


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our transaction first; split on ';' instead (no statement
    # here contains one inside a string).
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
