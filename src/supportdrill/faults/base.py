"""The FaultBackend interface: proxies and toxics on a Toxiproxy-API server, every change verified.

A backend implements the raw calls (``_create_proxy`` ...); this base class wraps each public
change in a read-back, because a change the server accepted is not proof it took effect
(toxiproxy-python lets errors pass silently, and a real Toxiproxy answers 2xx to things it
then ignores). A disagreement raises :class:`~supportdrill.errors.FaultNotVerified`.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from ..definitions.toxics import (
    AttributeValue,
    Direction,
    ToxicInvalid,
    Transport,
    check_attributes,
    check_toxicity,
)
from ..errors import FaultNotVerified, FaultRejected, InvalidConfiguration

TRANSPORTS_HEADER = "X-Supportdrill-Transports"
"""Sent by the embedded server on ``/version`` (``tcp,udp``); a real Toxiproxy has none."""


def _frozen(mapping: Mapping[str, AttributeValue]) -> Mapping[str, AttributeValue]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ToxicSpec:
    """A toxic to add: the same fields as Toxiproxy's JSON."""

    name: str
    type: str
    direction: Direction = Direction.DOWNSTREAM
    toxicity: float = 1.0
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "attributes", _frozen(self.attributes))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "stream": str(self.direction),
            "toxicity": self.toxicity,
            "attributes": dict(self.attributes),
        }

    def checked(self, transport: Transport) -> ToxicSpec:
        """This spec with every attribute filled in, or :class:`FaultRejected` (status 400)."""
        try:
            attributes = check_attributes(transport, self.type, self.attributes)
            toxicity = check_toxicity(self.toxicity)
        except ToxicInvalid as exc:
            raise FaultRejected(f"toxic {self.name!r}: {exc}", status=400) from exc
        return ToxicSpec(self.name, self.type, self.direction, toxicity, attributes)


@dataclass(frozen=True)
class ToxicState:
    """A toxic as the server reports it."""

    name: str
    type: str
    direction: Direction
    toxicity: float
    attributes: Mapping[str, AttributeValue]

    def __post_init__(self) -> None:
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "attributes", _frozen(self.attributes))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToxicState:
        return cls(
            name=str(data["name"]),
            type=str(data["type"]),
            direction=Direction(data.get("stream", "downstream")),
            toxicity=float(data.get("toxicity", 1.0)),
            attributes=dict(data.get("attributes") or {}),
        )

    def matches(self, spec: ToxicSpec) -> bool:
        """Whether the server holds what ``spec`` asked for (toxicity is a float32 there)."""
        if (self.name, self.type, self.direction) != (spec.name, spec.type, spec.direction):
            return False
        if abs(self.toxicity - spec.toxicity) > 1e-6:
            return False
        return all(self.attributes.get(key) == value for key, value in spec.attributes.items())


