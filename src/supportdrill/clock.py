"""Every clock the harness keeps time with: real, virtual (tests), accelerated (demos), adjustable.

The ground floor: the timeline, the runner, the desks and the stream all take a :class:`Clock`
injected, never ``datetime.now``. A drill against the ``business-hours-only`` persona filed at
03:00 on a Saturday in Jakarta waits until Monday 09:00 for a human — 54 hours. With a
:class:`VirtualClock` that plays out instantly in a test; with an :class:`AcceleratedClock`
shared by the simulated desk and the runner it plays out in seconds of wall time while every
timestamp, every ``Date`` header and every report figure stays in *simulated* time. Reports of
such runs must say so: the figures describe the persona's script, not any vendor.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


async def _wait(seconds: float) -> None:
    # asyncio loads on the first wait, not with this module: the timeline imports the clocks,
    # and a command that only reads the store (scorecard, report, runs) never waits.
    import asyncio

    await asyncio.sleep(seconds)


class Clock(Protocol):
    """Where the harness gets "now" and how it waits; injected, never ``datetime.now``."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class RealClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await _wait(max(0.0, seconds))

    def monotonic(self) -> float:
        return time.monotonic()


class VirtualClock:
    """A clock that only moves when told to, or when someone sleeps on it.

    ``sleep`` jumps the clock forward at once, so a drill "filed at 03:00 Asia/Jakarta on a
    Saturday" that waits hours for the vendor plays out instantly in a test.
    """

    def __init__(self, start: datetime) -> None:
        require_aware(start, "start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._now += timedelta(seconds=seconds)

    def advance_to(self, moment: datetime) -> None:
        """Jump forward to ``moment`` (never back)."""
        self.advance(max(0.0, (moment - self._now).total_seconds()))

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        # Let other tasks that share this clock run at the new time.
        await _wait(0)


def require_aware(moment: datetime, name: str) -> None:
    """Refuse naive datetimes: durations come from aware UTC times only."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")


@runtime_checkable
class SettableClock(Protocol):
    """A simulated clock that can jump forward to a moment: how a drill on simulated time files
    exactly at its ``simulated_start`` after stream phases of unknown real length."""

    def advance_to(self, moment: datetime) -> None: ...


@runtime_checkable
class AdjustableClock(Protocol):
    """A simulated clock whose speed can change (the demo's accelerated clock).

    The stream and the fault are physical: the runner plays their phases at rate 1 and the
    wait for the vendor at the drill's rate, so one clock still stamps every event.
    """

    rate: float

    def set_rate(self, rate: float) -> None: ...


class AcceleratedClock:
    """``now() = start + elapsed wall seconds × rate``; ``sleep(s)`` waits ``s / rate`` seconds.

    ``rate`` 1.0 is a real clock started at ``start``; ``rate`` 3600 plays an hour a second.
    """

    def __init__(self, start: datetime, rate: float) -> None:
        require_aware(start, "start")
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.start = start.astimezone(UTC)
        self.rate = float(rate)
        self._origin = time.monotonic()
        self._first_start = self.start

    def restart(self) -> None:
        """Back to ``start``, from now: set-up before a drill does not use up simulated time."""
        self.start = self._first_start
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.monotonic())

    def advance_to(self, moment: datetime) -> None:
        """Jump forward to ``moment`` (never back); the rate is unchanged."""
        require_aware(moment, "moment")
        if moment > self.now():
            self.start = moment.astimezone(UTC)
            self._origin = time.monotonic()

    def set_rate(self, rate: float) -> None:
        """Change the speed from now on; simulated time stays continuous.

        The runner plays the stream and fault phases at rate 1 (media is physical: a second of
        video takes a second) and the wait for the vendor at the drill's rate.
        """
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.start = self.now()
        self._origin = time.monotonic()
        self.rate = float(rate)

    def monotonic(self) -> float:
        """Simulated seconds since ``start``."""
        return (time.monotonic() - self._origin) * self.rate

    async def sleep(self, seconds: float) -> None:
        await _wait(max(0.0, seconds) / self.rate)

    def __repr__(self) -> str:
        return f"AcceleratedClock(start={self.start.isoformat()}, rate={self.rate:g})"
