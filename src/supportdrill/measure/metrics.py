"""The figures of one run, read off its timeline: each a :class:`~.verdicts.Metric`.

T0 is the first ``TicketFiled``'s ``at`` (the desk's created_at). Vendor replies count from T0 on,
in the order of their own timestamps, whatever order we polled them in.

* acknowledgement: T0 → the first vendor reply of any class;
* first human response: T0 → the first reply classified HUMAN;
* update cadence: gaps between consecutive human replies while the ticket is unresolved (a gap
  also ends at resolution; a reopen restarts the clock; an open gap runs to ``as_of``), and a
  pausable variant that does not count time in :data:`PAUSED_CATEGORIES`;
* next reply: each customer message that starts an unanswered run → the next human reply;
* first resolution: T0 → the first entry into solved/closed (or a ``TicketResolved``); full
  resolution: T0 → the last such entry, pending again while reopened. solved → closed is the
  desk closing a solved ticket by itself and is not a new entry;
* detection latency: fault injected → stream degraded; recovery: fault lifted → stream recovered.

Precision: the start and end events' ``precision_s``, plus ``|clock_skew_s|`` when one end is
timestamped by the desk and the other by us.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar, cast

from ..spec.durations import format_duration
from ..spec.model import Coverage, SlaTarget
from ..timeline import (
    CustomerMessage,
    Event,
    FaultInjected,
    FaultLifted,
    ReplyClass,
    StatusCategory,
    StreamDegraded,
    StreamRecovered,
    TicketFiled,
    TicketResolved,
    TicketStatus,
    Timeline,
    VendorReply,
)
from .verdicts import (
    Metric,
    Verdict,
    close_calls,
    deadlines,
    judge,
    paused_time,
    span,
    verdict_for,
)

ACKNOWLEDGEMENT = "acknowledgement"
FIRST_HUMAN_RESPONSE = "first_human_response"
UPDATE_CADENCE = "update_cadence"
UPDATE_CADENCE_PAUSABLE = "update_cadence_pausable"
NEXT_REPLY = "next_reply"
FIRST_RESOLUTION = "first_resolution"
FULL_RESOLUTION = "full_resolution"
DETECTION_LATENCY = "detection_latency"
RECOVERY = "recovery"

RESOLVED_CATEGORIES = frozenset({StatusCategory.SOLVED, StatusCategory.CLOSED})
PAUSED_CATEGORIES = frozenset({StatusCategory.PENDING})
"""Zendesk's pausable update counts New, Open and On-hold: only waiting-for-us pauses it."""

E = TypeVar("E", bound=Event)
_DESK_CLOCK = (TicketFiled, VendorReply, CustomerMessage, TicketStatus)


@dataclass(frozen=True)
class Context:
    """What every metric of one evaluation shares."""

    t0: TicketFiled | None
    coverage: Coverage
    sla: SlaTarget | None
    as_of: datetime
    paused_categories: frozenset[StatusCategory] = PAUSED_CATEGORIES

    @property
    def skew_s(self) -> float:
        return abs(self.t0.clock_skew_s) if self.t0 is not None else 0.0


class Events:
    """A timeline's events grouped by class in one pass: evaluate() asks for each kind often.

    Event classes are leaves of :class:`~supportdrill.timeline.Event`, so grouping by exact
    class finds what ``Timeline.all`` would.
    """

    def __init__(self, timeline: Timeline) -> None:
        grouped: dict[type[Event], list[Event]] = {}
        for event in timeline.events:
            grouped.setdefault(type(event), []).append(event)
        self._grouped = grouped
        self.events = timeline.events

    def all(self, kind: type[E]) -> list[E]:
        return cast("list[E]", self._grouped.get(kind, []))

    def first(self, kind: type[E]) -> E | None:
        found = self.all(kind)
        return found[0] if found else None

    def last(self, kind: type[E]) -> E | None:
        found = self.all(kind)
        return found[-1] if found else None


