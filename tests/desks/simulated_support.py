"""Shared values for the simulated desk tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer

JAKARTA = ZoneInfo("Asia/Jakarta")
SATURDAY_0300_JAKARTA = datetime(2026, 1, 3, 3, 0, tzinfo=JAKARTA)
"""2026-01-03 is a Saturday; the business-hours-only persona works Mon-Fri 09:00-18:00 there."""

DeskPair = tuple[SimulatedDeskServer, SimulatedDesk]
Start = Callable[..., Awaitable[DeskPair]]
"""The ``simulated`` fixture: ``await simulated(persona=..., desk={adapter options})``."""
