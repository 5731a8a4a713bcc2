"""Real receivers on loopback for the alert tests: an HTTP webhook endpoint (aiohttp) that
checks signatures, and a small SMTP server (RFC 5321 commands over asyncio streams)."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass, field
from types import TracebackType

from aiohttp import web

from supportdrill.schedule.alerts import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    signed_ok: bool


@dataclass
class WebhookReceiver:
    key: bytes
    fail_first: int = 0
    status_when_failing: int = 503
    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    url: str = ""

    async def _hook(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        if self.attempts <= self.fail_first:
            return web.Response(status=self.status_when_failing, text="not now")
        ok = verify_signature(
            self.key,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            now=time.time(),
        )
        self.received.append(Received(body, dict(request.headers), ok))
        return web.Response(status=200 if ok else 401, text="ok" if ok else "bad signature")

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._runner.cleanup()


@dataclass
class SmtpSink:
    """Accepts mail (AUTH PLAIN too); ``busy_first`` sessions get a 451 at MAIL FROM."""

    busy_first: int = 0
    messages: list[bytes] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    sessions: int = 0
    port: int = 0

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.sessions += 1
        busy = self.sessions <= self.busy_first
        writer.write(b"220 sink ESMTP\r\n")
        try:
            while line := await reader.readline():
                command = line.decode().strip()
                verb = command.split(" ")[0].upper()
                if verb == "EHLO":
                    writer.write(b"250-sink\r\n250 AUTH PLAIN\r\n")
                elif verb == "AUTH":
                    _, user, password = base64.b64decode(command.split()[2]).split(b"\0")
                    self.logins.append((user.decode(), password.decode()))
                    writer.write(b"235 ok\r\n")
                elif verb == "MAIL":
                    writer.write(b"451 busy, try later\r\n" if busy else b"250 ok\r\n")
                elif verb == "DATA":
                    writer.write(b"354 go on\r\n")
                    await writer.drain()
                    data = bytearray()
                    while (chunk := await reader.readline()) != b".\r\n":
                        data += chunk
                    self.messages.append(bytes(data))
                    writer.write(b"250 queued\r\n")
                elif verb == "QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"250 ok\r\n")
                await writer.drain()
        finally:
            writer.close()

    async def __aenter__(self) -> SmtpSink:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.close()
        await self._server.wait_closed()
