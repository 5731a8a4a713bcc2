"""The live terminal view while a drill runs: the phase, the last events, each SLA deadline
counting down in calendar and in business time."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..measure.scorecard import evaluate
from ..spec.durations import format_duration
from ..timeline import Event, PhaseChanged, StreamHealth, Timeline

if TYPE_CHECKING:
    from ..run.runner import DrillRunner


def _left(deadline: datetime | None, ended: datetime | None, now: datetime) -> str:
    if deadline is None or ended is not None:
        return "—"
    return format_duration(deadline - now)


class LiveView:
    """Redraws on every event and four times a second."""

    def __init__(self, runner: DrillRunner) -> None:
        self.runner = runner
        self.recent: list[str] = []
        self._live = Live(
            self._render(), refresh_per_second=4, transient=False, get_renderable=self._render
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

    def on_event(self, event: Event, timeline: Timeline) -> None:
        if isinstance(event, StreamHealth | PhaseChanged):
            return
        self.recent = [*self.recent[-5:], f"{event.at:%H:%M:%S}Z {event.kind}"]

    def _render(self) -> Group:
        runner = self.runner
        timeline = runner.timeline
        phase = timeline.last(PhaseChanged)
        now = runner.clock.now()
        drill = runner.drill
        phase_name = phase.phase.value if phase else "starting"
        title = Text(
            f"{drill.name} → {drill.vendor.name}  phase: {phase_name}"
            f"  now {now:%Y-%m-%d %H:%M:%S}Z",
            style="bold",
        )
        table = Table("figure", "so far", "calendar deadline in", "business deadline in", "verdict")
        card = evaluate(
            timeline, severity=drill.severity, sla=drill.sla, coverage=drill.coverage, as_of=now
        )
        for metric in card.metrics:
            if metric.target_s is None and metric.calendar_s is None:
                continue

            table.add_row(
                metric.name,
                format_duration(metric.calendar_s) if metric.calendar_s is not None else "—",
                _left(metric.deadline_calendar, metric.end, now),
                _left(metric.deadline_business, metric.end, now),
                metric.verdict_business.value,
            )
        return Group(title, table, Text("\n".join(self.recent)))
