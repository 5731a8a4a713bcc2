"""Adapters from the fault layer and the media stream to the runner's ports.

:class:`PlannedFault` puts a drill's :class:`~supportdrill.definitions.faults.FaultPlan` on the
proxies of one :class:`~supportdrill.faults.guard.FaultSession` (the media proxies the stream made
in that session), and :class:`JudgedStream` turns the stream's judged samples into the runner's
:class:`StreamObservation`. :func:`fault_backend` chooses a real Toxiproxy (``TOXIPROXY_URL``) or
starts the embedded server, and :func:`toxiproxy_at` gives ``cleanup_leftovers`` its backends.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..definitions.faults import DOWN, FaultPlan
from ..definitions.scenarios import MediaPath, StreamPlan
from ..definitions.toxics import Transport
from ..desks.statuspage import StatuspageWatcher
from ..errors import FaultError, InvalidConfiguration
from ..faults.base import FaultBackend, open_backend
from ..faults.guard import FaultSession
from ..media.base import Stream
from ..media.judge import HealthState, TransitionKind
from ..timeline import Event
from .ports import AppliedFault, StreamObservation

logger = logging.getLogger(__name__)

TOXIPROXY_URL = "TOXIPROXY_URL"
"""Selects a real Toxiproxy server (``http://host:8474``); unset: the embedded server."""


def describe_toxics(plan: FaultPlan) -> tuple[str, ...]:
    """``"udp loss probability=0.1 (upstream,downstream)"``, per toxic, for the timeline."""
    described: list[str] = []
    for phase in plan.phases:
        for toxic in phase.toxics:
            if toxic.type == DOWN:
                text = f"{toxic.transport} down (connections refused)"
            else:
                attributes = [f"{k}={v}" for k, v in sorted(toxic.attributes.items())]
                directions = ",".join(str(s) for s in toxic.directions)
                words = [str(toxic.transport), toxic.type, *attributes, f"({directions})"]
                text = " ".join(words)
            if toxic.toxicity < 1:
                text += f" toxicity={toxic.toxicity:g}"
            label = f"{phase.kind}: {text}"
            if label not in described:
                described.append(label)
    return tuple(described)


class PlannedFault:
    """The runner's :class:`~supportdrill.run.ports.FaultControl` over a fault session."""

    def __init__(self, session: FaultSession, plan: FaultPlan) -> None:
        self.session = session
        self.plan = plan

    async def inject(self) -> AppliedFault:
        if not self.session.proxies:
            raise FaultError(
                "the fault has nothing to act on: no proxy was created (the stream makes its "
                "media proxy when it starts)"
            )
        transports = {proxy.transport for proxy in self.session.proxies.values()}
        if not transports & self.plan.transports:
            raise FaultError(
                f"fault {self.plan.profile!r} has toxics for "
                f"{', '.join(sorted(map(str, self.plan.transports)))} only, but the stream's "
                f"media crosses a {', '.join(sorted(map(str, transports)))} proxy"
            )
        await self.session.apply(self.plan)
        return AppliedFault(
            profile=self.plan.profile,
            region=self.plan.region,
            symptom=self.plan.symptom,
            toxics=describe_toxics(self.plan),
            degraded_within=self.plan.expect_degraded_within,
        )

    async def lift(self) -> None:
        await self.session.lift()

    async def close(self) -> None:
        await self.session.close()


_TRANSITIONS: Mapping[TransitionKind, str] = {
    TransitionKind.DEGRADED: "degraded",
    TransitionKind.RECOVERED: "recovered",
}


class JudgedStream:
    """The runner's :class:`~supportdrill.run.ports.StreamControl` over a media stream."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.interval_s = stream.interval_s

    async def start(self) -> None:
        await self.stream.start()

    async def sample(self) -> StreamObservation:
        judged = await self.stream.judged()
        transition = judged.transition
        # The deciding sample's problems; the transition's own list repeats earlier samples'.
        reasons = judged.problems or (transition.reasons if transition else ())
        return StreamObservation(
            metrics=judged.sample.as_metrics(),
            healthy=judged.state is HealthState.HEALTHY,
            transition=_TRANSITIONS.get(transition.kind) if transition else None,
            reasons=tuple(reasons),
        )

    async def stop(self) -> None:
        await self.stream.stop()


@dataclass(frozen=True)
class BackendChoice:
    url: str
    embedded: bool


@contextlib.asynccontextmanager
async def fault_backend(
    env: Mapping[str, str] | None = None, *, needs: Iterable[Transport] = ()
) -> AsyncIterator[tuple[FaultBackend, BackendChoice]]:
    """A real Toxiproxy when ``TOXIPROXY_URL`` is set, else the embedded server in-process;
    UDP proxies a real Toxiproxy cannot hold go to an embedded relay beside it."""
    environ = os.environ if env is None else env
    url = environ.get(TOXIPROXY_URL, "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise InvalidConfiguration(f"{TOXIPROXY_URL}={url!r} is not an http(s) URL")
    async with open_backend(url or None, needs=needs) as backend:
        yield backend, BackendChoice(backend.describe(), embedded=backend.ephemeral)


def media_transports(plan: StreamPlan) -> frozenset[Transport]:
    """What the stream's media proxy will be: TCP for the TURN/TCP path, else UDP."""
    return frozenset({Transport.TCP if plan.path is MediaPath.TURN_TCP else Transport.UDP})


def toxiproxy_at(url: str) -> FaultBackend:
    """The backend for a Toxiproxy-API server at ``url`` (for :func:`cleanup_leftovers`)."""
    from ..faults.toxiproxy_backend import ToxiproxyBackend

    return ToxiproxyBackend(url)


class MemoryLedger:
    """Ownership records for the embedded server, which dies with the harness and its proxies:
    nothing of it can outlive a crash, so nothing goes to the store."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], str] = {}

    def record_fault_ownership(self, run_id: str, backend_url: str, proxy: str) -> None:
        self._rows[(run_id, proxy)] = backend_url

    def open_fault_ownerships(self) -> list[tuple[str, str, str]]:
        return [(run_id, url, proxy) for (run_id, proxy), url in self._rows.items()]

    def clear_fault_ownership(self, run_id: str, proxy: str) -> None:
        self._rows.pop((run_id, proxy), None)


class StatuspagePoller:
    """The runner's :class:`~supportdrill.run.ports.StatusSource` over a status page watcher."""

    def __init__(self, watcher: StatuspageWatcher) -> None:
        self.watcher = watcher

    async def poll(self, *, t0: datetime, since: datetime) -> list[Event]:
        snapshot = await self.watcher.snapshot()
        return self.watcher.events(snapshot, t0=t0, since=since)

    async def close(self) -> None:
        await self.watcher.close()


__all__ = [
    "TOXIPROXY_URL",
    "BackendChoice",
    "JudgedStream",
    "MemoryLedger",
    "PlannedFault",
    "StatuspagePoller",
    "describe_toxics",
    "fault_backend",
    "media_transports",
    "toxiproxy_at",
]
