"""One run's scorecard: every metric, the SLA verdict, and what the figures could not see.

:func:`evaluate` is the entry point reports and the runner call; it is a pure function of the
timeline and the drill's SLA target and coverage. :func:`live_deadlines` gives a live view each
open deadline, in calendar and business time, so it can count down while a drill runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..clock import require_aware
from ..definitions.durations import format_duration
from ..definitions.model import Coverage, Severity, SlaTarget
from ..timeline import (
    DeskGap,
    DrillEnded,
    Outcome,
    ReplyClass,
    StatusCategory,
    TicketFiled,
    TicketStatus,
    Timeline,
    VendorReply,
)
from ..vocabulary import AuthorRole, DeskCapabilities
from .cadence import cadences
from .calendar import has_hours, is_covered
from .metrics import (
    ACKNOWLEDGEMENT,
    FIRST_HUMAN_RESPONSE,
    PAUSED_CATEGORIES,
    RESOLVED_CATEGORIES,
    Context,
    Events,
    first_responses,
    next_replies,
    resolution_periods,
    resolutions,
    stream_metrics,
    vendor_replies,
)
from .verdicts import Metric, Verdict, combine


@dataclass(frozen=True, slots=True)
class ReplyCounts:
    """Vendor replies since T0, by class."""

    auto: int = 0
    human: int = 0
    unclassified: int = 0

    @property
    def total(self) -> int:
        return self.auto + self.human + self.unclassified


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every figure of one run and its verdicts.

    ``verdict`` is the contractual one (business time, which equals calendar time for 7x24
    coverage); ``verdict_calendar`` judges the same metrics in calendar time. ``sla_met`` is True
    only when at least one figure was judged against a target and every judged figure met it:
    never when nothing was judged (no target for the severity, no ticket filed).
    """

    severity: Severity
    metrics: tuple[Metric, ...]
    verdict: Verdict
    verdict_calendar: Verdict
    sla_met: bool
    replies: ReplyCounts
    first_response_basis: str
    """The metric that decides the first-response verdict: acknowledgement or first human."""
    as_of: datetime | None
    coverage_label: str
    notes: tuple[str, ...] = ()

    def metric(self, name: str) -> Metric | None:
        return next((metric for metric in self.metrics if metric.name == name), None)

    @property
    def judged(self) -> tuple[Metric, ...]:
        return tuple(metric for metric in self.metrics if metric.judged)


def _as_of(timeline: Timeline, given: datetime | None) -> datetime | None:
    if given is not None:
        return given
    moments = [moment for event in timeline for moment in (event.at, event.observed_at)]
    return max(moments, default=None)


def _counts(replies: Iterable[VendorReply]) -> ReplyCounts:
    found = {cls: 0 for cls in ReplyClass}
    for reply in replies:
        found[reply.classification] += 1
    return ReplyCounts(
        auto=found[ReplyClass.AUTO],
        human=found[ReplyClass.HUMAN],
        unclassified=found[ReplyClass.UNCLASSIFIED],
    )


def _notes(
    timeline: Events,
    t0: TicketFiled | None,
    replies: list[VendorReply],
    sla: SlaTarget | None,
    severity: Severity,
    coverage: Coverage,
    capabilities: DeskCapabilities | None,
) -> list[str]:
    notes = []
    if t0 is None:
        notes.append("no ticket was filed: the support figures are not applicable")
    else:
        if t0.recovered:
            notes.append("ticket found again on the desk after a restart, not filed twice")
        if t0.clock_skew_s:
            side = "ahead of" if t0.clock_skew_s > 0 else "behind"
            skew = format_duration(abs(t0.clock_skew_s))
            notes.append(f"desk clock {skew} {side} ours: added to mixed-clock precision")
        early = len(timeline.all(VendorReply)) - len(replies)
        if early:
            notes.append(f"{early} vendor repl(ies) timestamped before T0 ignored")
    if sla is None:
        notes.append(f"no SLA target for {severity.value}: nothing is judged")
    if not coverage.always and not has_hours(coverage):
        notes.append("coverage has no hours: the business-time clock never runs")
    roleless = sum(r.author_role in ("", AuthorRole.UNKNOWN) for r in replies)
    if roleless:
        notes.append(
            f"desk showed no author role for {roleless} of {len(replies)} vendor replies: "
            "those could not be counted as human unless the author is a known agent"
        )
    if capabilities is not None:
        if not capabilities.author_roles:
            notes.append("desk cannot show author roles")
        notes.extend(capabilities.notes)
    gaps = timeline.all(DeskGap)
    if gaps:
        blind = sum((gap.until - gap.at).total_seconds() for gap in gaps)
        notes.append(
            f"desk unreachable {len(gaps)} time(s), {format_duration(blind)} in all; "
            "figures use the desk's own timestamps, so nothing in that time is lost"
        )
    ended = timeline.last(DrillEnded)
    if ended is not None and ended.outcome is not Outcome.COMPLETED:
        reason = f": {ended.reason}" if ended.reason else ""
        notes.append(f"drill ended {ended.outcome.value}{reason}")
    return notes


