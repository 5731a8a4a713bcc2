"""FaultBackend over a Toxiproxy server (real, or our embedded one) through toxiproxy-python.

toxiproxy-python is what our users' tooling already speaks, so changes go through it. It has
no timeouts, keeps the server's host and port on a class, raises only on 400/404/409 and lets
other errors pass silently. So: calls run in a worker thread under one lock (the class is
shared), every request gets a timeout and is recorded, a recorded error status becomes
:class:`FaultRejected`, and the base class reads every change back. What the library lacks
(toxic update via PATCH, proxy update, the ``transport`` field of our UDP extension, one-call
state) goes through httpx against the same server.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import requests
import toxiproxy
import toxiproxy.api
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from ..definitions.toxics import Transport
from ..errors import FaultBackendUnavailable, FaultRejected, InvalidConfiguration
from .base import TRANSPORTS_HEADER, FaultBackend, ProxyState, ToxicSpec

T = TypeVar("T")
ENV_URL = "TOXIPROXY_URL"

_LOCK = threading.Lock()
_CALL = threading.local()


class _TimedRequests:
    """Stands in for ``requests`` inside toxiproxy-python: adds a timeout, keeps the response."""

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", getattr(_CALL, "timeout", 10.0))
        response = requests.request(method, url, **kwargs)
        _CALL.last = response
        return response

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._send("POST", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self._send("DELETE", url, **kwargs)


toxiproxy.api.requests = _TimedRequests()


def _message(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(data, dict) and "error" in data:
        return str(data["error"])
    return text.strip()


class ToxiproxyBackend(FaultBackend):
    """A Toxiproxy-API server at ``url`` (``http://host:port``)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise InvalidConfiguration(
                f"{ENV_URL}={url!r}: expected http://HOST:PORT, e.g. http://127.0.0.1:8474"
            )
        self.url = f"http://{parts.netloc}"
        self._host, self._port = parts.hostname, parts.port
        self._timeout = timeout
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout)

    @classmethod
    def from_env(cls, *, timeout: float = 10.0) -> ToxiproxyBackend | None:
        """The server ``TOXIPROXY_URL`` names, or None when it is unset."""
        url = os.environ.get(ENV_URL, "").strip()
        return cls(url, timeout=timeout) if url else None

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- toxiproxy-python, off the event loop ------------------------------------------------

    async def _library(self, action: str, call: Callable[[], T]) -> T:
        def run() -> T:
            with _LOCK:
                toxiproxy.api.APIConsumer.host = self._host
                toxiproxy.api.APIConsumer.port = self._port
                _CALL.timeout, _CALL.last = self._timeout, None
                try:
                    result = call()
                except (ProxyExists, NotFound, InvalidToxic) as exc:
                    status = {ProxyExists: 409, NotFound: 404, InvalidToxic: 400}[type(exc)]
                    body = exc.args[0] if exc.args else b""
                    raise FaultRejected(f"{action}: {_message(body)}", status=status) from exc
                except requests.RequestException as exc:
                    raise FaultBackendUnavailable(f"{action}: {self.url}: {exc}") from exc
                except (ValueError, KeyError, TypeError) as exc:
                    # The library read an error body as if it were a success.
                    last: requests.Response | None = _CALL.last
                    if last is not None and last.status_code >= 400:
                        raise FaultRejected(
                            f"{action}: {_message(last.content)}", status=last.status_code
                        ) from exc
                    raise FaultRejected(f"{action}: unreadable answer: {exc}") from exc
                last = _CALL.last
                if last is not None and last.status_code >= 400:
                    raise FaultRejected(
                        f"{action}: {_message(last.content)}", status=last.status_code
                    )
                return result

        try:
            return await asyncio.wait_for(asyncio.to_thread(run), self._timeout * 3)
        except TimeoutError as exc:
            raise FaultBackendUnavailable(f"{action}: {self.url} did not answer") from exc

    def _proxy(self, name: str) -> toxiproxy.Proxy:
        return toxiproxy.Proxy(name=name, upstream="", enabled=True, listen="")

    # -- httpx, for what the library lacks ---------------------------------------------------

    async def _request(self, action: str, method: str, path: str, body: Any = None) -> Any:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise FaultBackendUnavailable(f"{action}: {self.url}: {exc!r}") from exc
        if response.status_code >= 400:
            raise FaultRejected(
                f"{action}: {_message(response.content)}", status=response.status_code
            )
        return response.json() if response.content else None

    # -- the raw calls ---------------------------------------------------------------------

    async def version(self) -> str:
        raw = await self._library("version", lambda: toxiproxy.Toxiproxy().version())
        if raw is None:
            raise FaultBackendUnavailable(f"version: nothing listens at {self.url}")
        return str(json.loads(raw)["version"])

    async def transports(self) -> frozenset[Transport]:
        """TCP, plus UDP when the server says so (ours does, in a header a real one lacks)."""
        try:
            response = await self._http.get("/version")
        except httpx.TransportError as exc:
            raise FaultBackendUnavailable(f"version: {self.url}: {exc!r}") from exc
        named = response.headers.get(TRANSPORTS_HEADER, "tcp").split(",")
        return frozenset(Transport(t.strip()) for t in named if t.strip() in set(Transport))

    async def state(self) -> tuple[ProxyState, ...]:
        data = await self._request("list proxies", "GET", "/proxies")
        return tuple(ProxyState.from_json(item) for item in data.values())

    async def _create_proxy(
        self, name: str, listen: str, upstream: str, transport: Transport
    ) -> None:
        if transport is Transport.UDP:
            body = {"name": name, "listen": listen, "upstream": upstream, "protocol": "udp"}
            await self._request(f"create proxy {name!r}", "POST", "/proxies", body)
            return
        await self._library(
            f"create proxy {name!r}",
            lambda: toxiproxy.Toxiproxy().create(
                upstream=upstream, name=name, listen=listen, enabled=True
            ),
        )

    async def _add_toxic(self, proxy: str, toxic: ToxicSpec) -> None:
        await self._library(
            f"add toxic {toxic.name!r} to {proxy!r}",
            lambda: self._proxy(proxy).add_toxic(**toxic.to_json()),
        )

    async def _update_toxic(self, proxy: str, toxic: ToxicSpec) -> None:
        body = {"attributes": dict(toxic.attributes), "toxicity": toxic.toxicity}
        path = f"/proxies/{proxy}/toxics/{toxic.name}"
        await self._request(f"update toxic {toxic.name!r} on {proxy!r}", "PATCH", path, body)

    async def _remove_toxic(self, proxy: str, toxic_name: str) -> None:
        await self._library(
            f"remove toxic {toxic_name!r} from {proxy!r}",
            lambda: self._proxy(proxy).destroy_toxic(toxic_name),
        )

    async def _set_enabled(self, proxy: str, enabled: bool) -> None:
        target = self._proxy(proxy)
        await self._library(
            f"{'enable' if enabled else 'disable'} {proxy!r}",
            target.enable if enabled else target.disable,
        )

    async def _update_proxy(self, proxy: str, changes: Mapping[str, str | bool]) -> None:
        # toxiproxy-python can only flip ``enabled``; the update itself is Toxiproxy's API.
        path = f"/proxies/{proxy}"
        await self._request(f"update proxy {proxy!r}", "POST", path, dict(changes))

    async def _delete_proxy(self, proxy: str) -> None:
        await self._library(f"delete proxy {proxy!r}", lambda: self._proxy(proxy).destroy())
