"""Leases and run claims in the run store: what makes two schedulers on one store safe.

A **lease** (:meth:`Leases.acquire`, :meth:`~Leases.renew`, :meth:`~Leases.release`) is a named
row with a holder and an expiry: whoever holds an unexpired lease owns the thing it names (a
schedule's running drill, under the ``Forbid`` policy). A holder that dies stops renewing, and
its lease lapses at ``expires_at``, so nothing stays locked for ever.

A **claim** (:meth:`Leases.claim`) is a lease that never lapses: the first scheduler to claim a
schedule's cron time decides what happens to it (started, missed, skipped) and every other
scheduler, now or after a restart, sees that decision. Claiming is one ``INSERT`` on a primary
key, so at most one scheduler wins whatever the timing.

Every statement is portable SQL (``INSERT ... ON CONFLICT``, ``CREATE TABLE IF NOT EXISTS``,
ISO-8601 UTC text times that sort as text), for SQLite today and PostgreSQL later. Times come
from the caller's clock, never from the database's, so an accelerated clock works too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .connection import Database, stamp

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS leases (
        name        TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        expires_at  TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS schedule_claims (
        schedule   TEXT NOT NULL,
        due_at     TEXT NOT NULL,
        holder     TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        action     TEXT NOT NULL,
        run_id     TEXT NOT NULL DEFAULT '',
        detail     TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (schedule, due_at)
    )
    """,
)


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Claim:
    """What one scheduler decided for one cron time of a schedule."""

    schedule: str
    due_at: datetime
    holder: str
    claimed_at: datetime
    action: str
    """``started``, ``missed``, ``skipped`` or ``cannot_start``."""
    run_id: str = ""
    detail: str = ""


class Leases:
    """Leases and claims over an open store (its connection, its lock, its transactions)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        with db._transaction() as connection:
            # Two processes creating the tables at once collide on PostgreSQL's catalogue.
            db.backend.exclusive(connection, "leases-schema")
            for statement in _SCHEMA:
                connection.execute(statement)

    # ---- leases

    def acquire(self, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
        """Take ``name`` for ``ttl`` if it is free, lapsed, or already ``holder``'s."""
        with self._db._transaction() as connection:
            connection.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
                "WHERE leases.expires_at <= ? OR leases.holder = excluded.holder",
                (name, holder, stamp(now), stamp(now + ttl), stamp(now)),
            )
            row = connection.execute("SELECT holder FROM leases WHERE name = ?", (name,)).fetchone()
        return bool(row[0] == holder)

    def renew(self, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
        """Extend ``holder``'s lease; False if it lapsed and someone else took it."""
        with self._db._transaction() as connection:
            changed = connection.execute(
                "UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?",
                (stamp(now + ttl), name, holder),
            ).rowcount
        return bool(changed)

    def take_over(self, name: str, holder: str, *, now: datetime, ttl: timedelta) -> None:
        """Take ``name`` whoever holds it: only for a holder known to be dead (its process is
        gone) whose lease has not lapsed yet."""
        with self._db._transaction() as connection:
            connection.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
                (name, holder, stamp(now), stamp(now + ttl)),
            )

    def release(self, name: str, holder: str) -> None:
        """Give the lease up (only ``holder``'s own; releasing twice is harmless)."""
        with self._db._transaction() as connection:
            connection.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    def holder(self, name: str, *, now: datetime) -> Lease | None:
        """The unexpired lease on ``name``, if any."""
        rows = self._db._query(
            "SELECT name, holder, acquired_at, expires_at FROM leases "
            "WHERE name = ? AND expires_at > ?",
            (name, stamp(now)),
        )
        if not rows:
            return None
        name, holder, acquired, expires = rows[0]
        return Lease(
            name, holder, datetime.fromisoformat(acquired), datetime.fromisoformat(expires)
        )

    # ---- claims

    def claim(
        self,
        schedule: str,
        due_at: datetime,
        holder: str,
        *,
        now: datetime,
        action: str,
        run_id: str = "",
        detail: str = "",
    ) -> bool:
        """Record ``action`` for this cron time; False if another claim got there first."""
        with self._db._transaction() as connection:
            inserted = connection.execute(
                "INSERT INTO schedule_claims (schedule, due_at, holder, claimed_at, action, "
                "run_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (schedule, due_at) DO NOTHING",
                (schedule, stamp(due_at), holder, stamp(now), action, run_id, detail),
            ).rowcount
        return bool(inserted)

    def update_claim(self, schedule: str, due_at: datetime, *, action: str, detail: str) -> None:
        """Change what became of a claimed cron time (a start that failed: ``cannot_start``)."""
        with self._db._transaction() as connection:
            connection.execute(
                "UPDATE schedule_claims SET action = ?, detail = ? "
                "WHERE schedule = ? AND due_at = ?",
                (action, detail, schedule, stamp(due_at)),
            )

    def claims(self, schedule: str, *, since: datetime | None = None) -> list[Claim]:
        """The schedule's claims, oldest cron time first."""
        sql = (
            "SELECT schedule, due_at, holder, claimed_at, action, run_id, detail "
            "FROM schedule_claims WHERE schedule = ?"
        )
        parameters = [schedule]
        if since is not None:
            sql += " AND due_at >= ?"
            parameters.append(stamp(since))
        rows = self._db._query(sql + " ORDER BY due_at", parameters)
        return [
            Claim(
                schedule=row[0],
                due_at=datetime.fromisoformat(row[1]),
                holder=row[2],
                claimed_at=datetime.fromisoformat(row[3]),
                action=row[4],
                run_id=row[5],
                detail=row[6],
            )
            for row in rows
        ]

    def last_claim(self, schedule: str) -> Claim | None:
        rows = self.claims(schedule)
        return rows[-1] if rows else None

    def started_count(self, schedule: str) -> int:
        """How many runs the schedule has started (what ``max_runs`` counts)."""
        rows = self._db._query(
            "SELECT COUNT(*) FROM schedule_claims WHERE schedule = ? AND action = 'started'",
            (schedule,),
        )
        return int(rows[0][0])


__all__ = ["Claim", "Lease", "Leases"]
