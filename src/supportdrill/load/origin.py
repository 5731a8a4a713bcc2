"""A surge target on loopback: WHIP ingest, WHEP, HLS/LL-HLS and HTTP-FLV playback with limits.

A drill needs something to surge against that fails the way a vendor's edge does when a stream
goes viral. :class:`SurgeOrigin` is that, in miniature (aiohttp + aiortc, 127.0.0.1 only):

- ``POST /whip`` takes the published stream (RFC 9725 answer, ``Location``); ``POST /whep``
  plays it to a receive-only viewer (aiortc's ``MediaRelay`` fan-out); ``DELETE`` on a
  session's ``Location`` ends it. The same exchange as tests/media/whip_server.py.
- ``GET /hls/live.m3u8`` is a live playlist of one-second segments (``/hls/seg{N}.ts``); with
  ``?_HLS_msn=`` or ``/hls/ll.m3u8`` it is an LL-HLS playlist with parts; ``GET /flv/live.flv``
  is an endless HTTP-FLV stream. Their bytes are synthetic, their pacing is real.

Its :class:`OriginLimits` are an edge's: ``capacity`` viewers are served at full quality (every
open WHEP session and every HLS/FLV viewer seen in the last two segments counts); above it every
WebRTC viewer's video is thinned to ``capacity / viewers`` of its frames (the probe stream sees its
frame rate fall) and every HTTP response waits in proportion to the overload; above
``max_viewers`` joins are refused with 503; more than ``max_offers_per_s`` offers a second are
refused with 503 too (a signalling tier that cannot keep up). A surge past capacity thus
degrades the stream and fails joins, which is what a drill has to show.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass
from types import TracebackType

from aiohttp import web
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

from ..media.ice import LOOPBACK, loopback_candidates

SDP_TYPE = "application/sdp"
FLV_HEADER = b"FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00"
"""FLV signature, version 1, video only, header size 9, then PreviousTagSize0."""


@dataclass(frozen=True)
class OriginLimits:
    """Where the origin stops serving everyone well."""

    capacity: int = 8
    """Viewers served at full quality."""
    max_viewers: int = 16
    """Viewers beyond this are refused (503)."""
    max_offers_per_s: float = 50.0
    """WHEP offers a second the signalling tier answers; more are refused (503)."""
    segment_s: float = 1.0
    bitrate_kbps: int = 400
    """Of the HLS segments and the FLV stream."""

    def __post_init__(self) -> None:
        if not 1 <= self.capacity <= self.max_viewers:
            raise ValueError("need 1 <= capacity <= max_viewers")


class ThinnedTrack(MediaStreamTrack):
    """A viewer's video: the relayed frames, of which only ``share()`` get through."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, origin: SurgeOrigin) -> None:
        super().__init__()
        self._source = source
        self._origin = origin
        self._credit = 0.0

    async def recv(self):  # type: ignore[no-untyped-def]  # aiortc's own signature is untyped
        while True:
            frame = await self._source.recv()
            self._credit += self._origin.share()
            if self._credit >= 1.0:
                self._credit -= 1.0
                return frame

    def stop(self) -> None:
        super().stop()
        self._source.stop()