def _precision(ctx: Context, start: Event, end: Event | None) -> float:
    total = start.precision_s
    if end is not None:
        total += end.precision_s
        if isinstance(start, _DESK_CLOCK) != isinstance(end, _DESK_CLOCK):
            total += ctx.skew_s
    return total


def _sorted(events: Iterable[E], since: datetime | None = None) -> list[E]:
    """Events at or after ``since`` in time order; ties keep the order they were appended."""
    kept = (event for event in events if since is None or event.at >= since)
    return sorted(kept, key=lambda event: event.at)


def vendor_replies(timeline: Events, t0: TicketFiled) -> list[VendorReply]:
    """The vendor's replies from T0 on, in the order of the desk's timestamps."""
    return _sorted(timeline.all(VendorReply), t0.at)


def _target(ctx: Context, attribute: str) -> timedelta | None:
    return None if ctx.sla is None else getattr(ctx.sla, attribute)


def _from_t0(
    ctx: Context,
    name: str,
    end: Event | None,
    attribute: str,
    *,
    judged: bool,
    notes: Sequence[str],
) -> Metric:
    t0 = ctx.t0
    return judge(
        name,
        start=None if t0 is None else t0.at,
        end=None if end is None else end.at,
        as_of=ctx.as_of,
        coverage=ctx.coverage,
        target=_target(ctx, attribute),
        precision_s=0.0 if t0 is None else _precision(ctx, t0, end),
        judged=judged,
        notes=notes,
    )


def first_responses(ctx: Context, replies: Sequence[VendorReply]) -> tuple[Metric, Metric]:
    """Acknowledgement and first human response; which one is judged follows the contract."""
    ack_counts = ctx.sla is not None and ctx.sla.auto_ack_counts
    first = replies[0] if replies else None
    human = next((r for r in replies if r.classification is ReplyClass.HUMAN), None)
    basis = "the contract counts an automatic acknowledgement"
    ack_notes = [f"the first-response SLA verdict: {basis}"] if ack_counts else []
    if first is not None and first.classification is not ReplyClass.HUMAN:
        ack_notes.append(f"first vendor message was {first.classification.value}")
    return (
        _from_t0(ctx, ACKNOWLEDGEMENT, first, "first_response", judged=ack_counts, notes=ack_notes),
        _from_t0(
            ctx, FIRST_HUMAN_RESPONSE, human, "first_response", judged=not ack_counts, notes=()
        ),
    )


def resolution_periods(timeline: Events, since: datetime) -> list[tuple[Event, Event | None]]:
    """Each stretch the ticket spent resolved: (the entry, the reopen that ended it or None)."""
    periods: list[tuple[Event, Event | None]] = []
    entered: Event | None = None
    changes: list[Event] = [*timeline.all(TicketStatus), *timeline.all(TicketResolved)]
    for event in _sorted(changes, since):
        resolves = isinstance(event, TicketResolved) or (
            isinstance(event, TicketStatus) and event.category in RESOLVED_CATEGORIES
        )
        if resolves and entered is None:
            entered = event
        elif not resolves and entered is not None:
            periods.append((entered, event))
            entered = None
    if entered is not None:
        periods.append((entered, None))
    return periods


def resolutions(ctx: Context, periods: Sequence[tuple[Event, Event | None]]) -> tuple[Metric, ...]:
    first = periods[0][0] if periods else None
    last, reopened = periods[-1] if periods else (None, None)
    full_end = last if reopened is None else None
    notes = [f"reopened {len(periods) - (reopened is None)} time(s)"] if len(periods) > 1 else []
    if reopened is not None:
        notes.append("reopened and not resolved again")
    return (
        _from_t0(ctx, FIRST_RESOLUTION, first, "resolution", judged=True, notes=()),
        _from_t0(ctx, FULL_RESOLUTION, full_end, "resolution", judged=False, notes=notes),
    )


