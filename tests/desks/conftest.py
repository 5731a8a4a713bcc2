"""Fixtures for the desk tests: the simulated desk on 127.0.0.1 and a Saturday-night clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from simulated_support import SATURDAY_0300_JAKARTA, DeskPair

from supportdrill.clock import VirtualClock
from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer


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
