"""One measured interval judged against one SLA target, in calendar and in business time.

A :class:`Metric` is an interval ``start → end`` (``end`` None while it has not happened), its
length in calendar seconds and in the vendor's business seconds, how precise those are, and a
verdict for each. Verdicts compare elapsed time with the target, never timestamps with a
deadline: business time that stops at a window's end has not exceeded the target however long
the night after it is, so "elapsed ≤ target" is the one rule that agrees with the figures shown.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..definitions.durations import format_duration
from ..definitions.model import Coverage
from .calendar import SpecialDay, business_deadline, business_seconds, has_hours, special_days


class Verdict(enum.StrEnum):
    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"
    """Not happened yet, and the target is not used up at ``as_of``."""
    NOT_APPLICABLE = "not_applicable"
    """Nothing to measure (e.g. no ticket filed, no human update to start the cadence)."""
    NO_TARGET = "no_target"
    """Measured, or measurable, but the tier set promises nothing for it: not judged."""

    @property
    def judged(self) -> bool:
        """Whether a target was actually held against a figure (met, breached or pending)."""
        return self in (Verdict.MET, Verdict.BREACHED, Verdict.PENDING)


@dataclass(frozen=True, slots=True)
class Metric:
    """One figure of a run, with both verdicts.

    When ``end`` is None, ``calendar_s`` and ``business_s`` are the time elapsed up to the
    evaluation's ``as_of`` (what a live view counts), and the verdicts are pending or breached.
    """

    name: str
    start: datetime | None
    end: datetime | None
    calendar_s: float | None
    business_s: float | None
    precision_s: float
    """± bound on both figures: the start and end events' precision, plus clock skew if any."""
    target_s: float | None
    verdict_calendar: Verdict
    verdict_business: Verdict
    deadline_calendar: datetime | None
    deadline_business: datetime | None
    """The earliest moment the business-time target is used up (None: never, or pausable)."""
    judged: bool = False
    """This metric decides the SLA verdict (others are reported alongside)."""
    notes: tuple[str, ...] = ()
    special_days: tuple[SpecialDay, ...] = ()
    """Holidays and make-up workdays inside ``start → end`` (or ``as_of``): what the
    business-time figure skipped or counted beyond the weekly hours."""

    @property
    def verdict(self) -> Verdict:
        """The contractual verdict: business time (equal to calendar time for 7x24 tiers)."""
        return self.verdict_business


def verdict_for(elapsed_s: float, target_s: float, ended: bool) -> Verdict:
    """Breached once elapsed exceeds the target; met if it ended within it; else pending."""
    if elapsed_s > target_s:
        return Verdict.BREACHED
    return Verdict.MET if ended else Verdict.PENDING


def paused_time(
    coverage: Coverage,
    start: datetime,
    until: datetime,
    paused: Sequence[tuple[datetime, datetime]],
) -> tuple[float, float]:
    """Calendar and business seconds of ``start → until`` inside the ``paused`` intervals."""
    calendar_s = business_s = 0.0
    for low, high in paused:
        low, high = max(low, start), min(high, until)
        if high > low:
            calendar_s += (high - low).total_seconds()
            business_s += business_seconds(coverage, low, high)
    return calendar_s, business_s


def span(
    coverage: Coverage,
    start: datetime,
    until: datetime,
    paused: Sequence[tuple[datetime, datetime]] | None = None,
) -> tuple[float, float]:
    """Calendar and business seconds of ``start → until``, less any ``paused`` time."""
    calendar_s = (until - start).total_seconds()
    business_s = (
        max(0.0, calendar_s) if coverage.always else business_seconds(coverage, start, until)
    )
    if paused:
        off_calendar_s, off_business_s = paused_time(coverage, start, until, paused)
        calendar_s -= off_calendar_s
        business_s -= off_business_s
    return calendar_s, business_s


def deadlines(
    coverage: Coverage, start: datetime, target: timedelta
) -> tuple[datetime, datetime | None]:
    """When ``target`` is used up from ``start``: in calendar time, and in business time (None
    if the coverage has no hours, so the business clock never runs)."""
    business = business_deadline(coverage, start, target) if has_hours(coverage) else None
    return start + target, business


def close_calls(
    calendar_s: float, business_s: float, target_s: float, precision_s: float
) -> list[str]:
    """Notes for figures so near the target that their precision could flip the verdict."""
    if precision_s <= 0:
        return []
    return [
        f"{label} time is within ±{format_duration(precision_s)} of the target: "
        "the verdict could go either way"
        for label, value in (("calendar", calendar_s), ("business", business_s))
        if abs(value - target_s) <= precision_s
    ]


def judge(
    name: str,
    *,
    start: datetime | None,
    end: datetime | None,
    as_of: datetime,
    coverage: Coverage,
    target: timedelta | None,
    precision_s: float = 0.0,
    judged: bool = False,
    paused: Sequence[tuple[datetime, datetime]] | None = None,
    notes: Iterable[str] = (),
) -> Metric:
    """Measure ``start → end`` (or ``start → as_of`` while ``end`` is None) against ``target``.

    ``paused`` makes it the pausable variant: time inside those intervals is not counted, and
    deadlines are not given (they move with every future pause).
    """
    extra = list(notes)
    if start is None:
        unmeasured = Verdict.NO_TARGET if target is None else Verdict.NOT_APPLICABLE
        return Metric(
            name=name,
            start=None,
            end=None,
            calendar_s=None,
            business_s=None,
            precision_s=0.0,
            target_s=None if target is None else target.total_seconds(),
            verdict_calendar=unmeasured,
            verdict_business=unmeasured,
            deadline_calendar=None,
            deadline_business=None,
            judged=judged,
            notes=tuple(extra),
        )
    until = end if end is not None else max(as_of, start)
    calendar_s, business_s = span(coverage, start, until, paused)
    target_s = None if target is None else target.total_seconds()
    deadline_calendar = deadline_business = None
    if target is None:
        verdict_calendar = verdict_business = Verdict.NO_TARGET
    else:
        limit = target.total_seconds()
        ended = end is not None
        verdict_calendar = verdict_for(calendar_s, limit, ended)
        verdict_business = verdict_for(business_s, limit, ended)
        if paused is None:
            deadline_calendar, deadline_business = deadlines(coverage, start, target)
        if ended:
            extra.extend(close_calls(calendar_s, business_s, limit, precision_s))
    return Metric(
        name=name,
        start=start,
        end=end,
        calendar_s=calendar_s,
        business_s=business_s,
        precision_s=precision_s,
        target_s=target_s,
        verdict_calendar=verdict_calendar,
        verdict_business=verdict_business,
        deadline_calendar=deadline_calendar,
        deadline_business=deadline_business,
        judged=judged,
        notes=tuple(extra),
        special_days=special_days(coverage, start, until),
    )


_RANK = {
    Verdict.BREACHED: 4,
    Verdict.PENDING: 3,
    Verdict.MET: 2,
    Verdict.NOT_APPLICABLE: 1,
    Verdict.NO_TARGET: 0,
}


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """Breached if any is; else pending if any is; else met if any is; else not applicable if
    any is (a target was there, with nothing to measure); else no target. Met therefore needs
    at least one figure judged and met."""
    best = Verdict.NO_TARGET
    for verdict in verdicts:
        if _RANK[verdict] > _RANK[best]:
            best = verdict
    return best
