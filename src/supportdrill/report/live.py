"""The live terminal view while a drill runs: the phase, the stream's state, progress while the
stream is being judged (baseline, the fault taking hold, recovery), each SLA deadline counting
down in calendar and in business time, and the last few events.

The runner calls :meth:`LiveView.on_event` for every event it appends; rich redraws the view a
few times a second from a background thread, so everything the view draws is kept in immutable
snapshots (a timeline, a tuple of recent lines) swapped in whole, and the costly scorecard is
recomputed at most once per second of drill time or when an event arrives.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Protocol
from zoneinfo import ZoneInfo

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ..clock import Clock
from ..definitions.durations import format_duration
from ..definitions.model import Drill
from ..measure.evaluation import Evaluation, evaluate
from ..measure.verdicts import Metric, Verdict
from ..timeline import (
    BaselineHealthy,
    Event,
    FaultInjected,
    FaultLifted,
    Phase,
    PhaseChanged,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    TicketFiled,
    Timeline,
)
from .figures import figures_line
from .stream_story import DEGRADED, HEALTHY, MOS_RANGE, STARTING, sparkline

logger = logging.getLogger(__name__)

RECENT_EVENTS = 6
SPARK_SAMPLES = 40
BASELINE_WINDOW = timedelta(seconds=20)
"""The runner's default; a source with ``baseline_window`` says its own."""


class LiveSource(Protocol):
    """What the view reads from a running drill (the runner is one)."""

    @property
    def drill(self) -> Drill: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def timeline(self) -> Timeline: ...


def deadline_text(metric: Metric, now: datetime, deadline: datetime | None) -> str:
    """How long until ``deadline``: ``12m 30s``, ``overdue 2m``; ``done`` once measured."""
    if metric.target_s is None:
        return "—"
    if metric.end is not None:
        return "done"
    if deadline is None:
        return "—"
    left = (deadline - now).total_seconds()
    return format_duration(left) if left >= 0 else f"overdue {format_duration(-left)}"


def _verdict_text(metric: Metric) -> str:
    calendar, business = metric.verdict_calendar, metric.verdict_business
    if not business.judged:
        return "—" if business is Verdict.NOT_APPLICABLE else "no target"
    if calendar is business:
        return business.value
    return f"{business.value} (calendar: {calendar.value})"


_NOT_FILED = "SLA clocks start when the ticket is filed."
_STYLE = {Verdict.BREACHED: "bold red", Verdict.MET: "green", Verdict.PENDING: "yellow"}


