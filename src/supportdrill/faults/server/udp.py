"""Our UDP extension: a datagram relay with datagram toxics, for WebRTC media.

Toxiproxy is TCP-only (its issue #39). A ``"protocol": "udp"`` proxy relays each client's
datagrams to ``upstream`` from a socket of its own (one per client address), so replies find
their way back to the right client: ICE, STUN, DTLS and SRTP flow through both ways.

Toxics act per datagram: latency with jitter (in order, or reordering when ``reorder`` is
true), loss (random, or Gilbert-Elliott bursts when ``burst`` > 1), bandwidth (a rate with a
tail-drop queue), blackhole and duplicate. Toxicity is rolled once per toxic per client flow
and direction, as Toxiproxy rolls it once per link. ICMP errors (port unreachable...) are
ignored: the relay must outlive a peer that comes and goes.

The relay works on plain non-blocking sockets watched with ``loop.add_reader``, not asyncio
datagram transports: a transport reads one datagram per wakeup of the selector, and that
wakeup, not the relaying, was most of the cost per datagram. A reader here drains up to
:data:`_BATCH` datagrams per wakeup, and with no toxic on a direction a datagram costs a dict
lookup and a ``send``. Closing a socket is immediate too, so a proxy re-bound to the same port
(an upstream change) finds it free at once.
"""

from __future__ import annotations

import asyncio
import collections
import random
import socket
from dataclasses import dataclass, field
from typing import Any

from ...definitions.toxics import Direction, Transport
from .addresses import bind_error, join_hostport, resolve_host, split_hostport
from .answers import ApiError
from .registry import Proxy, Toxic

_SWEEP_S = 30.0
_IDLE_SWEEPS = 4
"""A flow with no datagram either way for this many sweeps (2 minutes) is closed."""
_BATCH = 256
"""Datagrams read per wakeup: enough to amortise the select, few enough to share the loop."""
_MAX_DATAGRAM = 65535
_SOCKET_BUFFER = 1 << 21
"""Asked for per socket (the kernel caps it at net.core.rmem_max / wmem_max): room for a burst
while the loop is busy elsewhere, so a busy harness does not turn into packet loss."""
_RESOLVE_RETRY_S = 1.0

Address = tuple[Any, ...]
"""A socket address as the OS gives it: (host, port), or a 4-tuple for IPv6."""
Target = tuple[socket.AddressFamily, Address]


@dataclass
class _FlowToxic:
    active: bool
    rolled_with: float
    last_departure: float = 0.0
    bad: bool = False
    departures: collections.deque[float] = field(default_factory=collections.deque)


def apply_toxic(
    toxic: Toxic, state: _FlowToxic, items: list[tuple[float, bytes]], rng: random.Random
) -> list[tuple[float, bytes]]:
    """One toxic on datagrams due at the given loop times; the survivors and their new times."""
    attrs, kind = toxic.attributes, toxic.type
    if kind == "blackhole":
        return []
    result: list[tuple[float, bytes]] = []
    for due, data in items:
        if kind == "latency":
            jitter = int(attrs["jitter"])
            delay = int(attrs["latency"]) + (rng.uniform(-jitter, jitter) if jitter else 0.0)
            when = due + max(0.0, delay) / 1000
            if not attrs["reorder"]:
                when = max(when, state.last_departure)
                state.last_departure = when
            result.append((when, data))
        elif kind == "loss":
            if not _lost(float(attrs["probability"]), float(attrs["burst"]), state, rng):
                result.append((due, data))
        elif kind == "duplicate":
            result.append((due, data))
            if rng.random() < float(attrs["probability"]):
                result.append((due, data))
        elif kind == "bandwidth":
            rate = float(attrs["rate"]) * 1000.0  # KB/s → bytes/s, Toxiproxy's unit
            if rate <= 0:
                result.append((due, data))
                continue
            queue = state.departures
            while queue and queue[0] <= due:
                queue.popleft()
            if len(queue) >= max(1, int(attrs["queue"])):
                continue  # tail drop: the bottleneck's buffer is full
            when = max(due, state.last_departure) + len(data) / rate
            state.last_departure = when
            queue.append(when)
            result.append((when, data))
        else:
            result.append((due, data))
    return result


