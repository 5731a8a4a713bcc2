"""The long-lived scheduler: starts each scheduled drill, in a process of its own, on time.

One loop over the schedules. Each turn it asks the pure plan which runs fell due since the last
cron time it (or any scheduler on the same store) handled, decides each one — start it, or
record it as missed or skipped — and sleeps on its clock until the next one or until a running
drill exits. The clock is injected: a :class:`~supportdrill.clock.VirtualClock` plays a year in
a test, an :class:`~supportdrill.clock.AcceleratedClock` a day in minutes.

Safety against a second scheduler on the same store (another machine, a restart overlapping
the old process):

- every cron time is *claimed* in the store before anything starts (:mod:`~supportdrill.store.
  leases`): one INSERT on a primary key, so a run is never started twice;
- under ``Forbid`` (the default) and ``Replace``, a *lease* named after the schedule is held,
  and renewed every turn, while its drill runs; a scheduler that dies stops renewing, and the
  lease lapses so the next run is not blocked for ever.

After downtime (a first turn finds cron times older than :data:`ON_TIME`), the schedule's
missed-run policy decides: ``skip`` them all, start the ``latest``, or start ``all``; a
``starting_deadline`` marks anything later than it as missed whatever the policy.

A drill that fails does not stop the scheduler: its outcome is read back from the store and,
on a breach, an abort or a failure to start, the schedule's alerts go out (each delivery is
recorded in the run's timeline by :mod:`~supportdrill.schedule.alerts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from ..clock import Clock
from ..definitions.model import ConcurrencyPolicy, Drill, MissedRuns, Schedule
from ..errors import InvalidConfiguration, RunNotFound
from ..secrets import Redactor, resolve_secret
from ..store import RunStore
from ..store.leases import Claim, Leases
from ..store.runs import new_run_id
from ..timeline import DrillEnded, DrillStarted, Outcome
from .alerts import AlertKind, AlertNotice, send_alerts
from .plan import PlannedRun, planned_runs

log = logging.getLogger(__name__)

ON_TIME = timedelta(minutes=1)
"""A run found due later than this after its time was missed by a scheduler that was down."""
LEASE_TTL = timedelta(minutes=2)
STARTUP_GRACE = timedelta(minutes=10)
"""How long a started drill has to record its run before a restarted scheduler calls it lost."""
POLL = timedelta(seconds=30)
IDLE_POLL = timedelta(minutes=5)
"""The longest the loop sleeps with no drill running."""
"""The longest the loop sleeps (clock time): leases are renewed at least this often."""


class Launched(Protocol):
    """A started drill process."""

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int: ...

    def terminate(self) -> None: ...


class Launcher(Protocol):
    """Starts ``supportdrill run FILE`` (or a stand-in) for one scheduled run."""

    async def launch(self, entry: Entry, run_id: str, due: PlannedRun) -> Launched: ...

    def log_tail(self, run_id: str) -> str:
        """The last lines the run printed (for a cannot-start alert), or ``""``."""
        ...


@dataclass(frozen=True)
class Entry:
    """One scheduled drill."""

    drill: Drill
    path: Path

    @property
    def schedule(self) -> Schedule:
        assert self.drill.schedule is not None
        return self.drill.schedule

    @property
    def name(self) -> str:
        return self.schedule.name


@dataclass
class _Running:
    entry: Entry
    run_id: str
    due: PlannedRun
    process: Launched
    lease: str | None
    waiter: asyncio.Task[int] = field(repr=False)
    renewed: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))
    """When its lease was last renewed (taken, at first)."""


@dataclass(frozen=True)
class Decision:
    """What the scheduler did with one cron time (for the CLI's log and the tests)."""

    schedule: str
    due: datetime
    action: str
    run_id: str = ""
    detail: str = ""


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Scheduler:
    """Runs ``entries`` on ``clock`` until :meth:`run`'s ``until`` or cancellation."""

    def __init__(
        self,
        entries: Sequence[Entry],
        *,
        store: RunStore,
        clock: Clock,
        launcher: Launcher,
        holder: str | None = None,
        lease_ttl: timedelta = LEASE_TTL,
        poll: timedelta = POLL,
        idle_poll: timedelta = IDLE_POLL,
        on_decision: Callable[[Decision], None] | None = None,
        env: dict[str, str] | None = None,
        on_time: timedelta = ON_TIME,
    ) -> None:
        self.entries = [entry for entry in entries if entry.drill.schedule is not None]
        self.store = store
        self.leases = Leases(store)
        self.clock = clock
        self.launcher = launcher
        self.holder = holder or default_holder()
        self.lease_ttl = lease_ttl
        self.poll = poll
        self.idle_poll = idle_poll
        self.on_decision = on_decision
        self.env = env if env is not None else dict(os.environ)
        self.decisions: list[Decision] = []
        self.running: list[_Running] = []
        self.on_time = on_time
        self._cursor: dict[str, datetime] = {}

    # ---- the loop

    async def run(self, until: datetime | None = None) -> None:
        """Schedule until ``until`` (clock time) or cancellation; running drills are stopped
        (they end as halted and write their reports) and waited for either way."""
        start = self.clock.now()
        for entry in self.entries:
            last = self.leases.last_claim(entry.name)
            if last is not None:
                await self._check_last_start(entry, last, start)
            # A schedule new to this store starts now; a known one from its last cron time,
            # so the time it was down is seen (and the missed-run policy applies).
            self._cursor[entry.name] = last.due_at if last is not None else start
        try:
            while until is None or self.clock.now() < until:
                await self.turn()
                await self._sleep(until)
            await self._reap()
        finally:
            await self._stop_all()

    async def _check_last_start(self, entry: Entry, claim: Claim, now: datetime) -> None:
        """A start claimed by a scheduler that died before its drill recorded a run: told as a
        failure to start once the drill has had ``STARTUP_GRACE`` to appear."""
        if claim.action != "started" or now - claim.claimed_at < STARTUP_GRACE:
            return
        try:
            self.store.get_run(claim.run_id)
        except RunNotFound:
            planned = PlannedRun(
                nominal=claim.due_at,
                at=claim.due_at,
                local=claim.due_at.astimezone(ZoneInfo(entry.schedule.timezone)),
            )
            await self._cannot_start(
                entry,
                planned,
                claim.run_id,
                f"the scheduler ({claim.holder}) stopped before the drill recorded its run",
            )

    async def turn(self) -> None:
        """One pass: reap finished drills, renew leases, decide every due cron time."""
        now = await self._upkeep()
        for entry in self.entries:
            if not entry.schedule.suspend:
                await self._decide(entry, now)

    async def fire(self, tolerance: timedelta) -> PlannedRun | None:
        """For an outer scheduler (CronJob, systemd, GitHub Actions) that has just triggered:
        start the first schedule's run whose cron time came at most ``tolerance`` ago — after
        its jitter, only inside its windows, only if no one has claimed it — and wait for it.
        None when no run is due now (e.g. the UTC trigger of the other DST offset)."""
        entry = self.entries[0]
        now = self.clock.now()
        due: PlannedRun | None = None
        for planned in planned_runs(entry.drill, now - tolerance - timedelta(microseconds=1)):
            if planned.nominal > now:
                break
            due = planned
        if due is None or entry.schedule.suspend:
            return None
        self._cursor[entry.name] = due.nominal
        await self.clock.sleep(max(0.0, (due.at - now).total_seconds()))
        await self._start(entry, due, self.clock.now())
        while self.running:
            await self._sleep(None)
            await self._upkeep()
        return due

    async def _upkeep(self) -> datetime:
        """Reap finished drills and renew the leases of running ones; the time now."""
        await self._reap()
        now = self.clock.now()
        for running in self.running:
            # A third of the way through its lease, not every turn: each renewal is a commit.
            if running.lease is not None and now - running.renewed >= self.lease_ttl / 3:
                self.leases.renew(running.lease, self.holder, now=now, ttl=self.lease_ttl)
                running.renewed = now
        return now

    async def _sleep(self, until: datetime | None) -> None:
        now = self.clock.now()
        # Running drills need their leases renewed. With none, sleep until the next run is due,
        # but wake now and then anyway: a laptop's suspend stops the monotonic clock a long
        # sleep counts on, and the run would start late by as long as it was suspended.
        wake = now + (self.poll if self.running else self.idle_poll)
        upcoming = [self._next_due(entry) for entry in self.entries]
        for due in upcoming:
            if due is not None and due.at < wake:
                wake = due.at
        if until is not None and until < wake:
            wake = until
        seconds = max(0.0, (wake - now).total_seconds())
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        waiters = {running.waiter for running in self.running}
        await asyncio.wait({sleeper, *waiters}, return_when=asyncio.FIRST_COMPLETED)
        if not sleeper.done():
            sleeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sleeper

    def _next_due(self, entry: Entry) -> PlannedRun | None:
        if entry.schedule.suspend:
            return None
        return next(planned_runs(entry.drill, self._cursor[entry.name]), None)

    # ---- deciding

    async def _decide(self, entry: Entry, now: datetime) -> None:
        schedule = entry.schedule
        due: list[PlannedRun] = []
        for planned in planned_runs(entry.drill, self._cursor[entry.name]):
            if planned.at > now:
                break
            due.append(planned)
        if not due:
            return
        self._cursor[entry.name] = due[-1].nominal
        candidates: list[PlannedRun] = []
        for planned in due:
            lateness = now - planned.at
            if schedule.starting_deadline is not None and lateness > schedule.starting_deadline:
                self._record(
                    entry,
                    planned,
                    "missed",
                    detail=f"{_seconds(lateness)} late, past the starting deadline "
                    f"({_seconds(schedule.starting_deadline)})",
                )
            else:
                candidates.append(planned)
        late = [p for p in candidates if now - p.at > self.on_time]
        on_time = [p for p in candidates if now - p.at <= self.on_time]
        if schedule.missed is MissedRuns.ALL:
            starts = candidates
        elif schedule.missed is MissedRuns.SKIP:
            starts = on_time
        else:
            # The newest due time stands for the ones missed before it.
            starts = on_time or late[-1:]
        for planned in candidates:
            if planned in starts:
                await self._start(entry, planned, now)
            else:
                self._record(
                    entry,
                    planned,
                    "missed",
                    detail=f"{_seconds(now - planned.at)} late (no scheduler was running); "
                    f"missed-run policy {schedule.missed.value}",
                )

    async def _start(self, entry: Entry, planned: PlannedRun, now: datetime) -> None:
        schedule = entry.schedule
        if schedule.max_runs is not None and (
            self.leases.started_count(entry.name) >= schedule.max_runs
        ):
            self._record(entry, planned, "skipped", detail=f"max_runs {schedule.max_runs} reached")
            return
        lease: str | None = None
        if schedule.concurrency is ConcurrencyPolicy.FORBID and self._holds(entry):
            self._record(entry, planned, "skipped", detail="previous run still going (Forbid)")
            return
        if schedule.concurrency is not ConcurrencyPolicy.ALLOW:
            lease = f"schedule:{entry.name}:running"
            if schedule.concurrency is ConcurrencyPolicy.REPLACE:
                await self._replace(entry)
            if not self.leases.acquire(lease, self.holder, now=now, ttl=self.lease_ttl):
                held = self.leases.holder(lease, now=now)
                self._record(
                    entry,
                    planned,
                    "skipped",
                    detail=f"previous run still going ({schedule.concurrency.value}; lease held "
                    f"by {held.holder if held else 'another scheduler'})",
                )
                return
        run_id = new_run_id(planned.nominal)
        if not self.leases.claim(
            entry.name, planned.nominal, self.holder, now=now, action="started", run_id=run_id
        ):
            # Another scheduler decided this cron time first.
            if lease is not None and not self._holds(entry):
                self.leases.release(lease, self.holder)
            return
        try:
            process = await self.launcher.launch(entry, run_id, planned)
        except OSError as exc:
            if lease is not None and not self._holds(entry):
                self.leases.release(lease, self.holder)
            await self._cannot_start(entry, planned, run_id, f"could not start: {exc}")
            return
        waiter = asyncio.ensure_future(process.wait())
        self.running.append(_Running(entry, run_id, planned, process, lease, waiter, now))
        self._note(Decision(entry.name, planned.nominal, "started", run_id))

    def _holds(self, entry: Entry) -> bool:
        return any(r.entry.name == entry.name for r in self.running)

    async def _replace(self, entry: Entry) -> None:
        for running in [r for r in self.running if r.entry.name == entry.name]:
            running.process.terminate()
            await running.waiter
            await self._reap()

    def _record(self, entry: Entry, planned: PlannedRun, action: str, *, detail: str) -> None:
        if self.leases.claim(
            entry.name,
            planned.nominal,
            self.holder,
            now=self.clock.now(),
            action=action,
            detail=detail,
        ):
            self._note(Decision(entry.name, planned.nominal, action, detail=detail))

    def _note(self, decision: Decision) -> None:
        self.decisions.append(decision)
        log.info("%s %s %s %s", decision.schedule, decision.due, decision.action, decision.detail)
        if self.on_decision is not None:
            self.on_decision(decision)

    # ---- finished drills

    async def _reap(self) -> None:
        for running in [r for r in self.running if r.waiter.done()]:
            self.running.remove(running)
            if running.lease is not None and not self._holds(running.entry):
                self.leases.release(running.lease, self.holder)
            await self._finished(running, running.waiter.result())

    async def _finished(self, running: _Running, code: int) -> None:
        entry, run_id = running.entry, running.run_id
        try:
            record = self.store.get_run(run_id)
        except RunNotFound:
            tail = self.launcher.log_tail(run_id)
            detail = f"exit code {code} before the run was recorded" + (f": {tail}" if tail else "")
            await self._cannot_start(entry, running.due, run_id, detail)
            return
        kind: AlertKind | None = None
        if record.outcome is not None and record.outcome is not Outcome.COMPLETED:
            kind = AlertKind.ABORT
            detail = f"the drill ended {record.outcome.value}"
        elif code == 1:
            kind = AlertKind.BREACH
            detail = "an SLA was breached"
        else:
            detail = "every SLA met" if code == 0 else f"exit code {code}"
        self._note(Decision(entry.name, running.due.nominal, "finished", run_id, detail))
        if kind is not None:
            await self._alert(entry, running.due, run_id, kind, detail)

    async def _cannot_start(
        self, entry: Entry, planned: PlannedRun, run_id: str, detail: str
    ) -> None:
        """Record the failed start as an aborted run of its own, so its alerts have a timeline."""
        self.leases.update_claim(entry.name, planned.nominal, action="cannot_start", detail=detail)
        now = self.clock.now()
        drill = entry.drill
        self.store.create_run_for(
            dataclasses.replace(drill, labels=run_labels(entry, planned)),
            started_at=now,
            run_id=run_id,
        )
        self.store.append_many(
            run_id,
            [
                DrillStarted(
                    at=now,
                    observed_at=now,
                    drill=drill.name,
                    vendor=drill.vendor.name,
                    desk=drill.vendor.desk.kind.value,
                    severity=drill.severity.value,
                    drill_digest=drill.digest,
                    timezone=drill.vendor.timezone,
                ),
                DrillEnded(
                    at=now,
                    observed_at=now,
                    outcome=Outcome.ABORTED,
                    reason=f"cannot start: {detail}",
                ),
            ],
        )
        self.store.finish_run(run_id, Outcome.ABORTED, ended_at=now)
        self._note(Decision(entry.name, planned.nominal, "cannot_start", run_id, detail))
        await self._alert(entry, planned, run_id, AlertKind.CANNOT_START, detail)

    async def _alert(
        self, entry: Entry, planned: PlannedRun, run_id: str, kind: AlertKind, detail: str
    ) -> None:
        spec = entry.schedule.alerts
        if not spec.webhooks and not spec.emails:
            return
        notice = AlertNotice(
            kind=kind,
            schedule=entry.name,
            drill=entry.drill.name,
            vendor=entry.drill.vendor.name,
            run_id=run_id,
            due_at=planned.nominal,
            vendor_local=planned.local,
            detail=detail,
        )
        redactor = Redactor()
        for setting, reference in entry.drill.vendor.desk.secrets.items():
            # The drill's own secrets may show up in a failure's detail: never in an alert.
            with contextlib.suppress(InvalidConfiguration):
                redactor.add(resolve_secret(setting, reference, self.env))
        await send_alerts(
            spec, notice, store=self.store, clock=self.clock, env=self.env, redactor=redactor
        )

    async def _stop_all(self) -> None:
        for running in self.running:
            if running.process.returncode is None:
                running.process.terminate()
        for running in list(self.running):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(running.waiter), timeout=30)
        await self._reap()
        for running in self.running:
            if running.lease is not None:
                self.leases.release(running.lease, self.holder)


def run_labels(entry: Entry, planned: PlannedRun) -> dict[str, str]:
    """The labels a scheduled run carries: its series and its cron time."""
    return {
        **dict(entry.drill.labels),
        "schedule": entry.name,
        "scheduled_for": planned.nominal.isoformat(),
    }


def _seconds(delta: timedelta) -> str:
    total = int(delta.total_seconds())
    if total >= 3600:
        return f"{total // 3600}h{(total % 3600) // 60:02d}m"
    if total >= 60:
        return f"{total // 60}m{total % 60:02d}s"
    return f"{total}s"


__all__ = [
    "IDLE_POLL",
    "LEASE_TTL",
    "ON_TIME",
    "POLL",
    "Decision",
    "Entry",
    "Launched",
    "Launcher",
    "Scheduler",
    "default_holder",
    "run_labels",
]
