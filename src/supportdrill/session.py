"""A drill session: the composition root that wires a drill to real parts and writes its reports.

The clock, the desk, the fault layer, the stream and the store are chosen and started here; the
runner (:mod:`supportdrill.run`) only sequences them, and the reports (:mod:`supportdrill.report`)
are written from the stored timeline when the run ends. This module sits above both, so neither
imports the other.

This is where the embedded defaults are chosen: a simulated desk started in-process (on an
accelerated clock when the drill asks for simulated time), the embedded Toxiproxy-compatible
server when ``TOXIPROXY_URL`` is unset, the loopback stream, and the SQLite store. Secrets the
desk uses are redacted from every log handler for as long as the drill runs. The command layer
and the library entry point (:func:`supportdrill.run_drill`) call these functions; they return
data and report progress through a ``say`` callback, never by printing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .clock import Clock, RealClock
from .definitions.loader import build_drill, load_drill
from .definitions.model import DeskKind, Drill
from .definitions.scenarios import MediaPath
from .desks.base import Desk
from .desks.simulated.launch import DeskLaunch
from .errors import FaultError, InvalidConfiguration, RunNotFound
from .faults.guard import cleanup_leftovers
from .measure.evaluation import Evaluation
from .report.ticket import render_ticket
from .run.ownership import LiveAwareLedger, RunLease
from .run.ports import FaultControl, LoadControl, StreamControl
from .run.runner import DrillRunner, RunResult
from .run.wiring import (
    JudgedStream,
    MemoryLedger,
    PlannedFault,
    StatuspagePoller,
    fault_backend,
    media_transports,
    toxiproxy_at,
)
from .runbook.wiring import attach_runbook
from .secrets import Redactor, redacting
from .store import RunStore, StoreTarget, parse_store
from .store.runs import new_run_id
from .timeline import Note, Outcome

if TYPE_CHECKING:
    from .media.base import Stream
    from .runbook.failover import FailoverControl


@dataclass
class Environment:
    clock: Clock
    desk: Desk
    simulated: bool
    redactor: Redactor = field(default_factory=Redactor)
    statuspage: StatuspagePoller | None = None
    file_at: datetime | None = None
    """Simulated time: the moment the ticket is filed (the simulated start)."""
    rate: float | None = None
    """Simulated time: the clock's rate once the ticket is filed (rate 1 before)."""


@dataclass(frozen=True)
class DrillParts:
    """The drill's fault and stream, as the runner's ports (``None`` where the drill has none)."""

    fault: FaultControl | None = None
    stream: StreamControl | None = None
    fault_server: str = ""
    """Where the fault lives: the embedded server's URL or ``TOXIPROXY_URL``."""
    failover: FailoverControl | None = None
    """A runbook drill's backup media path and its control endpoint (``runbook.failover``)."""
    load: LoadControl | None = None
    """A viewer surge (the drill's ``load:``), in Locust processes of its own."""


@contextlib.asynccontextmanager
async def environment(
    drill: Drill,
    *,
    simulated_start: str | None = None,
    simulated_rate: float | None = None,
    filing: bool = False,
    desk_state: Path | None = None,
    resume_at: datetime | None = None,
) -> AsyncIterator[Environment]:
    """The clock, the desk and the status page a drill runs against, released on exit.

    ``filing``: a run from the start, which files at the simulated start exactly.
    ``desk_state``: where the embedded simulated desk keeps its tickets, so a resumed run finds
    them; ``resume_at``: the simulated time a resumed run carries on from."""
    async with _desk_environment(
        drill, simulated_start, simulated_rate, filing, desk_state, resume_at
    ) as env:
        token_env = drill.stream.token_env if drill.stream is not None else None
        if token_env and os.environ.get(token_env):
            # The stream's WHIP/WHEP token is as secret as the desk's.
            env.redactor.add(os.environ[token_env])
        url = drill.vendor.statuspage
        with redacting(env.redactor):
            try:
                if url:
                    from .definitions.desk_settings import StatuspageSettings
                    from .desks.statuspage import open_statuspage

                    watcher = open_statuspage(StatuspageSettings.from_url(url), clock=env.clock)
                    env.statuspage = StatuspagePoller(watcher)
                yield env
            finally:
                if env.statuspage is not None:
                    await env.statuspage.close()


