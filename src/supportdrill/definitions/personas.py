"""The simulated desk's names and defaults: its built-in personas (with their step names), the
default persona, zone, business hours and rate.

Defined once, here, with nothing but the standard library: the drill loader
(:mod:`~supportdrill.definitions.desk_settings.simulated`) checks ``persona:`` and
``delay_<step>:`` against them, the simulated desk (:mod:`supportdrill.desks.simulated`) plays
and starts with them, and ``supportdrill desk serve --help`` lists them without loading the desk
(aiohttp, holidays). The scripted steps themselves are in
:mod:`supportdrill.desks.simulated.personas`; ``tests/definitions/test_desk_settings.py`` holds
them to this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

PERSONA_STEPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "responsive-24x7": ("ack", "first_human", "update", "solve"),
        "business-hours-only": ("ack", "first_human", "update", "solve"),
        "auto-ack-only": ("ack",),
        "slow": ("ack", "first_human", "update", "solve"),
        "asks-for-logs": ("ack", "ask", "first_human_after_logs", "solve"),
        "silent": (),
    }
)
"""Each built-in persona and the names of its steps (``delay_<step>`` sets one)."""
PERSONA_NAMES = tuple(PERSONA_STEPS)
DEFAULT_PERSONA = "responsive-24x7"
BUSINESS_HOURS = "Mon-Fri 09:00-18:00"
"""The ``business-hours-only`` persona's weekly hours when a drill or ``--hours`` names none."""
DEFAULT_TIMEZONE = "UTC"
"""For ``desk serve`` without ``--timezone``; a drill's desk uses the vendor's zone."""
DEFAULT_RATE = 3600.0
"""Simulated seconds per wall second when a start is given without a rate."""

__all__ = [
    "BUSINESS_HOURS",
    "DEFAULT_PERSONA",
    "DEFAULT_RATE",
    "DEFAULT_TIMEZONE",
    "PERSONA_NAMES",
    "PERSONA_STEPS",
]
