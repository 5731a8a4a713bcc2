"""The update cadence: how long the vendor leaves an unresolved ticket without a human update.

The update clock starts at a human reply made while the ticket is unresolved and stops at the
next human reply or at resolution; a reopen restarts it (once there has been a human reply at
all); a clock still running at the end runs to ``as_of``. The figure shown is the largest gap,
which alone decides the verdict: breached if it is over the target, else pending while a gap is
open, else met. The pausable variant does not count time spent in :data:`PAUSED_CATEGORIES`
(Zendesk's pausable update: waiting on the customer).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from ..definitions.durations import format_exact
from ..timeline import Event, ReplyClass, TicketStatus, VendorReply
from .calendar import special_days
from .metrics import (
    UPDATE_CADENCE,
    UPDATE_CADENCE_PAUSABLE,
    Context,
    Events,
    by_time,
    precision_of,
    target_of,
)
from .verdicts import Metric, Verdict, close_calls, deadlines, judge, paused_time, span, verdict_for


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
    for event in by_time(timeline.all(TicketStatus)):
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
    target = target_of(ctx, "update_cadence")
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
    measured = [(start, end, *seconds) for (start, end), seconds in zip(gaps, spans, strict=True)]
    # The gap shown is the largest in business time (the contractual figure; for 7x24 the same
    # as calendar time), and both figures shown are that gap's, so they match its start and
    # end. The calendar verdict judges the largest calendar gap, named in a note when it is
    # another one.
    shown_start, shown_end, calendar_s, business_s = max(measured, key=lambda g: (g[3], g[2]))
    widest = max(measured, key=lambda gap: gap[2])
    notes = [f"{len(measured)} gap(s) between human updates"]
    if widest[2] > calendar_s:
        notes.append(
            f"largest gap in calendar time is another: {format_exact(widest[2])} from "
            f"{widest[0].at.isoformat()}"
            + (f" to {widest[1].at.isoformat()}" if widest[1] is not None else " (still open)")
            + "; the calendar verdict judges that one"
        )
    running = gaps[-1][0] if gaps[-1][1] is None else None
    if running is not None and running is not shown_start:
        notes.append(f"no update for {format_exact(measured[-1][2])} so far")
    precision_s = precision_of(ctx, shown_start, shown_end)
    verdict_calendar = verdict_business = Verdict.NO_TARGET
    due: tuple[datetime | None, datetime | None] = (None, None)
    if target is not None:
        limit = target.total_seconds()
        verdict_calendar = verdict_for(widest[2], limit, running is None)
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
        special_days=special_days(ctx.coverage, shown_start.at, _until(ctx, shown_end)),
    )
