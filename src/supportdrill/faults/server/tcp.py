"""The TCP proxy: accept, connect upstream, and pass each direction through its toxics.

Each connection is a link with two directions (``upstream`` client → server, ``downstream``
back). A direction with no toxic writes straight through (the fast path the throughput
benchmark measures); with toxics, a task takes chunks in order through the chain, as
Toxiproxy's link.go does. Toxicity is rolled once per toxic per direction of a link, like
Toxiproxy. Removing a toxic lets held data go at once, except a timeout toxic's: it drops data
and its removal closes the link, as Toxiproxy's does. When one side finishes (EOF, its bytes
through, slow_close served), both sockets close: Toxiproxy has no TCP half-close.
"""

from __future__ import annotations

import asyncio
import collections
import random
import socket
import struct
from dataclasses import dataclass

from ...definitions.toxics import Direction, Transport
from .addresses import bind_error, join_hostport, resolve_host, split_hostport
from .registry import Proxy, Toxic

_QUEUE_HIGH = 4 * 1024 * 1024
_QUEUE_LOW = 1024 * 1024


@dataclass
class _LinkToxic:
    """One toxic's state on one direction of one link."""

    active: bool
    rolled_with: float
    sent: int = 0
    bandwidth_debt: float = 0.0
    timer: asyncio.TimerHandle | None = None


class _End(asyncio.Protocol):
    """One socket of a link: the client's or the upstream's."""

    def __init__(self, link: _Link, is_client: bool) -> None:
        self.link = link
        self.is_client = is_client
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._drained: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=_QUEUE_HIGH)
        if self.is_client:
            transport.pause_reading()  # until upstream is connected
            self.link.start(self)

    def data_received(self, data: bytes) -> None:
        self.link.outgoing(self).feed(data)

    def eof_received(self) -> bool:
        self.link.outgoing(self).feed_eof()
        return True  # keep the write half open: the other way may still be talking

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self.link.lost(self, exc)

    def pause_writing(self) -> None:
        self._drained = asyncio.get_running_loop().create_future()
        self.link.incoming(self).source_pause("sink")

    def resume_writing(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None
        self.link.incoming(self).source_resume("sink")

    async def drained(self) -> None:
        if self._drained is not None:
            await self._drained

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)


