"""Business-hours calendars: how much of an interval falls inside a vendor's coverage.

A :class:`~supportdrill.definitions.model.Coverage` is either 7x24 (every moment counts, holidays
included) or weekly wall-clock windows in an IANA zone, minus whole local days that are public
holidays (from the ``holidays`` package) or listed extra dates, plus the make-up workdays the
``holidays`` package knows (China's working Saturdays, e.g. Sat 14 Feb 2026): a weekend day the
country works to pay for a bridge holiday. A make-up workday is covered with the hours of a regular
workday (the first of Monday to Friday that has hours), together with any hours its own weekday
already has. :func:`special_days` lists the holidays and make-up workdays inside an interval, so a
report can show what the business-time figure skipped or counted.

Daylight saving time: a window is wall-clock in the coverage zone, and what it contributes is the
*real* elapsed time between its local start and local end. A ``09:00-18:00`` window is 9 h on
almost every day, but an ``00:00-24:00`` day is 23 h on a spring-forward day and 25 h on a
fall-back day, and a ``01:00-04:00`` window that spans the jump is 2 h or 4 h. A local time that
does not exist (inside a spring-forward gap) is read with ``fold=0``, i.e. with the offset in
force before the jump, as :mod:`zoneinfo` does.

All arithmetic is in integer microseconds since the epoch, so business time is exactly additive
over split intervals and a deadline is exactly ``target`` of business time after its start. Work
is done per day (the windows of a day are computed once and cached), never per minute.
"""

from __future__ import annotations

import enum
import functools
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..clock import require_aware
from ..definitions.model import Coverage
from ..errors import InvalidInput

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DAY_S = 86400
_DAY_US = _DAY_S * 1_000_000
_EPOCH_ORDINAL = _EPOCH.toordinal()
_SEARCH_DAYS = 3660
"""How far ahead (about ten years) to look for covered time before calling a schedule empty."""
_PROBE_YEAR = 2026
"""The year a holiday country is tried in at compile time: inside every table's range, so the
probe itself never warns (India's table warns outside 2001-2035)."""


class CoverageError(InvalidInput):
    """A coverage schedule that cannot be used: unknown zone or holiday country, or no hours."""


@dataclass(frozen=True, eq=False)
class _Schedule:
    """A coverage compiled for lookups: windows per weekday as (start, end) seconds of the day.

    Compared by identity (``eq=False``): it is cached per coverage, and hashing by identity keeps
    the per-day cache lookups cheap.
    """

    zone: ZoneInfo
    days: tuple[tuple[tuple[int, int], ...], ...]
    """Seven entries, Monday first; each a sorted tuple of non-overlapping windows."""
    country: str | None
    subdivision: str | None
    extra: frozenset[date]
    workday: tuple[tuple[int, int], ...]
    """The windows a make-up workday gets: those of the first weekday (Mon-Fri) with hours."""


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _US


