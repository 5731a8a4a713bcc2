"""When a cron line fires in a named zone, across daylight-saving changes; jitter; zone changes.

Pure: no clock is read here, every instant is an argument.

Daylight saving time, as Vixie cron (and most schedulers) treat it:

- A local time the clocks skip (02:30 on a spring-forward night in Los Angeles) does not exist;
  the run happens once, at the moment the clocks jump (03:00 PDT). Several skipped times
  collapse into that one run.
- A local time that happens twice (01:30 on a fall-back night) runs once, at the first
  occurrence (still in summer time).

Either case is named in the :class:`CronTime`'s note, so ``schedule next`` can say so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..clock import require_aware
from ..definitions.cron import CronFields

SEARCH_DAYS = 4020
"""How far ahead (eleven years: a 29 February on a given weekday recurs within that) to look."""
_SECOND = timedelta(seconds=1)
_TWELVE_HOURS = timedelta(hours=12)


@dataclass(frozen=True)
class CronTime:
    """One time a cron line fires: the instant (UTC) and what DST did to it, if anything."""

    at: datetime
    note: str = ""


@dataclass(frozen=True)
class Transition:
    """The zone's UTC offset changes at ``at`` (a DST change, or a change of the zone's rules)."""

    at: datetime
    before: timedelta
    after: timedelta

    @property
    def forward(self) -> bool:
        return self.after > self.before

    def describe(self, zone: ZoneInfo) -> str:
        local = self.at.astimezone(zone)
        jump = abs(self.after - self.before)
        direction = "forward" if self.forward else "back"
        start = (local - (self.after - self.before)).replace(tzinfo=None)
        return (
            f"clocks go {direction} {_span(jump)} at {start:%H:%M} local on {local:%Y-%m-%d} "
            f"(UTC{_offset(self.before)} → UTC{_offset(self.after)})"
        )


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}" if rest else f"{hours}h"


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def offset_label(delta: timedelta) -> str:
    """``+07:00``, ``-08:00``, ``+05:30``."""
    return _offset(delta)


def _utcoffset(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset for an aware instant
    return offset


def _first_change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first second in (low, high] whose offset differs from low's (one must exist)."""
    before = _utcoffset(zone, low)
    while high - low > _SECOND:
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _utcoffset(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high


def transitions_between(zone: ZoneInfo, start: datetime, end: datetime) -> list[Transition]:
    """Every offset change in (start, end], found a day at a time (zones change at most daily)."""
    require_aware(start, "start")
    require_aware(end, "end")
    found: list[Transition] = []
    low = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while low < end:
        high = min(low + timedelta(days=1), end)
        if _utcoffset(zone, low) != _utcoffset(zone, high):
            at = _first_change(zone, low, high)
            found.append(Transition(at, _utcoffset(zone, low), _utcoffset(zone, at)))
        low = high
    return found


def _resolve(zone: ZoneInfo, naive: datetime) -> CronTime:
    """A local wall-clock time as one instant, by the DST rules in the module docstring."""
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return CronTime(first)
    if first < second:
        offset = _offset(_utcoffset(zone, first))
        return CronTime(
            first,
            f"clocks go back: {naive:%H:%M} happens twice on {naive:%Y-%m-%d}; "
            f"runs once, at the first (UTC{offset})",
        )
    # A gap: fold=0 reads it with the offset before the jump, fold=1 with the one after, so
    # the jump lies between the two readings.
    jump = _first_change(zone, second, first)
    local = jump.astimezone(zone)
    return CronTime(
        jump,
        f"clocks go forward: {naive:%H:%M} does not exist on {naive:%Y-%m-%d}; "
        f"runs when they change, at {local:%H:%M} (UTC{_offset(_utcoffset(zone, jump))})",
    )


def cron_times(fields: CronFields, zone: ZoneInfo, after: datetime) -> Iterator[CronTime]:
    """The times ``fields`` fires in ``zone`` strictly after ``after``, in order, for up to
    :data:`SEARCH_DAYS` days."""
    require_aware(after, "after")
    after = after.astimezone(UTC)
    # The local day before: a fire on it may still be after ``after`` in another offset.
    day = after.astimezone(zone).date() - timedelta(days=1)
    slots = sorted((hour, minute) for hour in fields.hours for minute in fields.minutes)
    # No zone is more than 12 h behind UTC, so a wall time 12 h or more before ``after`` read as
    # UTC is before ``after`` in any zone: skip it without working out its offset.
    earliest = after.replace(tzinfo=None) - _TWELVE_HOURS
    last: datetime | None = None
    for ordinal in range(day.toordinal(), day.toordinal() + SEARCH_DAYS):
        current = date.fromordinal(ordinal)
        if not fields.matches_day(current.day, current.month, current.weekday()):
            continue
        for hour, minute in slots:
            naive = datetime(current.year, current.month, current.day, hour, minute)
            if naive <= earliest:
                continue
            found = _resolve(zone, naive)
            # Skipped times collapse onto one jump; nothing fires twice or out of order.
            if found.at <= after or (last is not None and found.at <= last):
                continue
            last = found.at
            yield found


def jitter_offset(seed: str, nominal: datetime, jitter: timedelta) -> timedelta:
    """A whole number of seconds in [0, jitter], the same for the same seed and cron time.

    Deterministic so that two schedulers (and a restarted one) agree on when a run starts,
    yet not guessable by a vendor who sees only "some time after 03:00".
    """
    require_aware(nominal, "nominal")
    span = int(jitter.total_seconds())
    if span <= 0:
        return timedelta(0)
    key = f"{seed}|{nominal.astimezone(UTC).isoformat()}".encode()
    draw = int.from_bytes(hashlib.sha256(key).digest()[:8], "big")
    return timedelta(seconds=draw % (span + 1))


__all__ = [
    "SEARCH_DAYS",
    "CronTime",
    "Transition",
    "cron_times",
    "jitter_offset",
    "offset_label",
    "transitions_between",
]
