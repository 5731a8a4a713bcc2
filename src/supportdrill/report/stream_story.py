"""The test stream's health in a run, condensed for people: baseline, episodes, outages, buckets.

A run with a stream holds a :class:`StreamHealth` sample every second or so; a report cannot
print eight hours of them. :func:`stream_story` turns a timeline into what a reader (or a vendor's
support engineer) needs: the healthy baseline, each degradation with its reasons and how long
detection and recovery took, the outages (intervals with no media at all), and at most
``max_rows`` time buckets of worst-case figures. Pure: a function of the timeline only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..timeline import (
    BaselineHealthy,
    FaultInjected,
    FaultLifted,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    Timeline,
)

STARTING, HEALTHY, DEGRADED = "starting", "healthy", "degraded"

_SPARKS = "▁▂▃▄▅▆▇█"
MOS_RANGE = (1.0, 4.5)
"""The E-model's MOS scale: a fixed range keeps sparklines of different runs comparable."""

_NICE_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600)


@dataclass(frozen=True)
class Bucket:
    """Worst-case figures of the samples taken in ``[start, start + width)``."""

    start: datetime
    samples: int
    unhealthy: int
    min_fps: float | None
    max_latency_ms: float | None
    max_loss_pct: float | None
    min_mos: float | None
    states: tuple[str, ...]
    """The judged states met in the bucket, in order."""
    no_media: bool
    """At least one sample received nothing (an outage)."""
    fault: bool
    """The fault was active during at least one of its samples."""


@dataclass(frozen=True)
class Episode:
    """One degradation of the stream, and its recovery if it came."""

    degraded: StreamDegraded
    recovered: StreamRecovered | None
    detection_s: float | None
    """Fault injected → degraded, for the first degradation after an injection."""
    recovery_s: float | None
    """Fault lifted → recovered, when the fault was lifted while the stream was degraded."""


@dataclass(frozen=True)
class Outage:
    """Consecutive samples in which the viewer received nothing (or was not connected)."""

    start: datetime
    end: datetime
    ongoing: bool
    """Still going on at the last sample."""
    reconnected: bool
    """The stream's peers were rebuilt during it."""
    duration_s: float
    """Wall seconds without media: the samples' own intervals added up. Media is physical, so
    this holds on an accelerated drill clock too, where ``end - start`` is simulated time."""


@dataclass(frozen=True)
class StreamStory:
    samples: int
    unhealthy: int
    first_at: datetime | None
    last_at: datetime | None
    baseline: BaselineHealthy | None
    fault: FaultInjected | None
    lifted: FaultLifted | None
    episodes: tuple[Episode, ...]
    outages: tuple[Outage, ...]
    buckets: tuple[Bucket, ...]
    bucket_s: float
    reconnects: int
    """Times the stream's peers were rebuilt, over the run."""
    latest: StreamHealth | None
    sparkline: str
    """MOS over the run, one character per time slice (blank: no sample in it)."""
    fault_line: str
    """Under the sparkline: ``━`` where the fault was active, ``·`` where not."""


def _no_media(metrics: Mapping[str, float]) -> bool:
    # A whole interval frozen means nothing arrived: a blackout, whatever ICE says.
    return metrics.get("connected", 1.0) == 0.0 or metrics.get("frozen_fraction", 0.0) >= 0.999


def _fault_windows(timeline: Timeline) -> list[tuple[datetime, datetime | None]]:
    windows: list[tuple[datetime, datetime | None]] = []
    for event in timeline:
        if isinstance(event, FaultInjected):
            windows.append((event.at, None))
        elif isinstance(event, FaultLifted) and windows and windows[-1][1] is None:
            windows[-1] = (windows[-1][0], event.at)
    return windows


def _in_fault(moment: datetime, windows: Sequence[tuple[datetime, datetime | None]]) -> bool:
    return any(low <= moment and (high is None or moment < high) for low, high in windows)


