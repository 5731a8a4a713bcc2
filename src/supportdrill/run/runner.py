"""The drill runner: phases, safety, exactly-once filing, and resume after a crash.

Phases run in order: preflight → [baseline → fault → degraded] → grace → file → watch → teardown.
Every event is appended to the store the moment it happens, so a harness killed at any point
leaves a timeline that :meth:`DrillRunner.resume` continues from. Teardown runs on every exit
path — normal end, error, Ctrl-C/SIGTERM (cancellation), the resolution timeout and the safety
``max_duration`` — and removes the fault before anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..clock import AdjustableClock, Clock, RealClock, SettableClock
from ..definitions.model import Drill, LiftFault, ResolutionWhen
from ..desks.base import Desk
from ..desks.retry import with_retries
from ..errors import (
    DeskError,
    DeskRejected,
    DrillFailed,
    FaultError,
    StreamError,
)
from ..measure.policy import (
    clock_skew_s,
    lift_reason,
    resolution_reached,
    vendor_asked_for_information,
)
from ..secrets import Redactor, redact_fields
from ..store import RunStore
from ..timeline import (
    BaselineHealthy,
    CustomerMessage,
    DeskSlaClock,
    DrillEnded,
    DrillStarted,
    Event,
    FaultInjected,
    FaultLifted,
    LoadSample,
    LoadSummary,
    Note,
    Outcome,
    Phase,
    PhaseChanged,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    TicketFiled,
    TicketFiling,
    TicketStatus,
    Timeline,
    VendorReply,
)
from ..vocabulary import TicketRef, VendorClockReader
from .ports import (
    AppliedFault,
    FaultControl,
    LoadControl,
    LoadObservation,
    StatusSource,
    StreamControl,
    TicketComposer,
    idempotency_key,
)
from .watch import TicketWatcher, WatchState

logger = logging.getLogger(__name__)

Observer = Callable[[Event, Timeline], None]

BASELINE_WINDOW = timedelta(seconds=20)
"""How long the stream may take to look healthy before the drill gives up (baseline unhealthy).

Stream windows are wall-clock seconds whatever the drill's clock: media is physical."""

RECOVERY_GRACE = timedelta(seconds=10)
"""After the fault is lifted at teardown, how long recovery may take to be observed."""

STATUSPAGE_INTERVAL = timedelta(minutes=1)
"""How often the vendor's public status page is read (drill time)."""


@dataclass(frozen=True)
class RunResult:
    run_id: str
    outcome: Outcome
    reason: str


async def _to_the_end(work: Awaitable[None]) -> None:
    """Await ``work`` to its end even if this task is cancelled again meanwhile.

    Teardown removes the fault and writes the drill's end: a second Ctrl-C (or a library
    caller's second cancel) must not cut it short. The cancellation is kept for afterwards.
    """
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                break
            cancelled = True
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
    task.result()
    if cancelled:
        logger.info("a cancellation during teardown was held until the teardown ended")


