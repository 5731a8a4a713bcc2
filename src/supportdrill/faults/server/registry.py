"""The embedded server's state: proxies, their toxics, and Toxiproxy 2.x's API errors.

The rules (defaults, name clashes, which error and status) follow Toxiproxy's api.go,
proxy_collection.go and toxic_collection.go, so an existing client sees the same answers.
The socket work lives in :mod:`.tcp` and :mod:`.udp`.
"""

from __future__ import annotations

import abc
import asyncio
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ...definitions.toxics import (
    AttributeValue,
    Direction,
    ToxicInvalid,
    Transport,
    check_attributes,
    toxic_types,
)
from .addresses import resolve_listen
from .answers import (
    BAD_REQUEST_BODY,
    INVALID_STREAM,
    INVALID_TOXIC_TYPE,
    MISSING_FIELD,
    PROXY_EXISTS,
    PROXY_NOT_FOUND,
    TOXIC_EXISTS,
    TOXIC_NOT_FOUND,
    ApiError,
)
from .gojson import (
    bool_field,
    field_error,
    float32_field,
    go_attributes,
    string_field,
    value_error,
)

VERSION = "2.12.0"
"""The Toxiproxy release whose API we speak; ``/version`` reports it."""

POPULATE_TYPE = 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }'
UPDATE_TOXIC_TYPE = (
    'struct { Attributes interface {} "json:\\"attributes\\""; '
    'Toxicity float32 "json:\\"toxicity\\"" }'
)
"""Go's names for the anonymous structs /populate and a toxic update decode into."""

_serial = itertools.count(1)


@dataclass(eq=False)
class Toxic:
    """A toxic on a proxy. Mutable: PATCH changes attributes and toxicity in place."""

    name: str
    type: str
    direction: Direction
    toxicity: float
    attributes: dict[str, AttributeValue]
    removed: bool = False
    stream_text: str = ""
    """The ``stream`` as the client wrote it (any case, as Toxiproxy keeps and echoes it)."""

    def __post_init__(self) -> None:
        self.stream_text = self.stream_text or str(self.direction)
        # Links key their per-connection state on this, so an update is seen as the same toxic.
        self.serial = next(_serial)

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream_text,
            "toxicity": _number(self.toxicity),
        }


