"""A publisher peer and a viewer peer in this process, supervised: the body of every target.

Both stream targets run the same two aiortc peers in the harness: the publisher sends the
stamped tracks, the viewer plays them back into the frame logs the health sampler reads. They
differ only in how the peers find each other: in-process SDP for ``loopback``
(:mod:`supportdrill.media.loopback`), a vendor's WHIP ingest and WHEP playback for ``whip``
(:mod:`supportdrill.media.whip`). :class:`PeerPairStream` is what they share: waiting for
connection and first frame, sampling health, and the supervisor.

aiortc has no ICE restart, and a peer connection whose consent expired stays dead, so the
supervisor watches the pair: when a connection fails or no frame has arrived for the plan's
``dead_after``, it closes both peers and builds new ones (the target re-points its proxies),
retrying until media flows again. Each such stretch is a :class:`Reconnection`: stamped with the
drill's clock, but measured in wall seconds, because an accelerated demo clock runs faster than
the media (and changes speed during a drill).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from aiortc import MediaStreamTrack, RTCPeerConnection

from ..clock import Clock
from ..definitions.scenarios import StreamPlan
from ..errors import FaultError, StreamError
from .base import Reconnection, Stream
from .health import ConnectionFacts, HealthSampler, PeerCounters, read_counters
from .ice import tolerate_rtt
from .quality import FrameLog, HealthSample
from .tracks import AudioProbe, StampedVideoTrack, ToneTrack, VideoProbe
from .upkeep import ReceiverUpkeep

log = logging.getLogger(__name__)

CONSENT_TIMEOUT_S = 2.0
"""Consent checks survive an RTT up to this (aioice's own 0.5 s kills streams at high RTT)."""
SUPERVISE_EVERY_S = 0.25
RETRY_BACKOFF_S = (0.5, 1.0, 2.0, 4.0)


@dataclass
class PeerPair:
    """One generation of peers; ``cleanups`` run after the peers close (e.g. HTTP DELETEs)."""

    publisher: RTCPeerConnection
    viewer: RTCPeerConnection
    tracks: tuple[MediaStreamTrack, ...]
    generation: int
    offered_at: float
    connected_at: float | None = None
    first_frame_at: float | None = None
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

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
        cleanups, self.cleanups = self.cleanups, []
        for cleanup in cleanups:
            try:
                await cleanup()
            except Exception as exc:  # teardown goes on; the cleanup says what it failed at
                log.warning("stream cleanup failed: %s", exc)


def synthetic_tracks(plan: StreamPlan) -> tuple[MediaStreamTrack, ...]:
    """The publisher's stamped video and tone, as the plan asks."""
    tracks: list[MediaStreamTrack] = []
    if plan.video:
        tracks.append(StampedVideoTrack(plan.width, plan.height, plan.fps))
    if plan.audio:
        tracks.append(ToneTrack(plan.tone_hz))
    return tuple(tracks)


class PeerPairStream(Stream):
    """A supervised publisher/viewer pair; subclasses say how the two are connected."""

    def __init__(
        self, plan: StreamPlan, *, clock: Clock | None = None, connect_timeout_s: float = 10.0
    ) -> None:
        super().__init__(plan, clock)
        self.connect_timeout_s = connect_timeout_s
        tolerate_rtt(CONSENT_TIMEOUT_S)
        self._video_log = FrameLog(nominal_fps=plan.fps) if plan.video else None
        self._audio_log = FrameLog(nominal_fps=50.0) if plan.audio else None
        self._video_probe = VideoProbe(self._video_log) if self._video_log else None
        self._audio_probe = AudioProbe(self._audio_log) if self._audio_log else None
        self._sampler = HealthSampler(plan, self._video_log, self._audio_log)
        self._peers: PeerPair | None = None
        self._generation = 0
        self._reconnections: list[Reconnection] = []
        self._reconnection_began: list[float] = []
        """``time.monotonic()`` of each outage's last frame, parallel to ``_outages``."""
        self._media_mark: float | None = None
        self._media_seen_at: datetime | None = None
        """The drill clock at the supervisor tick that last saw media arrive."""
        self._supervisor: asyncio.Task[None] | None = None
        self._stopped = False
        self._connect_ms: float | None = None
        self._first_frame_ms: float | None = None
        self._upkeep = ReceiverUpkeep()

    # -- what a target provides ------------------------------------------------------------

    async def _open(self) -> None:
        """Before the first peers: create what does not depend on them."""

    @abc.abstractmethod
    def _new_peers(self, generation: int) -> PeerPair:
        """Peer connections with their transceivers and tracks, not yet signalled."""

    @abc.abstractmethod
    async def _signal(self, peers: PeerPair) -> None:
        """Exchange offers and answers until ICE can start; raise ``StreamError`` if not."""

    async def _close(self) -> None:
        """After the last peers: delete what :meth:`_open` and the peers left behind."""

    # -- the Stream interface --------------------------------------------------------------

    @property
    def reconnections(self) -> tuple[Reconnection, ...]:
        return tuple(self._reconnections)

    async def start(self) -> None:
        if self._supervisor is not None:
            raise StreamError("the stream is already started")
        try:
            await self._open()
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
            reconnects=sum(1 for outage in self._reconnections if outage.ended_at is not None),
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
        await self._close()

    # -- peers -----------------------------------------------------------------------------

    async def _establish(self) -> PeerPair:
        """New peers, connected and with a first frame, or :class:`StreamError`."""
        self._generation += 1
        peers = self._new_peers(self._generation)
        changed = asyncio.Event()

        @peers.viewer.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            probe = self._video_probe if track.kind == "video" else self._audio_probe
            if probe is not None:
                probe.attach(track)

        for pc in (peers.viewer, peers.publisher):
            pc.on("connectionstatechange", changed.set)
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                await self._signal(peers)
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
                f"no media within {self.connect_timeout_s:g} s (connection "
                f"{peers.viewer.connectionState}/{peers.publisher.connectionState})"
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

    def _dead_reason(self, peers: PeerPair) -> str | None:
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
            for outage, began in zip(self._reconnections, self._reconnection_began, strict=True)
        )

    def _media_since(self, peers: PeerPair) -> float:
        """``time.monotonic()`` of the last sign of life: a frame, or these peers' start."""
        return max(self._last_frame() or 0.0, peers.first_frame_at or peers.offered_at)

    def _note_media(self, peers: PeerPair) -> None:
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

    async def _reestablish(self, dead: PeerPair, reason: str) -> None:
        began = self._media_since(dead)
        started = self._media_seen_at or self.clock.now()
        log.info("stream dead (%s): rebuilding peer connections", reason)
        self._reconnections.append(Reconnection(started, None, reason))
        self._reconnection_began.append(began)
        index = len(self._reconnections) - 1
        self._peers = None
        await dead.close()
        attempt = 0
        while not self._stopped:
            attempt += 1
            self._reconnections[index] = replace(self._reconnections[index], attempts=attempt)
            try:
                self._peers = await self._establish()
            except (StreamError, FaultError) as exc:
                log.info("reconnect attempt %d failed: %s", attempt, exc)
                await asyncio.sleep(RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S)) - 1])
                continue
            self._reconnections[index] = replace(
                self._reconnections[index],
                ended_at=self.clock.now(),
                wall_seconds=time.monotonic() - began,
            )
            return
