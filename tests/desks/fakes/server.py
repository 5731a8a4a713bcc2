"""The base of every fake desk: an aiohttp app on 127.0.0.1 port 0 with injectable failures.

``fail_next("429", "500", "echo500", "garbage", "timeout")`` makes the next requests fail that
way, in order, before the real handler runs: how the tests show the adapters survive a bad desk
(``echo500`` puts the request's ``Authorization`` header in its error page).
``"lost@POST"`` lets the next POST act and then holds its answer past the client's timeout:
the desk did it, the client never heard.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web


@dataclass(frozen=True)
class Exchange:
    """One request a fake served and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int
    answer: Any = None
    answer_headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def stamp(moment: datetime | None = None) -> str:
    """A desk timestamp as Zendesk/Freshdesk/GitHub write it: ``2026-11-22T03:00:00Z``."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeServer:
    """An aiohttp application with failure injection and a request log."""

    def __init__(self) -> None:
        self.app = web.Application(middlewares=[self._middleware])
        self.faults: list[str] = []
        self.hang_s = 2.0
        self.require_auth: str | None = None
        """When set, any other ``Authorization`` header is answered 401, as a desk does."""
        self.log: list[tuple[str, str]] = []
        self.bodies: list[bytes] = []
        """Every request body received, raw: what a desk would store as the ticket."""
        self.auth_headers: list[str] = []
        self.exchanges: list[Exchange] = []
        """Every request and its answer (JSON decoded), for the contract tests."""
        self._runner: web.AppRunner | None = None
        self.port = 0

    def fail_next(self, *kinds: str) -> None:
        self.faults.extend(kinds)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.log.append((request.method, request.path_qs))
        self.auth_headers.append(request.headers.get("Authorization", ""))
        raw = await request.read() if request.can_read_body else None
        if raw is not None:
            self.bodies.append(raw)  # cached: the handler reads it again
        date = {"Date": format_datetime(datetime.now(UTC), usegmt=True)}
        if self.require_auth is not None and request.headers.get("Authorization") != (
            self.require_auth
        ):
            return web.json_response({"error": "Unauthorized"}, status=401, headers=date)
        kind = ""
        if self.faults:
            wanted, _, method = self.faults[0].partition("@")
            if not method or method == request.method:
                kind = wanted
                self.faults.pop(0)
            if kind == "429":
                return web.json_response(
                    {"error": "TooManyRequests"}, status=429, headers={**date, "Retry-After": "7"}
                )
            if kind == "echo500":
                # A careless proxy that puts the request's credentials in its error page.
                got = request.headers.get("Authorization", "")
                return web.Response(status=500, text=f"upstream error for {got}", headers=date)
            if kind == "500":
                return web.Response(status=500, text="Internal Server Error", headers=date)
            if kind == "503":
                return web.Response(status=503, text="<html>maintenance</html>", headers=date)
            if kind == "garbage":
                return web.Response(
                    status=200, text="<html>not json", content_type="application/json"
                )
            if kind == "timeout":
                await asyncio.sleep(self.hang_s)
        response = await handler(request)
        response.headers.setdefault("Date", date["Date"])
        self._record(request, response, raw)
        if kind == "lost":
            # The desk has acted; its answer arrives too late for the client.
            await asyncio.sleep(self.hang_s)
        return response

    def _record(
        self, request: web.Request, response: web.StreamResponse, body: bytes | None
    ) -> None:
        def decoded(raw: object) -> object:
            if not isinstance(raw, bytes | bytearray) or not raw.strip():
                return None
            try:
                return json.loads(raw)
            except ValueError:
                return None

        self.exchanges.append(
            Exchange(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=decoded(body),
                status=response.status,
                answer=decoded(getattr(response, "body", None)),
                answer_headers=dict(response.headers),
            )
        )

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        return self.url

    def link(self, request: web.Request, **query: str) -> str:
        """The absolute URL of ``request`` with ``query`` changed: a next-page link.

        Built from our own address (``request.url`` trips over yarl under coverage).
        """
        return f"{self.url}{request.path}?{urlencode({**request.query, **query})}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
