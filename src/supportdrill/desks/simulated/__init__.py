"""The simulated vendor desk: a real local ticket API with scripted personas, and its adapter.

- :class:`SimulatedDeskServer` / :func:`serve_desk`: the desk (``supportdrill desk serve``).
- :class:`SimulatedDesk`: the :class:`~supportdrill.desks.base.Desk` adapter that talks to it.
- :class:`AcceleratedClock`: simulated time faster than the wall, shared by desk and runner.
"""

from __future__ import annotations

from .client import SimulatedDesk, idempotency_tag
from .clock import AcceleratedClock
from .personas import PERSONA_NAMES, Persona, Step, builtin_persona
from .server import FaultMode, SimulatedDeskServer, serve_desk

__all__ = [
    "PERSONA_NAMES",
    "AcceleratedClock",
    "FaultMode",
    "Persona",
    "SimulatedDesk",
    "SimulatedDeskServer",
    "Step",
    "builtin_persona",
    "idempotency_tag",
    "serve_desk",
]