class Proxy(abc.ABC):
    """A named listener relaying to ``upstream`` through its toxics."""

    transport: Transport

    def __init__(self, name: str, listen: str, upstream: str) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.toxics: list[Toxic] = []

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
        }
        if self.transport is not Transport.TCP:
            data["protocol"] = str(self.transport)  # our extension; TCP keeps Toxiproxy's shape
        data["toxics"] = [t.to_json() for t in self.listed_toxics()]
        return data

    def listed_toxics(self) -> list[Toxic]:
        """As Toxiproxy lists them: every upstream toxic first, then the downstream ones."""
        return sorted(self.toxics, key=lambda t: t.direction is Direction.DOWNSTREAM)

    def toxics_for(self, direction: Direction) -> list[Toxic]:
        return [t for t in self.toxics if t.direction is direction]

    async def start(self) -> None:
        """Listen, or raise :class:`ApiError` 500 with the OS's words, as Toxiproxy does."""
        if self.enabled:
            return
        await self._start()
        self.enabled = True

    async def stop(self) -> None:
        """Stop listening and drop every connection: a disabled proxy is down."""
        if not self.enabled:
            return
        self.enabled = False
        await self._stop()

    @abc.abstractmethod
    async def _start(self) -> None: ...

    @abc.abstractmethod
    async def _stop(self) -> None: ...

    @abc.abstractmethod
    def toxics_changed(self) -> None:
        """Tell live connections the toxic list changed."""

    # -- toxics ------------------------------------------------------------------------------

    def find(self, name: str) -> Toxic | None:
        return next((t for t in self.toxics if t.name == name), None)

    def add_toxic(self, body: Any) -> Toxic:
        """toxic_collection.go's AddToxicJson, its checks in its order."""
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise value_error(body, "toxics.ToxicWrapper")
        name = string_field(body, "name", "ToxicWrapper")
        toxic_type = string_field(body, "type", "ToxicWrapper")
        stream_text = string_field(body, "stream", "ToxicWrapper", "downstream")
        toxicity = float32_field(body, "toxicity", "ToxicWrapper", 1.0)
        raw = body.get("attributes")
        if raw is not None and not isinstance(raw, dict):
            raise field_error(raw, "ToxicWrapper.attributes", "toxics.NoopToxic")
        try:
            direction = Direction(stream_text.lower())
        except ValueError:
            raise INVALID_STREAM from None
        name = name or f"{toxic_type}_{stream_text}"
        if toxic_type not in toxic_types(self.transport):
            raise INVALID_TOXIC_TYPE
        if self.find(name) is not None:
            raise TOXIC_EXISTS
        attributes = self._attributes(toxic_type, raw, "ToxicWrapper", None)
        toxic = Toxic(
            name, toxic_type, direction, _toxicity(toxicity), attributes, stream_text=stream_text
        )
        self.toxics.append(toxic)
        self.toxics_changed()
        return toxic

    def _attributes(
        self,
        toxic_type: str,
        raw: object,
        struct: str,
        base: Mapping[str, AttributeValue] | None,
    ) -> dict[str, AttributeValue]:
        # TCP toxics decode as Go does (integers, its type errors); then our range checks.
        if self.transport is Transport.TCP:
            given: Mapping[str, object] = go_attributes(toxic_type, raw, struct)
        elif raw is None or isinstance(raw, dict):
            given = raw or {}
        else:
            raise field_error(raw, f"{struct}.attributes", "attributes")
        try:
            return check_attributes(self.transport, toxic_type, given, base=base)
        except ToxicInvalid as exc:
            raise BAD_REQUEST_BODY.joined(str(exc)) from exc

    def update_toxic(self, name: str, body: Any) -> Toxic:
        toxic = self.find(name)
        if toxic is None:
            raise TOXIC_NOT_FOUND
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise value_error(body, UPDATE_TOXIC_TYPE)
        toxicity = float32_field(body, "toxicity", "", toxic.toxicity)
        attributes = self._attributes(toxic.type, body.get("attributes"), "", toxic.attributes)
        toxic.attributes = attributes
        toxic.toxicity = _toxicity(toxicity)
        self.toxics_changed()
        return toxic

    def remove_toxic(self, name: str) -> None:
        toxic = self.find(name)
        if toxic is None:
            raise TOXIC_NOT_FOUND
        toxic.removed = True
        self.toxics.remove(toxic)
        self.toxics_changed()

    def reset_toxics(self) -> None:
        for toxic in self.toxics:
            toxic.removed = True
        self.toxics.clear()
        self.toxics_changed()


def _number(value: float) -> float | int:
    # Go writes a float32 of 1 as 1, not 1.0.
    return int(value) if value.is_integer() else value


def _toxicity(value: float) -> float:
    # Toxiproxy accepts any float here; a toxicity outside 0..1 is meaningless, so we refuse it
    # in the same shape as its validated-toxic errors.
    if not 0.0 <= value <= 1.0:
        raise BAD_REQUEST_BODY.joined(f"toxicity must be between 0 and 1, got {_number(value)}")
    return value


