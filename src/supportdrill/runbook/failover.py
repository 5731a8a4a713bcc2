"""A failover the stream can take: a backup media path, switched through an HTTP endpoint.

The loopback stream's media normally crosses one UDP proxy of the fault layer. A runbook drill
gives it two, both in front of the publisher: the **primary** path, which the drill's fault hits,
and a clean **backup** path (another region, in the drill's story) the fault plan never touches
(``FaultSession.add_proxy(..., faulted=False)``). The viewer is pointed at the active path.

:class:`FailoverControl` serves a small HTTP API on loopback, the switch a runbook calls::

    GET  /paths      {"active": "primary", "paths": ["primary", "backup"], "switches": [...]}
    POST /failover   {"path": "backup"} → 200 {"active": "backup", "previous": "primary"}
                     404 for a path the drill does not have, 400 for a body that is not
                     {"path": NAME}

A switch re-points the stream the way a client follows a region failover: the viewer reconnects
(new peers, re-signalled) through the new path's proxy, while the fault stays on the old one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from ..clock import Clock, RealClock
from ..definitions.runbook import FailoverSpec
from ..definitions.scenarios import StreamPlan
from ..errors import InvalidConfiguration, StreamError
from ..faults.guard import FaultSession
from ..media.loopback import LoopbackStream
from ..media.route import Address, MediaRoute

logger = logging.getLogger(__name__)

Switched = Callable[[str, str, str], Awaitable[None]]
"""``(previous, path, requester)``: told after each switch (noted on the drill's timeline)."""


def _hostport(text: str) -> Address:
    host, _, port = text.rpartition(":")
    return host, int(port)


class FailoverRoute(MediaRoute):
    """Two UDP proxies of the run's fault session in front of the publisher; the viewer is
    given the active one's address."""

    hides_viewer = True

    def __init__(self, session: FaultSession, spec: FailoverSpec) -> None:
        self.session = session
        self.spec = spec
        self.active = spec.primary
        self._proxies: dict[str, tuple[str, Address]] = {}

    @property
    def proxy_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self._proxies.values())

    def proxy_of(self, path: str) -> str | None:
        found = self._proxies.get(path)
        return found[0] if found else None

    async def publisher_ready(self, publisher: Address) -> Address | None:
        upstream = f"{publisher[0]}:{publisher[1]}"
        for path in self.spec.paths:
            held = self._proxies.get(path)
            if held is None:
                state = await self.session.add_proxy(
                    f"media-{path}",
                    upstream,
                    transport="udp",
                    faulted=path == self.spec.primary,
                )
            else:
                # In place: the primary's toxics stay on it whatever the stream does.
                state = await self.session.retarget(held[0], upstream)
            self._proxies[path] = (state.name, _hostport(state.listen))
        return self._proxies[self.active][1]


class FailoverStream(LoopbackStream):
    """The loopback stream over a :class:`FailoverRoute`, which can be told to reconnect."""

    route: FailoverRoute

    def __init__(self, plan: StreamPlan, route: FailoverRoute, *, clock: Clock) -> None:
        super().__init__(plan, route, clock=clock)
        self._reconnecting: asyncio.Task[None] | None = None

    def reconnect(self, reason: str) -> bool:
        """Rebuild the peers now, through the route's active path; False if already rebuilding
        (that attempt and the next ones use the new path)."""
        peers = self._peers
        if peers is None or self._stopped:
            return False
        self._reconnecting = asyncio.create_task(
            self._reestablish(peers, reason), name="stream-failover"
        )
        return True

    async def stop(self) -> None:
        task, self._reconnecting = self._reconnecting, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, StreamError):
                await task
        await super().stop()


@dataclass(frozen=True)
class Switch:
    at: datetime
    previous: str
    path: str
    requester: str


class FailoverControl:
    """The HTTP control endpoint on loopback; ``async with`` serves it, ``url`` is where."""

    def __init__(
        self,
        stream: FailoverStream,
        spec: FailoverSpec,
        *,
        clock: Clock | None = None,
        on_switch: Switched | None = None,
    ) -> None:
        self.stream = stream
        self.spec = spec
        self.clock: Clock = clock or RealClock()
        self.on_switch = on_switch
        self.switches: list[Switch] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    @property
    def active(self) -> str:
        return self.stream.route.active

    def _state(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "paths": list(self.spec.paths),
            "faulted": self.spec.primary,
            "switches": [
                {"at": s.at.isoformat(), "from": s.previous, "to": s.path} for s in self.switches
            ],
        }

    async def paths(self, request: web.Request) -> web.Response:
        return web.json_response(self._state())

    async def failover(self, request: web.Request) -> web.Response:
        try:
            document = await request.json()
        except ValueError:
            document = None
        path = document.get("path") if isinstance(document, dict) else None
        if not isinstance(path, str):
            return web.json_response({"error": 'expected {"path": NAME}'}, status=400)
        if path not in self.spec.paths:
            known = ", ".join(self.spec.paths)
            return web.json_response(
                {"error": f"unknown media path {path!r}; known: {known}"}, status=404
            )
        previous = self.active
        self.stream.route.active = path
        self.switches.append(Switch(self.clock.now(), previous, path, request.remote or "?"))
        if self.on_switch is not None:
            await self.on_switch(previous, path, request.remote or "?")
        # The viewer follows the switch as a client follows a region failover: it reconnects.
        self.stream.reconnect(f"failover from {previous} to {path}")
        return web.json_response({**self._state(), "previous": previous})

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/paths", self.paths)
        app.router.add_post("/failover", self.failover)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        host, port = _hostport(self.spec.listen)
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            raise InvalidConfiguration(
                f"runbook.failover.listen {self.spec.listen}: cannot listen: {exc.strerror}"
            ) from exc
        bound = self._runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@contextlib.asynccontextmanager
async def failover_stream(
    plan: StreamPlan, spec: FailoverSpec, session: FaultSession, *, clock: Clock
) -> AsyncIterator[tuple[FailoverStream, FailoverControl]]:
    """The drill's stream with a backup path, and its control endpoint (served while open)."""
    stream = FailoverStream(plan, FailoverRoute(session, spec), clock=clock)
    control = FailoverControl(stream, spec, clock=clock)
    await control.start()
    try:
        yield stream, control
    finally:
        await control.close()
        await stream.stop()


__all__ = ["FailoverControl", "FailoverRoute", "FailoverStream", "Switch", "failover_stream"]
