"""Fixtures for the desk tests: the simulated desk on 127.0.0.1 and a Saturday-night clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer
from supportdrill.timeline import VirtualClock

JAKARTA = ZoneInfo("Asia/Jakarta")
SATURDAY_0300_JAKARTA = datetime(2026, 1, 3, 3, 0, tzinfo=JAKARTA)
"""2026-01-03 is a Saturday; the business-hours-only persona works Mon-Fri 09:00-18:00 there."""

DeskPair = tuple[SimulatedDeskServer, SimulatedDesk]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(SATURDAY_0300_JAKARTA)


@pytest.fixture
async def simulated(
    clock: VirtualClock,
) -> AsyncIterator[Callable[..., Awaitable[DeskPair]]]:
    """``await simulated(persona=..., **server_options)`` → a running desk and an adapter to it.

    Adapter options go in ``desk={...}``. Everything is stopped at the end of the test.
    """
    async with AsyncExitStack() as stack:

        async def start(desk: dict[str, Any] | None = None, **options: Any) -> DeskPair:
            options.setdefault("clock", clock)
            server = await stack.enter_async_context(SimulatedDeskServer(**options))
            adapter = SimulatedDesk(server.url, **(desk or {}))
            stack.push_async_callback(adapter.close)
            return server, adapter

        yield start