def _cadence_gaps(
    replies: Sequence[VendorReply],
    periods: Sequence[tuple[Event, Event | None]],
) -> Iterator[tuple[Event, Event | None]]:
    """(the event that started the update clock, the one that stopped it or None if running)."""
    marks: list[tuple[datetime, int, Event]] = [
        (r.at, 0, r) for r in replies if r.classification is ReplyClass.HUMAN
    ]
    for entry, reopen in periods:
        marks.append((entry.at, 1, entry))
        if reopen is not None:
            marks.append((reopen.at, 2, reopen))
    # At one instant: the reply first, then the solve (an agent answers and solves in one go).
    marks.sort(key=lambda mark: (mark[0], mark[1]))
    clock: Event | None = None
    resolved = seen_human = False
    for _at, kind, event in marks:
        if kind == 0:
            if clock is not None:
                yield clock, event
            clock = None if resolved else event
            seen_human = True
        elif kind == 1:
            if clock is not None and clock.at < event.at:
                yield clock, event
            clock, resolved = None, True
        else:
            resolved = False
            clock = event if seen_human else None
    if clock is not None:
        yield clock, None


def _paused_intervals(ctx: Context, timeline: Events) -> list[tuple[datetime, datetime]]:
    intervals = []
    since: datetime | None = None
    for event in _sorted(timeline.all(TicketStatus)):
        if event.category in ctx.paused_categories:
            since = since or event.at
        elif since is not None:
            intervals.append((since, event.at))
            since = None
    if since is not None:
        intervals.append((since, max(since, ctx.as_of)))
    return intervals


def cadences(
    ctx: Context,
    timeline: Events,
    replies: Sequence[VendorReply],
    periods: Sequence[tuple[Event, Event | None]],
) -> tuple[Metric, Metric]:
    """The update cadence and its pausable variant, each shown as its largest gap."""
    gaps = list(_cadence_gaps(replies, periods))
    paused = _paused_intervals(ctx, timeline)
    spans = [span(ctx.coverage, start.at, _until(ctx, end)) for start, end in gaps]
    unpaused = [
        (calendar_s - off_calendar_s, business_s - off_business_s)
        for (start, end), (calendar_s, business_s) in zip(gaps, spans, strict=True)
        for off_calendar_s, off_business_s in [
            paused_time(ctx.coverage, start.at, _until(ctx, end), paused)
        ]
    ]
    return (
        _largest(ctx, UPDATE_CADENCE, gaps, spans, None, judged=True),
        _largest(ctx, UPDATE_CADENCE_PAUSABLE, gaps, unpaused, paused, judged=False),
    )


def _until(ctx: Context, end: Event | None) -> datetime:
    return ctx.as_of if end is None else end.at