class SurgeOrigin:
    """``async with SurgeOrigin(limits) as origin``: ``origin.whip_url``, ``whep_url``,
    ``hls_url``, ``ll_hls_url``, ``flv_url``."""

    def __init__(
        self, limits: OriginLimits | None = None, *, host: str = LOOPBACK, port: int = 0
    ) -> None:
        self.limits = limits or OriginLimits()
        self.host = host
        self.port = port
        self.sessions: dict[str, RTCPeerConnection] = {}
        self.refused: dict[str, int] = {}
        """Refusals by reason, for tests and the origin's log."""
        self._ingest: list[MediaStreamTrack] = []
        self._relay = MediaRelay()
        self._ids = itertools.count(1)
        self._offers: deque[float] = deque()
        self._http_viewers: dict[str, float] = {}
        self._flv_open = 0
        self._started = time.monotonic()
        app = web.Application()
        app.router.add_post("/whip", self._whip)
        app.router.add_post("/whep", self._whep)
        app.router.add_delete("/{kind:whip|whep}/{id}", self._delete)
        app.router.add_get("/hls/live.m3u8", self._playlist)
        app.router.add_get("/hls/ll.m3u8", self._ll_playlist)
        app.router.add_get("/hls/{name}", self._segment)
        app.router.add_get("/flv/live.flv", self._flv)
        self._runner = web.AppRunner(app)
        self.base_url = ""

    # -- addresses ---------------------------------------------------------------------------

    @property
    def whip_url(self) -> str:
        return f"{self.base_url}/whip"

    @property
    def whep_url(self) -> str:
        return f"{self.base_url}/whep"

    @property
    def hls_url(self) -> str:
        return f"{self.base_url}/hls/live.m3u8"

    @property
    def ll_hls_url(self) -> str:
        return f"{self.base_url}/hls/ll.m3u8"

    @property
    def flv_url(self) -> str:
        return f"{self.base_url}/flv/live.flv"

    async def __aenter__(self) -> SurgeOrigin:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://{self.host}:{port}"
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

    # -- load --------------------------------------------------------------------------------

    def viewers(self) -> int:
        """Everyone the edge serves now: WHEP sessions, recent HLS viewers, open FLV streams."""
        horizon = time.monotonic() - 2 * self.limits.segment_s
        for key in [key for key, seen in self._http_viewers.items() if seen < horizon]:
            del self._http_viewers[key]
        whep = sum(1 for path in self.sessions if path.startswith("/whep/"))
        return whep + len(self._http_viewers) + self._flv_open

    def share(self) -> float:
        """The part of full quality each viewer gets (1.0 up to capacity)."""
        return min(1.0, self.limits.capacity / max(self.viewers(), 1))

    def _refuse(self, status: int, reason: str) -> web.Response:
        self.refused[reason] = self.refused.get(reason, 0) + 1
        return web.Response(status=status, text=reason)

    def _full(self, joining: bool) -> bool:
        return joining and self.viewers() >= self.limits.max_viewers

    def _offer_allowed(self) -> bool:
        now = time.monotonic()
        while self._offers and self._offers[0] < now - 1.0:
            self._offers.popleft()
        if len(self._offers) >= self.limits.max_offers_per_s:
            return False
        self._offers.append(now)
        return True

    async def _overload_wait(self) -> None:
        viewers = self.viewers()
        if viewers > self.limits.capacity:
            excess = (viewers - self.limits.capacity) / self.limits.capacity
            await asyncio.sleep(min(excess * self.limits.segment_s, 10.0))

    # -- WebRTC ------------------------------------------------------------------------------

    async def _peer(
        self, request: web.Request, received: list[MediaStreamTrack] | None = None
    ) -> RTCPeerConnection | web.Response:
        if request.content_type != SDP_TYPE:
            return self._refuse(415, f"the offer must be {SDP_TYPE}")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        if received is not None:
            pc.on("track", received.append)  # fired while the offer is applied
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
        pc = await self._peer(request, received)
        if isinstance(pc, web.Response):
            return pc
        self._ingest = received  # the newest publisher is the one viewers get
        return await self._answer("whip", pc)

    async def _whep(self, request: web.Request) -> web.Response:
        if not self._offer_allowed():
            return self._refuse(503, "signalling overloaded")
        if self._full(joining=True):
            return self._refuse(503, "edge full")
        pc = await self._peer(request)
        if isinstance(pc, web.Response):
            return pc
        if not self._ingest:
            await pc.close()
            return self._refuse(409, "nothing is being published")
        for track in self._ingest:
            relayed = self._relay.subscribe(track, buffered=False)
            pc.addTrack(ThinnedTrack(relayed, self) if track.kind == "video" else relayed)
        return await self._answer("whep", pc)

    async def _delete(self, request: web.Request) -> web.Response:
        pc = self.sessions.pop(request.path, None)
        if pc is None:
            return self._refuse(404, "no such session")
        await pc.close()
        return web.Response(status=200)

    # -- HTTP playback -----------------------------------------------------------------------

    def _viewer_key(self, request: web.Request) -> str:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        return str(peer)

    def _sequence(self) -> int:
        return int((time.monotonic() - self._started) / self.limits.segment_s)

    async def _http_gate(self, request: web.Request) -> web.Response | None:
        key = self._viewer_key(request)
        if self._full(joining=key not in self._http_viewers):
            return self._refuse(503, "edge full")
        self._http_viewers[key] = time.monotonic()
        await self._overload_wait()
        return None

    async def _playlist(self, request: web.Request) -> web.Response:
        refused = await self._http_gate(request)
        if refused is not None:
            return refused
        latest = self._sequence()
        first = max(0, latest - 3)
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{max(1, round(self.limits.segment_s))}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        for number in range(first, latest):
            lines += [f"#EXTINF:{self.limits.segment_s:.3f},", f"seg{number}.ts"]
        return web.Response(
            text="\n".join(lines) + "\n", content_type="application/vnd.apple.mpegurl"
        )

    async def _ll_playlist(self, request: web.Request) -> web.Response:
        refused = await self._http_gate(request)
        if refused is not None:
            return refused
        latest = self._sequence()
        first = max(0, latest - 3)
        part = self.limits.segment_s / 4
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:9",
            f"#EXT-X-TARGETDURATION:{max(1, round(self.limits.segment_s))}",
            f"#EXT-X-PART-INF:PART-TARGET={part:.3f}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        for number in range(first, latest):
            lines += [f"#EXTINF:{self.limits.segment_s:.3f},", f"seg{number}.ts"]
        done = int(((time.monotonic() - self._started) % self.limits.segment_s) / part)
        lines += [f'#EXT-X-PART:DURATION={part:.3f},URI="seg{latest}.{n}.ts"' for n in range(done)]
        return web.Response(
            text="\n".join(lines) + "\n", content_type="application/vnd.apple.mpegurl"
        )

    async def _segment(self, request: web.Request) -> web.StreamResponse:
        refused = await self._http_gate(request)
        if refused is not None:
            return refused
        parts = request.match_info["name"].count(".") == 2
        size = int(self.limits.bitrate_kbps * 125 * self.limits.segment_s / (4 if parts else 1))
        response = web.StreamResponse(headers={"Content-Type": "video/mp2t"})
        response.content_length = size
        await response.prepare(request)
        chunk = bytes(188) * 64
        sent = 0
        while sent < size:
            piece = chunk[: size - sent]
            await response.write(piece)
            sent += len(piece)
        return response

    async def _flv(self, request: web.Request) -> web.StreamResponse:
        if self._full(joining=True):
            return self._refuse(503, "edge full")
        self._flv_open += 1
        try:
            await self._overload_wait()
            response = web.StreamResponse(headers={"Content-Type": "video/x-flv"})
            await response.prepare(request)
            await response.write(FLV_HEADER)
            fps = 25
            size = max(16, self.limits.bitrate_kbps * 125 // fps)
            stamp = 0
            while True:
                # A video tag: type 9, data size, timestamp (ms), stream id 0, then its size.
                ms = stamp * 1000 // fps
                stamp += 1
                header = bytes([9]) + size.to_bytes(3, "big") + (ms & 0xFFFFFF).to_bytes(3, "big")
                header += bytes([(ms >> 24) & 0xFF, 0, 0, 0])
                await response.write(header + bytes(size) + (size + 11).to_bytes(4, "big"))
                await asyncio.sleep(1 / (fps * self.share()))
        finally:
            # The loop ends only when the viewer goes (a reset connection, a cancelled handler).
            self._flv_open -= 1
