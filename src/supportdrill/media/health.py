"""The health sampler: frame logs and ``getStats()`` counters turned into one HealthSample.

aiortc's stats are thin (see shared/research/aiortc-feasibility.md): no framesDecoded, no freeze
counters, no bytesReceived on inbound-rtp, jitter in RTP clock units, and an RTT only on the
publisher (from RTCP receiver reports, smoothed and seconds late). So:

- fps, freezes (W3C rule) and glass-to-glass latency come from the viewer's frame logs;
- loss comes from the viewer's inbound-rtp ``packetsLost``/``packetsReceived`` deltas over the
  last second (one 0.5 s interval holds too few packets for a stable percentage), the worst of
  audio and video;
- jitter is inbound-rtp ``jitter`` divided by the codec clock (90 kHz video, 48 kHz Opus);
- bitrate is the viewer transport's ``bytesReceived`` delta;
- RTT is the publisher's remote-inbound-rtp ``roundTripTime``;
- MOS is :func:`~supportdrill.media.quality.e_model_mos`, with the RTT taken as the larger of the
  publisher's figure and twice the one-way delay we measured (the reported RTT lags), and 1.0
  for an interval in which nothing arrived at all.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..definitions.scenarios import StreamPlan
from .quality import FrameLog, HealthSample, WindowStats, e_model_mos

_CLOCK_RATES = {"video": 90_000.0, "audio": 48_000.0}
LOSS_WINDOW_S = 1.0
"""Loss is computed over at least this much history (or one sample interval, if longer)."""
MIN_PACKETS = 20
"""Fewer packets of a kind than this in the loss window make no percentage."""


@dataclass(frozen=True)
class PeerCounters:
    """The cumulative counters one ``getStats()`` pair (viewer, publisher) gives us."""

    packets: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Per media kind: (packets received, packets lost), from the viewer's inbound-rtp."""
    bytes_received: int = 0
    jitter_ms: float | None = None
    rtt_ms: float | None = None

    @property
    def packets_lost(self) -> int:
        return sum(lost for _, lost in self.packets.values())


def read_counters(viewer_stats: Iterable[Any], publisher_stats: Iterable[Any]) -> PeerCounters:
    """The viewer's inbound-rtp (per kind) and transport counters; the publisher's worst RTT."""
    packets: dict[str, tuple[int, int]] = {}
    received_bytes = 0
    jitters: list[float] = []
    for stat in viewer_stats:
        kind = getattr(stat, "type", "")
        if kind == "inbound-rtp":
            media = str(getattr(stat, "kind", "video"))
            received, lost = packets.get(media, (0, 0))
            packets[media] = (
                received + int(stat.packetsReceived or 0),
                lost + max(0, int(stat.packetsLost or 0)),
            )
            rate = _CLOCK_RATES.get(media, 90_000.0)
            if stat.jitter is not None:
                jitters.append(float(stat.jitter) / rate * 1000.0)
        elif kind == "transport":
            received_bytes += int(getattr(stat, "bytesReceived", 0) or 0)
    rtts = [
        float(stat.roundTripTime) * 1000.0
        for stat in publisher_stats
        if getattr(stat, "type", "") == "remote-inbound-rtp" and stat.roundTripTime is not None
    ]
    return PeerCounters(
        packets=packets,
        bytes_received=received_bytes,
        jitter_ms=max(jitters) if jitters else None,
        rtt_ms=max(rtts) if rtts else None,
    )


@dataclass(frozen=True)
class ConnectionFacts:
    """What the stream knows about its current peer connections when a sample is taken."""

    connected: bool
    generation: int
    """Increases with every new pair of peer connections (counters restart from zero)."""
    connect_ms: float | None = None
    first_frame_ms: float | None = None
    reconnects: int = 0
    outage_s: float = 0.0
    """Wall seconds spent in outages so far (see ``HealthSample.outage_s``)."""


