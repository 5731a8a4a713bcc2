"""A small WHIP ingest + WHEP playback server on 127.0.0.1, for the whip target's tests.

A real media server in miniature (aiohttp + aiortc): ``POST /whip`` answers a publisher's offer
(RFC 9725: ``201 Created``, ``Location``, SDP answer) and keeps its tracks; ``POST /whep``
answers a receive-only offer with those tracks, fanned out by aiortc's ``MediaRelay``;
``DELETE`` on a session's ``Location`` closes it. Every request must carry the Bearer token.
Its own candidates are loopback only, so a test never touches another interface.
"""

from __future__ import annotations

import itertools
import time
from types import TracebackType

from aiohttp import web
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.jitterbuffer import JitterBuffer

from supportdrill.media.ice import LOOPBACK, loopback_candidates

SDP_TYPE = "application/sdp"
_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"


class WhipServer:
    """``async with WhipServer(token) as server``: ``server.whip_url``, ``server.whep_url``."""

    def __init__(self, token: str | None = None, *, playback_after_s: float = 0.0) -> None:
        self.token = token
        self.playback_after_s = playback_after_s
        """WHEP answers 409 until this long after the newest WHIP session began (as a
        vendor's playback may, until the ingest's media has reached it)."""
        self._ingest_at = 0.0
        self.sessions: dict[str, RTCPeerConnection] = {}
        """Open sessions by path (``/whip/1``, ``/whep/2``)."""
        self.deleted: list[str] = []
        self.refused: list[int] = []
        """Status of every request refused (401, 404, 409, 415)."""
        self._ingest: list[MediaStreamTrack] = []
        self._relay = MediaRelay()
        self._ids = itertools.count(1)
        app = web.Application()
        app.router.add_post("/whip", self._whip)
        app.router.add_post("/whep", self._whep)
        app.router.add_delete("/{kind:whip|whep}/{id}", self._delete)
        self._runner = web.AppRunner(app)
        self.base_url = ""

    @property
    def whip_url(self) -> str:
        return f"{self.base_url}/whip"

    @property
    def whep_url(self) -> str:
        return f"{self.base_url}/whep"

    async def __aenter__(self) -> WhipServer:
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://{LOOPBACK}:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for pc in list(self.sessions.values()):
            await pc.close()
        self.sessions.clear()
        await self._runner.cleanup()

    def _refuse(self, status: int, text: str) -> web.Response:
        self.refused.append(status)
        return web.Response(status=status, text=text)

    def _check(self, request: web.Request) -> web.Response | None:
        if self.token is not None and request.headers.get("Authorization") != (
            f"Bearer {self.token}"
        ):
            return self._refuse(401, "unauthorized: a valid Bearer token is required")
        return None

    async def _offer(
        self, request: web.Request, received: list[MediaStreamTrack] | None = None
    ) -> RTCPeerConnection | web.Response:
        """A peer with the request's offer applied, or the refusal to send instead."""
        refused = self._check(request)
        if refused is not None:
            return refused
        if request.content_type != SDP_TYPE:
            return self._refuse(415, f"the offer must be {SDP_TYPE}")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        if received is not None:
            pc.on("track", received.append)
        await pc.setRemoteDescription(RTCSessionDescription(await request.text(), "offer"))
        return pc

    async def _answer(self, kind: str, pc: RTCPeerConnection) -> web.Response:
        with loopback_candidates():
            await pc.setLocalDescription(await pc.createAnswer())
        path = f"/{kind}/{next(self._ids)}"
        self.sessions[path] = pc
        return web.Response(
            status=201,
            text=pc.localDescription.sdp,
            content_type=SDP_TYPE,
            headers={"Location": path},
        )

    async def _whip(self, request: web.Request) -> web.Response:
        received: list[MediaStreamTrack] = []
        pc = await self._offer(request, received)
        if isinstance(pc, web.Response):
            return pc
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "video":
                # aiortc's receiver holds a hole in the video for 512 packets (~15 s at this
                # bitrate) before giving up on it, so after heavy loss every viewer would lag
                # that far behind for good; a real media server forwards packets and never does.
                # 64 packets: a hole is given up (and a keyframe asked for) within ~2 s.
                setattr(transceiver.receiver, _JITTER_BUFFER, JitterBuffer(64, is_video=True))
        self._ingest = received  # the newest publisher is the one viewers get
        self._ingest_at = time.monotonic()
        return await self._answer("whip", pc)

    async def _whep(self, request: web.Request) -> web.Response:
        pc = await self._offer(request)
        if isinstance(pc, web.Response):
            return pc
        if not self._ingest or time.monotonic() - self._ingest_at < self.playback_after_s:
            await pc.close()
            return self._refuse(409, "nothing is being published")
        for track in self._ingest:
            pc.addTrack(self._relay.subscribe(track, buffered=False))
        return await self._answer("whep", pc)

    async def _delete(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        pc = self.sessions.pop(request.path, None)
        if pc is None:
            return self._refuse(404, "no such session")
        await pc.close()
        self.deleted.append(request.path)
        return web.Response(status=200)