def _lost(probability: float, burst: float, state: _FlowToxic, rng: random.Random) -> bool:
    if burst <= 1.0 or probability <= 0.0:
        return rng.random() < probability
    if probability >= 1.0:
        return True
    # Simple Gilbert model (loss only in the bad state), parametrised as throttler does for
    # netem's gemodel: p = loss / (burst * (1 - loss)), r = 1 / burst. The stationary share of
    # the bad state is then ``probability`` and its mean stay is ``burst`` datagrams.
    to_bad = probability / (burst * (1.0 - probability))
    to_good = 1.0 / burst
    state.bad = rng.random() >= to_good if state.bad else rng.random() < to_bad
    return state.bad


class _Flow:
    """One client address and the connected socket that speaks for it upstream."""

    __slots__ = ("client", "closed", "idle_sweeps", "seen", "sock", "states")

    def __init__(self, client: Address, sock: socket.socket) -> None:
        self.client = client
        self.sock = sock
        self.closed = False
        self.seen = True
        """Set by every datagram, cleared by the sweep: cheaper than a clock read each time."""
        self.idle_sweeps = 0
        self.states: dict[tuple[Direction, int], _FlowToxic] = {}

    def state(self, direction: Direction, toxic: Toxic, rng: random.Random) -> _FlowToxic:
        key = (direction, toxic.serial)
        state = self.states.get(key)
        if state is None or state.rolled_with != toxic.toxicity:
            state = _FlowToxic(rng.random() < toxic.toxicity, toxic.toxicity)
            self.states[key] = state
        return state


def _socket(family: socket.AddressFamily) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            sock.setsockopt(socket.SOL_SOCKET, option, _SOCKET_BUFFER)
    except OSError:
        sock.close()
        raise
    return sock


async def _resolve(host: str, port: int, flags: int = 0) -> Target:
    """The first address for ``host:port``; numeric hosts without a trip to a resolver thread."""
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_DGRAM, flags=flags | socket.AI_NUMERICHOST
        )
    except socket.gaierror:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=flags)
    family, _, _, _, address = infos[0]
    return family, address