class HealthSampler:
    """Turns frame logs and counters into a :class:`HealthSample` per interval."""

    def __init__(
        self,
        plan: StreamPlan,
        video_log: FrameLog | None,
        audio_log: FrameLog | None,
        clock: Any = time.monotonic,
    ) -> None:
        self.plan = plan
        self.video_log = video_log
        self.audio_log = audio_log
        self._monotonic = clock
        self._started = clock()
        self._last = self._started
        self._history: deque[tuple[float, int, PeerCounters]] = deque()
        self._best_latency: float | None = None

    @property
    def main_log(self) -> FrameLog:
        log = self.video_log if self.video_log is not None else self.audio_log
        assert log is not None
        return log

    def _loss(self, now: float, generation: int, counters: PeerCounters) -> tuple[int, float]:
        """Packets lost over the loss window, and the worst loss rate of any media kind.

        Per kind, because video loss is what is left after NACK retransmissions (aiortc counts
        a resent packet as received) while Opus has no retransmission: audio shows the path's
        loss, video shows what the viewer lost for good. A kind with too few packets in the
        window to make a percentage (< MIN_PACKETS) is left out.
        """
        while self._history and self._history[0][1] != generation:
            self._history.popleft()  # a new connection: its counters restarted
        self._history.append((now, generation, counters))
        horizon = now - max(LOSS_WINDOW_S, self.plan.sample_seconds) - 1e-6
        while len(self._history) > 2 and self._history[1][0] <= horizon:
            self._history.popleft()
        _, _, oldest = self._history[0]
        worst = 0.0
        for kind, (received, lost) in counters.packets.items():
            was_received, was_lost = oldest.packets.get(kind, (0, 0))
            d_lost = max(0, lost - was_lost)
            total = d_lost + max(0, received - was_received)
            if total >= MIN_PACKETS:
                worst = max(worst, 100.0 * d_lost / total)
        return max(0, counters.packets_lost - oldest.packets_lost), worst

    def _bitrate(self, now: float, generation: int, counters: PeerCounters) -> float:
        previous = self._history[-2] if len(self._history) >= 2 else None
        if previous is None or previous[1] != generation or now <= previous[0]:
            return 0.0
        delta = counters.bytes_received - previous[2].bytes_received
        return max(0.0, delta * 8 / 1000.0 / (now - previous[0]))

    def sample(self, at: datetime, facts: ConnectionFacts, counters: PeerCounters) -> HealthSample:
        """The sample for the interval since the previous call."""
        now = self._monotonic()
        # A call soon after the previous one still looks back one whole interval: fps over a
        # few milliseconds would be noise (0 or 300 fps), and a judge must not act on noise.
        start = min(self._last, now - self.plan.sample_seconds)
        self._last = now
        window: WindowStats = self.main_log.window(start, now)
        lost, loss_pct = self._loss(now, facts.generation, counters)
        bitrate = self._bitrate(now, facts.generation, counters)
        latency: float | None = None
        rise: float | None = None
        if self.video_log is not None:
            latency = window.latency_ms
            if latency is not None:
                if self._best_latency is None or latency < self._best_latency:
                    self._best_latency = latency
                rise = latency - self._best_latency
        else:
            rise = window.latency_ms  # the audio probe's figures are rises already
        one_way = latency if latency is not None else (counters.rtt_ms or 0.0) / 2 + (rise or 0.0)
        rtt_for_mos = max(counters.rtt_ms or 0.0, 2.0 * one_way)
        mos = (
            e_model_mos(rtt_for_mos, counters.jitter_ms or 0.0, loss_pct) if window.frames else 1.0
        )
        interval = now - start
        return HealthSample(
            at=at,
            elapsed_s=now - self._started,
            interval_s=interval,
            connected=facts.connected,
            fps=window.fps,
            freezes=window.freezes,
            frozen_fraction=window.frozen_s / interval if interval > 0 else 0.0,
            since_last_frame_s=window.since_last_frame_s,
            latency_ms=latency,
            latency_rise_ms=rise,
            bitrate_kbps=bitrate,
            packets_lost=lost,
            loss_pct=loss_pct,
            jitter_ms=counters.jitter_ms,
            rtt_ms=counters.rtt_ms,
            mos=mos,
            connect_ms=facts.connect_ms,
            first_frame_ms=facts.first_frame_ms,
            reconnects=facts.reconnects,
            outage_s=facts.outage_s,
        )