@contextlib.asynccontextmanager
async def _desk_environment(
    drill: Drill,
    simulated_start: str | None,
    simulated_rate: float | None,
    filing: bool,
    desk_state: Path | None,
    resume_at: datetime | None,
) -> AsyncIterator[Environment]:
    config = drill.vendor.desk
    if config.kind is DeskKind.SIMULATED:
        from .desks.simulated import SimulatedDesk
        from .desks.simulated.launch import filing_lead, launch

        spec = DeskLaunch.for_drill(drill, start=simulated_start, rate=simulated_rate)
        # A run files at the simulated start exactly; a resumed one carries on at the rate.
        lead = filing_lead(drill) if filing else None
        clock = spec.clock(lead=lead)
        if resume_at is not None and spec.start is not None:
            from .clock import AcceleratedClock

            clock = AcceleratedClock(resume_at, spec.rate)
        file_at, rate = (spec.start, spec.rate) if lead is not None and spec.start else (None, None)
        url = config.settings.get("url")
        desk: Desk
        if url:
            desk = SimulatedDesk(url)
            try:
                yield Environment(clock, desk, simulated=True, file_at=file_at, rate=rate)
            finally:
                await desk.close()
            return
        async with launch(spec, clock=clock, state_path=desk_state) as server:
            desk = SimulatedDesk(server.url)
            try:
                yield Environment(clock, desk, simulated=True, file_at=file_at, rate=rate)
            finally:
                await desk.close()
        return
    if simulated_start or simulated_rate:
        raise InvalidConfiguration("--simulate-at and --rate apply to the simulated desk only")
    from .desks.base import open_desk

    clock = RealClock()
    redactor = Redactor()
    desk = open_desk(config, clock=clock, redactor=redactor)
    try:
        yield Environment(clock, desk, simulated=False, redactor=redactor)
    finally:
        await desk.close()


@contextlib.asynccontextmanager
async def drill_parts(
    drill: Drill, *, run_id: str, store: RunStore, clock: Clock
) -> AsyncIterator[DrillParts]:
    """The fault session and the stream of one run, removed and stopped on every way out.

    The runner's teardown lifts and closes them first; the exits here are the safety net for
    a failure before the runner starts.
    """
    if drill.stream is None and drill.fault is None:
        yield DrillParts()
        return
    if drill.stream is None:
        raise InvalidConfiguration(
            "a fault: needs a stream: section (the fault acts on the stream's media proxy)"
        )
    from .faults.guard import FaultSession
    from .media.base import open_stream

    async with contextlib.AsyncExitStack() as stack:
        needs = media_transports(drill.stream)
        backend, choice = await stack.enter_async_context(fault_backend(needs=needs))
        # The embedded server dies with the harness, its proxies with it: no record to keep.
        ledger = MemoryLedger() if choice.embedded else store
        session = await stack.enter_async_context(
            FaultSession(backend, run_id=run_id, ledger=ledger, clock=clock)
        )
        turn = None
        if drill.stream.path is MediaPath.TURN_TCP:
            from .media.turn import CoturnServer

            turn = (await stack.enter_async_context(CoturnServer())).config
        failover = drill.runbook.failover if drill.runbook is not None else None
        control: FailoverControl | None = None
        stream: Stream
        if failover is not None:
            from .runbook.failover import failover_stream

            stream, control = await stack.enter_async_context(
                failover_stream(drill.stream, failover, session, clock=clock)
            )
        else:
            stream = open_stream(drill.stream, session=session, turn=turn, clock=clock)
        stack.push_async_callback(stream.stop)
        fault = PlannedFault(session, drill.fault) if drill.fault is not None else None
        surge = None
        if drill.load is not None:
            from .load import create_surge

            surge = create_surge(drill.load, drill.stream)
            stack.push_async_callback(surge.close)  # its processes end on every way out
        yield DrillParts(fault, JudgedStream(stream), choice.url, control, load=surge)


Say = Callable[[str], None]
"""Where a session reports progress as it happens (the command layer prints it)."""


def quiet(line: str) -> None:
    """The library's default: progress goes nowhere."""


@dataclass(frozen=True)
class DrillRun:
    """A finished (or ended) run: what happened, how it was judged, and where its reports are.

    What :func:`supportdrill.run_drill` returns, the way Locust's ``Environment`` hands back its
    runner's stats: everything a caller needs without reading the store.
    """

    run_id: str
    outcome: Outcome
    reason: str
    evaluation: Evaluation
    """The run's figures and SLA verdicts, from the stored timeline."""
    reports: Mapping[str, Path]
    """Report files by kind (``journal``, ``markdown``)."""
    simulated_time: bool = False
    """True when the vendor's side ran on a simulated desk's clock: a persona, not a vendor."""

    @property
    def completed(self) -> bool:
        return self.outcome is Outcome.COMPLETED

    @property
    def sla_met(self) -> bool:
        """Completed, and every SLA target judged was met."""
        return self.completed and self.evaluation.sla_met


