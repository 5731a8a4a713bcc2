"""Synthetic, stamped media tracks for the publisher, and the viewer's probes that read them.

:class:`StampedVideoTrack` sends a moving gradient (so VP8 has real work and a real bitrate) with
a :mod:`~supportdrill.media.stamp` in the top-left corner: the frame counter and the send time.
:class:`ToneTrack` sends a sine tone (or silence) in 20 ms Opus-sized frames.

On the viewer, :class:`VideoProbe` and :class:`AudioProbe` consume the received tracks and log
every frame's arrival into a :class:`~supportdrill.media.quality.FrameLog`: video with its
glass-to-glass latency read from the stamp, audio with its one-way delay relative to the best
seen on this connection (RTP time against arrival time; absolute audio latency cannot be read
from an Opus frame).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import fractions
import math
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame

from .quality import FrameLog
from .stamp import Stamp, elapsed_ms, read_stamp, write_stamp

VIDEO_CLOCK = 90_000
AUDIO_RATE = 48_000
AUDIO_PTIME = 0.020


def now_ms() -> int:
    """The stamp clock: monotonic milliseconds modulo 2**32 (the same for every process here)."""
    return (time.monotonic_ns() // 1_000_000) & 0xFFFFFFFF


class StampedVideoTrack(MediaStreamTrack):
    """A synthetic video source: moving gradient, stamped with counter and send time."""

    kind = "video"

    def __init__(self, width: int, height: int, fps: int) -> None:
        super().__init__()
        self.width = width
        self.height = height
        self.fps = fps
        self.frames_sent = 0
        self._start: float | None = None
        self._time_base = fractions.Fraction(1, VIDEO_CLOCK)
        # A diagonal gradient twice as wide as the frame: each frame shows a shifted slice of it,
        # which costs one slice per frame instead of rendering a new picture.
        ramp = (np.arange(2 * width + height, dtype=np.uint16) * 3 % 220 + 16).astype(np.uint8)
        rows = np.arange(height)[:, None] + np.arange(2 * width)[None, :]
        self._pattern = ramp[rows]
        self._yuv = np.full((height * 3 // 2, width), 128, dtype=np.uint8)

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop_time = time.monotonic()
        if self._start is None:
            self._start = loop_time
        due = self._start + self.frames_sent / self.fps
        if due > loop_time:
            await asyncio.sleep(due - loop_time)
        shift = (self.frames_sent * 4) % self.width
        luma = self._yuv[: self.height]
        luma[:, :] = self._pattern[:, shift : shift + self.width]
        write_stamp(luma, Stamp(counter=self.frames_sent, sent_ms=now_ms()))
        frame = VideoFrame.from_ndarray(self._yuv, format="yuv420p")
        frame.pts = int(self.frames_sent * VIDEO_CLOCK / self.fps)
        frame.time_base = self._time_base
        self.frames_sent += 1
        return frame


class ToneTrack(MediaStreamTrack):
    """A sine tone at ``frequency`` Hz (0: silence), mono 48 kHz, 20 ms frames."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0) -> None:
        super().__init__()
        self.frequency = frequency
        self.frames_sent = 0
        self._samples = int(AUDIO_RATE * AUDIO_PTIME)
        self._start: float | None = None
        self._time_base = fractions.Fraction(1, AUDIO_RATE)

    def _pcm(self, first_sample: int) -> npt.NDArray[np.int16]:
        if self.frequency <= 0:
            return np.zeros((1, self._samples), dtype=np.int16)
        index = np.arange(first_sample, first_sample + self._samples, dtype=np.float64)
        wave = 0.25 * 32767 * np.sin(2 * math.pi * self.frequency * index / AUDIO_RATE)
        return wave.astype(np.int16).reshape(1, -1)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop_time = time.monotonic()
        if self._start is None:
            self._start = loop_time
        due = self._start + self.frames_sent * AUDIO_PTIME
        if due > loop_time:
            await asyncio.sleep(due - loop_time)
        pts = self.frames_sent * self._samples
        frame = AudioFrame.from_ndarray(self._pcm(pts), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = pts
        frame.time_base = self._time_base
        self.frames_sent += 1
        return frame


class _Probe(abc.ABC):
    """Consumes one received track in a task until it ends or is cancelled."""

    def __init__(self, log: FrameLog, clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.clock = clock
        self.first_frame_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def attach(self, track: MediaStreamTrack) -> None:
        self.detach()
        self.on_new_connection()
        self._task = asyncio.create_task(self._consume(track), name=f"probe-{track.kind}")

    def detach(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, MediaStreamError):
                await task

    def on_new_connection(self) -> None:
        self.first_frame_at = None
        self.log.reset_gaps()

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if not isinstance(frame, VideoFrame | AudioFrame):
                    continue  # a packet track (not decoded): nothing to time
                arrival = self.clock()
                if self.first_frame_at is None:
                    self.first_frame_at = arrival
                self.log.add(arrival, self.latency_of(frame))

    @abc.abstractmethod
    def latency_of(self, frame: VideoFrame | AudioFrame) -> float | None:
        """The frame's latency figure in ms (``None`` if it carries none)."""


class VideoProbe(_Probe):
    """Reads each received frame's stamp: glass-to-glass latency, and unreadable stamps."""

    def __init__(self, log: FrameLog, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(log, clock)
        self.unreadable = 0
        self.last_counter: int | None = None

    def latency_of(self, frame: VideoFrame | AudioFrame) -> float | None:
        assert isinstance(frame, VideoFrame)
        plane = frame.planes[0]
        rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(
            plane.height, plane.line_size
        )
        stamp = read_stamp(rows[:, : plane.width])
        if stamp is None:
            self.unreadable += 1
            return None
        self.last_counter = stamp.counter
        return float(max(0, elapsed_ms(stamp.sent_ms, now_ms())))


class AudioProbe(_Probe):
    """One-way delay of each audio frame relative to the best seen on this connection.

    ``arrival - rtp_time`` is the one-way delay plus an unknown constant (the sender's random RTP
    timestamp origin); its minimum over the connection is the best delay, so the difference is
    the delay *added* since, which is what a latency or loss fault shows up as.
    """

    def __init__(self, log: FrameLog, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(log, clock)
        self._first_pts: int | None = None
        self._last_pts = 0
        self._wraps = 0
        self._best_offset: float | None = None

    def on_new_connection(self) -> None:
        super().on_new_connection()
        self._first_pts = None
        self._wraps = 0
        self._best_offset = None

    def latency_of(self, frame: VideoFrame | AudioFrame) -> float | None:
        assert isinstance(frame, AudioFrame)
        if frame.pts is None:
            return None
        pts = int(frame.pts)
        if self._first_pts is None:
            self._first_pts = pts
            self._last_pts = pts
        if pts < self._last_pts and self._last_pts - pts > 1 << 31:
            self._wraps += 1  # the 32-bit RTP clock wrapped
        self._last_pts = pts
        media_s = (pts + (self._wraps << 32) - self._first_pts) / AUDIO_RATE
        offset = self.clock() - media_s
        if self._best_offset is None or offset < self._best_offset:
            self._best_offset = offset
        return (offset - self._best_offset) * 1000.0
