"""Cron lines (``minute hour day month weekday``) parsed into the sets of values they allow.

The five-field syntax of Vixie cron, which Kubernetes CronJob and GitHub Actions accept too:
``*``, numbers, ranges ``1-5``, steps ``*/15`` and ``8-18/2``, lists ``1,15``, and the names
``jan``-``dec`` and ``sun``-``sat``. Weekday 7 is Sunday, as 0 is. The macros ``@hourly``,
``@daily`` (``@midnight``), ``@weekly``, ``@monthly`` and ``@yearly`` (``@annually``) stand for
their five-field lines. Every value is range-checked; an error names the field and what is wrong.

Day and weekday combine as cron does: when both are restricted (neither is ``*``), a day
matches if *either* matches; otherwise both must. Pure: the times a line fires at are worked out
by :mod:`supportdrill.schedule.timing`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day of month", 1, 31, {}),
    _Field("month", 1, 12, _MONTHS),
    _Field("weekday", 0, 7, _WEEKDAYS),
)
# The longest each month can be (February in a leap year).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class CronError(ValueError):
    """A cron line that cannot be used; the message names the field."""


@dataclass(frozen=True)
class CronFields:
    """What one cron line allows. Weekdays count from Monday = 0, as :mod:`datetime` does."""

    text: str
    """As the user wrote it."""
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    """The day-of-month field did not start with ``*``."""
    weekdays_restricted: bool
    """The weekday field did not start with ``*``."""

    def matches_day(self, day: int, month: int, weekday: int) -> bool:
        """Whether the line fires on a date (``weekday``: Monday = 0)."""
        if month not in self.months:
            return False
        if self.days_restricted and self.weekdays_restricted:
            return day in self.days or weekday in self.weekdays
        return day in self.days and weekday in self.weekdays

    @property
    def five_fields(self) -> str:
        """The line without macros, e.g. ``0 0 * * 0`` for ``@weekly``."""
        return MACROS.get(self.text.strip().lower(), " ".join(self.text.split()))


def _number(text: str, spec: _Field) -> int:
    lowered = text.lower()
    if lowered in spec.names:
        return spec.names[lowered]
    if not text.isdigit():
        raise CronError(f"{spec.name}: {text!r} is not a number")
    value = int(text)
    if not spec.low <= value <= spec.high:
        raise CronError(f"{spec.name}: {value} is out of range {spec.low}-{spec.high}")
    return value


def _part(text: str, spec: _Field) -> set[int]:
    base, slash, step_text = text.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"{spec.name}: step {step_text!r} must be a whole number above 0")
        step = int(step_text)
        if step > spec.high - spec.low:
            # "*/99" in the minutes fires once an hour, which is never what was meant.
            raise CronError(
                f"{spec.name}: step {step} is larger than the field's range {spec.low}-{spec.high}"
            )
    if base == "*":
        low, high = spec.low, spec.high
    elif "-" in base:
        first, _, last = base.partition("-")
        low, high = _number(first, spec), _number(last, spec)
        if high < low:
            raise CronError(f"{spec.name}: range {base!r} runs backwards")
    else:
        low = _number(base, spec)
        # "5/15" means from 5 to the end, every 15, as in Vixie cron.
        high = spec.high if slash else low
    return set(range(low, high + 1, step))


def _field(text: str, spec: _Field) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"{spec.name}: empty item in {text!r}")
        values |= _part(part, spec)
    return frozenset(values)


def parse_cron(text: str) -> CronFields:
    """The values ``text`` allows; :class:`CronError` naming the field if it is wrong."""
    line = MACROS.get(text.strip().lower(), text)
    if line.strip().startswith("@"):
        raise CronError(f"unknown macro {text.strip()!r}; known: {', '.join(sorted(MACROS))}")
    parts = line.split()
    if len(parts) != 5:
        raise CronError(
            f"a cron line has 5 fields (minute hour day month weekday), got {len(parts)}"
        )
    minutes, hours, days, months, cron_weekdays = (
        _field(part, spec) for part, spec in zip(parts, _FIELDS, strict=True)
    )
    # Cron counts weekdays from Sunday = 0 (and 7); datetime from Monday = 0.
    weekdays = frozenset((value - 1) % 7 for value in cron_weekdays)
    # As in Vixie cron, a field that starts with "*" (also "*/2") counts as unrestricted.
    days_restricted = not parts[2].startswith("*")
    weekdays_restricted = not parts[4].startswith("*")
    # With the weekday field restricted the line fires on those weekdays whatever the day field
    # says; without it, the earliest allowed day must exist in some allowed month.
    if not weekdays_restricted and all(min(days) > _MONTH_DAYS[month - 1] for month in months):
        names = ", ".join(calendar.month_abbr[month] for month in sorted(months))
        raise CronError(f"day of month: no day {min(days)} in {names}: it would never fire")
    return CronFields(
        text=text,
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=weekdays,
        days_restricted=days_restricted,
        weekdays_restricted=weekdays_restricted,
    )


__all__ = ["MACROS", "CronError", "CronFields", "parse_cron"]