@dataclass(frozen=True)
class Cleanup:
    """What ``cleanup`` (or a drill's start) did to faults a killed harness left behind."""

    removed: tuple[str, ...] = ()
    not_removed: tuple[str, ...] = ()
    """Proxies whose Toxiproxy server did not answer: they may still be in place."""
    kept_alive: tuple[str, ...] = ()
    """Proxies of runs whose harness is alive: theirs, not leftovers."""
    store_found: bool = True


async def sweep_leftovers(store: RunStore, say: Say = quiet) -> Cleanup:
    """Remove faults a killed harness left on a real Toxiproxy; what could not be reached is
    reported, not fatal (its server may be gone with them)."""
    ledger = LiveAwareLedger(store)
    leftovers = await cleanup_leftovers(ledger, toxiproxy_at)
    for run_id, proxy in ledger.skipped:
        say(f"left {proxy} in place: its run {run_id} is still running")
    for proxy in leftovers.removed:
        say(f"removed leftover fault {proxy} (from a run that did not end)")
    for proxy in leftovers.not_removed:
        say(f"warning: leftover fault {proxy}: its Toxiproxy server did not answer")
    return Cleanup(
        tuple(leftovers.removed),
        tuple(leftovers.not_removed),
        kept_alive=tuple(proxy for _, proxy in ledger.skipped),
    )


def _restart_simulated_clock(clock: Clock) -> None:
    """Setting up the desk, the fault server and the stream must not use up simulated time."""
    from .clock import AcceleratedClock

    if isinstance(clock, AcceleratedClock):
        clock.restart()


def _finish(store: RunStore, result: RunResult, reports_dir: Path) -> DrillRun:
    """Load and score the stored run once, and write its reports."""
    from .report.build import evaluation_of, load_run, write_report_files
    from .report.index import index_run

    facts, timeline = load_run(store, result.run_id)
    scorecard = evaluation_of(facts, timeline)
    paths = write_report_files(facts, timeline, scorecard, reports_dir)
    index_run(store, facts, timeline, scorecard)  # kept for the vendor scorecard
    return DrillRun(
        run_id=result.run_id,
        outcome=result.outcome,
        reason=result.reason,
        evaluation=scorecard,
        reports=paths,
        simulated_time=facts.simulated_time,
    )


