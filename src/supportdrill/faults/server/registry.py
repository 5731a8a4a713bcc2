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
)

VERSION = "2.12.0"
"""The Toxiproxy release whose API we speak; ``/version`` reports it."""


class ApiError(Exception):
    """An answer with Toxiproxy's ``{"error": ..., "status": ...}`` body."""

    def __init__(self, message: str, status: int) -> None:
        self.message = message
        self.status = status
        super().__init__(message)

    def joined(self, detail: str) -> ApiError:
        return ApiError(f"{self.message}: {detail}", self.status)


# The texts are api.go's, word for word.
BAD_REQUEST_BODY = ApiError("bad request body", 400)
MISSING_FIELD = ApiError("missing required field", 400)
PROXY_NOT_FOUND = ApiError("proxy not found", 404)
PROXY_EXISTS = ApiError("proxy already exists", 409)
INVALID_STREAM = ApiError("stream was invalid, can be either upstream or downstream", 400)
INVALID_TOXIC_TYPE = ApiError("invalid toxic type", 400)
TOXIC_EXISTS = ApiError("toxic already exists", 409)
TOXIC_NOT_FOUND = ApiError("toxic not found", 404)

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

    def __post_init__(self) -> None:
        # Links key their per-connection state on this, so an update is seen as the same toxic.
        self.serial = next(_serial)

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": str(self.direction),
            "toxicity": self.toxicity,
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
        data["toxics"] = [t.to_json() for t in self.toxics]
        return data

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
        if not isinstance(body, dict):
            raise BAD_REQUEST_BODY.joined(_json_type_error(body, "toxics.ToxicWrapper"))
        stream_text = body.get("stream", "downstream")
        if stream_text == "":
            stream_text = "downstream"
        if stream_text not in ("upstream", "downstream"):
            raise INVALID_STREAM
        toxic_type = body.get("type", "")
        name = body.get("name") or f"{toxic_type}_{stream_text}"
        if not isinstance(toxic_type, str) or not isinstance(name, str):
            raise BAD_REQUEST_BODY.joined("json: name and type must be strings")
        try:
            attributes = check_attributes(self.transport, toxic_type, _attrs(body))
        except ToxicInvalid as exc:
            if exc.field == "type":
                raise INVALID_TOXIC_TYPE from exc
            raise BAD_REQUEST_BODY.joined(str(exc)) from exc
        if self.find(name) is not None:
            raise TOXIC_EXISTS
        toxicity = _toxicity(body.get("toxicity", 1.0))
        toxic = Toxic(name, toxic_type, Direction(stream_text), toxicity, attributes)
        self.toxics.append(toxic)
        self.toxics_changed()
        return toxic

    def update_toxic(self, name: str, body: Any) -> Toxic:
        toxic = self.find(name)
        if toxic is None:
            raise TOXIC_NOT_FOUND
        if not isinstance(body, dict):
            raise BAD_REQUEST_BODY.joined(_json_type_error(body, "struct"))
        try:
            attributes = check_attributes(
                self.transport, toxic.type, _attrs(body), base=toxic.attributes
            )
        except ToxicInvalid as exc:
            raise BAD_REQUEST_BODY.joined(str(exc)) from exc
        toxicity = _toxicity(body.get("toxicity", toxic.toxicity))
        toxic.attributes = attributes
        toxic.toxicity = toxicity
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


def _attrs(body: Mapping[str, Any]) -> Mapping[str, object]:
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise BAD_REQUEST_BODY.joined(_json_type_error(attributes, "attributes"))
    return attributes


