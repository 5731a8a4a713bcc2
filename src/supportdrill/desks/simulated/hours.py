"""When a persona's humans work: adding *business* seconds to an instant over a coverage schedule.

The ``business-hours-only`` persona counts its human delays in its own coverage (weekly hours in
its time zone, minus public holidays, plus the make-up workdays the ``holidays`` package lists,
such as China's working Saturdays): a ticket filed at 03:00 on a Saturday gets its human reply
at the next opening plus the delay. Hours written twice (``09:00-18:00`` and ``12:00-20:00``)
are worked once: overlapping spans are merged before any time is added.

This is the desk's side of the story, deliberately small and independent of
:mod:`supportdrill.measure`, which judges the result; the two must not share code, or a bug in
one would hide itself in the other.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ...clock import require_aware
from ...definitions.model import Coverage
from ...errors import InvalidConfiguration

if TYPE_CHECKING:
    import holidays

# A schedule with hours but no reachable opening (e.g. every weekday a holiday) would loop for
# ever; two years is longer than any drill waits.
_HORIZON_DAYS = 800


@dataclass(frozen=True)
class HolidayRules:
    """The days a business-hours persona's people are off, whatever the weekly hours say.

    ``country``/``subdivision`` name public holidays for the ``holidays`` package (``ID``,
    ``CN``, ``US``/``CA``); ``extra`` are further local dates. A 7x24 persona ignores them,
    as 7x24 coverage does. An unknown country or subdivision is refused here, as
    :class:`~supportdrill.errors.InvalidConfiguration`.
    """

    country: str | None = None
    subdivision: str | None = None
    extra: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if self.subdivision is not None and self.country is None:
            raise InvalidConfiguration("simulated desk holidays: a subdivision needs its country")
        if self.country is not None:
            try:
                _holiday_table(self.country, self.subdivision)
            except NotImplementedError as exc:
                where = f"{self.country}/{self.subdivision}" if self.subdivision else self.country
                raise InvalidConfiguration(
                    f"simulated desk holidays: no public holidays known for {where!r}: {exc}"
                ) from exc

    @classmethod
    def of(cls, coverages: Coverage | Iterable[Coverage]) -> HolidayRules:
        """The holidays a drill's coverage names (``Vendor.coverage.values()`` or one coverage).

        The first coverage that names a country gives country and subdivision; extra dates are
        all of them. A drill writes ``holidays:`` once for every severity, so they agree.
        """
        items = (coverages,) if isinstance(coverages, Coverage) else tuple(coverages)
        named = next((c for c in items if c.holiday_country is not None), None)
        extra = sorted({day for c in items for day in c.extra_holidays})
        return cls(
            country=named.holiday_country if named else None,
            subdivision=named.holiday_subdivision if named else None,
            extra=tuple(extra),
        )

    def apply(self, coverage: Coverage) -> Coverage:
        """``coverage`` with these holidays (unchanged when 7x24)."""
        if coverage.always:
            return coverage
        return replace(
            coverage,
            holiday_country=self.country,
            holiday_subdivision=self.subdivision,
            extra_holidays=self.extra,
        )


@lru_cache(maxsize=64)
def _holiday_table(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # Loaded on first use: its country tables are slow to import, and a persona without public
    # holidays (or ``validate`` checking one) never reads them.
    import holidays

    return holidays.country_holidays(country, subdiv=subdivision)


@lru_cache(maxsize=4096)
def _day_status(country: str, subdivision: str | None, day: date) -> tuple[bool, bool]:
    """(public holiday, make-up workday) for ``day`` in ``country``."""
    table = _holiday_table(country, subdivision)
    with warnings.catch_warnings():
        # India's table warns outside 2001-2035; a desk has no one to tell.
        warnings.simplefilter("ignore")
        # Touching a date fills its year; the next year's substitutions can name a make-up
        # day in this one (late December for a January bridge).
        off = day in table
        _ = date(day.year + 1, 1, 1) in table
    return off, day in table.weekend_workdays


def _day_kind(coverage: Coverage, day: date) -> tuple[bool, bool]:
    if day in coverage.extra_holidays:
        return True, False
    if coverage.holiday_country is None:
        return False, False
    return _day_status(coverage.holiday_country, coverage.holiday_subdivision, day)


def _windows(coverage: Coverage, weekday: int) -> list[tuple[time, time]]:
    return [(i.start, i.end) for i in coverage.weekly if i.weekday == weekday]


def _day_spans(coverage: Coverage, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    off, makeup = _day_kind(coverage, day)
    if off:
        return []
    windows = _windows(coverage, day.weekday())
    if makeup:
        # A make-up day is worked like a regular workday: the first of Mon-Fri with hours.
        windows += next((w for w in map(partial(_windows, coverage), range(5)) if w), [])
    spans = []
    for start, end in windows:
        opens = datetime.combine(day, start, zone)
        # An end of 00:00 means midnight at the end of the day.
        end_day = day + timedelta(days=1) if end == time(0) else day
        closes = datetime.combine(end_day, end, zone)
        spans.append((opens.astimezone(UTC), closes.astimezone(UTC)))
    return sorted(spans)


def covered_spans(coverage: Coverage, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Covered ``[open, close)`` spans in UTC, in order and never overlapping, from the local
    day of ``start`` on. Overlapping or touching hours come out as one span."""
    require_aware(start, "start")
    if coverage.always:
        yield start, datetime.max.replace(tzinfo=UTC)
        return
    zone = ZoneInfo(coverage.timezone)
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    pending: tuple[datetime, datetime] | None = None
    for offset in range(_HORIZON_DAYS):
        for opens, closes in _day_spans(coverage, first_day + timedelta(days=offset), zone):
            if pending is not None and opens <= pending[1]:
                pending = (pending[0], max(pending[1], closes))
                continue
            if pending is not None:
                yield pending
            pending = (opens, closes)
    if pending is not None:
        yield pending


def business_add(coverage: Coverage, start: datetime, seconds: float) -> datetime:
    """The instant ``seconds`` of covered time after ``start``.

    With ``seconds`` 0 that is ``start`` itself when inside coverage, else the next opening.
    """
    require_aware(start, "start")
    if seconds < 0:
        raise ValueError("a delay is not negative")
    start = start.astimezone(UTC)
    if coverage.always:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    for opens, closes in covered_spans(coverage, start):
        if closes <= start:
            continue
        opens = max(opens, start)
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
    raise ValueError(
        f"coverage {coverage.label or coverage.weekly!r} has no opening within "
        f"{_HORIZON_DAYS} days of {start.isoformat()}"
    )


def is_covered(coverage: Coverage, moment: datetime) -> bool:
    """Whether ``moment`` is inside coverage."""
    return business_add(coverage, moment, 0) == moment.astimezone(UTC)
