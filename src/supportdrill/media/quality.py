"""Pure quality arithmetic: the health sample, the W3C freeze rule, frame windows and MOS.

Nothing here imports aiortc or does I/O: the sampler in :mod:`supportdrill.media.health` feeds
these with what the viewer received and what ``getStats()`` said, and the tests feed them by hand.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime

W3C_FREEZE_WINDOW = 30
"""The W3C rule averages the durations of the last 30 rendered frames."""


def e_model_mos(rtt_ms: float, jitter_ms: float, loss_pct: float) -> float:
    """A MOS estimate (1..4.5) from the simplified ITU-T G.107 E-model.

    As webrtc-issue-detector's ``calculateMOS``: effective latency = RTT + 2 x jitter + 10 ms;
    R = 93.2 - latency/40 below 160 ms, else 93.2 - (latency - 120)/10; R -= 2.5 x loss %;
    MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R), clamped.
    """
    for name, value in (("rtt_ms", rtt_ms), ("jitter_ms", jitter_ms), ("loss_pct", loss_pct)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite, non-negative number, got {value}")
    effective = rtt_ms + 2.0 * jitter_ms + 10.0
    r = 93.2 - effective / 40.0 if effective < 160.0 else 93.2 - (effective - 120.0) / 10.0
    r -= 2.5 * min(loss_pct, 100.0)
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    mos = 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)
    return max(1.0, min(4.5, mos))


def freeze_threshold(avg_frame_duration_s: float) -> float:
    """The W3C webrtc-stats freeze rule: an inter-frame gap this long or longer is a freeze.

    ``max(3 x avg_frame_duration, avg_frame_duration + 150 ms)``.
    """
    return max(3.0 * avg_frame_duration_s, avg_frame_duration_s + 0.150)


@dataclass(frozen=True)
class WindowStats:
    """What the viewer received in one sample interval."""

    frames: int
    fps: float
    freezes: int
    """Freezes that ended (a frame arrived after the gap) inside the window."""
    frozen_s: float
    """Time in the window spent inside a freeze, including one still going on at its end."""
    since_last_frame_s: float | None
    latency_ms: float | None
    """Median glass-to-glass latency of the window's frames."""


class FrameLog:
    """Arrival times (monotonic seconds) and latencies of received frames, for windowed stats.

    Keeps ``horizon_s`` of history. Freezes follow the W3C rule: each arrival is compared with
    the threshold computed from the durations of the 30 frames before it.
    """

    def __init__(self, horizon_s: float = 30.0, nominal_fps: float = 30.0) -> None:
        self._horizon = horizon_s
        self._nominal = 1.0 / nominal_fps
        self._times: deque[float] = deque()
        self._latencies: deque[float | None] = deque()
        self._durations: deque[float] = deque(maxlen=W3C_FREEZE_WINDOW)
        # (start, end) of each completed freeze, oldest first.
        self._freezes: deque[tuple[float, float]] = deque()
        self.total_frames = 0
        self.total_freezes = 0

    @property
    def last_arrival(self) -> float | None:
        return self._times[-1] if self._times else None

    def current_threshold(self) -> float:
        average = statistics.fmean(self._durations) if self._durations else self._nominal
        return freeze_threshold(average)

    def add(self, arrival: float, latency_ms: float | None = None) -> None:
        if self._times:
            gap = arrival - self._times[-1]
            if gap < 0:
                raise ValueError("frames must be added in arrival order")
            if gap >= self.current_threshold():
                self._freezes.append((self._times[-1], arrival))
                self.total_freezes += 1
            self._durations.append(gap)
        self._times.append(arrival)
        self._latencies.append(latency_ms)
        self.total_frames += 1
        cutoff = arrival - self._horizon
        while self._times and self._times[0] < cutoff:
            self._times.popleft()
            self._latencies.popleft()
        while self._freezes and self._freezes[0][1] < cutoff:
            self._freezes.popleft()

    def reset_gaps(self) -> None:
        """Forget inter-frame history (a new connection): its first frame is not a freeze."""
        self._times.clear()
        self._latencies.clear()
        self._durations.clear()

    def window(self, start: float, end: float) -> WindowStats:
        """Stats for arrivals in ``(start, end]``."""
        if end <= start:
            raise ValueError("a window ends after it starts")
        times = list(self._times)
        low = bisect.bisect_right(times, start)
        high = bisect.bisect_right(times, end)
        latencies = [value for value in list(self._latencies)[low:high] if value is not None]
        frozen = 0.0
        ended = 0
        for freeze_start, freeze_end in self._freezes:
            overlap = min(end, freeze_end) - max(start, freeze_start)
            if overlap > 0:
                frozen += overlap
            if start < freeze_end <= end:
                ended += 1
        last = times[high - 1] if high else None
        if last is not None and end - last >= self.current_threshold():
            frozen += end - max(start, last)  # a freeze still going on
        elif last is None:
            frozen = end - start  # nothing at all yet, or all of it lost
        return WindowStats(
            frames=high - low,
            fps=(high - low) / (end - start),
            freezes=ended,
            frozen_s=min(frozen, end - start),
            since_last_frame_s=None if last is None else end - last,
            latency_ms=statistics.median(latencies) if latencies else None,
        )


@dataclass(frozen=True)
class HealthSample:
    """The stream's health over one sample interval, as the viewer and publisher saw it."""

    at: datetime
    elapsed_s: float
    """Seconds since the stream started."""
    interval_s: float
    connected: bool
    fps: float
    freezes: int
    frozen_fraction: float
    since_last_frame_s: float | None
    latency_ms: float | None
    """Glass-to-glass, from the stamps in the frames (video only)."""
    latency_rise_ms: float | None
    """Latency above the stream's best interval so far (audio: one-way delay rise, from RTP)."""
    bitrate_kbps: float
    packets_lost: int
    loss_pct: float
    jitter_ms: float | None
    rtt_ms: float | None
    mos: float
    connect_ms: float | None = None
    first_frame_ms: float | None = None
    reconnects: int = 0
    outage_s: float = 0.0
    """Time the stream has spent re-establishing dead connections, in total, in wall seconds
    (not the drill clock's, which may run faster)."""

    def as_metrics(self) -> dict[str, float]:
        """Numeric fields for ``StreamHealth``/``StreamDegraded`` evidence; ``None`` left out."""
        metrics: dict[str, float] = {}
        for name, value in asdict(self).items():
            if name == "at" or value is None:
                continue
            metrics[name] = float(value)
        return metrics