def _from_us(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _merge(windows: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sorted, overlapping or touching windows merged, so nothing is counted twice."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@functools.lru_cache(maxsize=256)
def _compile(coverage: Coverage) -> _Schedule:
    try:
        zone = ZoneInfo(coverage.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CoverageError(f"unknown time zone {coverage.timezone!r}") from exc
    per_day: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for interval in coverage.weekly:
        start = interval.start.hour * 3600 + interval.start.minute * 60 + interval.start.second
        end = interval.end.hour * 3600 + interval.end.minute * 60 + interval.end.second
        per_day[interval.weekday].append((start, end or _DAY_S))
    country = coverage.holiday_country
    if country is not None:
        # Fail now, naming the field, rather than deep inside the first lookup.
        _year(country, coverage.holiday_subdivision, _PROBE_YEAR)
    days = tuple(_merge(day) for day in per_day)
    return _Schedule(
        zone=zone,
        days=days,
        country=country,
        subdivision=coverage.holiday_subdivision,
        extra=frozenset(coverage.extra_holidays),
        workday=next((windows for windows in days[:5] if windows), ()),
    )


@dataclass(frozen=True)
class _Year:
    """One year of a country's calendar: its holidays by date, and its make-up workdays."""

    holidays: Mapping[date, str]
    makeup: frozenset[date]


@functools.lru_cache(maxsize=512)
def _year(country: str, subdivision: str | None, year: int) -> _Year:
    # Loaded on first use: its country tables take longer to import than most commands take to
    # run, and only a coverage with public holidays needs them.
    import holidays

    try:
        # Some tables warn about years they only partly know (India outside 2001-2035); the
        # warning would reach every report that touches such a year, and says nothing the
        # figures can act on.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The next year too: a make-up day in late December can pay for a January holiday.
            found = holidays.country_holidays(country, subdiv=subdivision, years=(year, year + 1))
    except NotImplementedError as exc:
        where = f"{country}/{subdivision}" if subdivision else country
        raise CoverageError(f"no public holidays known for {where!r}: {exc}") from exc
    return _Year(
        holidays=MappingProxyType({day: name for day, name in found.items() if day.year == year}),
        makeup=frozenset(day for day in found.weekend_workdays if day.year == year),
    )


def _is_holiday(schedule: _Schedule, day: date) -> bool:
    if day in schedule.extra:
        return True
    if schedule.country is None:
        return False
    return day in _year(schedule.country, schedule.subdivision, day.year).holidays


def _is_makeup(schedule: _Schedule, day: date) -> bool:
    if schedule.country is None:
        return False
    return day in _year(schedule.country, schedule.subdivision, day.year).makeup


@functools.lru_cache(maxsize=65536)
def _day_windows(schedule: _Schedule, ordinal: int) -> tuple[tuple[int, int], ...]:
    """The covered instants of local day ``ordinal``, as UTC microsecond (start, end) pairs."""
    day = date.fromordinal(ordinal)
    windows = schedule.days[day.weekday()]
    if _is_holiday(schedule, day):
        return ()
    if _is_makeup(schedule, day):
        windows = _merge([*windows, *schedule.workday])
    midnight = datetime(day.year, day.month, day.day)
    result = []
    for start_s, end_s in windows:
        # Naive arithmetic is wall-clock arithmetic; the zone is attached afterwards.
        start = _to_us((midnight + timedelta(seconds=start_s)).replace(tzinfo=schedule.zone))
        end = _to_us((midnight + timedelta(seconds=end_s)).replace(tzinfo=schedule.zone))
        result.append((start, max(start, end)))
    return tuple(result)


_last: list[tuple[Coverage, _Schedule] | None] = [None]


def _schedule(coverage: Coverage) -> _Schedule:
    """:func:`_compile`, with the last coverage remembered by identity.

    Hashing a coverage (its weekly intervals, holidays...) costs more than the per-day work, and
    one evaluation asks about the same coverage object dozens of times.
    """
    last = _last[0]  # read once: another thread may replace it
    if last is not None and last[0] is coverage:
        return last[1]
    schedule = _compile(coverage)
    _last[0] = (coverage, schedule)
    return schedule


@functools.lru_cache(maxsize=65536)
def _utc_day(schedule: _Schedule, day: int) -> tuple[tuple[int, int], ...]:
    """Covered pieces of UTC day ``day`` (days since the epoch), in order.

    Looking up by UTC day needs only integer division, where a local day needs a zone
    conversion per lookup. No zone is more than a day from UTC, so the local days before, on
    and after the UTC date hold every window that reaches into it; each is clipped to the UTC
    day (a window across UTC midnight becomes two touching pieces).
    """
    low, high = day * _DAY_US, (day + 1) * _DAY_US
    ordinal = day + _EPOCH_ORDINAL
    pieces = [
        (max(start, low), min(end, high))
        for local in (ordinal - 1, ordinal, ordinal + 1)
        for start, end in _day_windows(schedule, local)
        if start < high and end > low
    ]
    return tuple(sorted(pieces))


def _windows_from(schedule: _Schedule, micros: int) -> Iterator[tuple[int, int]]:
    """Covered pieces ending after ``micros``, in order, for up to ``_SEARCH_DAYS`` days."""
    first = micros // _DAY_US
    for day in range(first, first + _SEARCH_DAYS):
        for start, end in _utc_day(schedule, day):
            if end > micros:
                yield start, end


def _utc(moment: datetime, name: str) -> int:
    if moment.tzinfo is None:
        require_aware(moment, name)  # raises, naming the argument
    return (moment - _EPOCH) // _US


def _has_hours(schedule: _Schedule) -> bool:
    return any(schedule.days)


def has_hours(coverage: Coverage) -> bool:
    """False for a schedule that never covers anything (no weekly windows and not 7x24)."""
    return coverage.always or _has_hours(_schedule(coverage))


def validate_coverage(coverage: Coverage) -> None:
    """Raise :class:`CoverageError` if the zone or holiday country cannot be used."""
    _compile(coverage)


def is_holiday(coverage: Coverage, day: date) -> bool:
    """Whether local ``day`` is a public holiday (or a listed extra one) of ``coverage``."""
    return _is_holiday(_schedule(coverage), day)


def is_covered(coverage: Coverage, moment: datetime) -> bool:
    """Whether the vendor's clock runs at ``moment``."""
    micros = _utc(moment, "moment")
    if coverage.always:
        return True
    windows = _utc_day(_schedule(coverage), micros // _DAY_US)
    return any(start <= micros < end for start, end in windows)


def next_covered(coverage: Coverage, moment: datetime) -> datetime:
    """``moment`` if covered, else the start of the next covered window (aware UTC).

    Raises :class:`CoverageError` when nothing is covered in the next ten years.
    """
    micros = _utc(moment, "moment")
    if coverage.always:
        return _from_us(micros)
    for start, _end in _windows_from(_schedule(coverage), micros):
        return _from_us(max(start, micros))
    raise CoverageError(f"coverage {coverage.label or coverage.timezone!r} has no hours")


def covered_intervals(
    coverage: Coverage, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The covered stretches of ``[start, end)``, merged where they touch (aware UTC); the
    whole interval for 7x24. What a timeline plot shades."""
    low, high = _utc(start, "start"), _utc(end, "end")
    if high <= low:
        return []
    if coverage.always:
        return [(_from_us(low), _from_us(high))]
    merged: list[list[int]] = []
    for piece_start, piece_end in _windows_from(_schedule(coverage), low):
        if piece_start >= high:
            break
        piece = [max(piece_start, low), min(piece_end, high)]
        if merged and piece[0] <= merged[-1][1]:
            merged[-1][1] = piece[1]
        else:
            merged.append(piece)
    return [(_from_us(a), _from_us(b)) for a, b in merged]


def business_seconds(coverage: Coverage, start: datetime, end: datetime) -> float:
    """Seconds of [start, end) inside coverage; 7x24 gives calendar seconds. 0 if end ≤ start."""
    low, high = _utc(start, "start"), _utc(end, "end")
    if high <= low:
        return 0.0
    if coverage.always:
        return (high - low) / 1e6
    schedule = _schedule(coverage)
    total = 0
    for day in range(low // _DAY_US, (high - 1) // _DAY_US + 1):
        for window_start, window_end in _utc_day(schedule, day):
            inside = min(window_end, high) - max(window_start, low)
            if inside > 0:
                total += inside
    return total / 1e6


def business_deadline(coverage: Coverage, start: datetime, target: timedelta) -> datetime:
    """``start`` advanced by ``target``, counting only covered time (aware UTC).

    A zero target gives ``start`` itself. Raises :class:`CoverageError` when the schedule has
    no hours, and ``ValueError`` for a negative target.
    """
    micros = _utc(start, "start")
    if target < timedelta(0):
        raise ValueError(f"target must not be negative, got {target}")
    remaining = target // _US
    if coverage.always or remaining == 0:
        return _from_us(micros + remaining)
    found = _deadline_us(_schedule(coverage), micros, remaining)
    if found is None:
        raise CoverageError(
            f"coverage {coverage.label or coverage.timezone!r} has too few hours to reach {target}"
        )
    return _from_us(found)


@functools.lru_cache(maxsize=4096)
def _deadline_us(schedule: _Schedule, micros: int, remaining: int) -> int | None:
    # Cached: the metrics of one run share starts and targets (T0 + first response, ...).
    for window_start, window_end in _windows_from(schedule, micros):
        low = max(window_start, micros)
        if window_end - low >= remaining:
            return low + remaining
        remaining -= window_end - low
    return None


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"
    MAKEUP = "make-up workday"


@dataclass(frozen=True)
class SpecialDay:
    """A local day inside a measured interval that the weekly hours alone do not explain."""

    day: date
    kind: DayKind
    name: str


def special_days(coverage: Coverage, start: datetime, end: datetime) -> tuple[SpecialDay, ...]:
    """The holidays and make-up workdays of the local days [start, end) touches, in order.

    Empty for 7x24 coverage (holidays do not stop it) and for an empty interval.
    """
    low, high = _utc(start, "start"), _utc(end, "end")
    if coverage.always or high <= low:
        return ()
    schedule = _schedule(coverage)
    first = _from_us(low).astimezone(schedule.zone).date()
    last = _from_us(high - 1).astimezone(schedule.zone).date()
    found: list[SpecialDay] = []
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        day = date.fromordinal(ordinal)
        if day in schedule.extra:
            found.append(SpecialDay(day, DayKind.HOLIDAY, "listed holiday"))
        elif schedule.country is not None:
            year = _year(schedule.country, schedule.subdivision, day.year)
            if day in year.holidays:
                found.append(SpecialDay(day, DayKind.HOLIDAY, year.holidays[day]))
            elif day in year.makeup:
                found.append(SpecialDay(day, DayKind.MAKEUP, "make-up workday"))
    return tuple(found)
