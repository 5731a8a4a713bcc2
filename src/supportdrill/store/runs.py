"""The run store: every run, its events, its ticket references, and the fault ownership ledger.

A SQLite file (WAL mode) or a PostgreSQL database, the same interface on both. Every write is
its own committed transaction before the method returns, so a harness killed with SIGKILL loses
nothing it appended: ``resume`` reads the timeline back exactly. Calls are synchronous and quick
(an indexed insert); the runner may call them from the event loop. A lock makes one
``RunStore`` safe to share between threads (the fault layer's signal and exit hooks).

Secrets never belong here: drills hold environment variable *names*, events hold no credentials.
As a second line of defence, :meth:`RunStore.guard_secrets` makes every write that contains a
registered secret value fail instead of storing it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ..definitions.model import Drill
from ..errors import RunNotFound, StoreError
from ..timeline import Event, Outcome, Timeline, event_from_record, event_to_record
from ..vocabulary import TicketRef
from .connection import DEFAULT_STORE, STORE_ENV, default_store_path, stamp
from .model import RunRecord, RunStatus, RunSummary, TicketRecord
from .scorecard_index import ScorecardIndex

__all__ = ["DEFAULT_STORE", "STORE_ENV", "RunStore", "default_store_path", "new_run_id"]

# Both engines limit bound parameters (SQLite 32766); past a few hundred ids, one scan is faster.
_MAX_IN_LIST = 500
_SUMMARY_COLUMNS = "run_id, drill, vendor, desk, severity, started_at, ended_at, outcome, status"


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def new_run_id(started_at: datetime) -> str:
    """Sortable by start time, unique by its random tail: ``20260103-030000-5f2a9c1e``."""
    return f"{started_at.astimezone(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


class RunStore(ScorecardIndex):
    """The run store at ``target``: a SQLite file (created on demand) or a ``postgresql://`` URL
    (default ``$SUPPORTDRILL_STORE``, else ``./.supportdrill/runs.db``).

    On SQLite, ``synchronous="FULL"`` (the default) makes each commit survive power loss too;
    ``NORMAL`` survives a killed process only; ``OFF`` is for bulk imports and benchmarks.
    """

    # ---- runs

    def create_run(
        self,
        *,
        drill: str,
        vendor: str,
        started_at: datetime,
        desk: str = "",
        severity: str = "",
        drill_path: str = "",
        drill_digest: str = "",
        drill_text: str = "",
        labels: Mapping[str, str] | None = None,
        run_id: str | None = None,
    ) -> str:
        """Record a new running run; its id (``run_id`` if given, else :func:`new_run_id`)."""
        run_id = run_id or new_run_id(started_at)
        values = (
            run_id,
            drill,
            vendor,
            desk,
            severity,
            drill_path,
            drill_digest,
            self._clean(drill_text, "the drill text"),
            self._clean(json.dumps(dict(labels or {}), sort_keys=True), "labels"),
            stamp(started_at),
        )
        with self._transaction() as db:
            # ON CONFLICT rather than a look first: two processes picking one id cannot both win.
            inserted = db.execute(
                "INSERT INTO runs (run_id, drill, vendor, desk, severity, drill_path, "
                "drill_digest, drill_text, labels, started_at) VALUES (?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (run_id) DO NOTHING",
                values,
            ).rowcount
        if not inserted:
            raise StoreError(f"run {run_id!r} already exists in {self.where}")
        return run_id

    def create_run_for(
        self,
        drill: Drill,
        *,
        started_at: datetime,
        drill_text: str = "",
        run_id: str | None = None,
    ) -> str:
        """:meth:`create_run` with the names, path and digest taken from a loaded drill."""
        return self.create_run(
            drill=drill.name,
            vendor=drill.vendor.name,
            desk=drill.vendor.desk.kind.value,
            severity=drill.severity.value,
            started_at=started_at,
            drill_path=drill.source_path,
            drill_digest=drill.digest,
            drill_text=drill_text,
            labels=drill.labels,
            run_id=run_id,
        )

    def finish_run(self, run_id: str, outcome: Outcome, *, ended_at: datetime) -> None:
        """Mark the run finished with ``outcome``."""
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE runs SET status = 'finished', outcome = ?, ended_at = ? WHERE run_id = ?",
                (Outcome(outcome).value, stamp(ended_at), run_id),
            ).rowcount
        if not changed:
            raise RunNotFound(f"no run {run_id!r} in {self.where}")

    def runs(
        self,
        limit: int | None = 50,
        *,
        vendor: str | None = None,
        drill: str | None = None,
        status: RunStatus | None = None,
    ) -> list[RunSummary]:
        """Runs, newest first, optionally only one vendor's, one drill's or one status."""
        clauses, parameters = [], []
        for column, value in (("vendor", vendor), ("drill", drill), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                parameters.append(str(value))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM runs {where} ORDER BY started_at DESC, run_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            parameters.append(str(int(limit)))
        return [_summary(row) for row in self._query(sql, parameters)]

    def unfinished_runs(self) -> list[RunSummary]:
        """Runs still marked running: crashed (or still going in another process)."""
        return list(reversed(self.runs(None, status=RunStatus.RUNNING)))

    def get_run(self, run_id: str) -> RunRecord:
        """Everything about one run but its events; :class:`RunNotFound` if absent."""
        rows = self._query(
            f"SELECT {_SUMMARY_COLUMNS}, drill_path, drill_digest, drill_text, labels, "
            "(SELECT COUNT(*) FROM events WHERE events.run_id = runs.run_id) "
            "FROM runs WHERE run_id = ?",
            (run_id,),
        )
        if not rows:
            raise RunNotFound(f"no run {run_id!r} in {self.where}")
        row = rows[0]
        summary = _summary(row[:9])
        return RunRecord(
            **{name: getattr(summary, name) for name in summary.__dataclass_fields__},
            drill_path=row[9],
            drill_digest=row[10],
            drill_text=row[11],
            labels=json.loads(row[12]),
            tickets=tuple(self.tickets(run_id)),
            event_count=int(row[13]),
        )

    # ---- events

    def append(self, run_id: str, event: Event) -> int:
        """Append ``event`` to the run's timeline, committed; its sequence number (from 1)."""
        return self.append_many(run_id, (event,))[-1]

    def append_many(self, run_id: str, events: Iterable[Event]) -> list[int]:
        """Append ``events`` in one transaction (all or none); their sequence numbers."""
        rows = [
            (
                event.kind,
                stamp(event.at),
                stamp(event.observed_at),
                self._clean(json.dumps(event_to_record(event)), f"a {event.kind} event"),
            )
            for event in events
        ]
        with self._transaction() as db:
            self._lock_run(db, run_id)
            last = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            numbers = list(range(last + 1, last + 1 + len(rows)))
            db.executemany(
                "INSERT INTO events (run_id, seq, kind, at, observed_at, record) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, seq, *row) for seq, row in zip(numbers, rows, strict=True)],
            )
        return numbers

    def events(self, run_id: str) -> Timeline:
        """The run's timeline, in appended order."""
        self._require_run(run_id)
        rows = self._query(
            "SELECT seq, record FROM events WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        return Timeline.of(_decode(run_id, seq, record) for seq, record in rows)

    def timelines(
        self, run_ids: Sequence[str] | None = None, *, vendor: str | None = None
    ) -> dict[str, Timeline]:
        """Many runs' timelines in one read (for scorecards and benchmarks), keyed by run id."""
        sql = "SELECT e.run_id, e.seq, e.record FROM events e JOIN runs r ON r.run_id = e.run_id"
        clauses: list[str] = []
        parameters: list[str] = []
        if vendor is not None:
            clauses.append("r.vendor = ?")
            parameters.append(vendor)
        wanted = set(run_ids) if run_ids is not None else None
        if run_ids is not None and len(run_ids) <= _MAX_IN_LIST:
            clauses.append(f"e.run_id IN ({','.join('?' * len(run_ids))})")
            parameters.extend(run_ids)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY e.run_id, e.seq"
        grouped: dict[str, list[Event]] = {run_id: [] for run_id in run_ids or ()}
        for run_id, seq, record in self._query(sql, parameters):
            if wanted is None or run_id in wanted:
                grouped.setdefault(run_id, []).append(_decode(run_id, seq, record))
        return {run_id: Timeline.of(events) for run_id, events in grouped.items()}

    # ---- tickets

    def set_idempotency_key(self, run_id: str, idempotency_key: str, *, desk: str) -> None:
        """Record the key *before* calling the desk; recording it again is harmless."""
        with self._transaction() as db:
            self._lock_run(db, run_id)
            db.execute(
                "INSERT INTO tickets (run_id, idempotency_key, desk, recorded_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (run_id, idempotency_key) DO NOTHING",
                (run_id, idempotency_key, desk, stamp(datetime.now(UTC))),
            )

    def idempotency_key(self, run_id: str) -> str | None:
        """The run's (latest) idempotency key, if one was recorded."""
        rows = self._query(
            "SELECT idempotency_key FROM tickets WHERE run_id = ? ORDER BY recorded_at DESC, "
            "idempotency_key DESC LIMIT 1",
            (run_id,),
        )
        return str(rows[0][0]) if rows else None

    def set_ticket_ref(self, run_id: str, idempotency_key: str, ref: TicketRef) -> None:
        """Record the desk's reference for the ticket filed under ``idempotency_key``."""
        extra = self._clean(json.dumps(dict(ref.extra), sort_keys=True), "ticket extra")
        with self._transaction() as db:
            self._lock_run(db, run_id)
            db.execute(
                "INSERT INTO tickets (run_id, idempotency_key, desk, recorded_at, ticket_id, "
                "created_at, url, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, idempotency_key) DO UPDATE SET desk = excluded.desk, "
                "ticket_id = excluded.ticket_id, created_at = excluded.created_at, "
                "url = excluded.url, extra = excluded.extra",
                (
                    run_id,
                    idempotency_key,
                    ref.desk,
                    stamp(datetime.now(UTC)),
                    ref.ticket_id,
                    stamp(ref.created_at),
                    self._clean(ref.url, "ticket url"),
                    extra,
                ),
            )

    def ticket_ref(self, run_id: str, idempotency_key: str | None = None) -> TicketRef | None:
        """The desk's reference for the run's ticket (under ``idempotency_key``, else the latest
        one the desk confirmed); None if none was confirmed."""
        found = [
            record.ref
            for record in self.tickets(run_id)
            if record.ref is not None
            and (idempotency_key is None or record.idempotency_key == idempotency_key)
        ]
        return found[-1] if found else None

    def tickets(self, run_id: str) -> list[TicketRecord]:
        rows = self._query(
            "SELECT idempotency_key, desk, recorded_at, ticket_id, created_at, url, extra "
            "FROM tickets WHERE run_id = ? ORDER BY recorded_at, idempotency_key",
            (run_id,),
        )
        records = []
        for key, desk, recorded_at, ticket_id, created_at, url, extra in rows:
            ref = None
            if ticket_id is not None and created_at is not None:
                ref = TicketRef(
                    desk=desk,
                    ticket_id=ticket_id,
                    created_at=datetime.fromisoformat(created_at),
                    url=url,
                    extra=json.loads(extra),
                )
            records.append(
                TicketRecord(
                    run_id=run_id,
                    idempotency_key=key,
                    desk=desk,
                    recorded_at=datetime.fromisoformat(recorded_at),
                    ref=ref,
                )
            )
        return records

    # ---- small per-run state (e.g. the desk poll cursor), for resume

    def set_state(self, run_id: str, name: str, value: str) -> None:
        with self._transaction() as db:
            self._lock_run(db, run_id)
            db.execute(
                "INSERT INTO run_state (run_id, name, value) VALUES (?, ?, ?) "
                "ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value",
                (run_id, name, self._clean(value, f"run state {name}")),
            )

    def state(self, run_id: str, name: str) -> str | None:
        rows = self._query(
            "SELECT value FROM run_state WHERE run_id = ? AND name = ?", (run_id, name)
        )
        return str(rows[0][0]) if rows else None

    # ---- fault ownership ledger (the fault layer's crash guard)

    def record_fault_ownership(self, run_id: str, backend_url: str, proxy: str) -> None:
        """Record that ``run_id`` owns ``proxy`` on the Toxiproxy API at ``backend_url``."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO fault_ownership (run_id, backend_url, proxy, recorded_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (run_id, backend_url, proxy) DO NOTHING",
                (run_id, backend_url, proxy, stamp(datetime.now(UTC))),
            )

    def open_fault_ownerships(self) -> list[tuple[str, str, str]]:
        """Every ``(run_id, backend_url, proxy)`` not yet cleared, oldest first."""
        rows = self._query(
            "SELECT run_id, backend_url, proxy FROM fault_ownership "
            "ORDER BY recorded_at, run_id, backend_url, proxy"
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def clear_fault_ownership(self, run_id: str, proxy: str) -> None:
        """Forget ``run_id``'s ownership of ``proxy`` (on every backend); clearing twice is fine."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM fault_ownership WHERE run_id = ? AND proxy = ?", (run_id, proxy)
            )


def _summary(row: Sequence[Any]) -> RunSummary:
    run_id, drill, vendor, desk, severity, started_at, ended_at, outcome, status = row
    started = _moment(started_at)
    assert started is not None
    return RunSummary(
        run_id=run_id,
        drill=drill,
        vendor=vendor,
        desk=desk,
        severity=severity,
        started_at=started,
        ended_at=_moment(ended_at),
        outcome=Outcome(outcome) if outcome is not None else None,
        status=RunStatus(status),
    )


def _decode(run_id: str, seq: int, record: str) -> Event:
    try:
        return event_from_record(json.loads(record))
    except (ValueError, TypeError) as exc:
        raise StoreError(f"run {run_id} event #{seq} cannot be read: {exc}") from exc