def evaluate(
    timeline: Timeline,
    *,
    severity: Severity,
    sla: SlaTarget | None,
    coverage: Coverage,
    as_of: datetime | None = None,
    capabilities: DeskCapabilities | None = None,
    paused_categories: frozenset[StatusCategory] = PAUSED_CATEGORIES,
    desk_resolves: bool = True,
) -> Evaluation:
    """Every metric of ``timeline`` and the SLA verdict.

    ``as_of`` (default: the latest time in the timeline) is "now" for metrics that have not
    ended: pending while their target is not used up, breached once it is.
    ``desk_resolves=False``: the drill defines resolution as the stream's recovery, so the
    desk's solved status does not end the resolution metrics (only the drill's own resolution).
    """
    moment = _as_of(timeline, as_of)
    if moment is not None:
        require_aware(moment, "as_of")
    events = Events(timeline)
    t0 = events.first(TicketFiled)
    replies = vendor_replies(events, t0) if t0 is not None else []
    metrics: list[Metric] = []
    if moment is not None:
        ctx = Context(
            t0=t0, coverage=coverage, sla=sla, as_of=moment, paused_categories=paused_categories
        )
        periods = (
            resolution_periods(events, t0.at, desk_resolves=desk_resolves) if t0 is not None else []
        )
        metrics.extend(first_responses(ctx, replies))
        metrics.extend(cadences(ctx, events, replies, periods))
        metrics.extend(next_replies(ctx, events, replies))
        metrics.extend(resolutions(ctx, periods))
        metrics.extend(stream_metrics(ctx, events))
    judged = [metric for metric in metrics if metric.judged]
    verdict = combine(metric.verdict_business for metric in judged)
    ack_counts = sla is not None and sla.auto_ack_counts
    return Evaluation(
        severity=severity,
        metrics=tuple(metrics),
        verdict=verdict,
        verdict_calendar=combine(metric.verdict_calendar for metric in judged),
        sla_met=verdict is Verdict.MET,
        replies=_counts(replies),
        first_response_basis=ACKNOWLEDGEMENT if ack_counts else FIRST_HUMAN_RESPONSE,
        as_of=moment,
        coverage_label=coverage.label or ("24x7" if coverage.always else coverage.timezone),
        notes=tuple(
            _notes(events, t0, replies, sla, severity, coverage, capabilities)
            + _resolution_notes(events, desk_resolves)
        ),
    )


def _resolution_notes(timeline: Events, desk_resolves: bool) -> list[str]:
    solved = [s for s in timeline.all(TicketStatus) if s.category in RESOLVED_CATEGORIES]
    if desk_resolves or not solved:
        return []
    return [
        "resolution is the stream's recovery: the desk marked the ticket solved at "
        f"{solved[0].at:%H:%M:%S}Z, which is reported, not counted"
    ]


@dataclass(frozen=True, slots=True)
class LiveDeadline:
    """One open deadline, for a live view to count down."""

    metric: str
    judged: bool
    deadline_calendar: datetime | None
    deadline_business: datetime | None
    remaining_calendar_s: float
    """Negative once the calendar target is used up."""
    remaining_business_s: float
    business_clock_running: bool
    """Whether the vendor's business clock runs at ``now`` (a countdown shows it paused if not)."""


def live_deadlines(
    timeline: Timeline,
    *,
    severity: Severity,
    sla: SlaTarget | None,
    coverage: Coverage,
    now: datetime,
) -> tuple[LiveDeadline, ...]:
    """Each metric with a target that has not ended, and how long is left at ``now``."""
    card = evaluate(timeline, severity=severity, sla=sla, coverage=coverage, as_of=now)
    running = is_covered(coverage, now)
    return tuple(
        LiveDeadline(
            metric=metric.name,
            judged=metric.judged,
            deadline_calendar=metric.deadline_calendar,
            deadline_business=metric.deadline_business,
            remaining_calendar_s=metric.target_s - (metric.calendar_s or 0.0),
            remaining_business_s=metric.target_s - (metric.business_s or 0.0),
            business_clock_running=running,
        )
        for metric in card.metrics
        if metric.target_s is not None and metric.start is not None and metric.end is None
    )
