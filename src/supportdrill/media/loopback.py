"""The loopback target: a publisher and a viewer peer in this process, media through a route.

:func:`create_stream` is the one call the runner makes to get the drill's test stream.

SDP is exchanged in-process. The viewer offers (receive-only) and is ICE-controlling; the
publisher answers with the stamped tracks. The route decides how the media crosses the fault
layer (:mod:`supportdrill.media.route`).

aiortc has no ICE restart, and a peer connection whose consent expired stays dead, so a
supervisor watches the pair: when a connection fails or no frame has arrived for the plan's
``dead_after``, it closes both peers and builds new ones (re-pointing the proxy at the new
publisher port), retrying until media flows again. Each such stretch is an :class:`Outage`:
stamped with the drill's clock, but measured in wall seconds, because an accelerated demo
clock runs faster than the media (and changes speed during a drill).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime

from aiortc import (
    MediaStreamTrack,
    RTCPeerConnection,
    RTCSessionDescription,
)

from ..errors import FaultError, StreamError
from ..spec.scenarios import MediaPath, StreamPlan, StreamTarget
from ..timeline import Clock
from .base import Outage, Stream
from .health import ConnectionFacts, HealthSampler, PeerCounters, read_counters
from .ice import (
    host_candidates,
    loopback_candidates,
    rewrite_candidate,
    strip_candidates,
    tolerate_rtt,
)
from .quality import FrameLog, HealthSample
from .route import (
    DirectRoute,
    MediaRoute,
    OwnProxies,
    ProxyBackend,
    ProxyOwner,
    TurnConfig,
    TurnTcpRoute,
    UdpProxyRoute,
)
from .tracks import AudioProbe, StampedVideoTrack, ToneTrack, VideoProbe
from .upkeep import ReceiverUpkeep, vp8_without_rtx

log = logging.getLogger(__name__)

CONSENT_TIMEOUT_S = 2.0
"""Consent checks survive an RTT up to this (aioice's own 0.5 s kills streams at high RTT)."""
SUPERVISE_EVERY_S = 0.25
RETRY_BACKOFF_S = (0.5, 1.0, 2.0, 4.0)


@dataclass
class _Peers:
    publisher: RTCPeerConnection
    viewer: RTCPeerConnection
    tracks: tuple[MediaStreamTrack, ...]
    generation: int
    offered_at: float
    connected_at: float | None = None
    first_frame_at: float | None = None

    @property
    def connected(self) -> bool:
        return self.publisher.connectionState == "connected" == self.viewer.connectionState

    @property
    def failed(self) -> bool:
        return any(
            pc.connectionState in ("failed", "closed") for pc in (self.publisher, self.viewer)
        )

    async def close(self) -> None:
        for track in self.tracks:
            track.stop()
        for pc in (self.viewer, self.publisher):
            with contextlib.suppress(Exception):  # closing a half-built peer may raise anything
                await pc.close()


class LoopbackStream(Stream):
    """Publisher and viewer peers on 127.0.0.1, media through ``route``."""

    def __init__(
        self,
        plan: StreamPlan,
        route: MediaRoute,
        *,
        clock: Clock | None = None,
        connect_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(plan, clock)
        self.route = route
        self.connect_timeout_s = connect_timeout_s
        tolerate_rtt(CONSENT_TIMEOUT_S)
        self._video_log = FrameLog(nominal_fps=plan.fps) if plan.video else None
        self._audio_log = FrameLog(nominal_fps=50.0) if plan.audio else None
        self._video_probe = VideoProbe(self._video_log) if self._video_log else None
        self._audio_probe = AudioProbe(self._audio_log) if self._audio_log else None
        self._sampler = HealthSampler(plan, self._video_log, self._audio_log)
        self._peers: _Peers | None = None
        self._generation = 0
        self._outages: list[Outage] = []
        self._outage_began: list[float] = []
        """``time.monotonic()`` of each outage's last frame, parallel to ``_outages``."""
        self._media_mark: float | None = None
        self._media_seen_at: datetime | None = None
        """The drill clock at the supervisor tick that last saw media arrive."""
        self._supervisor: asyncio.Task[None] | None = None
        self._stopped = False
        self._connect_ms: float | None = None
        self._first_frame_ms: float | None = None
        self._upkeep = ReceiverUpkeep()

    # -- the Stream interface --------------------------------------------------------------

    @property
    def media_proxies(self) -> tuple[str, ...]:
        return self.route.proxy_names

    @property
    def outages(self) -> tuple[Outage, ...]:
        return tuple(self._outages)

    async def start(self) -> None:
        if self._supervisor is not None:
            raise StreamError("the stream is already started")
        try:
            await self.route.open()
            self._peers = await self._establish()
        except BaseException:
            await self.stop()
            raise
        self._supervisor = asyncio.create_task(self._supervise(), name="stream-supervisor")

    async def health(self) -> HealthSample:
        peers = self._peers
        counters = PeerCounters()
        if peers is not None:
            try:
                viewer_stats = (await peers.viewer.getStats()).values()
                publisher_stats = (await peers.publisher.getStats()).values()
                counters = read_counters(viewer_stats, publisher_stats)
            except Exception as exc:  # a peer closing under us: a sample without counters
                log.debug("getStats failed: %s", exc)
        facts = ConnectionFacts(
            connected=peers is not None and peers.connected,
            generation=peers.generation if peers else -1,
            connect_ms=self._connect_ms,
            first_frame_ms=self._first_frame_ms,
            reconnects=sum(1 for outage in self._outages if outage.ended_at is not None),
            outage_s=self._outage_seconds(),
        )
        return self._sampler.sample(self.clock.now(), facts, counters)

    async def stop(self) -> None:
        self._stopped = True
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        peers, self._peers = self._peers, None
        if peers is not None:
            await peers.close()
        for probe in (self._video_probe, self._audio_probe):
            if probe is not None:
                await probe.close()
        await self.route.close()

    # -- peers -----------------------------------------------------------------------------

    async def _establish(self) -> _Peers:
        """New peers, connected and with a first frame, or :class:`StreamError`."""
        self._generation += 1
        route = self.route
        viewer = RTCPeerConnection(route.viewer_configuration())
        publisher = RTCPeerConnection(route.publisher_configuration())
        tracks: list[MediaStreamTrack] = []
        peers = _Peers(publisher, viewer, (), self._generation, time.monotonic())
        changed = asyncio.Event()

        @viewer.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            probe = self._video_probe if track.kind == "video" else self._audio_probe
            if probe is not None:
                probe.attach(track)

        for pc in (viewer, publisher):
            pc.on("connectionstatechange", changed.set)
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                if self.plan.video:
                    transceiver = viewer.addTransceiver("video", direction="recvonly")
                    transceiver.setCodecPreferences(vp8_without_rtx())
                    tracks.append(
                        StampedVideoTrack(self.plan.width, self.plan.height, self.plan.fps)
                    )
                if self.plan.audio:
                    viewer.addTransceiver("audio", direction="recvonly")
                    tracks.append(ToneTrack(self.plan.tone_hz))
                peers.tracks = tuple(tracks)
                with loopback_candidates():
                    await viewer.setLocalDescription(await viewer.createOffer())
                    offer = viewer.localDescription.sdp
                    if route.hides_viewer:
                        offer = strip_candidates(offer)
                    await publisher.setRemoteDescription(RTCSessionDescription(offer, "offer"))
                    for track in tracks:
                        publisher.addTrack(track)
                    await publisher.setLocalDescription(await publisher.createAnswer())
                answer = publisher.localDescription.sdp
                candidates = host_candidates(answer)
                if not candidates:
                    raise StreamError("the publisher gathered no loopback host candidate")
                redirect = await route.publisher_ready(candidates[0])
                if redirect is not None:
                    answer = rewrite_candidate(answer, candidates[0], redirect)
                await viewer.setRemoteDescription(RTCSessionDescription(answer, "answer"))
                while not peers.connected:
                    if peers.failed:
                        raise StreamError("ICE/DTLS failed between publisher and viewer")
                    changed.clear()
                    await changed.wait()
                peers.connected_at = time.monotonic()
                while (first := self._first_frame()) is None or first < peers.offered_at:
                    await asyncio.sleep(0.01)
                peers.first_frame_at = first
        except TimeoutError as exc:
            await peers.close()
            raise StreamError(
                f"no media within {self.connect_timeout_s:g} s "
                f"(connection {viewer.connectionState}/{publisher.connectionState})"
            ) from exc
        except BaseException:
            await peers.close()
            raise
        self._connect_ms = (peers.connected_at - peers.offered_at) * 1000.0
        self._first_frame_ms = (peers.first_frame_at - peers.offered_at) * 1000.0
        return peers

    def _first_frame(self) -> float | None:
        probe = self._video_probe or self._audio_probe
        assert probe is not None
        return probe.first_frame_at

    def _last_frame(self) -> float | None:
        log_ = self._video_log or self._audio_log
        assert log_ is not None
        return log_.last_arrival

    # -- supervision -----------------------------------------------------------------------

    def _dead_reason(self, peers: _Peers) -> str | None:
        if peers.failed:
            return (
                f"connection {peers.viewer.connectionState} "
                f"(viewer) / {peers.publisher.connectionState} (publisher)"
            )
        idle = time.monotonic() - self._media_since(peers)
        if idle >= self.plan.dead_after.total_seconds():
            return f"no media for {idle:.1f} s"
        return None

    def _outage_seconds(self) -> float:
        now = time.monotonic()
        return sum(
            outage.wall_seconds if outage.wall_seconds is not None else now - began
            for outage, began in zip(self._outages, self._outage_began, strict=True)
        )

    def _media_since(self, peers: _Peers) -> float:
        """``time.monotonic()`` of the last sign of life: a frame, or these peers' start."""
        return max(self._last_frame() or 0.0, peers.first_frame_at or peers.offered_at)

    def _note_media(self, peers: _Peers) -> None:
        # A frame's arrival is known only in wall time; the drill clock cannot convert it back
        # (its rate may change), so the drill stamp is taken when the supervisor sees it.
        mark = self._media_since(peers)
        if mark != self._media_mark:
            self._media_mark = mark
            self._media_seen_at = self.clock.now()

    async def _supervise(self) -> None:
        while not self._stopped:
            await asyncio.sleep(SUPERVISE_EVERY_S)
            peers = self._peers
            if peers is None:
                continue
            reason = self._dead_reason(peers)
            self._note_media(peers)
            if reason is not None:
                await self._reestablish(peers, reason)
            elif peers.connected:
                last_video = None
                if self._video_log is not None:
                    last_video = max(
                        self._video_log.last_arrival or 0.0,
                        peers.first_frame_at or peers.offered_at,
                    )
                self._upkeep.check(peers.viewer, peers.publisher, last_video)

    async def _reestablish(self, dead: _Peers, reason: str) -> None:
        began = self._media_since(dead)
        started = self._media_seen_at or self.clock.now()
        log.info("stream dead (%s): rebuilding peer connections", reason)
        self._outages.append(Outage(started, None, reason))
        self._outage_began.append(began)
        index = len(self._outages) - 1
        self._peers = None
        await dead.close()
        attempt = 0
        while not self._stopped:
            attempt += 1
            self._outages[index] = replace(self._outages[index], attempts=attempt)
            try:
                self._peers = await self._establish()
            except (StreamError, FaultError) as exc:
                log.info("reconnect attempt %d failed: %s", attempt, exc)
                await asyncio.sleep(RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S)) - 1])
                continue
            self._outages[index] = replace(
                self._outages[index],
                ended_at=self.clock.now(),
                wall_seconds=time.monotonic() - began,
            )
            return