class DrillRunner:
    """Runs one drill end to end against injected collaborators (no module patching)."""

    def __init__(
        self,
        drill: Drill,
        *,
        store: RunStore,
        desk: Desk,
        clock: Clock,
        compose_ticket: TicketComposer,
        fault: FaultControl | None = None,
        stream: StreamControl | None = None,
        observers: Sequence[Observer] = (),
        run_id: str | None = None,
        drill_text: str = "",
        statuspage: StatusSource | None = None,
        redactor: Redactor | None = None,
        baseline_window: timedelta = BASELINE_WINDOW,
        file_at: datetime | None = None,
        rate_after_filing: float | None = None,
        load: LoadControl | None = None,
    ) -> None:
        self.drill = drill
        self.store = store
        self.desk = desk
        self.clock = clock
        self.compose_ticket = compose_ticket
        self.fault = fault
        self.stream = stream
        self.observers = list(observers)
        self.statuspage = statuspage
        self.baseline_window = baseline_window
        self.file_at = file_at
        """Simulated time only: the moment the ticket is filed (the drill's simulated start)."""
        self.rate_after_filing = rate_after_filing
        """Simulated time only: the clock runs at rate 1 until filing, then at this rate."""
        self.redactor = redactor or Redactor()
        self._statuspage_read_at: datetime | None = None
        self.run_id = run_id or store.create_run_for(
            drill, started_at=clock.now(), drill_text=drill_text
        )
        self.timeline = store.events(self.run_id)
        self._store_turn = asyncio.Lock()
        """One event at a time, in the order they are emitted."""
        self._degraded = asyncio.Event()
        self._recovered = asyncio.Event()
        self._healthy = asyncio.Event()
        self._fault_active = False
        self._sampler: asyncio.Task[None] | None = None
        self.load = load
        self._load_sampler: asyncio.Task[None] | None = None

    # -- events ------------------------------------------------------------------------------

    async def emit(self, event: Event) -> None:
        """Redact it, append it to the store first, then tell the observers.

        An event already on the timeline (a reply or a status change read again after a
        restart) is not recorded twice."""
        if self.timeline.holds(event):
            return
        # What the vendor writes can echo a secret back; it is masked before it is kept.
        event = redact_fields(event, self.redactor)
        async with self._store_turn:
            # In a thread: a store locked by another process is waited out while the event
            # loop (the stream, its sampler, the lease's heartbeat) keeps running.
            await asyncio.to_thread(self.store.append, self.run_id, event)
            self.timeline = self.timeline.appended(event)
        for observer in self.observers:
            try:
                observer(event, self.timeline)
            except Exception:  # an observer must never break a drill
                logger.debug("observer %r failed", observer, exc_info=True)

    async def _phase(self, phase: Phase) -> None:
        now = self.clock.now()
        await self.emit(PhaseChanged(at=now, observed_at=now, phase=phase))

    # -- entry points ------------------------------------------------------------------------

    async def run(self) -> RunResult:
        """Run the drill from the start."""
        return await self._guarded(self._from_start)

    async def resume(self) -> RunResult:
        """Continue a run that a crash interrupted, from what its timeline says."""
        ended = self.timeline.last(DrillEnded)
        if ended is not None:
            return RunResult(self.run_id, ended.outcome, ended.reason)
        return await self._guarded(self._from_timeline)

    async def _guarded(self, body: Callable[[], Awaitable[tuple[Outcome, str]]]) -> RunResult:
        outcome, reason = Outcome.ABORTED, "internal error"
        try:
            outcome, reason = await body()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            outcome, reason = Outcome.HALTED, "halted by signal or user"
        except DrillFailed as exc:
            outcome, reason = Outcome.ABORTED, self.redactor.redact(str(exc))
        except (FaultError, StreamError, DeskError) as exc:
            outcome, reason = Outcome.ABORTED, self.redactor.redact(f"{type(exc).__name__}: {exc}")
        finally:
            await _to_the_end(self._teardown(outcome, reason))
        return RunResult(self.run_id, outcome, reason)

    # -- phases ------------------------------------------------------------------------------

    async def _from_start(self) -> tuple[Outcome, str]:
        # On simulated time with a filing moment, everything before filing plays at rate 1 and
        # the grace window is a jump: the clock then reaches the filing moment exactly.
        exact = self.file_at is not None and isinstance(self.clock, SettableClock)
        with self._physical_time(always=exact):
            await self._until_fault_confirmed()
            await self._read_statuspage()
        if self.drill.ticket.file_after > timedelta(0):
            await self._phase(Phase.GRACE)
            if exact:
                self._jump(self.clock.now() + self.drill.ticket.file_after)
            else:
                await self._sleep_until(self.clock.now() + self.drill.ticket.file_after)
        await self._reach_filing_time()
        with self._physical_time(always=exact):
            ref = await self._file()
        if self.rate_after_filing is not None and isinstance(self.clock, AdjustableClock):
            self.clock.set_rate(self.rate_after_filing)
        return await self._watch(ref, WatchState())

    def _jump(self, moment: datetime) -> None:
        assert isinstance(self.clock, SettableClock)
        self.clock.advance_to(moment)

    async def _reach_filing_time(self) -> None:
        """On simulated time, move the clock forward to the filing moment; filing is then
        played at rate 1, so the desk stamps the ticket at that very second."""
        if self.file_at is None or not isinstance(self.clock, SettableClock):
            return
        late = (self.clock.now() - self.file_at).total_seconds()
        # Whole seconds: the desk stamps tickets to the second.
        if late >= 1:
            now = self.clock.now()
            await self.emit(
                Note(
                    at=now,
                    observed_at=now,
                    text=f"filed {late:.0f}s after the simulated start: the stream and fault "
                    "phases took longer than the time set aside for them",
                    level="warning",
                )
            )
        self._jump(self.file_at)

    async def _until_fault_confirmed(self) -> None:
        drill = self.drill
        await self._phase(Phase.PREFLIGHT)
        now = self.clock.now()
        await self.emit(
            DrillStarted(
                at=now,
                observed_at=now,
                drill=drill.name,
                vendor=drill.vendor.name,
                desk=drill.vendor.desk.kind.value,
                severity=drill.severity.value,
                drill_digest=drill.digest,
                timezone=drill.vendor.timezone,
                simulated_clock="" if isinstance(self.clock, RealClock) else repr(self.clock),
            )
        )
        if self.load is not None:
            await self.load.prepare()
        if self.stream is not None:
            await self._baseline()
        if self.fault is not None or self.load is not None:
            await self._inject()

    async def _from_timeline(self) -> tuple[Outcome, str]:
        now = self.clock.now()
        await self.emit(Note(at=now, observed_at=now, text="resumed after the harness stopped"))
        injected = self.timeline.last(FaultInjected)
        if injected is not None and self.timeline.last(FaultLifted) is None:
            # The fault was removed by the leftover cleanup that runs before any resume.
            await self.emit(
                FaultLifted(at=now, observed_at=now, reason="removed at restart after a crash")
            )
        filing_started = self.timeline.last(TicketFiling) is not None
        if self.drill.fault is not None and not filing_started and not self._fault_confirmed():
            # The ticket would say the stream is degraded by a fault nobody saw take effect.
            return (
                Outcome.ABORTED,
                "the harness stopped before the fault was confirmed: no ticket was filed",
            )
        if self.drill.stream is not None and self.stream is None:
            await self.emit(
                Note(
                    at=now,
                    observed_at=now,
                    text="the stream is not restarted on resume: what it did after the crash "
                    "was not observed",
                    level="warning",
                )
            )
        ref = await self._file()
        state = WatchState()
        for reply in self.timeline.all(VendorReply):
            state.seen_messages.add(reply.message_id)
        for message in self.timeline.all(CustomerMessage):
            state.seen_messages.add(message.message_id)
            if message.message_id.startswith("followup-"):
                state.posted.append((message.at, message.excerpt))
        last_status = self.timeline.last(TicketStatus)
        state.last_status = last_status.status if last_status else None
        return await self._watch(ref, state)

    @contextlib.contextmanager
    def _physical_time(self, *, always: bool = False) -> Iterator[None]:
        """Play the stream and fault phases (and, with ``always``, anything else) at rate 1 on
        an accelerated (demo) clock."""
        clock = self.clock
        physical = always or self.stream is not None
        if not physical or not isinstance(clock, AdjustableClock) or clock.rate == 1:
            yield
            return
        rate = clock.rate
        clock.set_rate(1.0)
        try:
            yield
        finally:
            clock.set_rate(rate)

    async def _baseline(self) -> None:
        assert self.stream is not None
        await self._phase(Phase.BASELINE)
        await self.stream.start()
        self._sampler = asyncio.create_task(self._sample_forever(), name="stream-sampler")
        window = self.baseline_window
        if not await self._wait_flag(self._healthy, window=window, wall_clock=True):
            raise DrillFailed(
                f"baseline unhealthy: the stream did not look healthy within {window}"
            )
        sample = self.timeline.last(StreamHealth)
        now = self.clock.now()
        await self.emit(
            BaselineHealthy(
                at=now, observed_at=now, evidence=dict(sample.metrics) if sample else {}
            )
        )

    async def _inject(self) -> None:
        await self._phase(Phase.FAULT)
        self._fault_active = True
        # Stamped as the fault goes on, not once it is verified: the sampler may see the stream
        # degrade while the toxics are still being read back.
        started = self.clock.now()
        parts: list[AppliedFault] = []
        if self.load is not None:
            # The surge first: a network fault on top of it is what the drill combines.
            parts.append(await self.load.start())
            self._load_sampler = asyncio.create_task(self._sample_load(), name="load-sampler")
        if self.fault is not None:
            parts.insert(0, await self.fault.inject())
        injected = _combined(parts)
        now = self.clock.now()
        await self.emit(
            FaultInjected(
                at=started,
                observed_at=now,
                precision_s=(now - started).total_seconds(),
                profile=injected.profile,
                region=injected.region,
                symptom=injected.symptom,
                toxics=injected.toxics,
            )
        )
        if self.stream is None:
            return
        await self._phase(Phase.DEGRADED)
        window = injected.degraded_within
        if not await self._wait_flag(self._degraded, window=window, wall_clock=True):
            raise DrillFailed(f"fault did not take: the stream was not degraded within {window}")

    async def _sample_forever(self) -> None:
        assert self.stream is not None
        while True:
            observation = await self.stream.sample()
            now = self.clock.now()
            await self.emit(
                StreamHealth(
                    at=now,
                    observed_at=now,
                    metrics=dict(observation.metrics),
                    healthy=observation.healthy,
                )
            )
            if observation.healthy:
                self._healthy.set()
            if observation.transition == "degraded" and self._fault_active:
                self._degraded.set()
                self._recovered.clear()
                await self.emit(
                    StreamDegraded(
                        at=now,
                        observed_at=now,
                        reasons=observation.reasons,
                        evidence=dict(observation.metrics),
                    )
                )
            elif observation.transition == "recovered" and self._degraded.is_set():
                self._recovered.set()
                await self.emit(
                    StreamRecovered(at=now, observed_at=now, evidence=dict(observation.metrics))
                )
            # Wall-clock seconds: the media is real even when the drill's clock is simulated.
            await asyncio.sleep(self.stream.interval_s)

    async def _sample_load(self) -> None:
        """The surge's windows on the timeline; its figures can call the stream degraded."""
        assert self.load is not None
        while True:
            observation = await self.load.sample()
            now = self.clock.now()
            await self.emit(_load_sample(observation, now))
            if (
                observation.transition == "degraded"
                and self._fault_active
                and not self._degraded.is_set()
            ):
                self._degraded.set()
                self._recovered.clear()
                latest = self.timeline.last(StreamHealth)
                evidence = dict(latest.metrics) if latest else {}
                evidence.update(_load_evidence(observation))
                await self.emit(
                    StreamDegraded(
                        at=now,
                        observed_at=now,
                        reasons=observation.problems or (),
                        evidence=evidence,
                    )
                )
            await asyncio.sleep(self.load.interval_s)

    async def _wait_flag(
        self, *flags: asyncio.Event, window: timedelta, wall_clock: bool = False
    ) -> bool:
        """Wait for any of ``flags`` up to ``window`` (drill time, or wall time for the stream's
        windows); a dead sampler is an error."""
        seconds = window.total_seconds()
        timer: asyncio.Future[Any] = asyncio.ensure_future(
            asyncio.sleep(seconds) if wall_clock else self.clock.sleep(seconds)
        )
        own: list[asyncio.Future[Any]] = [timer]
        own.extend(asyncio.ensure_future(each.wait()) for each in flags)
        waiters = list(own)
        samplers = [task for task in (self._sampler, self._load_sampler) if task is not None]
        waiters.extend(samplers)
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in own:
                waiter.cancel()
        if any(each.is_set() for each in flags):
            return True
        for task in samplers:
            if task.done() and not task.cancelled():
                error = task.exception()
                if isinstance(error, FaultError):  # the surge's processes failed
                    raise error
                raise StreamError(f"the {task.get_name()} stopped: {error}") from error
        return False

    # -- filing ------------------------------------------------------------------------------

    async def _file(self) -> TicketRef:
        """File the ticket exactly once, whatever crashes or retries came before."""
        key = idempotency_key(self.run_id)
        stored = self.store.ticket_ref(self.run_id)
        if stored is not None:
            return stored
        await self._phase(Phase.FILE)
        draft = self.compose_ticket(
            self.drill, self.timeline, run_id=self.run_id, now=self.clock.now()
        )
        intent_recorded = self.timeline.last(TicketFiling) is not None
        if not intent_recorded:
            now = self.clock.now()
            # Persisted before the desk is called: after a crash we know to look before refiling.
            self.store.set_idempotency_key(self.run_id, key, desk=self.desk.name)
            await self.emit(
                TicketFiling(
                    at=now,
                    observed_at=now,
                    idempotency_key=key,
                    subject=draft.subject,
                    body=draft.body,
                )
            )
        submitted = self.clock.now()
        ref = await self.desk.find(idempotency_key=key) if intent_recorded else None
        recovered = ref is not None
        if ref is None:
            try:
                ref = await with_retries(
                    lambda: self.desk.file(draft, idempotency_key=key),
                    deadline=self._hard_deadline(),
                    clock=self.clock,
                    on_gap=self.emit,
                )
            except DeskRejected as exc:  # DeskAuthFailed included
                raise DrillFailed(f"the desk refused the ticket: {exc}") from exc
            except DeskError as exc:
                raise DrillFailed(f"could not file the ticket before the deadline: {exc}") from exc
        self.store.set_ticket_ref(self.run_id, key, ref)
        now = self.clock.now()
        skew = clock_skew_s(ref.created_at, submitted=submitted, answered=now)
        await self.emit(
            TicketFiled(
                at=ref.created_at,
                observed_at=now,
                precision_s=1.0,
                ticket_id=ref.ticket_id,
                url=ref.url,
                submitted_at=submitted,
                clock_skew_s=skew,
                recovered=recovered,
            )
        )
        if self.drill.resolution.lift_fault is LiftFault.ON_FILE:
            await self._lift("the ticket was filed")
        return ref

    # -- watching ----------------------------------------------------------------------------

    def _hard_deadline(self) -> datetime:
        started = self.timeline.first(DrillStarted)
        origin = started.at if started else self.clock.now()
        return origin + self.drill.safety.max_duration

    async def _watch(self, ref: TicketRef, state: WatchState) -> tuple[Outcome, str]:
        await self._phase(Phase.WATCH)
        resolution = self.drill.resolution
        filed = self.timeline.last(TicketFiled)
        timeout_at = (filed.observed_at if filed else self.clock.now()) + resolution.timeout
        hard_deadline = self._hard_deadline()
        watcher = TicketWatcher(
            self.desk, ref, vendor=self.drill.vendor, clock=self.clock, emit=self.emit, state=state
        )
        followup_sent = self.timeline.last(CustomerMessage) is not None
        while True:
            now = self.clock.now()
            if now >= hard_deadline:
                return (
                    Outcome.ABORTED,
                    f"safety.max_duration ({self.drill.safety.max_duration}) reached",
                )
            if now >= timeout_at:
                return (
                    Outcome.TIMED_OUT,
                    f"not resolved within resolution.timeout ({resolution.timeout})",
                )
            new_events = await watcher.poll(deadline=min(timeout_at, hard_deadline))
            await self._read_statuspage()
            await self._apply_lift_policy()
            if (
                not followup_sent
                and resolution.followup
                and vendor_asked_for_information(new_events)
            ):
                stamp = await self.desk.comment(ref, resolution.followup)
                followup_sent = True
                state.posted.append((stamp, resolution.followup[:280]))
                await self.emit(
                    CustomerMessage(
                        at=stamp,
                        observed_at=self.clock.now(),
                        precision_s=1.0,
                        message_id=f"followup-{self.run_id}",
                        excerpt=resolution.followup[:280],
                    )
                )
            resolved = resolution_reached(
                resolution,
                self.timeline,
                self.clock.now(),
                stream_interval_s=self.stream.interval_s if self.stream else 0.0,
            )
            if resolved is not None:
                await self.emit(resolved)
                if resolution.lift_fault is LiftFault.ON_RESOLUTION:
                    await self._lift("the vendor resolved the ticket")
                return Outcome.COMPLETED, f"resolved ({resolved.how.value})"
            wake = min(self.clock.now() + resolution.poll_interval, timeout_at, hard_deadline)
            waits_for_stream = (
                resolution.when is ResolutionWhen.STREAM_RECOVERED and not self._recovered.is_set()
            )
            stop_on = [self._recovered] if waits_for_stream else []
            wakeup = self.desk.wakeup
            if wakeup is not None:
                # The desk's webhook said something changed: poll now, not at the interval.
                stop_on.append(wakeup)
            await self._sleep_until(wake, stop_on=stop_on)
            if wakeup is not None:
                wakeup.clear()

    async def _read_statuspage(self) -> None:
        """Record status page incidents; before T0 they are the vendor's proactive contact."""
        if self.statuspage is None:
            return
        now = self.clock.now()
        due = self._statuspage_read_at is None or now >= (
            self._statuspage_read_at + STATUSPAGE_INTERVAL
        )
        if not due:
            return
        self._statuspage_read_at = now
        filed = self.timeline.last(TicketFiled)
        started = self.timeline.first(DrillStarted)
        try:
            events = await self.statuspage.poll(
                t0=filed.at if filed else now, since=started.at if started else now
            )
        except DeskError as exc:  # the status page is evidence, never a reason to stop
            await self.emit(
                Note(
                    at=now,
                    observed_at=now,
                    text=self.redactor.redact(f"status page not read: {exc}"),
                    level="warning",
                )
            )
            return
        for event in events:
            await self.emit(event)

    async def _apply_lift_policy(self) -> None:
        if not self._fault_active:
            return
        reason = lift_reason(self.drill.resolution, self.timeline, self.clock.now())
        if reason is not None:
            await self._lift(reason)

    async def _sleep_until(
        self, moment: datetime, *, stop_on: Sequence[asyncio.Event] = ()
    ) -> None:
        remaining = (moment - self.clock.now()).total_seconds()
        if remaining <= 0:
            return
        if not stop_on:
            await self.clock.sleep(remaining)
            return
        await self._wait_flag(*stop_on, window=timedelta(seconds=remaining))

    # -- teardown ----------------------------------------------------------------------------

    async def _lift(self, reason: str) -> None:
        """Lift the fault, then watch the stream recover (in physical time)."""
        if not self._fault_active or (self.fault is None and self.load is None):
            return
        self._fault_active = False
        with self._physical_time():
            try:
                if self.load is not None:
                    await self.load.lift()
                if self.fault is not None:
                    await self.fault.lift()
            except FaultError as exc:
                # The vendor's figures come from the desk, not from our fault server: a lift
                # that fails (the server died) is noted, and the ticket is still watched.
                now = self.clock.now()
                text = self.redactor.redact(f"the fault could not be lifted: {exc}")
                await self.emit(Note(at=now, observed_at=now, text=text, level="error"))
                return
            now = self.clock.now()
            await self.emit(FaultLifted(at=now, observed_at=now, reason=reason))
            if self.stream is not None and self._recovered_wanted():
                await self._wait_flag(self._recovered, window=RECOVERY_GRACE, wall_clock=True)

    async def _teardown(self, outcome: Outcome, reason: str) -> None:
        await self._phase(Phase.TEARDOWN)
        try:
            try:
                await self._lift(f"drill {outcome.value}")
            finally:
                try:
                    await self._close_load()
                finally:
                    if self.fault is not None:
                        await self.fault.close()
        except (FaultError, StreamError) as exc:
            now = self.clock.now()
            text = self.redactor.redact(f"teardown: {exc}")
            await self.emit(Note(at=now, observed_at=now, text=text, level="error"))
        finally:
            if self._sampler is not None:
                self._sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._sampler
            if self.stream is not None:
                with contextlib.suppress(StreamError):
                    await self.stream.stop()
            await self._read_vendor_clocks()
            now = self.clock.now()
            if self.desk.webhook is not None:
                summary = self.desk.webhook.stats().summary()
                await self.emit(Note(at=now, observed_at=now, text=f"desk webhooks: {summary}"))
            await self.emit(DrillEnded(at=now, observed_at=now, outcome=outcome, reason=reason))
            self.store.finish_run(self.run_id, outcome, ended_at=now)

    async def _close_load(self) -> None:
        """End the surge (its processes, whatever happened) and put its figures on record."""
        if self.load is None:
            return
        if self._load_sampler is not None:
            self._load_sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._load_sampler
        figures = await self.load.close()
        now = self.clock.now()
        await self.emit(
            LoadSummary(
                at=now,
                observed_at=now,
                mode=figures.mode,
                planned_viewers=figures.planned_viewers,
                workers=figures.workers,
                joins=figures.joins,
                joined=figures.joined,
                first_p50_ms=figures.first_p50_ms,
                first_p95_ms=figures.first_p95_ms,
                failures=dict(figures.failures),
                viewers_reached=figures.viewers_reached,
                users_reached=figures.users_reached,
            )
        )

    async def _read_vendor_clocks(self) -> None:
        """The desk's own SLA clocks, where it shows them (agent access): a cross-check."""
        ref = self.store.ticket_ref(self.run_id)
        reader = self.desk
        if ref is None or not self.desk.capabilities.vendor_sla_clocks:
            return
        if not isinstance(reader, VendorClockReader):
            return
        now = self.clock.now()
        try:
            clocks = await reader.vendor_clocks(ref)
        except DeskError as exc:
            text = self.redactor.redact(f"the desk's SLA clocks not read: {exc}")
            await self.emit(Note(at=now, observed_at=now, text=text, level="warning"))
            return
        for clock in clocks:
            # The event carries the desk's reading field for field (the timeline stays pure).
            await self.emit(DeskSlaClock(at=now, observed_at=now, **dataclasses.asdict(clock)))

    def _fault_confirmed(self) -> bool:
        """The fault was injected and the stream was then seen degraded."""
        injected = self.timeline.last(FaultInjected)
        degraded = self.timeline.last(StreamDegraded)
        return injected is not None and degraded is not None and degraded.at >= injected.at

    def _recovered_wanted(self) -> bool:
        return self._degraded.is_set() and not self._recovered.is_set()