@dataclass(frozen=True)
class ProxyState:
    """A proxy as the server reports it; ``listen`` carries the real port when 0 was asked."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    transport: Transport = Transport.TCP
    toxics: tuple[ToxicState, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProxyState:
        return cls(
            name=str(data["name"]),
            listen=str(data["listen"]),
            upstream=str(data["upstream"]),
            enabled=bool(data["enabled"]),
            transport=Transport(data.get("protocol", "tcp")),
            toxics=tuple(ToxicState.from_json(t) for t in data.get("toxics") or ()),
        )

    def toxic(self, name: str) -> ToxicState | None:
        return next((t for t in self.toxics if t.name == name), None)

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])


class FaultBackend(abc.ABC):
    """A Toxiproxy-API server. Public methods verify; subclasses implement the raw calls."""

    url: str
    ephemeral: bool = False
    """True when the server lives in this process (the embedded one): its proxies die with the
    harness, and there is nothing for ``cleanup_leftovers`` to find."""

    def describe(self) -> str:
        """Where faults go, for the run's output."""
        return self.url

    def home_of(self, transport: Transport) -> str | None:
        """Where a new proxy of ``transport`` will live (the URL ownership is recorded under), or
        None when it dies with this process and needs no record."""
        return None if self.ephemeral else self.url

    async def transports(self) -> frozenset[Transport]:
        """What the server can proxy: Toxiproxy is TCP-only; ours says it does UDP too."""
        return frozenset({Transport.TCP})

    # -- raw calls ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def _create_proxy(
        self, name: str, listen: str, upstream: str, transport: Transport
    ) -> None: ...

    @abc.abstractmethod
    async def _add_toxic(self, proxy: str, toxic: ToxicSpec) -> None: ...

    @abc.abstractmethod
    async def _update_toxic(self, proxy: str, toxic: ToxicSpec) -> None: ...

    @abc.abstractmethod
    async def _remove_toxic(self, proxy: str, toxic_name: str) -> None: ...

    @abc.abstractmethod
    async def _set_enabled(self, proxy: str, enabled: bool) -> None: ...

    @abc.abstractmethod
    async def _update_proxy(self, proxy: str, changes: Mapping[str, str | bool]) -> None:
        """``POST /proxies/{proxy}`` with only the fields to change."""

    @abc.abstractmethod
    async def _delete_proxy(self, proxy: str) -> None: ...

    @abc.abstractmethod
    async def state(self) -> tuple[ProxyState, ...]:
        """Every proxy on the server, with its toxics."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release connections; the server's proxies stay."""

    # -- verified changes --------------------------------------------------------------------

    async def proxy(self, name: str) -> ProxyState | None:
        return next((p for p in await self.state() if p.name == name), None)

    async def _require(self, name: str, action: str) -> ProxyState:
        found = await self.proxy(name)
        if found is None:
            raise FaultNotVerified(f"{action}: proxy {name!r} is not on {self.url}")
        return found

    async def create_proxy(
        self, name: str, listen: str, upstream: str, transport: Transport | str = "tcp"
    ) -> ProxyState:
        transport = Transport(transport)
        await self._create_proxy(name, listen, upstream, transport)
        made = await self._require(name, "create proxy")
        wanted_port = listen.rsplit(":", 1)[-1]
        if (
            made.upstream != upstream
            or not made.enabled
            or made.transport is not transport
            or (wanted_port not in ("", "0") and made.listen.rsplit(":", 1)[-1] != wanted_port)
        ):
            raise FaultNotVerified(f"create proxy {name!r}: the server holds {made}")
        return made

    async def add_toxic(self, proxy: str, toxic: ToxicSpec) -> ToxicState:
        current = await self._require(proxy, "add toxic")
        toxic = toxic.checked(current.transport)
        await self._add_toxic(proxy, toxic)
        return await self._verify_toxic(proxy, toxic, "add toxic")

    async def update_toxic(self, proxy: str, toxic: ToxicSpec) -> ToxicState:
        """Change a toxic's attributes and toxicity in place (PATCH), without a gap."""
        current = await self._require(proxy, "update toxic")
        toxic = toxic.checked(current.transport)
        await self._update_toxic(proxy, toxic)
        return await self._verify_toxic(proxy, toxic, "update toxic")

    async def _verify_toxic(self, proxy: str, toxic: ToxicSpec, action: str) -> ToxicState:
        held = (await self._require(proxy, action)).toxic(toxic.name)
        if held is None or not held.matches(toxic):
            raise FaultNotVerified(f"{action} {toxic.name!r} on {proxy!r}: the server holds {held}")
        return held

    async def remove_toxic(self, proxy: str, toxic_name: str) -> None:
        await self._remove_toxic(proxy, toxic_name)
        held = await self.proxy(proxy)
        if held is not None and held.toxic(toxic_name) is not None:
            raise FaultNotVerified(f"remove toxic {toxic_name!r} on {proxy!r}: still there")

    async def set_enabled(self, proxy: str, enabled: bool) -> ProxyState:
        await self._set_enabled(proxy, enabled)
        held = await self._require(proxy, "enable" if enabled else "disable")
        if held.enabled is not enabled:
            raise FaultNotVerified(f"set enabled={enabled} on {proxy!r}: the server holds {held}")
        return held

    async def update_proxy(
        self,
        name: str,
        *,
        upstream: str | None = None,
        listen: str | None = None,
        enabled: bool | None = None,
    ) -> ProxyState:
        """Change a proxy in place, as Toxiproxy's update does: its toxics stay in force.

        A new ``upstream`` or ``listen`` restarts the proxy's listener (its live connections
        and UDP flows drop); what is left out keeps its value, ``enabled`` included, so a proxy
        a fault took down stays down. ``listen`` with port 0 takes any free port.
        """
        for field_name, text in (("upstream", upstream), ("listen", listen)):
            if text is not None and not text.rpartition(":")[2].isdigit():
                raise FaultRejected(
                    f"update proxy {name!r}: {field_name} {text!r} is not HOST:PORT", status=400
                )
        before = await self._require(name, "update proxy")
        changes: dict[str, str | bool] = {}
        if upstream is not None:
            changes["upstream"] = upstream
        if listen is not None:
            changes["listen"] = listen
        if enabled is not None:
            changes["enabled"] = enabled
        if not changes:
            return before
        await self._update_proxy(name, changes)
        held = await self._require(name, "update proxy")
        wanted_port = listen.rsplit(":", 1)[-1] if listen is not None else "0"
        if (
            held.upstream != (before.upstream if upstream is None else upstream)
            or held.enabled is not (before.enabled if enabled is None else enabled)
            or (wanted_port != "0" and held.listen.rsplit(":", 1)[-1] != wanted_port)
            or (listen is None and held.listen != before.listen)
        ):
            raise FaultNotVerified(f"update proxy {name!r}: the server holds {held}")
        return held

    async def delete_proxy(self, proxy: str) -> None:
        await self._delete_proxy(proxy)
        if await self.proxy(proxy) is not None:
            raise FaultNotVerified(f"delete proxy {proxy!r}: still on {self.url}")

    async def reset_owned(self, prefix: str) -> list[str]:
        """Delete every proxy whose name starts with ``prefix``; others are left alone."""
        if not prefix:
            raise ValueError("refusing to reset with an empty prefix: that is everyone's proxies")
        removed = []
        for held in await self.state():
            if held.name.startswith(prefix):
                await self.delete_proxy(held.name)
                removed.append(held.name)
        return removed


