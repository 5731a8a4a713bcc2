"""Built-in SLA tier sets and the coverage schedules users write as one-line strings.

Each tier set cites where its numbers come from. ``coverage`` strings look like ``24x7``,
``Mon-Fri 09:00-18:00`` or ``Mon-Fri 09:00-18:00, Sat 10:00-14:00``.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from types import MappingProxyType

from .model import Coverage, Severity, SlaTarget, TierSet, Weekday, WeeklyInterval


def _target(
    first: int | None,
    update: int | None = None,
    resolution: int | None = None,
    *,
    auto_ack_counts: bool = False,
) -> SlaTarget:
    """Minutes in, timedeltas out."""

    def minutes(value: int | None) -> timedelta | None:
        return timedelta(minutes=value) if value is not None else None

    return SlaTarget(
        first_response=minutes(first),
        update_cadence=minutes(update),
        resolution=minutes(resolution),
        auto_ack_counts=auto_ack_counts,
    )


BUILTIN_TIERS: MappingProxyType[str, TierSet] = MappingProxyType(
    {
        "common-vendor": TierSet(
            name="common-vendor",
            targets=MappingProxyType(
                {
                    Severity.P0: _target(15, update=60),
                    Severity.P1: _target(30, update=120),
                    Severity.P2: _target(120),
                    Severity.P3: _target(240),
                }
            ),
            source=(
                "The promise streaming vendors commonly make in sales: P0 15 min, P1 30 min, "
                "P2 2 h, P3 4 h first response (DESIGN.md); hourly P0 updates are our assumption."
            ),
        ),
        "evercast-24x7": TierSet(
            name="evercast-24x7",
            targets=MappingProxyType(
                {
                    Severity.P0: _target(30, update=60, resolution=120),
                    Severity.P1: _target(30, update=60, resolution=120),
                    Severity.P2: _target(240, update=60),
                    Severity.P3: _target(48 * 60, update=24 * 60),
                }
            ),
            source=(
                "evercast.us/service-level-agreement: Sev 0/1 diagnosis 30 min, hourly client "
                "notification, resolution or workaround 120 min; Sev 2 240 min; Sev 3 48 h, daily."
            ),
        ),
        "liveswitch-business-hours": TierSet(
            name="liveswitch-business-hours",
            targets=MappingProxyType(
                {
                    Severity.P0: _target(4 * 60),
                    Severity.P1: _target(4 * 60),
                    Severity.P2: _target(8 * 60),
                    Severity.P3: _target(16 * 60),
                }
            ),
            source=(
                "support.liveswitch.io/support-plans: first response P1 4 h, P2 8 h, P3 16 h, in "
                "business hours (Mon-Fri 9-17 Pacific, Canadian holidays); P0 mapped to P1."
            ),
        ),
        "opennms-premier-plus-24x7": TierSet(
            name="opennms-premier-plus-24x7",
            targets=MappingProxyType(
                {
                    Severity.P0: _target(15),
                    Severity.P1: _target(4 * 60),
                    Severity.P2: _target(24 * 60),
                    Severity.P3: _target(24 * 60),
                }
            ),
            source=(
                "opennms.com support SLAs: Premier+ 24/7 urgent 15 min initial response; "
                "Premier+ high 4 h, medium and low 24 h within operating hours."
            ),
        ),
    }
)

_DAYS = {day.name.lower(): day for day in Weekday}
_SPAN = re.compile(
    r"^(?P<days>[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?(?:\s*,\s*[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?)*)"
    r"\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)
ALWAYS_WORDS = frozenset({"24x7", "7x24", "24/7", "always"})


def _clock(text: str, *, end: bool = False) -> time:
    """``HH:MM``; ``24:00`` only as an end, meaning midnight at the end of the day."""
    hours, minutes = (int(part) for part in text.split(":"))
    if hours == 24 and minutes == 0:
        if not end:
            raise ValueError(f"{text!r} can only end an interval; a day starts at 00:00")
        return time(0)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"{text!r} is not a time of day")
    return time(hours, minutes)


def _days(text: str) -> list[Weekday]:
    days: list[Weekday] = []
    for part in re.split(r"\s*,\s*", text):
        ends = [piece.strip().lower() for piece in part.split("-")]
        unknown = [piece for piece in ends if piece not in _DAYS]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a weekday (use Mon, Tue, ... Sun)")
        first, last = _DAYS[ends[0]], _DAYS[ends[-1]]
        span = range(first, last + 1) if last >= first else [*range(first, 7), *range(last + 1)]
        days.extend(Weekday(index) for index in span)
    return days


def parse_hours(text: str) -> tuple[WeeklyInterval, ...]:
    """``Mon-Fri 09:00-18:00, Sat 10:00-14:00`` → weekly intervals. ``ValueError`` with a hint."""
    intervals: list[WeeklyInterval] = []
    for chunk in re.split(r"\s*;\s*|(?<=\d)\s*,\s*", text.strip()):
        match = _SPAN.match(chunk.strip())
        if match is None:
            raise ValueError(
                f"{chunk.strip()!r} is not a coverage schedule; write 24x7 or like "
                "'Mon-Fri 09:00-18:00'"
            )
        start, end = _clock(match["start"]), _clock(match["end"], end=True)
        for day in _days(match["days"]):
            intervals.append(WeeklyInterval(day, start, end))
    return tuple(intervals)


def parse_coverage(
    text: str,
    *,
    timezone: str,
    holiday_country: str | None = None,
    holiday_subdivision: str | None = None,
) -> Coverage:
    """One coverage string in the vendor's zone."""
    if text.strip().lower() in ALWAYS_WORDS:
        return Coverage(timezone=timezone, always=True, label="24x7")
    return Coverage(
        timezone=timezone,
        weekly=parse_hours(text),
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
        label=text.strip(),
    )