def _episodes(timeline: Timeline) -> tuple[Episode, ...]:
    episodes: list[Episode] = []
    injected: FaultInjected | None = None
    injection_detected = False
    degraded: StreamDegraded | None = None
    detection: float | None = None
    lifted: FaultLifted | None = None
    for event in timeline:
        if isinstance(event, FaultInjected):
            injected, injection_detected = event, False
        elif isinstance(event, FaultLifted):
            lifted = event if degraded is not None else None
        elif isinstance(event, StreamDegraded) and degraded is None:
            degraded, lifted, detection = event, None, None
            # Only the first degradation after an injection measures detection: a flapping
            # fault degrades the stream again and again, but it was detected once.
            if injected is not None and not injection_detected and event.at >= injected.at:
                detection = (event.at - injected.at).total_seconds()
                injection_detected = True
        elif isinstance(event, StreamRecovered) and degraded is not None:
            recovery = None
            if lifted is not None and event.at >= lifted.at:
                recovery = (event.at - lifted.at).total_seconds()
            episodes.append(Episode(degraded, event, detection, recovery))
            degraded = None
    if degraded is not None:
        episodes.append(Episode(degraded, None, detection, None))
    return tuple(episodes)


def _states(timeline: Timeline) -> list[tuple[datetime, str]]:
    """``(at, state)`` transitions of the judged state, in order."""
    changes: list[tuple[datetime, str]] = []
    for event in timeline:
        if isinstance(event, BaselineHealthy | StreamRecovered):
            changes.append((event.at, HEALTHY))
        elif isinstance(event, StreamDegraded):
            changes.append((event.at, DEGRADED))
    return changes


def _state_at(moment: datetime, changes: Sequence[tuple[datetime, str]]) -> str:
    # The sample that decided a transition carries the same time as the transition: it counts
    # as the new state, which is why this is "at or before", not "before".
    state = STARTING
    for at, changed in changes:
        if at > moment:
            break
        state = changed
    return state


def _outages(samples: Sequence[StreamHealth]) -> tuple[Outage, ...]:
    outages: list[Outage] = []
    index = 0
    while index < len(samples):
        if not _no_media(samples[index].metrics):
            index += 1
            continue
        first = index
        while index < len(samples) and _no_media(samples[index].metrics):
            index += 1
        last = samples[index - 1]
        # Rebuilt peers show in the reconnect counter of the first sample after the outage
        # (or of the last one, when the run ended inside it).
        after = samples[index] if index < len(samples) else last
        before = samples[first - 1].metrics.get("reconnects", 0.0) if first else 0.0
        interval = samples[first].metrics.get("interval_s", 0.0)
        outages.append(
            Outage(
                start=samples[first].at - timedelta(seconds=interval),
                end=last.at,
                ongoing=index == len(samples),
                reconnected=after.metrics.get("reconnects", 0.0) > before,
                duration_s=sum(
                    sample.metrics.get("interval_s", 0.0) for sample in samples[first:index]
                ),
            )
        )
    return tuple(outages)


def _nice_width(span_s: float, max_rows: int) -> float:
    needed = span_s / max_rows
    for step in _NICE_STEPS_S:
        if step >= needed:
            return float(step)
    return float(math.ceil(needed / 3600.0) * 3600)


def _extreme(values: Sequence[float | None], lowest: bool) -> float | None:
    present = [value for value in values if value is not None]
    if not present:
        return None
    return min(present) if lowest else max(present)