def _largest(
    ctx: Context,
    name: str,
    gaps: Sequence[tuple[Event, Event | None]],
    spans: Sequence[tuple[float, float]],
    paused: Sequence[tuple[datetime, datetime]] | None,
    *,
    judged: bool,
) -> Metric:
    target = _target(ctx, "update_cadence")
    if not gaps:
        return judge(
            name,
            start=None,
            end=None,
            as_of=ctx.as_of,
            coverage=ctx.coverage,
            target=target,
            judged=judged,
            notes=("no human update yet: the cadence starts at the first one",),
        )
    # Only the shown gap becomes a Metric: building one per gap costs more than measuring.
    measured = [(start, end, *seconds) for (start, end), seconds in zip(gaps, spans, strict=True)]
    # The largest gap decides: breached if it is over the target; else pending while a gap is
    # still open; else met. Only that gap becomes a Metric.
    shown_start, shown_end, calendar_s, _ = max(measured, key=lambda gap: gap[2])
    business_s = max(gap[3] for gap in measured)
    notes = [f"{len(measured)} gap(s) between human updates"]
    running = gaps[-1][0] if gaps[-1][1] is None else None
    if running is not None and running is not shown_start:
        notes.append(f"no update for {format_duration(measured[-1][2])} so far")
    precision_s = _precision(ctx, shown_start, shown_end)
    verdict_calendar = verdict_business = Verdict.NOT_APPLICABLE
    due: tuple[datetime | None, datetime | None] = (None, None)
    if target is not None:
        limit = target.total_seconds()
        verdict_calendar = verdict_for(calendar_s, limit, running is None)
        verdict_business = verdict_for(business_s, limit, running is None)
        if paused is None:
            due = deadlines(ctx.coverage, (running or shown_start).at, target)
        if running is None:
            notes.extend(close_calls(calendar_s, business_s, limit, precision_s))
    return Metric(
        name=name,
        start=shown_start.at,
        end=None if shown_end is None else shown_end.at,
        calendar_s=calendar_s,
        business_s=business_s,
        precision_s=precision_s,
        target_s=None if target is None else target.total_seconds(),
        verdict_calendar=verdict_calendar,
        verdict_business=verdict_business,
        deadline_calendar=due[0],
        deadline_business=due[1],
        judged=judged,
        notes=tuple(notes),
    )


def next_replies(ctx: Context, timeline: Events, replies: Sequence[VendorReply]) -> list[Metric]:
    """For each customer message that opens an unanswered run: the wait for a human reply."""
    if ctx.t0 is None:
        return []
    humans = [r for r in replies if r.classification is ReplyClass.HUMAN]
    waits: list[tuple[Event, Event | None]] = []
    waiting: Event | None = None
    marks = sorted(
        [(e.at, 0, e) for e in _sorted(timeline.all(CustomerMessage), ctx.t0.at)]
        + [(r.at, 1, r) for r in humans],
        key=lambda mark: (mark[0], mark[1]),
    )
    for _at, kind, event in marks:
        if kind == 0 and waiting is None:
            waiting = event
        elif kind == 1 and waiting is not None:
            waits.append((waiting, event))
            waiting = None
    if waiting is not None:
        waits.append((waiting, None))
    return [
        judge(
            f"{NEXT_REPLY}_{index}",
            start=start.at,
            end=None if end is None else end.at,
            as_of=ctx.as_of,
            coverage=ctx.coverage,
            target=None,
            precision_s=_precision(ctx, start, end),
        )
        for index, (start, end) in enumerate(waits, 1)
    ]


def stream_metrics(ctx: Context, timeline: Events) -> list[Metric]:
    """Detection latency and recovery, for drills that injected a fault."""
    found = []
    for name, cause_kind, effect_kind in (
        (DETECTION_LATENCY, FaultInjected, StreamDegraded),
        (RECOVERY, FaultLifted, StreamRecovered),
    ):
        cause = timeline.first(cause_kind)
        if cause is None:
            continue
        effect = next(iter(_sorted(timeline.all(effect_kind), cause.at)), None)
        found.append(
            judge(
                name,
                start=cause.at,
                end=None if effect is None else effect.at,
                as_of=ctx.as_of,
                coverage=ctx.coverage,
                target=None,
                precision_s=_precision(ctx, cause, effect),
            )
        )
    return found


__all__ = [
    "ACKNOWLEDGEMENT",
    "DETECTION_LATENCY",
    "FIRST_HUMAN_RESPONSE",
    "FIRST_RESOLUTION",
    "FULL_RESOLUTION",
    "NEXT_REPLY",
    "PAUSED_CATEGORIES",
    "RECOVERY",
    "RESOLVED_CATEGORIES",
    "UPDATE_CADENCE",
    "UPDATE_CADENCE_PAUSABLE",
    "Context",
    "Events",
    "Verdict",
    "cadences",
    "first_responses",
    "next_replies",
    "resolution_periods",
    "resolutions",
    "stream_metrics",
    "vendor_replies",
]
