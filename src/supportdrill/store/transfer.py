"""``supportdrill export`` / ``import``: runs moved between stores (a laptop trial into the team's
PostgreSQL store), losslessly and idempotently.

The file is JSON Lines: a header line, then one line per run holding its ``runs`` row, events,
tickets and per-run state exactly as stored (times as their stored UTC text, each event's record
as its stored JSON text), so what is imported is byte for byte what was exported, whichever
backend either side is. Importing again changes nothing: a run already there and equal is
skipped; a run that is there with fewer events (exported again after it went on) is brought up
to date; a run that differs otherwise is a conflict, reported and left alone. The scorecard
index is not exported: the receiving store scores imported runs itself. Neither is the fault
ownership ledger, which belongs to the machine whose Toxiproxy it guards.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..errors import InvalidConfiguration, InvalidInput
from .backend import Tx
from .connection import Database
from .location import StoreTarget, parse_store

FORMAT = "supportdrill.export/1"
RUN_COLUMNS = (
    "run_id",
    "drill",
    "vendor",
    "desk",
    "severity",
    "drill_path",
    "drill_digest",
    "drill_text",
    "labels",
    "started_at",
    "ended_at",
    "outcome",
    "status",
)
EVENT_COLUMNS = ("seq", "kind", "at", "observed_at", "record")
TICKET_COLUMNS = (
    "idempotency_key",
    "desk",
    "recorded_at",
    "ticket_id",
    "created_at",
    "url",
    "extra",
)
STATE_COLUMNS = ("name", "value")
_BATCH = 200


@dataclass(frozen=True)
class ExportedRun:
    """One run as stored: its row and its child rows, in column order."""

    run: tuple[Any, ...]
    events: tuple[tuple[Any, ...], ...]
    tickets: tuple[tuple[Any, ...], ...]
    state: tuple[tuple[Any, ...], ...]

    @property
    def run_id(self) -> str:
        return str(self.run[0])

    def to_json(self) -> str:
        return json.dumps(
            {
                "run": dict(zip(RUN_COLUMNS, self.run, strict=True)),
                "events": [list(row) for row in self.events],
                "tickets": [list(row) for row in self.tickets],
                "state": [list(row) for row in self.state],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


@dataclass
class ImportResult:
    """What ``supportdrill import`` did, run by run."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} already there"
        )
        if self.conflicts:
            shown = ", ".join(self.conflicts[:5]) + (" …" if len(self.conflicts) > 5 else "")
            text += f", {len(self.conflicts)} conflicting (left as they were: {shown})"
        return text


def read_runs(
    store: Database, *, run_ids: Sequence[str] = (), vendor: str | None = None
) -> Iterator[ExportedRun]:
    """Every run (or only ``run_ids``, or one vendor's), oldest first, as stored."""
    clauses: list[str] = []
    parameters: list[str] = []
    if run_ids:
        clauses.append(f"run_id IN ({','.join('?' * len(run_ids))})")
        parameters.extend(run_ids)
    if vendor is not None:
        clauses.append("vendor = ?")
        parameters.append(vendor)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store._query(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM runs{where} ORDER BY started_at, run_id", parameters
    )
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        ids = [row[0] for row in batch]
        events = _children(store, "events", EVENT_COLUMNS, ids, "seq")
        tickets = _children(store, "tickets", TICKET_COLUMNS, ids, "recorded_at, idempotency_key")
        state = _children(store, "run_state", STATE_COLUMNS, ids, "name")
        for row in batch:
            run_id = row[0]
            yield ExportedRun(
                tuple(row),
                tuple(events.get(run_id, ())),
                tuple(tickets.get(run_id, ())),
                tuple(state.get(run_id, ())),
            )


