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


def test_simulated_clocks_jump_forward_to_a_moment_never_back() -> None:
    from supportdrill.clock import AcceleratedClock, SettableClock, VirtualClock

    start = datetime(2026, 11, 20, 10, 55, tzinfo=UTC)
    virtual = VirtualClock(start)
    virtual.advance_to(start + timedelta(minutes=5))
    assert virtual.now() == start + timedelta(minutes=5)
    virtual.advance_to(start)
    assert virtual.now() == start + timedelta(minutes=5)
    fast = AcceleratedClock(start, rate=1.0)
    target = start + timedelta(hours=1)
    fast.advance_to(target)
    assert target <= fast.now() < target + timedelta(seconds=30)
    fast.advance_to(start)
    assert fast.now() >= target
    assert isinstance(fast, SettableClock) and isinstance(virtual, SettableClock)
