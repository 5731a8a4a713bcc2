"""How loopback media crosses the fault layer: a UDP relay, a TURN/TCP proxy, or nothing.

A :class:`MediaRoute` owns the fault-layer proxies the stream's media goes through, creates them
through the runner's fault backend (any Toxiproxy-API server: the embedded one or a real
Toxiproxy), and tells the stream how to set up its peers:

- :class:`UdpProxyRoute`: one UDP proxy whose upstream is the publisher's host candidate; the
  viewer is given the proxy's listen address instead (see :mod:`supportdrill.media.ice`).
  Toxics on the proxy's ``downstream`` act on publisher → viewer media, ``upstream`` on the
  viewer's RTCP and checks. When the stream rebuilds its peers, the proxy is re-pointed at the
  new publisher port in place (:meth:`ProxyOwner.retarget`, verified by the fault layer), so
  toxics already on it stay in force and a proxy a fault took down stays down.
- :class:`TurnTcpRoute`: a TCP proxy in front of coturn's TURN port; the viewer uses it with a
  relay-only policy, so its media travels the TCP leg a real Toxiproxy can impair.
- :class:`DirectRoute`: no proxy (benchmarks of the harness itself).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Protocol

from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy

from .ice import LOOPBACK

Address = tuple[str, int]


class ProxyBackend(Protocol):
    """What a route needs from the fault layer (``supportdrill.faults.base.FaultBackend``)."""

    url: str

    async def create_proxy(self, name: str, listen: str, upstream: str, transport: Any) -> Any: ...

    async def proxy(self, name: str) -> Any: ...

    async def update_proxy(self, name: str, *, upstream: str | None = None) -> Any: ...

    async def delete_proxy(self, proxy: str) -> None: ...


class ProxyOwner(Protocol):
    """Who creates the media proxies and deletes them at the end: the runner's FaultSession
    (``supportdrill.faults.guard.FaultSession``: its ledger, its toxics, its cleanup), or,
    without one, :class:`OwnProxies`."""

    @property
    def backend(self) -> Any: ...

    async def add_proxy(
        self, role: str, upstream: str, *, transport: Any = ..., listen: str = ...
    ) -> Any: ...

    async def retarget(self, name: str, upstream: str) -> Any:
        """Point proxy ``name`` at ``upstream`` in place, verified: toxics kept, and a proxy
        a fault took down kept down. Returns the proxy as the server now holds it."""
        ...


class OwnProxies:
    """The stream owns its proxies: named ``prefix + role``, deleted by :meth:`close`."""

    def __init__(self, backend: ProxyBackend, prefix: str) -> None:
        self.backend = backend
        self.prefix = prefix
        self.names: list[str] = []

    async def add_proxy(
        self, role: str, upstream: str, *, transport: Any = "tcp", listen: str = f"{LOOPBACK}:0"
    ) -> Any:
        name = self.prefix + role
        state = await self.backend.create_proxy(name, listen, upstream, transport)
        self.names.append(name)
        return state

    async def retarget(self, name: str, upstream: str) -> Any:
        # update_proxy leaves out what is not given, ``enabled`` included: a proxy a test's
        # fault took down stays down.
        return await self.backend.update_proxy(name, upstream=upstream)

    async def close(self) -> None:
        while self.names:
            await self.backend.delete_proxy(self.names.pop())


@dataclass(frozen=True)
class TurnConfig:
    """A TURN server reachable over TCP, with long-term credentials."""

    host: str
    port: int
    username: str
    password: str


def _hostport(text: str) -> Address:
    host, _, port = text.rpartition(":")
    return host or LOOPBACK, int(port)


def base_configuration() -> RTCConfiguration:
    # An empty server list, not None: None makes aiortc add a public STUN server.
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


class MediaRoute(abc.ABC):
    """The fault-layer side of a loopback stream."""

    hides_viewer = False
    """Whether the publisher must not see the viewer's candidates (it learns them by checks)."""

    @property
    @abc.abstractmethod
    def proxy_names(self) -> tuple[str, ...]: ...

    async def open(self) -> None:  # noqa: B027  (optional hook)
        """Create what does not depend on the peers (e.g. the TURN proxy)."""

    def viewer_configuration(self) -> RTCConfiguration:
        return base_configuration()

    def publisher_configuration(self) -> RTCConfiguration:
        return base_configuration()

    @abc.abstractmethod
    async def publisher_ready(self, publisher: Address) -> Address | None:
        """The publisher listens at ``publisher``; the address to give the viewer, if another."""

    async def close(self) -> None:  # noqa: B027  (optional hook)
        """Delete this route's proxies."""


class DirectRoute(MediaRoute):
    """Peers talk to each other directly on 127.0.0.1: no fault layer."""

    @property
    def proxy_names(self) -> tuple[str, ...]:
        return ()

    async def publisher_ready(self, publisher: Address) -> Address | None:
        return None


class _ProxyRoute(MediaRoute):
    role = "media"

    def __init__(self, owner: ProxyOwner) -> None:
        self.owner = owner
        self.name: str | None = None

    @property
    def proxy_names(self) -> tuple[str, ...]:
        return (self.name,) if self.name else ()

    async def _create(self, upstream: str, transport: str) -> Address:
        state = await self.owner.add_proxy(self.role, upstream, transport=transport)
        self.name = str(state.name)
        return _hostport(str(state.listen))

    async def close(self) -> None:
        if isinstance(self.owner, OwnProxies):
            await self.owner.close()
        # A FaultSession deletes its proxies (verified) when the drill closes it.


class UdpProxyRoute(_ProxyRoute):
    """Every datagram between the peers crosses one UDP proxy of the fault layer."""

    hides_viewer = True
    role = "media-udp"

    def __init__(self, owner: ProxyOwner, *, role: str | None = None) -> None:
        super().__init__(owner)
        if role is not None:
            self.role = role  # a stream with several legs names each one's proxy
        self._listen: Address | None = None

    async def publisher_ready(self, publisher: Address) -> Address | None:
        upstream = f"{publisher[0]}:{publisher[1]}"
        if self._listen is None:
            self._listen = await self._create(upstream, "udp")
        else:
            await self._retarget(upstream)
        return self._listen

    async def _retarget(self, upstream: str) -> None:
        # In place, not delete-and-create: the fault's toxics must stay on the proxy.
        assert self.name is not None
        state = await self.owner.retarget(self.name, upstream)
        self._listen = _hostport(str(state.listen))


class TurnTcpRoute(_ProxyRoute):
    """The viewer relays through coturn over TCP, and that TCP leg crosses a Toxiproxy proxy."""

    role = "media-turn"

    def __init__(self, owner: ProxyOwner, turn: TurnConfig) -> None:
        super().__init__(owner)
        self.turn = turn
        self._listen: Address | None = None

    async def open(self) -> None:
        if self._listen is None:
            self._listen = await self._create(f"{self.turn.host}:{self.turn.port}", "tcp")

    def viewer_configuration(self) -> RTCConfiguration:
        assert self._listen is not None, "open() the route first"
        host, port = self._listen
        server = RTCIceServer(
            urls=f"turn:{host}:{port}?transport=tcp",
            username=self.turn.username,
            credential=self.turn.password,
        )
        return RTCConfiguration(
            iceServers=[server],
            bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
            iceTransportPolicy=RTCIceTransportPolicy.RELAY,
        )

    async def publisher_ready(self, publisher: Address) -> Address | None:
        return None