def _children(
    store: Database, table: str, columns: Sequence[str], ids: Sequence[str], order: str
) -> dict[str, list[tuple[Any, ...]]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    rows = store._query(
        f"SELECT run_id, {', '.join(columns)} FROM {table} "
        f"WHERE run_id IN ({','.join('?' * len(ids))}) ORDER BY run_id, {order}",
        ids,
    )
    for row in rows:
        found.setdefault(row[0], []).append(tuple(row[1:]))
    return found


def export_runs(
    store: Database, out: TextIO, *, run_ids: Sequence[str] = (), vendor: str | None = None
) -> int:
    """Write the export file to ``out``; how many runs it holds."""
    from .schema import SCHEMA_VERSION

    out.write(json.dumps({"schema": FORMAT, "store_schema": SCHEMA_VERSION}) + "\n")
    count = 0
    for run in read_runs(store, run_ids=run_ids, vendor=vendor):
        out.write(run.to_json() + "\n")
        count += 1
    return count


def read_export(path: Path) -> Iterator[ExportedRun]:
    """The runs of the export file at ``path``, one line at a time (memory stays one run).

    :class:`InvalidInput` naming ``file:line`` for anything that is not such a file.
    """
    try:
        with path.open(encoding="utf-8") as lines:
            header = next(lines, "")
            if not header.strip():
                raise InvalidInput(f"{path}:1: empty file, not a supportdrill export")
            data = _json(path, 1, header)
            if not isinstance(data, dict) or data.get("schema") != FORMAT:
                raise InvalidInput(f"{path}:1: schema: not a {FORMAT} file")
            for number, line in enumerate(lines, start=2):
                if line.strip():
                    yield _run(path, number, _json(path, number, line))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the export file: {exc}") from exc


def parse_export(path: Path) -> list[ExportedRun]:
    """Every run in the export file at ``path`` (small files; :func:`read_export` streams)."""
    return list(read_export(path))


def check_export(path: Path) -> int:
    """Read the whole file once, keeping nothing: how many runs, or the first bad line."""
    return sum(1 for _ in read_export(path))


def _json(path: Path, number: int, line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as exc:
        raise InvalidInput(f"{path}:{number}: not JSON: {exc}") from exc


def _rows(path: Path, number: int, data: Any, key: str, width: int) -> tuple[tuple[Any, ...], ...]:
    rows = data.get(key)
    if not isinstance(rows, list) or not all(
        isinstance(row, list) and len(row) == width for row in rows
    ):
        raise InvalidInput(f"{path}:{number}: {key}: expected a list of {width}-column rows")
    return tuple(tuple(row) for row in rows)


def _run(path: Path, number: int, data: Any) -> ExportedRun:
    if not isinstance(data, dict) or not isinstance(data.get("run"), dict):
        raise InvalidInput(f"{path}:{number}: run: missing")
    run = data["run"]
    missing = [column for column in RUN_COLUMNS if column not in run]
    if missing:
        raise InvalidInput(f"{path}:{number}: run.{missing[0]}: missing")
    for column in ("run_id", "drill", "vendor", "started_at", "status"):
        if not isinstance(run[column], str) or not run[column]:
            raise InvalidInput(f"{path}:{number}: run.{column}: expected text")
    if run["status"] not in ("running", "finished"):
        raise InvalidInput(f"{path}:{number}: run.status: expected running or finished")
    return ExportedRun(
        tuple(run[column] for column in RUN_COLUMNS),
        _rows(path, number, data, "events", len(EVENT_COLUMNS)),
        _rows(path, number, data, "tickets", len(TICKET_COLUMNS)),
        _rows(path, number, data, "state", len(STATE_COLUMNS)),
    )


def import_runs(store: Database, runs: Iterable[ExportedRun]) -> ImportResult:
    """Bring ``runs`` into ``store`` (see the module's rules); a batch per transaction."""
    result = ImportResult()
    source = iter(runs)
    seen = 0
    while batch := list(itertools.islice(source, _BATCH)):
        seen += len(batch)
        ids = [run.run_id for run in batch]
        existing = {run.run_id: run for run in read_runs(store, run_ids=ids)}
        with store._transaction() as tx:
            for run in batch:
                have = existing.get(run.run_id)
                if have is None:
                    _insert(tx, run, events=run.events)
                    result.added.append(run.run_id)
                elif have == run or _extends(run, have):
                    # Equal, or this store already has the run further along than the file.
                    result.unchanged.append(run.run_id)
                elif _extends(have, run):
                    _update(tx, run, events=run.events[len(have.events) :])
                    result.updated.append(run.run_id)
                else:
                    result.conflicts.append(run.run_id)
    if seen >= _BATCH:
        store.backend.analyze(("runs", "events", "tickets", "run_state"))
    return result


def _extends(have: ExportedRun, incoming: ExportedRun) -> bool:
    """``incoming`` is ``have`` gone further: same start, same first events, maybe more after,
    and ``have`` had not ended."""
    same_start = (
        have.run[: RUN_COLUMNS.index("started_at") + 1]
        == incoming.run[: RUN_COLUMNS.index("started_at") + 1]
    )
    prefix = incoming.events[: len(have.events)] == have.events
    return (
        same_start
        and prefix
        and have.run[RUN_COLUMNS.index("status")] == "running"
        and len(incoming.events) >= len(have.events)
    )


def _insert(tx: Tx, run: ExportedRun, *, events: Sequence[tuple[Any, ...]]) -> None:
    tx.execute(
        f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({','.join('?' * len(RUN_COLUMNS))})",
        run.run,
    )
    _children_in(tx, run, events)


def _update(tx: Tx, run: ExportedRun, *, events: Sequence[tuple[Any, ...]]) -> None:
    changed = RUN_COLUMNS[1:]
    tx.execute(
        f"UPDATE runs SET {', '.join(f'{column} = ?' for column in changed)} WHERE run_id = ?",
        (*run.run[1:], run.run_id),
    )
    _children_in(tx, run, events)


def _children_in(tx: Tx, run: ExportedRun, events: Sequence[tuple[Any, ...]]) -> None:
    if events:
        tx.executemany(
            f"INSERT INTO events (run_id, {', '.join(EVENT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
            [(run.run_id, *row) for row in events],
        )
    if run.tickets:
        tx.executemany(
            f"INSERT INTO tickets (run_id, {', '.join(TICKET_COLUMNS)}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, idempotency_key) DO UPDATE SET "
            "desk = excluded.desk, recorded_at = excluded.recorded_at, "
            "ticket_id = excluded.ticket_id, created_at = excluded.created_at, "
            "url = excluded.url, extra = excluded.extra",
            [(run.run_id, *row) for row in run.tickets],
        )
    if run.state:
        tx.executemany(
            "INSERT INTO run_state (run_id, name, value) VALUES (?, ?, ?) "
            "ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value",
            [(run.run_id, *row) for row in run.state],
        )


def export_store(
    target: StoreTarget,
    out: TextIO,
    *,
    run_ids: Sequence[str] = (),
    vendor: str | None = None,
) -> int:
    """``supportdrill export``: the runs of the store at ``target`` written to ``out``."""
    location = parse_store(target)
    if not location.exists():
        raise InvalidConfiguration(f"no run store at {location.display}")
    with Database(target) as store:
        return export_runs(store, out, run_ids=run_ids, vendor=vendor)


def import_file(target: StoreTarget, path: Path) -> ImportResult:
    """``supportdrill import``: the runs of the export file at ``path`` into the store.

    The file is read twice: once to check every line (bad input writes nothing), once to
    import it a batch at a time, so a file of any size is imported in bounded memory."""
    check_export(path)
    with Database(target) as store:
        return import_runs(store, read_export(path))