def _toxicity(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BAD_REQUEST_BODY.joined(_json_type_error(value, "toxicity of type float32"))
    # Toxiproxy accepts any float here; a toxicity outside 0..1 is meaningless, so we refuse it
    # in the same shape as its validated-toxic errors.
    if not 0.0 <= float(value) <= 1.0:
        raise BAD_REQUEST_BODY.joined(f"toxicity must be between 0 and 1, got {value}")
    return float(value)


def _json_type_error(value: object, target: str) -> str:
    kind = {dict: "object", list: "array", str: "string", bool: "bool"}.get(type(value), "number")
    return f"json: cannot unmarshal {kind} into Go value of type {target}"


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

    def build(self, body: Mapping[str, Any], where: str = "") -> tuple[Proxy, bool]:
        name, upstream = body.get("name") or "", body.get("upstream") or ""
        if not isinstance(name, str) or not isinstance(upstream, str):
            raise BAD_REQUEST_BODY.joined("json: name and upstream must be strings")
        if not name:
            raise MISSING_FIELD.joined(f"name{where}")
        if not upstream:
            raise MISSING_FIELD.joined(f"upstream{where}")
        listen = body.get("listen") or "127.0.0.1:0"
        enabled = body.get("enabled", True)
        protocol_text = body.get("protocol", "tcp")
        if protocol_text not in ("tcp", "udp") or not isinstance(listen, str):
            raise BAD_REQUEST_BODY.joined(f"protocol must be tcp or udp, got {protocol_text!r}")
        if not isinstance(enabled, bool):
            raise BAD_REQUEST_BODY.joined(_json_type_error(enabled, "bool"))
        proxy = self._factories[Transport(protocol_text)](name, listen, upstream)
        return proxy, enabled

    async def create(self, body: Any) -> Proxy:
        if not isinstance(body, dict):
            raise BAD_REQUEST_BODY.joined(_json_type_error(body, "toxiproxy.Proxy"))
        proxy, enabled = self.build(body)
        async with self._lock:
            if proxy.name in self.proxies:
                raise PROXY_EXISTS
            if enabled:
                await proxy.start()
            self.proxies[proxy.name] = proxy
        return proxy

    async def update(self, name: str, body: Any) -> Proxy:
        """Toxiproxy's proxy.Update: a new listen or upstream restarts the listener, ``enabled``
        defaults to what it was, and the toxics stay."""
        proxy = self.get(name)
        if not isinstance(body, dict):
            raise BAD_REQUEST_BODY.joined(_json_type_error(body, "toxiproxy.Proxy"))
        listen = body.get("listen", proxy.listen)
        upstream = body.get("upstream", proxy.upstream)
        enabled = body.get("enabled", proxy.enabled)
        for text in (listen, upstream):
            if not isinstance(text, str):
                raise BAD_REQUEST_BODY.joined(_json_type_error(text, "string"))
        if not isinstance(enabled, bool):
            raise BAD_REQUEST_BODY.joined(_json_type_error(enabled, "bool"))
        async with self._lock:
            if (listen, upstream) != (proxy.listen, proxy.upstream):
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

    async def populate(self, body: Any) -> list[Proxy]:
        """Create or replace proxies in bulk; all are checked before any is changed."""
        if not isinstance(body, list):
            raise BAD_REQUEST_BODY.joined(_json_type_error(body, "[]struct"))
        planned: list[tuple[Proxy, bool]] = []
        seen: set[str] = set()
        for index, item in enumerate(body, start=1):
            if not isinstance(item, dict):
                raise BAD_REQUEST_BODY.joined(_json_type_error(item, "struct"))
            proxy, enabled = self.build(item, f" at proxy {index}")
            if proxy.name in seen:
                raise ApiError(f"duplicate proxy name {proxy.name!r}", 500)
            seen.add(proxy.name)
            planned.append((proxy, enabled))
        result = []
        async with self._lock:
            for proxy, enabled in planned:
                existing = self.proxies.get(proxy.name)
                if existing is not None:
                    if (existing.listen, existing.upstream, existing.transport) == (
                        _requested(proxy, existing),
                        proxy.upstream,
                        proxy.transport,
                    ):
                        result.append(existing)
                        continue
                    await existing.stop()
                if enabled:
                    await proxy.start()
                self.proxies[proxy.name] = proxy
                result.append(proxy)
        return result

    async def close(self) -> None:
        for proxy in list(self.proxies.values()):
            await proxy.stop()
        self.proxies.clear()

    def all(self) -> Iterable[Proxy]:
        return self.proxies.values()


def _requested(new: Proxy, existing: Proxy) -> str:
    # A port-0 request matches the ephemeral port the existing proxy was given.
    if new.listen.endswith(":0") and existing.listen.rsplit(":", 1)[0] == new.listen[:-2]:
        return existing.listen
    return new.listen