def create_stream(
    plan: StreamPlan,
    *,
    session: ProxyOwner | None = None,
    fault_backend: ProxyBackend | None = None,
    proxy_name_prefix: str = "sd-stream-",
    turn: TurnConfig | None = None,
    clock: Clock | None = None,
) -> Stream:
    """The stream ``plan`` describes, its media through a proxy of the fault layer.

    In a drill, pass the run's ``session`` (a ``FaultSession``): the media proxy is created
    with ``session.add_proxy("media-udp" | "media-turn", ...)``, so it is in the run's ledger,
    the fault plan's toxics go on it, and the session deletes it. Without a session, pass a
    ``fault_backend``: the stream creates ``{proxy_name_prefix}media-udp`` itself and deletes
    it on ``stop()``. With neither, the peers talk directly (benchmarks of the harness).
    ``stream.media_proxies`` names the proxy once ``start()`` has created it.
    """
    if plan.target is StreamTarget.WHIP:
        raise StreamError("the whip target is not implemented yet; use target: loopback")
    owner: ProxyOwner | None = session
    if owner is None and fault_backend is not None:
        owner = OwnProxies(fault_backend, proxy_name_prefix)
    route: MediaRoute
    if owner is None:
        if plan.path is MediaPath.TURN_TCP:
            raise StreamError("path turn-tcp needs a fault layer to put a TCP proxy on")
        route = DirectRoute()
    elif plan.path is MediaPath.UDP:
        route = UdpProxyRoute(owner)
    else:
        if turn is None:
            raise StreamError(
                "path turn-tcp needs a TURN server (coturn): start one with "
                "supportdrill.media.turn.CoturnServer and pass its config as turn="
            )
        route = TurnTcpRoute(owner, turn)
    return LoopbackStream(plan, route, clock=clock)
