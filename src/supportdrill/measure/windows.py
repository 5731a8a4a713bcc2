"""When a drill's ticket was filed, in the vendor's week: business hours, off-hours, weekend or
holiday, and the hour of the week — the two axes the vendor scorecard splits its figures by.

A vendor that answers in minutes on Tuesday at 10:00 and in hours on Saturday at 03:00 has two
different support contracts in practice; the scorecard shows them apart.

* **holiday**: the local day is a public holiday of the coverage's country (or a listed extra
  holiday), whatever the hour;
* **weekend**: Saturday or Sunday, local time, unless the vendor's hours cover that moment (a
  make-up workday);
* **business hours**: inside the vendor's weekly hours; a 7x24 vendor has no hours of its own,
  so its office hours are taken as :data:`OFFICE_HOURS` (Mon–Fri 09:00–18:00) in its zone;
* **off-hours**: any other time.

Pure: no I/O.
"""

from __future__ import annotations

import enum
from datetime import datetime, time
from zoneinfo import ZoneInfo

from ..clock import require_aware
from ..definitions.model import Coverage, Weekday, WeeklyInterval
from .calendar import is_covered, is_holiday


class Window(enum.StrEnum):
    BUSINESS = "business_hours"
    OFF_HOURS = "off_hours"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


WINDOWS: tuple[Window, ...] = (Window.BUSINESS, Window.OFF_HOURS, Window.WEEKEND, Window.HOLIDAY)
"""In the order the scorecard shows them."""

WINDOW_LABELS = {
    Window.BUSINESS: "business hours",
    Window.OFF_HOURS: "off-hours",
    Window.WEEKEND: "weekend",
    Window.HOLIDAY: "holiday",
}

OFFICE_HOURS: tuple[WeeklyInterval, ...] = tuple(
    WeeklyInterval(day, time(9), time(18))
    for day in (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
)


def office_hours(coverage: Coverage) -> Coverage:
    """The coverage whose hours count as "business hours": the vendor's own, or Mon–Fri
    09:00–18:00 in its zone when it has none (7x24 or an empty schedule)."""
    if coverage.weekly and not coverage.always:
        return coverage
    return Coverage(
        timezone=coverage.timezone,
        weekly=OFFICE_HOURS,
        holiday_country=coverage.holiday_country,
        holiday_subdivision=coverage.holiday_subdivision,
        extra_holidays=coverage.extra_holidays,
        label="Mon-Fri 09:00-18:00",
    )


def window_of(coverage: Coverage, moment: datetime) -> Window:
    """Which window ``moment`` falls in for a vendor with ``coverage``."""
    require_aware(moment, "moment")
    local = moment.astimezone(ZoneInfo(coverage.timezone))
    if is_holiday(coverage, local.date()):
        return Window.HOLIDAY
    office = office_hours(coverage)
    covered = is_covered(office, moment)
    if local.weekday() >= Weekday.SAT and not covered:
        return Window.WEEKEND
    return Window.BUSINESS if covered else Window.OFF_HOURS


def hour_of_week(timezone: str, moment: datetime) -> int:
    """0 (Monday 00:00–00:59 local) … 167 (Sunday 23:00–23:59 local)."""
    require_aware(moment, "moment")
    local = moment.astimezone(ZoneInfo(timezone))
    return local.weekday() * 24 + local.hour