def _buckets(
    samples: Sequence[StreamHealth],
    changes: Sequence[tuple[datetime, str]],
    faults: Sequence[tuple[datetime, datetime | None]],
    max_rows: int,
) -> tuple[tuple[Bucket, ...], float]:
    if not samples:
        return (), 0.0
    origin = samples[0].at
    span = (samples[-1].at - origin).total_seconds()
    if len(samples) <= max_rows:
        # Few enough to show each; the width is the sampling interval.
        groups = [[sample] for sample in samples]
        width = samples[0].metrics.get("interval_s", 0.0)
    else:
        width = _nice_width(span + 1e-9, max_rows)
        grouped: dict[int, list[StreamHealth]] = {}
        for sample in samples:
            slot = min(int((sample.at - origin).total_seconds() // width), max_rows - 1)
            grouped.setdefault(slot, []).append(sample)
        groups = [grouped[slot] for slot in sorted(grouped)]
    buckets = []
    for group in groups:
        states: list[str] = []
        for sample in group:
            state = _state_at(sample.at, changes)
            if state not in states:
                states.append(state)
        buckets.append(
            Bucket(
                start=group[0].at,
                samples=len(group),
                unhealthy=sum(1 for sample in group if not sample.healthy),
                min_fps=_extreme([s.metrics.get("fps") for s in group], lowest=True),
                max_latency_ms=_extreme([s.metrics.get("latency_ms") for s in group], lowest=False),
                max_loss_pct=_extreme([s.metrics.get("loss_pct") for s in group], lowest=False),
                min_mos=_extreme([s.metrics.get("mos") for s in group], lowest=True),
                states=tuple(states),
                no_media=any(_no_media(sample.metrics) for sample in group),
                fault=any(_in_fault(sample.at, faults) for sample in group),
            )
        )
    return tuple(buckets), width


def sparkline(values: Sequence[float | None], low: float, high: float) -> str:
    """One block character per value, scaled to ``low..high``; a space for ``None``."""
    if high <= low:
        raise ValueError("a sparkline needs high > low")
    chars = []
    for value in values:
        if value is None:
            chars.append(" ")
            continue
        share = (min(max(value, low), high) - low) / (high - low)
        chars.append(_SPARKS[min(len(_SPARKS) - 1, int(share * len(_SPARKS)))])
    return "".join(chars)


def _spark_lines(
    samples: Sequence[StreamHealth],
    faults: Sequence[tuple[datetime, datetime | None]],
    width: int,
) -> tuple[str, str]:
    if not samples:
        return "", ""
    origin, end = samples[0].at, samples[-1].at
    span = (end - origin).total_seconds()
    slots = min(width, len(samples))
    worst: list[float | None] = [None] * slots
    for sample in samples:
        offset = (sample.at - origin).total_seconds()
        slot = min(slots - 1, int(offset / span * slots)) if span > 0 else 0
        mos = sample.metrics.get("mos")
        if mos is not None:
            current = worst[slot]
            worst[slot] = mos if current is None else min(current, mos)
    line = sparkline(worst, *MOS_RANGE)
    marks = []
    for slot in range(slots):
        moment = origin + timedelta(seconds=span * (slot + 0.5) / slots)
        marks.append("━" if _in_fault(moment, faults) else "·")
    return line, "".join(marks)


def stream_story(
    timeline: Timeline, *, max_rows: int = 30, spark_width: int = 60
) -> StreamStory | None:
    """The stream's health in ``timeline``, or ``None`` when the run had no stream."""
    if max_rows < 1 or spark_width < 1:
        raise ValueError("max_rows and spark_width must be at least 1")
    samples = timeline.all(StreamHealth)
    baseline = timeline.first(BaselineHealthy)
    episodes = _episodes(timeline)
    if not samples and baseline is None and not episodes:
        return None
    changes = _states(timeline)
    faults = _fault_windows(timeline)
    buckets, width = _buckets(samples, changes, faults, max_rows)
    line, marks = _spark_lines(samples, faults, spark_width)
    latest = samples[-1] if samples else None
    return StreamStory(
        samples=len(samples),
        unhealthy=sum(1 for sample in samples if not sample.healthy),
        first_at=samples[0].at if samples else None,
        last_at=latest.at if latest else None,
        baseline=baseline,
        fault=timeline.first(FaultInjected),
        lifted=timeline.last(FaultLifted),
        episodes=episodes,
        outages=_outages(samples),
        buckets=buckets,
        bucket_s=width,
        reconnects=int(latest.metrics.get("reconnects", 0.0)) if latest else 0,
        latest=latest,
        sparkline=line,
        fault_line=marks,
    )


def state_now(timeline: Timeline) -> str:
    """The stream's judged state after the last event: starting, healthy or degraded."""
    changes = _states(timeline)
    return changes[-1][1] if changes else STARTING
