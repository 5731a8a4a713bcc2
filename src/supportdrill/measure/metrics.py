"""The figures of one run, read off its timeline: each a :class:`~.verdicts.Metric`.

T0 is the first ``TicketFiled``'s ``at`` (the desk's created_at). Vendor replies count from T0 on,
in the order of their own timestamps, whatever order we polled them in.

* acknowledgement: T0 → the first vendor reply of any class;
* first human response: T0 → the first reply classified HUMAN;
* update cadence (:mod:`.cadence`): gaps between consecutive human replies while unresolved,
  and a pausable variant that does not count time in :data:`PAUSED_CATEGORIES`;
* next reply: each customer message that starts an unanswered run → the next human reply;
* first resolution: T0 → the first entry into solved/closed (or a ``TicketResolved``); full
  resolution: T0 → the last such entry, pending again while reopened. solved → closed is the
  desk closing a solved ticket by itself and is not a new entry;
* detection latency: fault injected → stream degraded; recovery: fault lifted → stream recovered.

Precision: the start and end events' ``precision_s``, plus ``|clock_skew_s|`` when one end is
timestamped by the desk and the other by us.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar, cast

from ..definitions.model import Coverage, SlaTarget
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
    judge,
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


def precision_of(ctx: Context, start: Event, end: Event | None) -> float:
    total = start.precision_s
    if end is not None:
        total += end.precision_s
        if isinstance(start, _DESK_CLOCK) != isinstance(end, _DESK_CLOCK):
            total += ctx.skew_s
    return total


def by_time(events: Iterable[E], since: datetime | None = None) -> list[E]:
    """Events at or after ``since`` in time order; ties keep the order they were appended."""
    kept = (event for event in events if since is None or event.at >= since)
    return sorted(kept, key=lambda event: event.at)


def vendor_replies(timeline: Events, t0: TicketFiled) -> list[VendorReply]:
    """The vendor's replies from T0 on, in the order of the desk's timestamps."""
    return by_time(timeline.all(VendorReply), t0.at)


def target_of(ctx: Context, attribute: str) -> timedelta | None:
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
        target=target_of(ctx, attribute),
        precision_s=0.0 if t0 is None else precision_of(ctx, t0, end),
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


def resolution_periods(
    timeline: Events, since: datetime, *, desk_resolves: bool = True
) -> list[tuple[Event, Event | None]]:
    """Each stretch the ticket spent resolved: (the entry, the reopen that ended it or None).

    ``desk_resolves=False`` (a drill resolved by the stream's recovery) counts only the drill's
    own ``TicketResolved``: a desk marked solved while the stream is still down is not resolved.
    """
    periods: list[tuple[Event, Event | None]] = []
    entered: Event | None = None
    statuses = timeline.all(TicketStatus) if desk_resolves else []
    changes: list[Event] = [*statuses, *timeline.all(TicketResolved)]
    for event in by_time(changes, since):
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


def next_replies(ctx: Context, timeline: Events, replies: Sequence[VendorReply]) -> list[Metric]:
    """For each customer message that opens an unanswered run: the wait for a human reply."""
    if ctx.t0 is None:
        return []
    humans = [r for r in replies if r.classification is ReplyClass.HUMAN]
    waits: list[tuple[Event, Event | None]] = []
    waiting: Event | None = None
    marks = sorted(
        [(e.at, 0, e) for e in by_time(timeline.all(CustomerMessage), ctx.t0.at)]
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
            precision_s=precision_of(ctx, start, end),
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
        effect = next(iter(by_time(timeline.all(effect_kind), cause.at)), None)
        found.append(
            judge(
                name,
                start=cause.at,
                end=None if effect is None else effect.at,
                as_of=ctx.as_of,
                coverage=ctx.coverage,
                target=None,
                precision_s=precision_of(ctx, cause, effect),
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
    "by_time",
    "first_responses",
    "next_replies",
    "precision_of",
    "resolution_periods",
    "resolutions",
    "stream_metrics",
    "target_of",
    "vendor_replies",
]
