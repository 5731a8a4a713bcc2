"""Our UDP extension: a datagram relay with datagram toxics, for WebRTC media.

Toxiproxy is TCP-only (its issue #39). A ``"protocol": "udp"`` proxy relays each client's
datagrams to ``upstream`` from a socket of its own (one per client address), so replies find
their way back to the right client: ICE, STUN, DTLS and SRTP flow through both ways.

Toxics act per datagram: latency with jitter (in order, or reordering when ``reorder`` is
true), loss (random, or Gilbert-Elliott bursts when ``burst`` > 1), bandwidth (a rate with a
tail-drop queue), blackhole and duplicate. Toxicity is rolled once per toxic per client flow
and direction, as Toxiproxy rolls it once per link. ICMP errors (port unreachable...) are
ignored: the relay must outlive a peer that comes and goes.
"""

from __future__ import annotations

import asyncio
import collections
import random
from dataclasses import dataclass, field
from typing import cast

from ..catalog import Protocol, Stream
from .addresses import bind_error, join_hostport, split_hostport
from .registry import Proxy, Toxic

_IDLE_FLOW_S = 120.0
Address = tuple[str, int]


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


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, proxy: UdpProxy) -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.proxy.from_client(data, addr)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP from a client that went away; the listener carries on


class _Flow(asyncio.DatagramProtocol):
    """One client address and the socket that speaks for it upstream."""

    def __init__(self, proxy: UdpProxy, client: Address) -> None:
        self.proxy = proxy
        self.client = client
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: list[bytes] = []
        self.connecting: asyncio.Future[None] | None = None
        self.closed = False
        self.last_seen = asyncio.get_running_loop().time()
        self.states: dict[tuple[Stream, int], _FlowToxic] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.last_seen = asyncio.get_running_loop().time()
        self.proxy.relay(Stream.DOWNSTREAM, self, data)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP port unreachable: upstream not there (yet); keep the flow

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True

    def state(self, stream: Stream, toxic: Toxic, rng: random.Random) -> _FlowToxic:
        key = (stream, toxic.serial)
        state = self.states.get(key)
        if state is None or state.rolled_with != toxic.toxicity:
            state = _FlowToxic(rng.random() < toxic.toxicity, toxic.toxicity)
            self.states[key] = state
        return state

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UdpProxy(Proxy):
    protocol = Protocol.UDP

    def __init__(self, name: str, listen: str, upstream: str) -> None:
        super().__init__(name, listen, upstream)
        self.flows: dict[Address, _Flow] = {}
        self.rng = random.Random()
        self._listener: asyncio.DatagramTransport | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self.stats = collections.Counter[str]()

    async def _start(self) -> None:
        host, port = split_hostport(self.listen)
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Listener(self), local_addr=(host or "0.0.0.0", port)
            )
        except OSError as exc:
            raise bind_error("udp", self.listen, exc) from exc
        self._listener = transport
        sockname = transport.get_extra_info("sockname")
        self.listen = join_hostport(host or sockname[0], sockname[1])
        self._sweeper = loop.call_later(_IDLE_FLOW_S / 4, self._sweep)

    async def _stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._sweeper is not None:
            self._sweeper.cancel()
        for flow in self.flows.values():
            flow.close()
        self.flows.clear()

    def toxics_changed(self) -> None:
        pass  # datagram toxics read the list per datagram; nothing is held per connection

    def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        for addr, flow in list(self.flows.items()):
            if loop.time() - flow.last_seen > _IDLE_FLOW_S:
                flow.close()
                del self.flows[addr]
        self._sweeper = loop.call_later(_IDLE_FLOW_S / 4, self._sweep)

    def from_client(self, data: bytes, addr: Address) -> None:
        flow = self.flows.get(addr)
        if flow is None or flow.closed:
            flow = self.flows[addr] = _Flow(self, addr)
            flow.connecting = asyncio.ensure_future(self._connect(flow))
        flow.last_seen = asyncio.get_running_loop().time()
        if flow.transport is None:
            flow.pending.append(data)
        else:
            self.relay(Stream.UPSTREAM, flow, data)

    async def _connect(self, flow: _Flow) -> None:
        host, port = split_hostport(self.upstream)
        loop = asyncio.get_running_loop()
        try:
            await loop.create_datagram_endpoint(lambda: flow, remote_addr=(host, port))
        except OSError:
            self.stats["connect_failed"] += 1
            flow.close()
            self.flows.pop(flow.client, None)
            return
        if not self.enabled:
            flow.close()
            return
        pending, flow.pending = flow.pending, []
        for data in pending:
            self.relay(Stream.UPSTREAM, flow, data)

    def relay(self, stream: Stream, flow: _Flow, data: bytes) -> None:
        """Datagram ``data`` through this stream's toxics, then out (now or later)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        items = [(now, data)]
        for toxic in self.toxics:
            if toxic.stream is not stream:
                continue
            state = flow.state(stream, toxic, self.rng)
            if state.active:
                items = apply_toxic(toxic, state, items, self.rng)
                if not items:
                    self.stats[f"dropped_{stream}"] += 1
                    return
        for when, payload in items:
            if when <= now:
                self._send(stream, flow, payload)
            else:
                loop.call_at(when, self._send, stream, flow, payload)

    def _send(self, stream: Stream, flow: _Flow, data: bytes) -> None:
        if flow.closed:
            return
        if stream is Stream.UPSTREAM:
            if flow.transport is not None:
                flow.transport.sendto(data)
        elif self._listener is not None:
            self._listener.sendto(data, flow.client)
