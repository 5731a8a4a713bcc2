"""Deciding healthy, degraded and recovered from health samples, with hysteresis.

:class:`HealthJudge` is a pure state machine: feed it :class:`HealthSample` values in order and
it returns a :class:`Transition` when the stream's state changes, with the reasons (which
thresholds were crossed) and an evidence snapshot of the sample that decided it.

::

    STARTING --recover_after good--> HEALTHY (baseline) --degrade_after bad--> DEGRADED
                                        ^                                         |
                                        +------------recover_after good----------+

A single bad sample never degrades a stream and a single good one never recovers it: that is
the hysteresis that keeps one late frame from filing a P0.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..definitions.scenarios import StreamThresholds
from .quality import HealthSample


class HealthState(enum.StrEnum):
    STARTING = "starting"
    HEALTHY = "healthy"
    DEGRADED = "degraded"


class TransitionKind(enum.StrEnum):
    BASELINE_HEALTHY = "baseline.healthy"
    DEGRADED = "stream.degraded"
    RECOVERED = "stream.recovered"


@dataclass(frozen=True)
class Transition:
    """A change of state, decided by ``sample``."""

    kind: TransitionKind
    sample: HealthSample
    reasons: tuple[str, ...] = ()
    """For a degradation, what was wrong on the deciding sample."""
    evidence: Mapping[str, float] = field(default_factory=dict)


def problems(
    sample: HealthSample, thresholds: StreamThresholds, *, starting: bool = False
) -> tuple[str, ...]:
    """Every threshold ``sample`` is outside of, as readable reasons (empty: healthy).

    Connect time and time to first frame are judged only while ``starting`` (the baseline):
    later they describe an old connection.
    """
    t = thresholds
    found: list[str] = []
    if not sample.connected:
        found.append("not connected")
    if t.min_fps is not None and sample.fps < t.min_fps:
        found.append(f"fps {sample.fps:.1f} < {t.min_fps:g}")
    frozen_limit = t.max_frozen_fraction
    if sample.frozen_fraction >= frozen_limit:
        found.append(f"frozen {sample.frozen_fraction:.0%} of the interval (≥ {frozen_limit:.0%})")
    latency, rise, jitter = sample.latency_ms, sample.latency_rise_ms, sample.jitter_ms
    if t.max_latency_ms is not None and latency is not None and latency > t.max_latency_ms:
        found.append(f"latency {sample.latency_ms:.0f} ms > {t.max_latency_ms:g} ms")
    if t.max_latency_rise_ms is not None and rise is not None and rise > t.max_latency_rise_ms:
        found.append(f"latency up {rise:.0f} ms over baseline (> {t.max_latency_rise_ms:g} ms)")
    if t.max_loss_pct is not None and sample.loss_pct > t.max_loss_pct:
        found.append(f"loss {sample.loss_pct:.1f} % > {t.max_loss_pct:g} %")
    if t.max_jitter_ms is not None and jitter is not None and jitter > t.max_jitter_ms:
        found.append(f"jitter {sample.jitter_ms:.0f} ms > {t.max_jitter_ms:g} ms")
    if t.max_rtt_ms is not None and sample.rtt_ms is not None and sample.rtt_ms > t.max_rtt_ms:
        found.append(f"rtt {sample.rtt_ms:.0f} ms > {t.max_rtt_ms:g} ms")
    if t.min_mos is not None and sample.mos < t.min_mos:
        found.append(f"MOS {sample.mos:.2f} < {t.min_mos:g}")
    if t.min_bitrate_kbps is not None and sample.bitrate_kbps < t.min_bitrate_kbps:
        found.append(f"bitrate {sample.bitrate_kbps:.0f} kbps < {t.min_bitrate_kbps:g} kbps")
    if starting:
        if sample.connect_ms is not None and sample.connect_ms > t.max_connect_ms:
            found.append(f"connect took {sample.connect_ms:.0f} ms > {t.max_connect_ms:g} ms")
        if sample.first_frame_ms is not None and sample.first_frame_ms > t.max_first_frame_ms:
            found.append(
                f"first frame after {sample.first_frame_ms:.0f} ms > {t.max_first_frame_ms:g} ms"
            )
    return tuple(found)


class HealthJudge:
    """Feed samples in order; get the transitions. Pure: no clock, no I/O."""

    def __init__(self, thresholds: StreamThresholds) -> None:
        self.thresholds = thresholds
        self.state = HealthState.STARTING
        self.last_problems: tuple[str, ...] = ()
        self._bad_run = 0
        self._good_run = 0
        self._first_bad: tuple[str, ...] = ()

    def feed(self, sample: HealthSample) -> Transition | None:
        found = problems(sample, self.thresholds, starting=self.state is HealthState.STARTING)
        self.last_problems = found
        if found:
            if self._bad_run == 0:
                self._first_bad = found
            self._bad_run += 1
            self._good_run = 0
        else:
            self._good_run += 1
            self._bad_run = 0
        if self.state is HealthState.STARTING and self._good_run >= self.thresholds.recover_after:
            self.state = HealthState.HEALTHY
            return Transition(TransitionKind.BASELINE_HEALTHY, sample, (), sample.as_metrics())
        if self.state is HealthState.HEALTHY and self._bad_run >= self.thresholds.degrade_after:
            self.state = HealthState.DEGRADED
            # Reasons of the first and the deciding sample: the first shows what broke first.
            reasons = tuple(dict.fromkeys((*self._first_bad, *found)))
            return Transition(TransitionKind.DEGRADED, sample, reasons, sample.as_metrics())
        if self.state is HealthState.DEGRADED and self._good_run >= self.thresholds.recover_after:
            self.state = HealthState.HEALTHY
            return Transition(TransitionKind.RECOVERED, sample, (), sample.as_metrics())
        return None
