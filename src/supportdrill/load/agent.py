"""The media agent: full WebRTC viewers for a Locust process, in an asyncio process of its own.

A ``whep`` surge viewer is a real subscriber: WHEP offer, ICE, DTLS, SRTP and decoded video. That
is aiortc, which runs on asyncio; Locust runs its users as gevent greenlets in a monkey-patched
process, and the two degrade each other when they share one. So each Locust process that plays
``whep`` viewers starts one agent (``python -m supportdrill.load.agent``) and drives its viewers
over loopback HTTP:

- ``POST /viewers`` ``{"url", "timeout_s", "token_env"}`` joins one viewer and answers when its
  first video frame is decoded (or it failed): ``{"id", "ok", "first_ms", "failure"}``;
- ``GET /viewers/{id}`` ``{"frames", "idle_s"}``: is it still receiving;
- ``DELETE /viewers/{id}`` ends it (and its WHEP session).

The agent prints ``agent listening on http://127.0.0.1:PORT`` once ready and exits when its
standard input closes, so it never outlives the Locust process that started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from aiohttp import web
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

from ..errors import InvalidConfiguration, StreamError
from ..media.ice import LOOPBACK, loopback_candidates
from ..media.route import base_configuration
from ..media.whip import EndpointRefused, WhipClient
from ..secrets import SecretValue, resolve_secret

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass
class Viewer:
    pc: RTCPeerConnection
    client: WhipClient
    resource: str = ""
    frames: int = 0
    last_frame: float = field(default_factory=time.monotonic)
    drain: asyncio.Task[None] | None = None

    async def close(self) -> None:
        if self.drain is not None:
            self.drain.cancel()
        with contextlib.suppress(StreamError):
            if self.resource:
                await self.client.delete("WHEP", self.resource)
        await self.pc.close()
        await self.client.aclose()


def failure_kind(exc: BaseException) -> str:
    """The figures' name for why a join failed."""
    if isinstance(exc, EndpointRefused):
        return f"http_{exc.status}"
    if isinstance(exc, TimeoutError):
        return "timeout"
    text = str(exc)
    if "no answer within" in text:
        return "timeout"
    if "ConnectError" in text:
        return "connect_refused"
    return "error"


class Agent:
    """The viewers one Locust process has asked for."""

    def __init__(self) -> None:
        self.viewers: dict[str, Viewer] = {}
        self._ids = itertools.count(1)
        self._tokens: dict[str, SecretValue | None] = {}

    def _token(self, name: str | None) -> SecretValue | None:
        if not name:
            return None
        if name not in self._tokens:
            try:
                self._tokens[name] = resolve_secret("token", name, os.environ)
            except InvalidConfiguration:
                self._tokens[name] = None
        return self._tokens[name]

    async def join(self, url: str, timeout_s: float, token_env: str | None) -> dict[str, object]:
        started = time.perf_counter()
        pc = RTCPeerConnection(base_configuration())
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        viewer = Viewer(pc, WhipClient(self._token(token_env), timeout_s=timeout_s))
        video: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video" and not video.done():
                video.set_result(track)

        pc.on("track", on_track)
        try:
            async with asyncio.timeout(timeout_s):
                loopback = urlsplit(url).hostname in _LOOPBACK_HOSTS
                with loopback_candidates() if loopback else contextlib.nullcontext():
                    await pc.setLocalDescription(await pc.createOffer())
                resource, answer = await viewer.client.offer("WHEP", url, pc.localDescription.sdp)
                viewer.resource = urljoin(url, resource)
                await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
                track = await video
                await track.recv()
        except Exception as exc:  # every failure is a figure, not a crash of the agent
            await viewer.close()
            if pc.iceConnectionState == "failed":
                return {"ok": False, "failure": "ice_failed"}
            if isinstance(exc, TimeoutError) and viewer.resource:
                return {"ok": False, "failure": "no_media"}
            return {"ok": False, "failure": failure_kind(exc)}
        first_ms = (time.perf_counter() - started) * 1000.0
        viewer.frames = 1
        viewer.last_frame = time.monotonic()
        viewer.drain = asyncio.create_task(self._drain(viewer, track))
        key = str(next(self._ids))
        self.viewers[key] = viewer
        return {"ok": True, "id": key, "first_ms": first_ms}

    async def _drain(self, viewer: Viewer, track: MediaStreamTrack) -> None:
        with contextlib.suppress(Exception):
            while True:
                await track.recv()
                viewer.frames += 1
                viewer.last_frame = time.monotonic()

    # -- HTTP --------------------------------------------------------------------------------

    async def post(self, request: web.Request) -> web.Response:
        body = await request.json()
        result = await self.join(
            str(body["url"]), float(body.get("timeout_s", 10.0)), body.get("token_env")
        )
        return web.json_response(result)

    async def get(self, request: web.Request) -> web.Response:
        viewer = self.viewers.get(request.match_info["id"])
        if viewer is None:
            return web.json_response({"error": "no such viewer"}, status=404)
        idle = time.monotonic() - viewer.last_frame
        return web.json_response({"frames": viewer.frames, "idle_s": idle})

    async def delete(self, request: web.Request) -> web.Response:
        viewer = self.viewers.pop(request.match_info["id"], None)
        if viewer is not None:
            await viewer.close()
        return web.json_response({})

    async def close(self) -> None:
        for viewer in list(self.viewers.values()):
            await viewer.close()
        self.viewers.clear()


async def serve(host: str = LOOPBACK) -> None:
    """Serve until standard input closes (the Locust process that owns us is gone)."""
    agent = Agent()
    app = web.Application()
    app.router.add_post("/viewers", agent.post)
    app.router.add_get("/viewers/{id}", agent.get)
    app.router.add_delete("/viewers/{id}", agent.delete)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sys.stdout.write(f"agent listening on http://{host}:{port}\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, sys.stdin.read)
    finally:
        await agent.close()
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())