class UdpProxy(Proxy):
    transport = Transport.UDP

    def __init__(self, name: str, listen: str, upstream: str) -> None:
        super().__init__(name, listen, upstream)
        self.flows: dict[Address, _Flow] = {}
        self.rng = random.Random()
        self.stats = collections.Counter[str]()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sock: socket.socket | None = None
        self._target: Target | None = None
        self._resolving: asyncio.Task[None] | None = None
        self._next_resolve = 0.0
        self._sweeper: asyncio.TimerHandle | None = None
        # Per direction, refreshed by toxics_changed(), so the no-toxic test is one truth check.
        self._toxics: dict[Direction, list[Toxic]] = {
            Direction.UPSTREAM: [],
            Direction.DOWNSTREAM: [],
        }

    # -- lifecycle -------------------------------------------------------------------------

    async def _start(self) -> None:
        host, port = split_hostport(self.listen, "udp")
        host = resolve_host(host, "udp")
        loop = asyncio.get_running_loop()
        self._target = await self._resolve_upstream()
        try:
            family, address = await _resolve(host or "0.0.0.0", port, socket.AI_PASSIVE)
            sock = _socket(family)
        except OSError as exc:
            raise bind_error("udp", self.listen, exc) from exc
        try:
            sock.bind(address)
        except OSError as exc:
            sock.close()
            raise bind_error("udp", self.listen, exc) from exc
        self._loop, self._sock = loop, sock
        sockname = sock.getsockname()
        self.listen = join_hostport(sockname[0], sockname[1])
        loop.add_reader(sock.fileno(), self._read_clients)
        self._sweeper = loop.call_later(_SWEEP_S, self._sweep)

    async def _stop(self) -> None:
        # Everything here is synchronous on purpose: when this returns, the port is free again.
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._resolving is not None:
            self._resolving.cancel()
            self._resolving = None
        if self._sock is not None and self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
        self._sock = None
        for flow in self.flows.values():
            self._close_flow(flow)
        self.flows.clear()

    def toxics_changed(self) -> None:
        self._toxics = {direction: self.toxics_for(direction) for direction in Direction}

    async def _resolve_upstream(self) -> Target | None:
        # Toxiproxy accepts an upstream it cannot reach yet (it dials per connection), so a
        # failure here is counted and retried when a client comes, not refused.
        try:
            host, port = split_hostport(self.upstream)
            return await _resolve(host or "127.0.0.1", port)
        except (ApiError, OSError):
            self.stats["unresolved"] += 1
            return None

    def _resolve_soon(self) -> None:
        loop = self._loop
        if self._resolving is not None or loop is None or loop.time() < self._next_resolve:
            return
        self._next_resolve = loop.time() + _RESOLVE_RETRY_S

        async def resolve() -> None:
            try:
                self._target = await self._resolve_upstream()
            finally:
                self._resolving = None

        self._resolving = loop.create_task(resolve())

    def _sweep(self) -> None:
        for addr, flow in list(self.flows.items()):
            if flow.seen:
                flow.seen, flow.idle_sweeps = False, 0
                continue
            flow.idle_sweeps += 1
            if flow.idle_sweeps >= _IDLE_SWEEPS:
                self._close_flow(flow)
                del self.flows[addr]
        if self._loop is not None:
            self._sweeper = self._loop.call_later(_SWEEP_S, self._sweep)

    # -- flows -----------------------------------------------------------------------------

    def _open_flow(self, client: Address) -> _Flow | None:
        if self._target is None:
            self.stats["unresolved"] += 1
            self._resolve_soon()
            return None
        family, address = self._target
        try:
            sock = _socket(family)
        except OSError:
            self.stats["connect_failed"] += 1
            return None
        try:
            sock.connect(address)  # a datagram connect: no packet, just the peer to talk to
        except OSError:
            sock.close()
            self.stats["connect_failed"] += 1
            return None
        flow = self.flows[client] = _Flow(client, sock)
        assert self._loop is not None
        self._loop.add_reader(sock.fileno(), self._read_upstream, flow)
        return flow

    def _close_flow(self, flow: _Flow) -> None:
        if flow.closed:
            return
        flow.closed = True
        if self._loop is not None:
            self._loop.remove_reader(flow.sock.fileno())
        flow.sock.close()

    # -- the hot path ----------------------------------------------------------------------

    def _read_clients(self) -> None:
        sock = self._sock
        if sock is None:
            return
        recvfrom, flows = sock.recvfrom, self.flows
        toxics = self._toxics[Direction.UPSTREAM]
        for _ in range(_BATCH):
            try:
                data, client = recvfrom(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error from a client that went away; the listener carries on
            flow = flows.get(client)
            if flow is None:
                flow = self._open_flow(client)
                if flow is None:
                    continue
            flow.seen = True
            if toxics:
                self.relay(Direction.UPSTREAM, flow, data)
                continue
            try:
                flow.sock.send(data)
            except OSError:
                self.stats["send_failed"] += 1  # ICMP refusal from upstream, or a full buffer

    def _read_upstream(self, flow: _Flow) -> None:
        sock = self._sock
        if sock is None or flow.closed:
            return
        recv, sendto, client = flow.sock.recv, sock.sendto, flow.client
        toxics = self._toxics[Direction.DOWNSTREAM]
        for _ in range(_BATCH):
            try:
                data = recv(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # ICMP port unreachable: upstream not there (yet); keep the flow
            flow.seen = True
            if toxics:
                self.relay(Direction.DOWNSTREAM, flow, data)
                continue
            try:
                sendto(data, client)
            except OSError:
                self.stats["send_failed"] += 1

    def relay(self, direction: Direction, flow: _Flow, data: bytes) -> None:
        """Datagram ``data`` through this stream's toxics, then out (now or later)."""
        loop = self._loop
        assert loop is not None
        now = loop.time()
        items = [(now, data)]
        for toxic in self._toxics[direction]:
            state = flow.state(direction, toxic, self.rng)
            if state.active:
                items = apply_toxic(toxic, state, items, self.rng)
                if not items:
                    self.stats[_DROPPED[direction]] += 1
                    return
        for when, payload in items:
            if when <= now:
                self._send(direction, flow, payload)
            else:
                loop.call_at(when, self._send, direction, flow, payload)

    def _send(self, direction: Direction, flow: _Flow, data: bytes) -> None:
        if flow.closed:
            return
        try:
            if direction is Direction.UPSTREAM:
                flow.sock.send(data)
            elif self._sock is not None:
                self._sock.sendto(data, flow.client)
        except OSError:
            self.stats["send_failed"] += 1


_DROPPED = {direction: f"dropped_{direction}" for direction in Direction}
