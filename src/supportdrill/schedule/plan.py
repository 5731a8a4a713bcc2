"""A drill's planned runs: cron times, jittered, kept only inside its windows on the vendor's
calendar, each with what is special about its day (a DST change, a public holiday).

Pure: the calendar is :mod:`supportdrill.measure.calendar` (coverage, holidays) and the
``holidays`` package's names; no clock is read, every instant is an argument.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from ..clock import require_aware
from ..definitions.model import (
    Coverage,
    Drill,
    Schedule,
    ScheduleWindow,
    Weekday,
    WeeklyInterval,
)
from ..measure.calendar import business_seconds, is_covered
from .timing import cron_times, jitter_offset, offset_label, transitions_between

_HOUR = timedelta(hours=1)
_WHOLE_WEEK = tuple(WeeklyInterval(day, time(0), time(0)) for day in Weekday)


@dataclass(frozen=True)
class PlannedRun:
    """One run the schedule will start."""

    nominal: datetime
    """The cron time (UTC), after the DST rules: the run's identity in the store."""
    at: datetime
    """When it starts (UTC): ``nominal`` plus its jitter."""
    local: datetime
    """``at`` in the schedule's zone."""
    window: ScheduleWindow | None = None
    """The window it is in (None when the schedule has none)."""
    holiday: str = ""
    """The public holiday (in the vendor's calendar) it falls on, if any."""
    notes: tuple[str, ...] = ()
    """DST: a skipped or repeated local time, a change of offset since the previous run."""


@dataclass(frozen=True)
class Calendar:
    """What a schedule's windows are judged against."""

    coverage: Coverage
    """The vendor's coverage for the calendar severity."""
    holidays: Coverage
    """Every hour of every day, minus the holidays: uncovered means a holiday."""
    country: str | None
    subdivision: str | None


def calendar_of(drill: Drill, schedule: Schedule) -> Calendar:
    coverage = drill.vendor.coverage_for(schedule.calendar or drill.severity)
    country = schedule.holidays or coverage.holiday_country
    subdivision = coverage.holiday_subdivision if country == coverage.holiday_country else None
    every_day = Coverage(
        timezone=coverage.timezone,
        weekly=_WHOLE_WEEK,
        holiday_country=country,
        holiday_subdivision=subdivision,
        extra_holidays=coverage.extra_holidays,
        label="holidays",
    )
    return Calendar(coverage, every_day, country, subdivision)


@functools.lru_cache(maxsize=64)
def _names(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    return dict(holidays.country_holidays(country, subdiv=subdivision, years=year))


def holiday_name(calendar: Calendar, moment: datetime) -> str:
    """The holiday ``moment`` falls on in the vendor's zone, or ``""``."""
    if is_covered(calendar.holidays, moment):
        return ""
    day = moment.astimezone(ZoneInfo(calendar.coverage.timezone)).date()
    if day in calendar.coverage.extra_holidays or calendar.country is None:
        return f"extra holiday {day.isoformat()}"
    return _names(calendar.country, calendar.subdivision, day.year).get(day, "public holiday")


def window_at(
    windows: tuple[ScheduleWindow, ...], calendar: Calendar, moment: datetime
) -> ScheduleWindow | None:
    """The first of ``windows`` that ``moment`` is inside, or None."""
    for window in windows:
        if window is ScheduleWindow.HOLIDAY:
            inside = not is_covered(calendar.holidays, moment)
        elif window is ScheduleWindow.OUTSIDE_COVERAGE:
            inside = not is_covered(calendar.coverage, moment)
        else:
            # Covered now, but some of the last hour was not: coverage opened within the hour.
            inside = (
                is_covered(calendar.coverage, moment)
                and business_seconds(calendar.coverage, moment - _HOUR, moment)
                < _HOUR.total_seconds()
            )
        if inside:
            return window
    return None


def planned_runs(drill: Drill, after: datetime) -> Iterator[PlannedRun]:
    """Every run the drill's schedule starts with a cron time after ``after``, in order.

    Runs outside the schedule's windows are left out. Ends when the cron line's search horizon
    does (about eleven years); callers take as many as they need.
    """
    schedule = drill.schedule
    if schedule is None or schedule.fields is None:
        return
    require_aware(after, "after")
    zone = ZoneInfo(schedule.timezone)
    calendar = calendar_of(drill, schedule)
    previous = after.astimezone(UTC)
    for cron in cron_times(schedule.fields, zone, after):
        start = cron.at + jitter_offset(schedule.seed, cron.at, schedule.jitter)
        window = window_at(schedule.windows, calendar, start)
        if schedule.windows and window is None:
            continue
        notes = [cron.note] if cron.note else []
        changes = transitions_between(zone, previous, start)
        if changes:
            change = changes[-1]
            notes.append(
                f"UTC offset now {offset_label(change.after)} (was {offset_label(change.before)}):"
                f" {change.describe(zone)}"
            )
        local = start.astimezone(zone)
        midnight = datetime.combine(local.date(), time(0), zone)
        next_midnight = datetime.combine(local.date() + timedelta(days=1), time(0), zone)
        for change in transitions_between(zone, midnight, next_midnight):
            if not changes or change != changes[-1]:
                notes.append(f"on the day {change.describe(zone)}")
        previous = start
        yield PlannedRun(
            nominal=cron.at,
            at=start,
            local=local,
            window=window,
            holiday=holiday_name(calendar, start),
            notes=tuple(notes),
        )


__all__ = ["Calendar", "PlannedRun", "calendar_of", "holiday_name", "planned_runs", "window_at"]
