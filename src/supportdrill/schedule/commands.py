"""``supportdrill schedule list|next|run|fire|export`` and ``runs --schedule``: the operations
behind the verbs, returning text (or emitting lines through a callback for the long-lived
``run``); the command layer does the printing and the exit codes.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..clock import AcceleratedClock, Clock, RealClock
from ..definitions.durations import DurationError, format_duration, parse_duration
from ..definitions.loader import load_drill
from ..errors import InvalidConfiguration, RunNotFound
from ..store import RunStore, StoreTarget, parse_store
from ..store.leases import Leases
from .export import DEFAULT_IMAGE, export_all
from .launch import SubprocessLauncher
from .plan import planned_runs
from .scheduler import Decision, Entry, Scheduler

Emit = Callable[[str], None]


def load_entries(paths: Sequence[str]) -> list[Entry]:
    """Drill files (or directories of them) that have a ``schedule:`` section."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    entries = []
    for path in files:
        drill = load_drill(path)
        if drill.schedule is not None:
            entries.append(Entry(drill, path.resolve()))
    names = [entry.name for entry in entries]
    for name in {n for n in names if names.count(n) > 1}:
        raise InvalidConfiguration(f"two drills use the schedule name {name!r}: set schedule.name")
    return entries


def _one_entry(path: str) -> Entry:
    entries = load_entries([path])
    if not entries:
        raise InvalidConfiguration(f"{path}: the drill has no schedule: section")
    return entries[0]


