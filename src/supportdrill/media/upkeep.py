"""Keeping aiortc's receiving side honest, so the harness measures the network, not aiortc.

Three behaviours of aiortc 1.16 would otherwise show up as a vendor's fault, each measured on
the loopback stream through the embedded UDP proxy:

- **RTX stats collide.** With RTX negotiated, the RTX stream's inbound-rtp entry has the same id
  as the media stream's and overwrites it in ``getStats()``, so loss and jitter are read from
  the wrong stream. :func:`vp8_without_rtx` is the viewer's codec preference: VP8 alone, and
  aiortc then resends NACKed packets on the media SSRC.
- **Video stays frozen after a gap.** The video jitter buffer holds 512 packets and only hands
  on frames contiguous from its origin; a hole no retransmission fills (a blackout) blocks it
  until 512 newer packets have arrived: 10+ s of frozen video at 500 kbps after a 3 s blackhole
  was lifted, packets flowing again. When video has stalled on a live connection,
  :class:`ReceiverUpkeep` gives the receiver a fresh jitter buffer and asks for a keyframe.
- **Audio delay ratchets up.** The Opus jitter buffer (16 packets, 4 prefetched) fills up behind
  a lost packet and never drains (no time compression, unlike a browser's NetEQ): after 10 %
  loss was lifted, audio stayed 200 ms late for good. When it holds a backlog for a while,
  :class:`ReceiverUpkeep` drops it, as NetEQ's acceleration would.

These reach into aiortc's private receiver state; if a release renames it, the upkeep does
nothing and the stream still works, recovering as slowly as aiortc itself does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiortc import RTCPeerConnection, RTCRtpCodecCapability, RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer

STALL_RESET_S = 1.0
"""Video stalled this long on a live connection: fresh jitter buffer, keyframe request."""
AUDIO_BACKLOG_PACKETS = 8
"""More Opus packets than this (160 ms) waiting in the jitter buffer is a backlog."""
AUDIO_BACKLOG_S = 1.0
"""A backlog that lasts this long is dropped."""
_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"


def vp8_without_rtx() -> list[RTCRtpCodecCapability]:
    """The viewer's video codec preference: VP8, without RTX."""
    capabilities = RTCRtpReceiver.getCapabilities("video")
    codecs = capabilities.codecs if capabilities is not None else []
    return [codec for codec in codecs if codec.mimeType.lower() == "video/vp8"]


def _jitter_buffer(receiver: RTCRtpReceiver) -> JitterBuffer | None:
    current = getattr(receiver, _JITTER_BUFFER, None)
    return current if isinstance(current, JitterBuffer) else None


def _replace_jitter_buffer(receiver: RTCRtpReceiver, video: bool) -> None:
    current = _jitter_buffer(receiver)
    if current is not None:
        fresh = JitterBuffer(capacity=current.capacity, prefetch=current._prefetch, is_video=video)
        setattr(receiver, _JITTER_BUFFER, fresh)


def _held(buffer: JitterBuffer) -> int:
    return sum(1 for packet in buffer._packets if packet is not None)


class ReceiverUpkeep:
    """Checked every supervision tick while the peers are connected."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stall_reset_at = 0.0
        self._backlog_since: float | None = None
        self.video_resets = 0
        self.audio_drains = 0

    def check(
        self,
        viewer: RTCPeerConnection,
        publisher: RTCPeerConnection,
        last_video_frame: float | None,
    ) -> None:
        """``last_video_frame``: when the viewer last decoded a frame (None: audio-only)."""
        now = self._clock()
        if last_video_frame is not None:
            self._video(viewer, publisher, now, last_video_frame)
        self._audio(viewer, now)

    def _video(
        self, viewer: RTCPeerConnection, publisher: RTCPeerConnection, now: float, last: float
    ) -> None:
        if now - last < STALL_RESET_S or now - self._stall_reset_at < STALL_RESET_S:
            return
        self._stall_reset_at = now
        self.video_resets += 1
        for transceiver in viewer.getTransceivers():
            if transceiver.kind == "video":
                _replace_jitter_buffer(transceiver.receiver, video=True)
        for sender in publisher.getSenders():
            if sender.track is not None and sender.track.kind == "video":
                sender._send_keyframe()

    def _audio(self, viewer: RTCPeerConnection, now: float) -> None:
        for transceiver in viewer.getTransceivers():
            if transceiver.kind != "audio":
                continue
            buffer = _jitter_buffer(transceiver.receiver)
            if buffer is None or _held(buffer) <= AUDIO_BACKLOG_PACKETS:
                self._backlog_since = None
                continue
            if self._backlog_since is None:
                self._backlog_since = now
            elif now - self._backlog_since >= AUDIO_BACKLOG_S:
                _replace_jitter_buffer(transceiver.receiver, video=False)
                self._backlog_since = None
                self.audio_drains += 1
