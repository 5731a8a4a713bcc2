"""The simulated vendor desk as a server: :class:`SimulatedDeskServer`, in-process.

Production code starts it through :mod:`supportdrill.desks.simulated.launch` (one place, one set
of defaults); tests may build it directly.

It serves the API of :mod:`supportdrill.desks.simulated.api` on 127.0.0.1 with every built-in
persona, one of them the default. Every answer carries a ``Date`` header from the desk's clock,
and every timestamp is that clock's: share a :class:`~supportdrill.timeline.VirtualClock` or an
:class:`~supportdrill.desks.simulated.clock.AcceleratedClock` with the runner and days of vendor
behaviour play out in seconds — in *simulated* time, which reports must say.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from aiohttp import web

from ...clock import Clock, RealClock
from ...errors import InvalidConfiguration
from .api import DeskApi
from .faults import FaultMode, InjectedFault
from .hours import HolidayRules
from .personas import BUSINESS_HOURS, build_personas
from .state import DeskState

log = logging.getLogger(__name__)


class SimulatedDeskServer:
    """The simulated desk served on ``host:port`` (port 0: any free port) while in ``async with``.

    ``persona`` answers tickets by default; a ticket tagged ``persona-NAME`` gets persona NAME.
    ``clock`` is shared with whoever files and watches (a real clock when None). ``holidays``
    are days off for the ``business-hours-only`` persona's people on top of its weekly ``hours``
    (pass the drill's: ``HolidayRules.of(drill.vendor.coverage.values())``).
    """

    def __init__(
        self,
        *,
        persona: str = "responsive-24x7",
        clock: Clock | None = None,
        timezone: str = "Asia/Jakarta",
        hours: str = BUSINESS_HOURS,
        scale: float = 1.0,
        delays: Mapping[str, Mapping[str, float]] | None = None,
        holidays: HolidayRules | None = None,
        state_path: str | Path | None = None,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.clock: Clock = clock if clock is not None else RealClock()
        try:
            personas = build_personas(
                timezone=timezone, hours=hours, scale=scale, delays=delays, holidays=holidays
            )
        except ValueError as exc:
            raise InvalidConfiguration(f"simulated desk: {exc}") from exc
        path = Path(state_path) if state_path is not None else None
        self.state = DeskState(personas=personas, default_persona=persona, path=path)
        self._desk = DeskApi(self.state, self.clock, token)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        self._runner = web.AppRunner(self._desk.app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            reason = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise InvalidConfiguration(
                f"simulated desk: cannot listen on {self._host}:{self._port}: {reason}"
            ) from exc
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        log.info("simulated desk (%s) at %s", self.state.default_persona, self.url)

    async def stop(self) -> None:
        self._desk.closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def inject(
        self,
        mode: FaultMode | str,
        *,
        count: int = 1,
        retry_after_s: float = 1.0,
        hang_s: float = 30.0,
    ) -> None:
        """Misbehave on the next ``count`` API calls (same as ``POST /_control``)."""
        self._desk.fault = InjectedFault(FaultMode(mode), count, retry_after_s, hang_s)

    def clear_faults(self) -> None:
        self._desk.fault = None

    async def __aenter__(self) -> SimulatedDeskServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
