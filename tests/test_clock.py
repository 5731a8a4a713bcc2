"""The ground-floor clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportdrill import clock as clock_module

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


async def test_clocks() -> None:
    clock = clock_module.VirtualClock(NOW)
    await clock.sleep(90)
    assert clock.now() == NOW + timedelta(seconds=90)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock_module.VirtualClock(datetime(2026, 1, 1))
    real = clock_module.RealClock()
    before = real.monotonic()
    await real.sleep(0)
    assert real.now().tzinfo is not None and real.monotonic() >= before