class _Pipe:
    """Bytes from ``source`` to ``sink`` through the proxy's toxics for ``direction``."""

    def __init__(self, link: _Link, direction: Direction, source: _End, sink: _End) -> None:
        self.link, self.direction, self.source, self.sink = link, direction, source, sink
        self.queue: collections.deque[tuple[bytes, float]] = collections.deque()
        self.queued = 0
        self.eof = False
        self.finished = False
        self.task: asyncio.Task[None] | None = None
        self.states: dict[int, _LinkToxic] = {}
        self._timeouts: list[Toxic] = []
        self._toxics: list[Toxic] = []
        self._chain: list[Toxic] | None = None
        """The active toxics when all are latency ones (see :meth:`_hold`), else None."""
        self._held: collections.deque[tuple[float, bytes, float]] = collections.deque()
        """Chunks on latency's fast path: (due, data, arrived), due in order."""
        self._timer: asyncio.TimerHandle | None = None
        """Active timeout toxics: removing one closes the link."""
        self._pauses: set[str] = set()
        self._waiters: set[asyncio.Future[None]] = set()
        self._loop = asyncio.get_running_loop()

    # -- flow control ----------------------------------------------------------------------

    def source_pause(self, reason: str) -> None:
        if not self._pauses and self.source.transport is not None and not self.source.closed:
            self.source.transport.pause_reading()
        self._pauses.add(reason)

    def source_resume(self, reason: str) -> None:
        self._pauses.discard(reason)
        if not self._pauses and self.source.transport is not None and not self.source.closed:
            self.source.transport.resume_reading()

    # -- input -----------------------------------------------------------------------------

    def toxics(self) -> list[Toxic]:
        return self._toxics

    def feed(self, data: bytes) -> None:
        if self.task is None and not self.queue:
            if not self.toxics():
                self.sink.write(data)
                return
            if self._chain is not None:
                self._hold(data, self._chain)
                return
        self.queue.append((data, self._loop.time()))
        self.queued += len(data)
        if self.queued > _QUEUE_HIGH:
            self.source_pause("queue")
        self._ensure_task()
        self._wake()

    # -- latency's fast path: one timer per pipe, no task ----------------------------------

    def _latency_chain(self) -> list[Toxic] | None:
        """The active toxics when every one is a latency (the common fault), else None."""
        chain = []
        for toxic in self.toxics():
            state = self.states.get(toxic.serial)
            if state is None:
                return None
            if state.active:
                if toxic.type != "latency":
                    return None
                chain.append(toxic)
        return chain

    def _hold(self, data: bytes, chain: list[Toxic]) -> None:
        # As latency.go: each chunk leaves its delay after it came, and never before the one
        # ahead of it. The pipe's one timer serves the oldest chunk; with the task and its
        # futures out of the way, a delayed chunk costs a deque entry and one timer wakeup.
        now = self._loop.time()
        delay = 0
        for toxic in chain:
            jitter = int(toxic.attributes["jitter"])
            delay += int(toxic.attributes["latency"]) + (
                random.randrange(-jitter, jitter) if jitter > 0 else 0
            )
        due = max(now + delay / 1000, self._held[-1][0] if self._held else now)
        self._held.append((due, data, now))
        self.queued += len(data)
        if self.queued > _QUEUE_HIGH:
            self.source_pause("queue")
        if self._timer is None:
            self._timer = self._loop.call_at(due, self._release)

    def _release(self) -> None:
        self._timer = None
        now = self._loop.time() + 1e-6  # the loop runs a timer up to its clock's resolution early
        while self._held and self._held[0][0] <= now:
            _, data, _ = self._held.popleft()
            self.queued -= len(data)
            self.sink.write(data)
        if self.queued < _QUEUE_LOW:
            self.source_resume("queue")
        if self._held:
            self._timer = self._loop.call_at(self._held[0][0], self._release)

    def drop_held(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._held.clear()

    def _unhold(self) -> None:
        """Give held chunks back to the queue, in order and with their arrival times, so the
        chain (changed, or facing an EOF) takes them from there."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._held:
            _, data, arrived = self._held.pop()
            self.queue.appendleft((data, arrived))

    def feed_eof(self) -> None:
        if self.eof:
            return
        self._unhold()
        self.eof = True
        if self.task is None and not self.queue and not self.toxics():
            self._finish()
        else:
            self._ensure_task()
            self._wake()

    def toxics_changed(self) -> None:
        # Cached here, not looked up per chunk: the hot path reads two attributes.
        self._toxics = self.link.proxy.toxics_for(self.direction)
        for toxic in self.toxics():
            state = self.states.get(toxic.serial)
            if state is None or state.rolled_with != toxic.toxicity:
                self.states[toxic.serial] = state = _LinkToxic(
                    random.random() < toxic.toxicity, toxic.toxicity
                )
                self._arm(toxic, state)
        self._chain = self._latency_chain()
        if self._held:
            self._unhold()
        if any(toxic.removed for toxic in self._timeouts):
            # Toxiproxy's timeout toxic closes the link when it is removed (its PR #168).
            self.link.close()
            return
        if (self.toxics() or self.queue) and not self.finished:
            self._ensure_task()
        self._wake()

    def _arm(self, toxic: Toxic, state: _LinkToxic) -> None:
        if state.active and toxic.type == "timeout":
            self._timeouts.append(toxic)
        # timeout > 0 closes the connection that long after the toxic starts, data or not.
        if state.active and toxic.type == "timeout" and int(toxic.attributes["timeout"]) > 0:
            delay = int(toxic.attributes["timeout"]) / 1000
            state.timer = self._loop.call_later(delay, self._timeout_fired, toxic)

    def _timeout_fired(self, toxic: Toxic) -> None:
        if not toxic.removed:
            self.link.close()

    def _ensure_task(self) -> None:
        if self.task is None and not self.finished:
            self.task = asyncio.ensure_future(self._run())

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def _pause(self, seconds: float, toxic: Toxic | None) -> None:
        """Sleep, but stop early once ``toxic`` is removed (so held data goes at once)."""
        deadline = self._loop.time() + seconds
        while toxic is None or not toxic.removed:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                return
            waiter = self._loop.create_future()
            self._waiters.add(waiter)
            handle = self._loop.call_later(remaining, _settle, waiter)
            try:
                await waiter
            finally:
                handle.cancel()
                self._waiters.discard(waiter)
            if toxic is None:
                return  # woken by new data or a change: the caller looks again

    # -- the chain -------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self.link.closed:
                if not self.queue:
                    if self.eof:
                        await self._slow_close()
                        self._finish()
                        return
                    if not self.toxics() or self._chain is not None:
                        return  # back to a fast path
                    await self._pause(3600.0, None)
                    continue
                data, arrived = self.queue.popleft()
                self.queued -= len(data)
                if self.queued < _QUEUE_LOW:
                    self.source_resume("queue")
                await self._through(data, arrived, list(self.toxics()), 0)
        finally:
            self.task = None

    async def _through(self, data: bytes, at: float, chain: list[Toxic], index: int) -> None:
        while index < len(chain):
            toxic = chain[index]
            state = self.states.get(toxic.serial)
            if not toxic.removed and state is not None and state.active:
                break
            index += 1
        else:
            await self._emit(data)
            return
        attrs, kind, rest = toxic.attributes, toxic.type, index + 1
        if kind == "latency":
            # latency.go draws rand.Int63n(2 * jitter) - jitter: from -jitter to jitter - 1.
            jitter = int(attrs["jitter"])
            delay = int(attrs["latency"]) + (random.randrange(-jitter, jitter) if jitter > 0 else 0)
            await self._pause(at + delay / 1000 - self._loop.time(), toxic)
            await self._through(data, max(at, self._loop.time()), chain, rest)
        elif kind == "bandwidth":
            await self._bandwidth(data, at, chain, rest, toxic, state)
        elif kind == "slicer":
            average, variation = int(attrs["average_size"]), int(attrs["size_variation"])
            while data:
                size = max(1, average + random.randint(-variation, variation)) if average else 1
                piece, data = data[:size], data[size:]
                await self._through(piece, at, chain, rest)
                if data and not toxic.removed:
                    await self._pause(int(attrs["delay"]) / 1e6, toxic)
        elif kind == "limit_data":
            limit = int(attrs["bytes"])
            piece = data[: max(0, limit - state.sent)]
            if piece:
                state.sent += len(piece)
                await self._through(piece, at, chain, rest)
            if state.sent >= limit:
                await self._drain()
                self.link.close()
        elif kind == "timeout":
            return  # dropped, as timeout.go drops it; the timer or the removal closes the link
        elif kind == "reset_peer":
            await self._pause(int(attrs["timeout"]) / 1000, toxic)
            if toxic.removed:
                await self._through(data, at, chain, rest)
            else:
                self.link.reset()
        else:  # slow_close acts on the close only
            await self._through(data, at, chain, rest)

    async def _bandwidth(
        self, data: bytes, at: float, chain: list[Toxic], rest: int, toxic: Toxic, state: _LinkToxic
    ) -> None:
        rate = int(toxic.attributes["rate"])  # KB/s = bytes per ms, as bandwidth.go reads it
        if rate <= 0:
            state.bandwidth_debt = 0.0
            await self._through(data, at, chain, rest)
            return
        state.bandwidth_debt += len(data) / (rate * 1000)
        slice_size = rate * 100
        while len(data) > slice_size and not toxic.removed:
            await self._pause(0.1, toxic)
            await self._through(data[:slice_size], at, chain, rest)
            data = data[slice_size:]
            state.bandwidth_debt -= 0.1
        started = self._loop.time()
        await self._pause(state.bandwidth_debt, toxic)
        state.bandwidth_debt -= self._loop.time() - started
        await self._through(data, at, chain, rest)

    async def _emit(self, data: bytes) -> None:
        self.sink.write(data)
        await self.sink.drained()

    async def _drain(self) -> None:
        await self.sink.drained()

    async def _slow_close(self) -> None:
        for toxic in list(self.toxics()):
            state = self.states.get(toxic.serial)
            if toxic.type == "slow_close" and state is not None and state.active:
                await self._pause(int(toxic.attributes["delay"]) / 1000, toxic)

    def _finish(self) -> None:
        # As Toxiproxy's link does: once one side has finished and its bytes are through, both
        # sockets close. There is no half-close: a client that shuts its write side gets no
        # reply after that.
        self.finished = True
        self.link.close()


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _Link:
    """A client connection and its upstream connection."""

    def __init__(self, proxy: TcpProxy) -> None:
        self.proxy = proxy
        self.client: _End | None = None
        self.upstream: _End | None = None
        self.up: _Pipe | None = None
        self.down: _Pipe | None = None
        self.closed = False

    def start(self, client: _End) -> None:
        self.client = client
        self.proxy.links.add(self)
        self._connecting = asyncio.ensure_future(self._connect())

    async def _connect(self) -> None:
        assert self.client is not None and self.client.transport is not None
        host, port = split_hostport(self.proxy.upstream)
        loop = asyncio.get_running_loop()
        try:
            _, upstream = await loop.create_connection(lambda: _End(self, False), host, port)
        except OSError:
            self.close()  # Toxiproxy closes the client when upstream refuses
            return
        if self.closed:
            if upstream.transport is not None:
                upstream.transport.close()
            return
        self.upstream = upstream
        self.up = _Pipe(self, Direction.UPSTREAM, self.client, upstream)
        self.down = _Pipe(self, Direction.DOWNSTREAM, upstream, self.client)
        self.toxics_changed()
        self.client.transport.resume_reading()

    def outgoing(self, end: _End) -> _Pipe:
        direction = self.up if end is self.client else self.down
        assert direction is not None
        return direction

    def incoming(self, end: _End) -> _Pipe:
        direction = self.down if end is self.client else self.up
        assert direction is not None
        return direction

    def toxics_changed(self) -> None:
        for direction in (self.up, self.down):
            if direction is not None:
                direction.toxics_changed()

    def lost(self, end: _End, exc: Exception | None) -> None:
        if exc is not None:
            self.reset()
        elif self.up is not None and self.down is not None:
            self.outgoing(end).feed_eof()
            other = self.upstream if end is self.client else self.client
            if other is not None and not self.incoming(end).queue:
                self.close()
        else:
            self.close()

    def close(self) -> None:
        self._shutdown(abort=False)

    def reset(self) -> None:
        """Close with RST (SO_LINGER 0), as reset_peer does."""
        self._shutdown(abort=True)

    def _shutdown(self, abort: bool) -> None:
        if self.closed:
            return
        self.closed = True
        self.proxy.links.discard(self)
        for direction in (self.up, self.down):
            if direction is not None:
                direction.finished = True
                direction.drop_held()
                direction._wake()
                if direction.task is not None:
                    direction.task.cancel()
        for end in (self.client, self.upstream):
            if end is None or end.transport is None or end.closed:
                continue
            if abort:
                sock = end.transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                end.transport.abort()
            else:
                end.transport.close()


class TcpProxy(Proxy):
    transport = Transport.TCP

    def __init__(self, name: str, listen: str, upstream: str) -> None:
        super().__init__(name, listen, upstream)
        self.links: set[_Link] = set()
        self._server: asyncio.Server | None = None

    async def _start(self) -> None:
        host, port = split_hostport(self.listen)
        address = resolve_host(host)  # Toxiproxy binds, and reports, the resolved address
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: _End(_Link(self), True), address or None, port, reuse_address=True
            )
        except OSError as exc:
            raise bind_error("tcp", join_hostport(address, port), exc) from exc
        sockets = self._server.sockets
        bound = sockets[0].getsockname()[1]
        if address:
            self.listen = join_hostport(address, bound)
        else:  # every interface, as Go writes a dual-stack listener
            dual = any(sock.family == socket.AF_INET6 for sock in sockets)
            self.listen = join_hostport("::" if dual else "0.0.0.0", bound)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for link in list(self.links):
            link.close()

    def toxics_changed(self) -> None:
        for link in list(self.links):
            link.toxics_changed()