def _check_writable(folder: Path) -> None:
    """Refuse, before anything starts, a reports folder the drill could not write at its end
    (it is created then, if missing: here only its nearest existing parent is checked)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InvalidConfiguration(f"reports folder {folder}: {existing} is not a folder")
    try:
        if not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "permission denied")
        # A probe, for what os.access cannot see (a read-only mount; root).
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise InvalidConfiguration(
            f"reports folder {folder}: {existing} is not writable ({exc.strerror})"
        ) from exc


def _check_simulated(drill: Drill, start: str | None, rate: float | None) -> None:
    """The simulated desk's settings and ``--simulate-at``/``--rate``, checked before the store
    is opened, so a refusal creates nothing."""
    if drill.vendor.desk.kind is DeskKind.SIMULATED:
        from .desks.simulated.launch import DeskLaunch

        DeskLaunch.for_drill(drill, start=start, rate=rate)
    elif start or rate is not None:
        raise InvalidConfiguration("--simulate-at and --rate apply to the simulated desk only")
    # A real desk's secrets (environment variables, files) are read now too: an unset one is
    # refused before the store exists. The desk reads them again when it opens.
    from .secrets import resolve_secrets

    resolve_secrets(drill.vendor.desk.secrets)


async def run_drill_file(
    path: Path,
    *,
    store_path: StoreTarget,
    reports_dir: Path,
    live: bool = False,
    simulated_start: str | None = None,
    simulated_rate: float | None = None,
    say: Say = quiet,
    run_id: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> DrillRun:
    """Load the drill at ``path``, run it on its parts, store every event and write its reports.

    ``run_id`` and ``labels`` are the scheduler's: the id it claimed and the series it belongs to.
    """
    drill = load_drill(path)
    if labels:
        # A scheduled run carries its series (schedule=NAME) beside the drill's own labels.
        drill = dataclasses.replace(drill, labels={**drill.labels, **labels})
    chosen_id = run_id
    drill_text = path.read_text(encoding="utf-8")
    _check_writable(reports_dir)
    _check_simulated(drill, simulated_start, simulated_rate)
    desk_state = _new_desk_state(drill, store_path)
    # The desk (and every secret it needs) first: a refusal there leaves no store behind.
    async with environment(
        drill,
        simulated_start=simulated_start,
        simulated_rate=simulated_rate,
        filing=True,
        desk_state=desk_state,
    ) as env:
        store = RunStore(store_path)
        try:
            store.guard_secrets(env.redactor)
            await sweep_leftovers(store, say)
            _restart_simulated_clock(env.clock)
            run_id = chosen_id or new_run_id(env.clock.now())
            # Owned before any proxy is made: no other command sweeps a live run's faults.
            async with RunLease(store, run_id, on_beat=_checkpoint(store, run_id, env.clock)):
                result = await _run_on_parts(
                    drill, drill_text, store, env, run_id, desk_state, live=live, say=say
                )
            return _finish(store, result, reports_dir)
        finally:
            store.close()


async def _run_on_parts(
    drill: Drill,
    drill_text: str,
    store: RunStore,
    env: Environment,
    run_id: str,
    desk_state: Path | None,
    *,
    live: bool,
    say: Say,
) -> RunResult:
    """Start the fault layer and the stream, run the drill on them, and stop them again.

    A fault layer that fails as it is stopped (its server died) is noted on the timeline; the
    drill's outcome and its report stand, since the vendor's figures come from the desk."""
    result: RunResult | None = None
    try:
        async with drill_parts(drill, run_id=run_id, store=store, clock=env.clock) as parts:
            _restart_simulated_clock(env.clock)
            runner = DrillRunner(
                drill,
                compose_ticket=render_ticket,
                store=store,
                desk=env.desk,
                clock=env.clock,
                fault=parts.fault,
                stream=parts.stream,
                run_id=store.create_run_for(
                    drill, started_at=env.clock.now(), drill_text=drill_text, run_id=run_id
                ),
                statuspage=env.statuspage,
                redactor=env.redactor,
                file_at=env.file_at,
                rate_after_filing=env.rate,
                load=parts.load,
            )
            if desk_state is not None:
                store.set_state(run_id, DESK_STATE, str(desk_state))
            say(f"run {run_id}: {drill.name} against {drill.vendor.name}")
            if parts.fault_server:
                say(f"fault server: {parts.fault_server}")
            if env.simulated and not isinstance(env.clock, RealClock):
                filing_at = f"files at {env.file_at.isoformat()}, " if env.file_at else ""
                say(
                    f"simulated time: {filing_at}{env.clock!r}"
                    + (f", then rate {env.rate:g}" if env.rate else "")
                    + " (figures describe the persona, not a vendor)"
                )
            async with attach_runbook(
                drill,
                runner,
                desk=env.desk,
                clock=env.clock,
                redactor=env.redactor,
                failover=parts.failover,
                say=say,
            ):
                with _live_view(runner, enabled=live):
                    result = await runner.run()
    except FaultError as exc:
        if result is None:
            raise
        now = env.clock.now()
        text = env.redactor.redact(f"the fault layer failed as it was stopped: {exc}")
        store.append(run_id, Note(at=now, observed_at=now, text=text, level="error"))
    return result


DESK_STATE = "simulated_desk_state"
"""Run state: the file where the run's embedded simulated desk keeps its tickets."""
SIMULATED_NOW = "simulated_now"
"""Run state: the simulated clock's reading at the last heartbeat, where a resume carries on."""


def _new_desk_state(drill: Drill, store_path: StoreTarget) -> Path | None:
    """A fresh file for the embedded simulated desk's tickets, beside the store (``None`` for a
    real desk or a simulated desk served elsewhere)."""
    config = drill.vendor.desk
    if config.kind is not DeskKind.SIMULATED or "url" in config.settings:
        return None
    # The desk makes the folder when it first saves a ticket.
    return parse_store(store_path).reports_dir().parent / "desks" / f"{uuid.uuid4().hex}.json"