UdpRule = Literal["split", "refuse"]
"""What :func:`open_backend` does when a drill needs UDP and the server cannot proxy it:
``split`` puts UDP proxies on an embedded relay beside it, ``refuse`` raises."""


@contextlib.asynccontextmanager
async def open_backend(
    url: str | None = None,
    *,
    needs: Iterable[Transport] = (),
    udp: UdpRule = "split",
    timeout: float = 10.0,
) -> AsyncIterator[FaultBackend]:
    """The fault server a drill uses, reachable and released on the way out.

    ``url`` (``http://host:port``) names a Toxiproxy-API server, real or ours; None starts the
    embedded server in this process. ``needs`` are the transports the drill will proxy: when
    that includes UDP and the server is a real Toxiproxy (TCP only, its issue #39), ``udp``
    decides. The check happens here, before anything starts.
    """
    # Imported here, as aiortc's create_signaling does: the interface module stays light.
    from .server import EmbeddedToxiproxy
    from .toxiproxy_backend import ToxiproxyBackend

    async with contextlib.AsyncExitStack() as stack:
        if url is None:
            server = await stack.enter_async_context(EmbeddedToxiproxy())
            embedded = ToxiproxyBackend(server.url, timeout=timeout)
            stack.push_async_callback(embedded.aclose)
            embedded.ephemeral = True
            yield embedded
            return
        remote = ToxiproxyBackend(url, timeout=timeout)
        stack.push_async_callback(remote.aclose)
        await remote.state()  # reachable, or a clear error before anything starts
        if Transport.UDP not in set(needs) or Transport.UDP in await remote.transports():
            yield remote
            return
        if udp == "refuse":
            raise InvalidConfiguration(
                f"the fault server at {remote.url} cannot proxy UDP (a real Toxiproxy is "
                "TCP-only, its issue #39), and this drill's media is UDP. Either unset "
                "TOXIPROXY_URL (the embedded server does both), point it at `supportdrill "
                "proxy serve`, or let supportdrill split the faults: TCP on your Toxiproxy, "
                "UDP on an embedded relay"
            )
        from .split import SplitBackend

        server = await stack.enter_async_context(EmbeddedToxiproxy())
        relay = ToxiproxyBackend(server.url, timeout=timeout)
        stack.push_async_callback(relay.aclose)
        relay.ephemeral = True
        yield SplitBackend(tcp=remote, udp=relay)