class LiveView:
    """Draws on a rich console; redraws on every event and ``refresh_per_second`` times."""

    def __init__(
        self,
        source: LiveSource,
        *,
        console: Console | None = None,
        refresh_per_second: float = 4,
    ) -> None:
        self.source = source
        self.drill = source.drill
        self.zone = ZoneInfo(self.drill.vendor.timezone)
        self.timeline = Timeline()
        self.recent: tuple[str, ...] = ()
        self.stream_state = STARTING
        self.state_since: datetime | None = None
        self.fault: FaultInjected | None = None
        self.latest: StreamHealth | None = None
        self._mos: deque[float] = deque(maxlen=SPARK_SAMPLES)
        self._card: tuple[tuple[int, int], Evaluation] | None = None
        # Stream windows are wall-clock seconds (media is physical) even on an accelerated drill
        # clock, so the judging progress is timed on the monotonic clock from when we saw it.
        self._judging_since: tuple[str, float, int] | None = None
        self.monotonic = time.monotonic
        # A resumed drill already has a timeline: start from it.
        for event in source.timeline:
            self.on_event(event, source.timeline)
        self._live = Live(
            console=console,
            refresh_per_second=refresh_per_second,
            transient=False,
            get_renderable=self.render,
        )

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._live.__exit__(exc_type, exc, traceback)

    # -- events ------------------------------------------------------------------------------

    def on_event(self, event: Event, timeline: Timeline) -> None:
        """An observer for :class:`DrillRunner`: ``timeline`` already includes ``event``."""
        self.timeline = timeline
        match event:
            case StreamHealth():
                self.latest = event
                if "mos" in event.metrics:
                    self._mos.append(event.metrics["mos"])
                return
            case PhaseChanged():
                if event.phase is Phase.BASELINE:
                    self._judge("baseline", timeline)
                elif event.phase is Phase.DEGRADED:
                    self._judge("degradation", timeline)
                return
            case BaselineHealthy() | StreamRecovered():
                self.stream_state, self.state_since = HEALTHY, event.at
                self._judging_since = None
            case StreamDegraded():
                self.stream_state, self.state_since = DEGRADED, event.at
                self._judging_since = None
            case FaultInjected():
                self.fault = event
            case FaultLifted():
                self.fault = None
                if self.stream_state == DEGRADED:
                    self._judge("recovery", timeline)
        self.recent = (
            *self.recent[-(RECENT_EVENTS - 1) :],
            f"{event.at.astimezone(UTC):%H:%M:%S}Z {event.kind}",
        )

    def _judge(self, what: str, timeline: Timeline) -> None:
        samples = sum(1 for event in timeline if isinstance(event, StreamHealth))
        self._judging_since = (what, self.monotonic(), samples)

    # -- drawing -----------------------------------------------------------------------------

    def judging(self) -> Group | None:
        """While the stream is being judged: what for, samples so far, and the time used of
        the window it has (a bar), or since when for a recovery that has no window."""
        if self._judging_since is None:
            return None
        what, since, samples_before = self._judging_since
        elapsed = max(0.0, self.monotonic() - since)
        samples = sum(1 for e in self.timeline if isinstance(e, StreamHealth)) - samples_before
        thresholds = self.drill.stream.thresholds if self.drill.stream else None
        window: timedelta | None = None
        if what == "baseline":
            window = getattr(self.source, "baseline_window", BASELINE_WINDOW)
            need = f"{thresholds.recover_after} good samples in a row" if thresholds else ""
            title = "judging the stream's baseline"
        elif what == "degradation":
            window = self.drill.fault.expect_degraded_within if self.drill.fault else None
            need = f"{thresholds.degrade_after} bad samples in a row" if thresholds else ""
            title = "waiting for the fault to show on the stream"
        else:
            need = f"{thresholds.recover_after} good samples in a row" if thresholds else ""
            title = "fault lifted: waiting for the stream to recover"
        counted = f"{samples} sample{'' if samples == 1 else 's'} judged"
        text = Text(f"{title}: {counted}, {elapsed:.0f}s", style="cyan")
        if window is not None:
            text.append(f" of up to {window.total_seconds():.0f}s")
        if need:
            text.append(f" (needs {need})")
        if window is None:
            return Group(text)
        total = max(window.total_seconds(), 1e-9)
        return Group(text, ProgressBar(total=total, completed=min(elapsed, total), width=40))

    def evaluation(self, now: datetime) -> Evaluation:
        """The scorecard as of ``now``, recomputed once per second or when an event arrived."""
        key = (len(self.timeline), int(now.timestamp()))
        if self._card is None or self._card[0] != key:
            drill = self.drill
            card = evaluate(
                self.timeline,
                severity=drill.severity,
                sla=drill.sla,
                coverage=drill.coverage,
                as_of=now,
            )
            self._card = (key, card)
        return self._card[1]

    def _title(self, now: datetime) -> Text:
        phase = self.timeline.last(PhaseChanged)
        local = now.astimezone(self.zone)
        return Text(
            f"{self.drill.name} → {self.drill.vendor.name}"
            f"  phase: {phase.phase.value if phase else 'starting'}"
            f"  now {now.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"
            f" ({local:%a %H:%M} {self.drill.vendor.timezone})",
            style="bold",
        )

    def _stream(self, now: datetime) -> Text | None:
        if self.drill.stream is None and self.latest is None:
            return None
        text = Text("stream: ")
        style = {HEALTHY: "green", DEGRADED: "bold red"}.get(self.stream_state, "yellow")
        text.append(self.stream_state, style=style)
        if self.state_since is not None:
            text.append(f" for {format_duration(now - self.state_since)}")
        if self.fault is not None:
            where = f" in {self.fault.region}" if self.fault.region else ""
            text.append(f"  fault on: {self.fault.profile}{where}", style="red")
        if self.latest is not None:
            text.append(f"\n  {figures_line(self.latest.metrics)}")
        if self._mos:
            low, high = MOS_RANGE
            text.append(f"\n  MOS trend {sparkline(list(self._mos), low, high)}")
        return text

    def _deadlines(self, now: datetime) -> Table | Text:
        card = self.evaluation(now)
        # A figure whose clock has not started (no ticket, no fault yet) has nothing to count.
        rows = [metric for metric in card.metrics if metric.start is not None]
        if not rows:
            return Text(_NOT_FILED)
        table = Table("figure", "so far", "target", "calendar deadline in", "business deadline in")
        table.add_column("verdict")
        for metric in rows:
            table.add_row(
                metric.name,
                format_duration(metric.calendar_s) if metric.calendar_s is not None else "—",
                format_duration(metric.target_s) if metric.target_s is not None else "—",
                deadline_text(metric, now, metric.deadline_calendar),
                deadline_text(metric, now, metric.deadline_business),
                Text(_verdict_text(metric), style=_STYLE.get(metric.verdict_business, "")),
            )
        if self.timeline.first(TicketFiled) is None:
            table.caption = _NOT_FILED
        return table

    def render(self) -> Group:
        """The whole view as of the source clock's now."""
        now = self.source.clock.now()
        parts: list[Text | Table | Group] = [self._title(now)]
        try:
            stream = self._stream(now)
            if stream is not None:
                parts.append(stream)
            judging = self.judging()
            if judging is not None:
                parts.append(judging)
            parts.append(self._deadlines(now))
        except Exception as exc:  # drawing must never take the drill down with it
            logger.debug("live view failed to draw", exc_info=True)
            parts.append(Text(f"(live view: {exc})", style="red"))
        parts.append(Text("\n".join(self.recent)))
        return Group(*parts)