def _checkpoint(store: RunStore, run_id: str, clock: Clock) -> Callable[[], None]:
    """At each heartbeat, keep the simulated clock's reading: a resume carries on from there."""

    def beat() -> None:
        if isinstance(clock, RealClock):
            return
        with contextlib.suppress(RunNotFound):
            store.set_state(run_id, SIMULATED_NOW, clock.now().isoformat())

    return beat


async def resume_run(
    run_id: str,
    *,
    store_path: StoreTarget,
    reports_dir: Path,
    live: bool = False,
    say: Say = quiet,
) -> DrillRun:
    """Continue a run a crash interrupted: same ticket, same figures."""
    location = parse_store(store_path)
    if not location.exists():
        # Nothing to resume, and nothing to create.
        raise InvalidConfiguration(f"no run store at {location.display} (or pass --store)")
    store = RunStore(store_path)
    try:
        record = store.get_run(run_id)
        drill = build_drill(record.drill_text, record.drill_path)
        async with RunLease(store, run_id):  # refuses a run whose harness is alive
            # The crashed run's fault must be gone before anything else happens.
            await sweep_leftovers(store, say)
            desk_state = store.state(run_id, DESK_STATE)
            async with environment(
                drill,
                desk_state=Path(desk_state) if desk_state else None,
                resume_at=_resume_moment(store, run_id),
            ) as env:
                store.guard_secrets(env.redactor)
                runner = DrillRunner(
                    drill,
                    compose_ticket=render_ticket,
                    store=store,
                    desk=env.desk,
                    clock=env.clock,
                    run_id=run_id,
                    statuspage=env.statuspage,
                    redactor=env.redactor,
                )
                with _live_view(runner, enabled=live):
                    result = await runner.resume()
        return _finish(store, result, reports_dir)
    finally:
        store.close()


def _resume_moment(store: RunStore, run_id: str) -> datetime | None:
    """Where a simulated clock carries on: its last checkpoint, or the run's last event."""
    checkpoint = store.state(run_id, SIMULATED_NOW)
    moments = [event.observed_at for event in store.events(run_id)]
    if checkpoint:
        moments.append(datetime.fromisoformat(checkpoint))
    return max(moments, default=None)


@contextlib.contextmanager
def _live_view(runner: DrillRunner, *, enabled: bool) -> Iterator[None]:
    if not enabled or not sys.stdout.isatty():
        yield None
        return
    from .report.live import LiveView

    with LiveView(runner) as view:
        runner.observers.append(view.on_event)
        yield None


async def serve_simulated_desk(
    spec: DeskLaunch,
    *,
    host: str,
    port: int,
    state_path: Path | None,
    say: Say = quiet,
) -> None:
    """Serve the simulated vendor desk until cancelled (Ctrl-C and SIGTERM stop it)."""
    from .desks.simulated.launch import describe, serve
    from .desks.simulated.personas import PERSONA_NAMES

    clock = spec.clock()

    def ready(url: str) -> None:
        # Said once listening, so ``--port 0`` shows the port the system picked.
        say(f"simulated vendor desk on {url}: {describe(spec)}")
        when = f"simulated, {clock!r}" if spec.start else "real time"
        say(f"clock: {when}")
        say(f"personas (tag a ticket persona-NAME): {', '.join(PERSONA_NAMES)}")

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        await serve(spec, host=host, port=port, state_path=state_path, clock=clock, ready=ready)


async def check_desk(path: Path) -> list[str]:
    """What ``supportdrill desk check`` found: credentials and visibility; files nothing."""
    from .desks.check import check_desk as check

    drill = load_drill(path)
    config = drill.vendor.desk
    if config.kind is DeskKind.SIMULATED and "url" not in config.settings:
        from .desks.simulated.launch import check_embedded

        # The same desk ``run`` starts: the drill's zone, hours, holidays and persona timing.
        return await check_embedded(DeskLaunch.for_drill(drill))
    with redacting(Redactor()) as redactor:
        return await check(config, redactor=redactor)


async def cleanup_faults(store_path: StoreTarget) -> Cleanup:
    """``supportdrill cleanup``: remove the faults of runs that did not end."""
    if not parse_store(store_path).exists():
        return Cleanup(store_found=False)
    store = RunStore(store_path)
    try:
        return await sweep_leftovers(store)
    finally:
        store.close()


__all__ = [
    "Cleanup",
    "DrillRun",
    "check_desk",
    "cleanup_faults",
    "drill_parts",
    "environment",
    "resume_run",
    "run_drill_file",
    "serve_simulated_desk",
]
