"""The Stream interface the runner drives, and the records a stream keeps about itself.

A :class:`Stream` is started once, sampled at a fixed interval (:meth:`Stream.judged` returns
the sample, the judged state and any transition), and stopped on every path. Its
``media_proxies`` name the fault-layer proxies its media crosses, so the runner applies the
fault plan's toxics to exactly those.
"""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from ..clock import Clock, RealClock
from ..definitions.scenarios import MediaPath, StreamPlan, StreamTarget
from ..errors import StreamError
from .judge import HealthJudge, HealthState, Transition
from .quality import HealthSample

if TYPE_CHECKING:
    from .route import ProxyBackend, ProxyOwner, TurnConfig


@dataclass(frozen=True)
class Reconnection:
    """A stretch when the stream was dead and being re-established with new peer connections.

    ``started_at``/``ended_at`` are stamps of the drill's clock, like every event of the
    timeline; ``wall_seconds`` is how long the stream really had no media. The two differ on
    an accelerated demo clock (whose rate may change mid-drill), so a report showing how long
    the outage lasted uses ``wall_seconds``, never ``ended_at - started_at``.
    """

    started_at: datetime
    """When media was last seen flowing (to within one supervisor tick, 0.25 s of wall time)."""
    ended_at: datetime | None
    reason: str
    attempts: int = 1
    """Connection attempts it took (the last one succeeded, if ``ended_at`` is set)."""
    wall_seconds: float | None = None
    """Wall seconds (``time.monotonic``) from the last frame to the first frame of the new
    peers; set when the outage ends."""


@dataclass(frozen=True)
class JudgedSample:
    """One health sample and what the judge made of it."""

    sample: HealthSample
    state: HealthState
    problems: tuple[str, ...]
    transition: Transition | None = None

    @property
    def healthy(self) -> bool:
        return not self.problems


class Stream(abc.ABC):
    """A test stream: ``start``, ``judged``/``health`` at a fixed interval, ``stop``."""

    def __init__(self, plan: StreamPlan, clock: Clock | None = None) -> None:
        self.plan = plan
        self.clock: Clock = clock or RealClock()
        self.judge = HealthJudge(plan.thresholds)

    @property
    def interval_s(self) -> float:
        return self.plan.sample_seconds

    @property
    @abc.abstractmethod
    def media_proxies(self) -> tuple[str, ...]:
        """Names of the fault-layer proxies every media packet crosses."""

    @property
    @abc.abstractmethod
    def reconnections(self) -> tuple[Reconnection, ...]:
        """Every time the stream died and was re-established, oldest first."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect and wait for the first frame; raise ``StreamError`` if that fails."""

    @abc.abstractmethod
    async def health(self) -> HealthSample:
        """The stream's health since the previous call (or since start)."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Close everything this stream opened, including its proxies. Safe to call twice."""

    async def judged(self) -> JudgedSample:
        """:meth:`health`, judged against the plan's thresholds (with hysteresis)."""
        sample = await self.health()
        transition = self.judge.feed(sample)
        return JudgedSample(sample, self.judge.state, self.judge.last_problems, transition)

    async def watch(self) -> AsyncIterator[JudgedSample]:
        """:meth:`judged` at the plan's fixed interval, for as long as the caller iterates.

        Ticks are scheduled from the start, not from the end of the previous sample, so a
        slow ``getStats()`` does not stretch the interval. The interval is wall time, whatever
        the drill clock: media is physical, and an accelerated demo clock would otherwise
        sample hundreds of times a second.
        """
        interval = self.interval_s
        started = time.monotonic()
        tick = 0
        while True:
            tick += 1
            delay = started + tick * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            yield await self.judged()

    async def __aenter__(self) -> Stream:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


def open_stream(
    plan: StreamPlan,
    *,
    session: ProxyOwner | None = None,
    fault_backend: ProxyBackend | None = None,
    proxy_name_prefix: str = "sd-stream-",
    turn: TurnConfig | None = None,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
) -> Stream:
    """The stream ``plan`` describes, its media through a proxy of the fault layer.

    In a drill, pass the run's ``session`` (a ``FaultSession``): the media proxy is created
    with ``session.add_proxy("media-udp" | "media-turn", ...)``, so it is in the run's ledger,
    the fault plan's toxics go on it, and the session deletes it. Without a session, pass a
    ``fault_backend``: the stream creates ``{proxy_name_prefix}media-udp`` itself and deletes
    it on ``stop()``. With neither, the peers talk directly (benchmarks of the harness).
    ``stream.media_proxies`` names the proxy once ``start()`` has created it.

    Target ``whip`` gives a :class:`~supportdrill.media.whip.WhipStream` with two proxies
    (``media-whip``, ``media-whep``); its ``${VARIABLE}`` references (URLs, token) are read from
    ``env`` (default: the process's environment), and a missing one is
    ``InvalidConfiguration``.
    """
    from .loopback import LoopbackStream
    from .route import DirectRoute, MediaRoute, OwnProxies, TurnTcpRoute, UdpProxyRoute

    owner: ProxyOwner | None = session
    if owner is None and fault_backend is not None:
        owner = OwnProxies(fault_backend, proxy_name_prefix)
    if plan.target is StreamTarget.WHIP:
        # Imported here: the whip target pulls in the HTTP client and the desks' secrets.
        from .whip import create_whip_stream

        return create_whip_stream(plan, owner, env=env, clock=clock)
    route: MediaRoute
    if owner is None:
        if plan.path is MediaPath.TURN_TCP:
            raise StreamError("path turn-tcp needs a fault layer to put a TCP proxy on")
        route = DirectRoute()
    elif plan.path is MediaPath.UDP:
        route = UdpProxyRoute(owner)
    else:
        if turn is None:
            raise StreamError(
                "path turn-tcp needs a TURN server (coturn): start one with "
                "supportdrill.media.turn.CoturnServer and pass its config as turn="
            )
        route = TurnTcpRoute(owner, turn)
    return LoopbackStream(plan, route, clock=clock)