def _combined(parts: Sequence[AppliedFault]) -> AppliedFault:
    """A network fault and a surge as one injected fault (the network fault names it)."""
    first = parts[0]
    if len(parts) == 1:
        return first
    return AppliedFault(
        profile=" + ".join(part.profile for part in parts),
        region=next((part.region for part in parts if part.region), ""),
        symptom="; ".join(part.symptom for part in parts if part.symptom),
        toxics=tuple(toxic for part in parts for toxic in part.toxics),
        degraded_within=max(part.degraded_within for part in parts),
    )


def _load_evidence(observation: LoadObservation) -> dict[str, float]:
    """The surge's window in the degraded event's evidence (names prefixed ``load.``)."""
    figures = observation.figures
    evidence = {"load.viewers": float(observation.users), "load.watching": observation.watching}
    if figures.success_pct is not None:
        evidence["load.join_success_pct"] = figures.success_pct
    if figures.first_p95_ms is not None:
        evidence["load.first_p95_ms"] = figures.first_p95_ms
    return evidence


def _load_sample(observation: LoadObservation, now: datetime) -> LoadSample:
    figures, totals = observation.figures, observation.totals
    return LoadSample(
        at=now,
        observed_at=now,
        window_s=observation.window_s,
        users=observation.users,
        watching=observation.watching,
        joins=figures.joins,
        joined=figures.joined,
        first_p50_ms=figures.first_p50_ms,
        first_p95_ms=figures.first_p95_ms,
        failures=dict(figures.failures),
        healthy=observation.healthy,
        reasons=observation.problems or (),
        total_joins=totals.joins,
        total_joined=totals.joined,
        total_first_p50_ms=totals.first_p50_ms,
        total_first_p95_ms=totals.first_p95_ms,
        total_failures=dict(totals.failures),
    )