def _moment(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidConfiguration(f"{what} {text!r} is not an ISO time") from exc
    if moment.tzinfo is None:
        raise InvalidConfiguration(f"{what} {text!r} needs a UTC offset, e.g. +07:00 or Z")
    return moment


def _duration(text: str | None, what: str) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise InvalidConfiguration(f"{what}: {exc}") from exc


# ---- list, next


def list_schedules(paths: Sequence[str], *, store_path: StoreTarget, now: datetime) -> str:
    entries = load_entries(paths)
    if not entries:
        return "no scheduled drills"
    store = RunStore(store_path) if parse_store(store_path).exists() else None
    try:
        lines = [f"{'schedule':<28} {'cron':<16} {'zone':<22} {'runs':<7} next (UTC / vendor)"]
        for entry in entries:
            schedule = entry.schedule
            started = Leases(store).started_count(entry.name) if store is not None else 0
            limit = f"/{schedule.max_runs}" if schedule.max_runs else ""
            upcoming = next(planned_runs(entry.drill, now), None)
            if schedule.suspend:
                when = "suspended"
            elif upcoming is None:
                when = "never"
            else:
                when = f"{upcoming.at:%Y-%m-%d %H:%M}Z / {upcoming.local:%a %H:%M %Z}"
            lines.append(
                f"{entry.name[:28]:<28} {schedule.cron[:16]:<16} {schedule.timezone[:22]:<22} "
                f"{f'{started}{limit}':<7} {when}"
            )
        return "\n".join(lines)
    finally:
        if store is not None:
            store.close()


def next_runs(path: str, *, count: int, after: datetime) -> str:
    """The coming ``count`` runs in UTC and vendor time, naming DST changes and holidays."""
    entry = _one_entry(path)
    schedule = entry.schedule
    runs = list(itertools.islice(planned_runs(entry.drill, after), count))
    title = (
        f"{entry.name}: {schedule.cron!r} in {schedule.timezone}"
        + (
            f", jitter up to {format_duration(schedule.jitter.total_seconds())}"
            if schedule.jitter
            else ""
        )
        + (f", windows {', '.join(w.value for w in schedule.windows)}" if schedule.windows else "")
        + (f" (vendor {entry.drill.vendor.name}, {entry.drill.vendor.timezone})")
    )
    lines = [title, f"{'#':>3}  {'UTC':<17}  {'vendor local':<26}  notes"]
    for index, run in enumerate(runs, start=1):
        notes = [*run.notes]
        if run.holiday:
            notes.insert(0, f"holiday: {run.holiday}")
        if run.window is not None:
            notes.insert(0, f"window: {run.window.value}")
        local = f"{run.local:%a %Y-%m-%d %H:%M} {run.local:%Z}"
        lines.append(f"{index:>3}  {run.at:%Y-%m-%d %H:%M}Z  {local:<26}  {'; '.join(notes)}")
    if not runs:
        lines.append("    (no run in the next eleven years)")
    return "\n".join(lines)


# ---- run, fire


def _clock(args: argparse.Namespace) -> Clock:
    start = _moment(args.simulate_at, "--simulate-at")
    if start is None and args.rate is None:
        return RealClock()
    if args.rate is not None and args.rate <= 0:
        raise InvalidConfiguration("--rate must be positive")
    return AcceleratedClock(start or datetime.now(UTC), args.rate or 1.0)


def _describe(decision: Decision, clock: Clock) -> str:
    stamp = f"{clock.now():%Y-%m-%d %H:%M:%S}Z"
    run = f" run {decision.run_id}" if decision.run_id else ""
    detail = f": {decision.detail}" if decision.detail else ""
    return (
        f"{stamp} {decision.schedule} due {decision.due:%Y-%m-%d %H:%M}Z "
        f"{decision.action}{run}{detail}"
    )


async def run_scheduler(
    args: argparse.Namespace, *, store_path: StoreTarget, reports_dir: Path, emit: Emit
) -> int:
    entries = load_entries(args.files)
    if not entries:
        raise InvalidConfiguration("none of these drills has a schedule: section")
    clock = _clock(args)
    until = _moment(args.until, "--until")
    span = _duration(getattr(args, "for_", None), "--for")
    if span is not None:
        until = clock.now() + span
    store = RunStore(store_path)
    try:
        launcher = SubprocessLauncher(store_path=store_path, reports_dir=reports_dir)
        scheduler = Scheduler(
            entries,
            store=store,
            clock=clock,
            launcher=launcher,
            on_decision=lambda decision: emit(_describe(decision, clock)),
        )
        emit(
            f"scheduler {scheduler.holder}: {len(entries)} schedule(s) on {store_path}"
            + (f", clock {clock!r}" if not isinstance(clock, RealClock) else "")
            + (f", until {until.isoformat()}" if until else "")
        )
        await scheduler.run(until=until)
        started = sum(d.action == "started" for d in scheduler.decisions)
        emit(f"scheduler stopped: {started} run(s) started")
        return 0
    finally:
        store.close()


async def fire_once(
    args: argparse.Namespace, *, store_path: StoreTarget, reports_dir: Path, emit: Emit
) -> int:
    entry = _one_entry(args.file)
    tolerance = _duration(args.tolerance, "--tolerance") or timedelta(minutes=15)
    clock = _clock(args)
    store = RunStore(store_path)
    try:
        launcher = SubprocessLauncher(store_path=store_path, reports_dir=reports_dir)
        scheduler = Scheduler(
            [entry],
            store=store,
            clock=clock,
            launcher=launcher,
            on_decision=lambda decision: emit(_describe(decision, clock)),
        )
        due = await scheduler.fire(tolerance)
        if due is None:
            emit(f"{entry.name}: no run due within {tolerance} before {clock.now():%H:%M}Z")
            return 0
        if not scheduler.decisions:
            emit(f"{entry.name}: the run due {due.nominal:%Y-%m-%d %H:%M}Z was already decided")
            return 0
        alerts = [d for d in scheduler.decisions if d.action in ("cannot_start",)]
        finished = [d for d in scheduler.decisions if d.action == "finished"]
        if alerts or any(d.detail != "every SLA met" for d in finished):
            return 1
        return 0
    finally:
        store.close()


# ---- export


def export_files(args: argparse.Namespace, *, now: datetime) -> str:
    entry = _one_entry(args.file)
    drill_path = args.drill_path or str(entry.path)
    result = export_all(
        entry.drill,
        drill_path=drill_path,
        now=now,
        image=DEFAULT_IMAGE if args.image is None else args.image,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, text in result.files.items():
        (out / name).write_text(text, encoding="utf-8")
        lines.append(f"wrote {out / name}")
    lines.extend(f"warning: {warning}" for warning in result.warnings)
    return "\n".join(lines)


# ---- runs --schedule


def series(store_path: StoreTarget, name: str, *, limit: int | None = None) -> str:
    """Every cron time of schedule ``name``: what became of it and of its run."""
    if not parse_store(store_path).exists():
        raise InvalidConfiguration(f"no run store at {store_path} (or pass --store)")
    with RunStore(store_path) as store:
        claims = Leases(store).claims(name)
        if limit is not None:
            claims = claims[-limit:]
        if not claims:
            return f"no runs of schedule {name!r}"
        lines = [f"{'due (UTC)':<17}  {'decision':<12}  {'run id':<26}  {'outcome':<9}  detail"]
        for claim in claims:
            outcome = ""
            if claim.run_id:
                try:
                    outcome = store.get_run(claim.run_id).outcome or "running"
                except RunNotFound:
                    outcome = "(not recorded)"
            lines.append(
                f"{claim.due_at:%Y-%m-%d %H:%M}Z  {claim.action:<12}  {claim.run_id:<26}  "
                f"{outcome:<9}  {claim.detail}"
            )
        return "\n".join(lines)


# ---- the verb


def schedule_command(
    args: argparse.Namespace, *, store_path: StoreTarget, reports_dir: Path, emit: Emit
) -> int | Coroutine[Any, Any, int]:
    """Run one ``schedule`` sub-verb: an exit code, or a coroutine the command layer runs."""
    now = datetime.now(UTC)
    command = args.schedule_command
    if command == "list":
        emit(list_schedules(args.files, store_path=store_path, now=now))
        return 0
    if command == "next":
        if args.count < 1:
            raise InvalidConfiguration("--count must be at least 1")
        emit(next_runs(args.file, count=args.count, after=_moment(args.after, "--after") or now))
        return 0
    if command == "export":
        emit(export_files(args, now=now))
        return 0
    runner = run_scheduler if command == "run" else fire_once
    return runner(args, store_path=store_path, reports_dir=reports_dir, emit=emit)


__all__ = [
    "export_files",
    "fire_once",
    "list_schedules",
    "load_entries",
    "next_runs",
    "run_scheduler",
    "schedule_command",
    "series",
]
