"""An accelerated clock: simulated time that runs faster than the wall, for demos.

A drill against the ``business-hours-only`` persona filed at 03:00 on a Saturday in Jakarta waits
until Monday 09:00 for a human — 54 hours. With a :class:`~supportdrill.timeline.VirtualClock`
that plays out instantly in a test; with an :class:`AcceleratedClock` shared by the simulated
desk and the runner it plays out in seconds of wall time while every timestamp, every ``Date``
header and every report figure stays in *simulated* time. Reports of such runs must say so:
the figures describe the persona's script, not any vendor.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from ...timeline import require_aware


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
        await asyncio.sleep(max(0.0, seconds) / self.rate)

    def __repr__(self) -> str:
        return f"AcceleratedClock(start={self.start.isoformat()}, rate={self.rate:g})"
