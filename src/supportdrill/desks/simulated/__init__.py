"""The simulated vendor desk: a real local ticket API with scripted personas, and its adapter.

- :func:`launch` from a :class:`DeskLaunch` (:mod:`.launch`): the one way the harness starts
  the desk, with the one set of defaults (``run``, ``desk check`` and ``desk serve`` use it);
  :class:`SimulatedDeskServer` is the desk on 127.0.0.1, a small Zendesk-Requests-like API.
- :class:`SimulatedDesk`: the :class:`~supportdrill.desks.base.Desk` adapter that talks to it.
- :class:`AcceleratedClock`: simulated time faster than the wall, shared by desk and runner.

Personas: ``responsive-24x7``, ``business-hours-only`` (humans only inside its hours in its time
zone and never on the :class:`HolidayRules` given; an automatic acknowledgement otherwise),
``auto-ack-only``, ``slow``, ``asks-for-logs`` (asks for logs and waits for the customer's
comment before helping), ``silent``. Delays are in seconds of the desk's clock; ``scale``
multiplies them all, ``delays={persona: {step: s}}`` sets single steps; a ticket tagged
``persona-NAME`` is answered by persona NAME.

**Simulated time.** Every timestamp the desk gives — ``created_at``, comment times, status
changes, the HTTP ``Date`` header — is its clock's. Run on a
:class:`~supportdrill.timeline.VirtualClock` (tests) or an :class:`AcceleratedClock` (demos:
"Saturday 03:00 in Jakarta" to Monday's reply in seconds of wall time), the figures measured
against it are simulated time describing a scripted persona, never a vendor's performance. With an
accelerated clock, wall-clock latency is multiplied by the rate (1 ms at rate 6000 is 6 s), which
shows up as apparent clock skew and wider precision bounds.

Faults for testing error handling: ``POST /_control {"fault": "500"|"503"|"429"|"401"|"garbage"|
"hang", "count": N, "retry_after": s, "hang_s": s}`` or :meth:`SimulatedDeskServer.inject`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_names as _lazy_names

# Bound here, not on first use: the function ``launch`` shares its module's name, and importing
# the module would otherwise leave the package's ``launch`` naming the module.
from .hours import HolidayRules
from .launch import DeskLaunch, launch, serve_desk
from .personas import PERSONA_NAMES, Persona, Step, builtin_persona

if TYPE_CHECKING:
    from .client import SimulatedDesk, idempotency_tag
    from .faults import FaultMode
    from .server import SimulatedDeskServer

# The HTTP side loads on first use (PEP 562): checking a drill's desk settings (``validate``)
# needs the personas and the launch rules, not the server and client (aiohttp, httpx).
_LAZY = {
    "SimulatedDesk": "client",
    "idempotency_tag": "client",
    "FaultMode": "faults",
    "SimulatedDeskServer": "server",
}


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, globals())


__all__ = [
    "PERSONA_NAMES",
    "DeskLaunch",
    "FaultMode",
    "HolidayRules",
    "Persona",
    "SimulatedDesk",
    "SimulatedDeskServer",
    "Step",
    "builtin_persona",
    "idempotency_tag",
    "launch",
    "serve_desk",
]
