"""The loopback target: a publisher and a viewer peer in this process, media through a route.

:func:`~supportdrill.media.base.open_stream` is the one call the runner makes to get the
drill's test stream, for either target (``whip`` is :mod:`supportdrill.media.whip`).

SDP is exchanged in-process. The viewer offers (receive-only) and is ICE-controlling; the
publisher answers with the stamped tracks. The route decides how the media crosses the fault
layer (:mod:`supportdrill.media.route`); supervision and health are
:class:`~supportdrill.media.peers.PeerPairStream`'s.
"""

from __future__ import annotations

import time

from aiortc import RTCPeerConnection, RTCSessionDescription

from ..clock import Clock
from ..definitions.scenarios import StreamPlan
from ..errors import StreamError
from .ice import host_candidates, loopback_candidates, rewrite_candidate, strip_candidates
from .peers import PeerPair, PeerPairStream, synthetic_tracks
from .route import (
    MediaRoute,
)
from .upkeep import vp8_without_rtx


class LoopbackStream(PeerPairStream):
    """Publisher and viewer peers on 127.0.0.1, media through ``route``."""

    def __init__(
        self,
        plan: StreamPlan,
        route: MediaRoute,
        *,
        clock: Clock | None = None,
        connect_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(plan, clock=clock, connect_timeout_s=connect_timeout_s)
        self.route = route

    @property
    def media_proxies(self) -> tuple[str, ...]:
        return self.route.proxy_names

    async def _open(self) -> None:
        await self.route.open()

    async def _close(self) -> None:
        await self.route.close()

    def _new_peers(self, generation: int) -> PeerPair:
        viewer = RTCPeerConnection(self.route.viewer_configuration())
        publisher = RTCPeerConnection(self.route.publisher_configuration())
        if self.plan.video:
            transceiver = viewer.addTransceiver("video", direction="recvonly")
            transceiver.setCodecPreferences(vp8_without_rtx())
        if self.plan.audio:
            viewer.addTransceiver("audio", direction="recvonly")
        return PeerPair(
            publisher, viewer, synthetic_tracks(self.plan), generation, time.monotonic()
        )

    async def _signal(self, peers: PeerPair) -> None:
        route, viewer, publisher = self.route, peers.viewer, peers.publisher
        with loopback_candidates():
            await viewer.setLocalDescription(await viewer.createOffer())
            offer = viewer.localDescription.sdp
            if route.hides_viewer:
                offer = strip_candidates(offer)
            await publisher.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            for track in peers.tracks:
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
