"""TCP faults on the user's Toxiproxy, UDP faults on an embedded relay beside it.

A real Toxiproxy is TCP-only (its issue #39), so a drill whose media is UDP would get no media
fault from it. :class:`SplitBackend` presents the two servers as one: a proxy is created on the
server for its transport and every later call about it goes to the server that holds it.
Ownership records name the real server for TCP proxies; the relay lives in this process, so its
proxies die with the harness and are never recorded (see :meth:`FaultBackend.home_of`).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..definitions.toxics import Transport
from .base import FaultBackend, ProxyState, ToxicSpec


class SplitBackend(FaultBackend):
    """``tcp`` (the user's server) and ``udp`` (the embedded relay), as one backend."""

    def __init__(self, *, tcp: FaultBackend, udp: FaultBackend) -> None:
        self.tcp = tcp
        self.udp = udp
        self.url = tcp.url
        self._where: dict[str, FaultBackend] = {}

    def describe(self) -> str:
        return f"{self.tcp.url} (TCP); UDP on an embedded relay at {self.udp.url}"

    def home_of(self, transport: Transport) -> str | None:
        return (self.udp if transport is Transport.UDP else self.tcp).home_of(transport)

    async def transports(self) -> frozenset[Transport]:
        return frozenset({Transport.TCP, Transport.UDP})

    async def _holder(self, proxy: str) -> FaultBackend:
        known = self._where.get(proxy)
        if known is not None:
            return known
        # Not made through this object (a cleanup, a reset): whoever holds it, else the TCP side.
        return self.udp if await self.udp.proxy(proxy) is not None else self.tcp

    async def state(self) -> tuple[ProxyState, ...]:
        return await self.tcp.state() + await self.udp.state()

    async def aclose(self) -> None:
        """The two backends are closed by whoever opened them (:func:`open_backend`)."""

    async def _create_proxy(
        self, name: str, listen: str, upstream: str, transport: Transport
    ) -> None:
        target = self.udp if transport is Transport.UDP else self.tcp
        self._where[name] = target
        await target._create_proxy(name, listen, upstream, transport)

    async def _add_toxic(self, proxy: str, toxic: ToxicSpec) -> None:
        await (await self._holder(proxy))._add_toxic(proxy, toxic)

    async def _update_toxic(self, proxy: str, toxic: ToxicSpec) -> None:
        await (await self._holder(proxy))._update_toxic(proxy, toxic)

    async def _remove_toxic(self, proxy: str, toxic_name: str) -> None:
        await (await self._holder(proxy))._remove_toxic(proxy, toxic_name)

    async def _set_enabled(self, proxy: str, enabled: bool) -> None:
        await (await self._holder(proxy))._set_enabled(proxy, enabled)

    async def _update_proxy(self, proxy: str, changes: Mapping[str, str | bool]) -> None:
        await (await self._holder(proxy))._update_proxy(proxy, changes)

    async def _delete_proxy(self, proxy: str) -> None:
        await (await self._holder(proxy))._delete_proxy(proxy)
        self._where.pop(proxy, None)
