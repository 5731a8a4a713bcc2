"""Misbehaving on purpose: the faults the simulated desk can be told to answer with.

Adapters' error handling is tested against real HTTP: a 500 or 503, a 429 with ``Retry-After``,
a 401, a 200 whose body is not JSON, or no answer at all for a while. A fault applies to the next
``remaining`` API calls, then the desk behaves again.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import math
from dataclasses import dataclass

from aiohttp import web


class FaultMode(enum.StrEnum):
    """What the desk does instead of answering, for testing adapters' error handling."""

    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    RATE_LIMITED = "429"
    UNAUTHORIZED = "401"
    GARBAGE = "garbage"
    """200 with a body that is not JSON."""
    HANG = "hang"
    """No answer for ``hang_s`` seconds (wall time), then 504."""


@dataclass(frozen=True)
class InjectedFault:
    mode: FaultMode
    remaining: int
    retry_after_s: float = 1.0
    hang_s: float = 30.0

    def spent(self) -> InjectedFault | None:
        """This fault after one more call: None once used up."""
        if self.remaining <= 1:
            return None
        return InjectedFault(self.mode, self.remaining - 1, self.retry_after_s, self.hang_s)


def json_error(status: int, error: str, description: str) -> web.Response:
    """An error answer shaped like Zendesk's: ``{"error": ..., "description": ...}``."""
    return web.json_response({"error": error, "description": description}, status=status)


async def misbehave(fault: InjectedFault, closing: asyncio.Event) -> web.Response:
    """The answer ``fault`` gives; a hang ends early when ``closing`` is set."""
    if fault.mode is FaultMode.RATE_LIMITED:
        response = json_error(429, "TooManyRequests", "Rate limit exceeded")
        response.headers["Retry-After"] = str(math.ceil(fault.retry_after_s))
        return response
    if fault.mode is FaultMode.UNAUTHORIZED:
        return json_error(401, "Unauthorized", "Couldn't authenticate you")
    if fault.mode is FaultMode.GARBAGE:
        return web.Response(
            text="<html><body>502 Bad Gateway</body></html>{", content_type="application/json"
        )
    if fault.mode is FaultMode.HANG:
        # Wait on the closing event, not a bare sleep, so stopping the server does not have to
        # wait out a hang.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closing.wait(), fault.hang_s)
        return json_error(504, "GatewayTimeout", "upstream did not answer")
    status = 503 if fault.mode is FaultMode.UNAVAILABLE else 500
    return json_error(status, "InternalError", "simulated failure")