class Registry:
    """Every proxy by name (proxy_collection.go)."""

    def __init__(self, factories: Mapping[Transport, type[Proxy]]) -> None:
        self.proxies: dict[str, Proxy] = {}
        self._factories = factories
        # One change at a time: a stop and start of one request must not interleave with
        # another's (a retarget racing a disable would otherwise lose the disable).
        self._lock = asyncio.Lock()

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise PROXY_NOT_FOUND
        return proxy

    def build(self, fields: ProxyFields) -> Proxy:
        return self._factories[fields.transport](fields.name, fields.listen, fields.upstream)

    async def create(self, body: Any) -> Proxy:
        fields = ProxyFields.read(body, "toxiproxy.Proxy", "Proxy")
        fields.require()
        proxy = self.build(fields)
        async with self._lock:
            if proxy.name in self.proxies:
                raise PROXY_EXISTS
            if fields.enabled:
                await proxy.start()
            self.proxies[proxy.name] = proxy
        return proxy

    async def update(self, name: str, body: Any) -> Proxy:
        """Toxiproxy's proxy.Update: a new listen or upstream restarts the listener, ``enabled``
        defaults to what it was, and the toxics stay."""
        proxy = self.get(name)
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise value_error(body, "toxiproxy.Proxy")
        listen = string_field(body, "listen", "Proxy", proxy.listen)
        upstream = string_field(body, "upstream", "Proxy", proxy.upstream)
        enabled = bool_field(body, "enabled", "Proxy", proxy.enabled)
        async with self._lock:
            if resolve_listen(listen) != proxy.listen or upstream != proxy.upstream:
                # stop() releases the port before it returns (udp.py and tcp.py close their
                # sockets synchronously), so the restart below can bind the same one.
                await proxy.stop()
                proxy.listen, proxy.upstream = listen, upstream
            if enabled and not proxy.enabled:
                await proxy.start()
            elif not enabled:
                await proxy.stop()
        return proxy

    async def remove(self, name: str) -> None:
        async with self._lock:
            proxy = self.get(name)
            del self.proxies[name]
            await proxy.stop()

    async def reset(self) -> None:
        async with self._lock:
            for proxy in self.proxies.values():
                await proxy.start()
                proxy.reset_toxics()

    async def populate(self, body: Any) -> tuple[list[Proxy], ApiError | None]:
        """proxy_collection.go's PopulateJson: every entry is read and checked first; then
        they are applied in order (a proxy whose listen and upstream are unchanged is kept,
        with its toxics; a changed one is replaced), stopping at the first that fails. The
        proxies applied so far are returned with that failure."""
        body = [] if body is None else body
        if not isinstance(body, list):
            raise value_error(body, f"[]{POPULATE_TYPE}")
        entries = [ProxyFields.read(item, POPULATE_TYPE, "") for item in body]
        for index, fields in enumerate(entries, start=1):
            fields.require(f" at proxy {index}")
        applied: list[Proxy] = []
        async with self._lock:
            for fields in entries:
                try:
                    applied.append(await self._add_or_replace(fields))
                except ApiError as err:
                    return applied, err
        return applied, None

    async def _add_or_replace(self, fields: ProxyFields) -> Proxy:
        existing = self.proxies.get(fields.name)
        if existing is not None:
            same = (
                resolve_listen(fields.listen) == existing.listen
                and fields.upstream == existing.upstream
                and fields.transport is existing.transport
            )
            if same:
                return existing
            await existing.stop()
        proxy = self.build(fields)
        if fields.enabled:
            await proxy.start()
        self.proxies[proxy.name] = proxy
        return proxy

    async def close(self) -> None:
        for proxy in list(self.proxies.values()):
            await proxy.stop()
        self.proxies.clear()

    def all(self) -> Iterable[Proxy]:
        return self.proxies.values()


@dataclass(frozen=True)
class ProxyFields:
    """A proxy as a request gives it, read with Go's defaults and type errors."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    transport: Transport

    @classmethod
    def read(cls, body: Any, go_type: str, struct: str) -> ProxyFields:
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise value_error(body, go_type)
        transport_text = string_field(body, "protocol", struct, "tcp")  # our UDP extension
        if transport_text not in set(Transport):
            raise BAD_REQUEST_BODY.joined(f"protocol must be tcp or udp, got {transport_text!r}")
        return cls(
            name=string_field(body, "name", struct),
            # Toxiproxy binds every interface when listen is left out; we keep to loopback.
            listen=string_field(body, "listen", struct) or "127.0.0.1:0",
            upstream=string_field(body, "upstream", struct),
            enabled=bool_field(body, "enabled", struct, True),
            transport=Transport(transport_text),
        )

    def require(self, where: str = "") -> None:
        if not self.name:
            raise MISSING_FIELD.joined(f"name{where}")
        if not self.upstream:
            raise MISSING_FIELD.joined(f"upstream{where}")
