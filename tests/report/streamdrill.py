"""A drill with a stream and a fault, and the timeline such a run leaves, for report tests.

The health samples are real :class:`HealthSample` values (MOS from the E-model the sampler
uses), laid out on a virtual clock the way the runner emits them: one sample a second, the
transition event at the same moment as the sample that decided it.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from supportdrill.clock import VirtualClock
from supportdrill.definitions.loader import build_drill
from supportdrill.definitions.model import Drill
from supportdrill.media.quality import HealthSample, e_model_mos
from supportdrill.timeline import (
    BaselineHealthy,
    DrillEnded,
    DrillStarted,
    Event,
    FaultInjected,
    FaultLifted,
    Outcome,
    Phase,
    PhaseChanged,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    TicketFiled,
    Timeline,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
START = datetime(2026, 11, 21, 3, 0, tzinfo=JAKARTA)

STREAM_DRILL = textwrap.dedent(
    """\
    name: jakarta-showroom
    description: Showroom stream from Jakarta degrades at peak.
    vendor:
      name: acme-rtc
      desk: {kind: simulated, persona: responsive-24x7}
      timezone: Asia/Jakarta
      coverage: {P0: 24x7}
      sla: common-vendor
    stream: {scenario: showroom}
    fault: {profile: sea-mobile-peak}
    ticket: {severity: P0}
    resolution: {when: ticket_solved, timeout: 8h}
    safety: {max_duration: 9h}
    """
)


def stream_drill(extra_ticket: str = "") -> Drill:
    text = STREAM_DRILL
    if extra_ticket:
        text = text.replace("ticket: {severity: P0}", f"ticket: {{severity: P0, {extra_ticket}}}")
    return build_drill(text, "stream.yaml")


def sample(
    at: datetime,
    *,
    fps: float = 30.0,
    latency_ms: float | None = 80.0,
    loss_pct: float = 0.0,
    jitter_ms: float = 4.0,
    rtt_ms: float = 40.0,
    bitrate_kbps: float = 1400.0,
    connected: bool = True,
    frozen_fraction: float = 0.0,
    reconnects: int = 0,
    outage_s: float = 0.0,
    elapsed_s: float = 0.0,
) -> dict[str, float]:
    received = fps > 0
    mos = (
        e_model_mos(max(rtt_ms, 2 * (latency_ms or 0.0)), jitter_ms, loss_pct) if received else 1.0
    )
    health = HealthSample(
        at=at,
        elapsed_s=elapsed_s,
        interval_s=1.0,
        connected=connected,
        fps=fps,
        freezes=0 if received else 1,
        frozen_fraction=frozen_fraction,
        since_last_frame_s=0.03 if received else 1.0,
        latency_ms=latency_ms if received else None,
        latency_rise_ms=0.0,
        bitrate_kbps=bitrate_kbps if received else 0.0,
        packets_lost=0,
        loss_pct=loss_pct,
        jitter_ms=jitter_ms,
        rtt_ms=rtt_ms,
        mos=mos,
        reconnects=reconnects,
        outage_s=outage_s,
    )
    return health.as_metrics()


@dataclass(frozen=True)
class Marks:
    """When the scripted things happened, for assertions."""

    baseline_at: datetime
    injected_at: datetime
    degraded_at: datetime
    outage: tuple[datetime, datetime]
    lifted_at: datetime
    recovered_at: datetime
    filed_at: datetime


def stream_timeline(*, until: float = 120.0) -> tuple[Timeline, Marks]:
    """A 2-minute run: healthy baseline, fault at 12 s, degraded at 15 s, a 10 s blackout
    (30..40 s) ended by a reconnect, ticket filed at 20 s, fault lifted at 90 s, recovered at
    94 s. ``until`` cuts the run short (e.g. at filing time)."""
    clock = VirtualClock(START)
    origin = clock.now()
    events: list[Event] = []

    def at(second: float) -> datetime:
        return origin + timedelta(seconds=second)

    def emit(event: Event) -> None:
        if (event.at - origin).total_seconds() <= until:
            events.append(event)

    emit(
        DrillStarted(
            at=at(0),
            observed_at=at(0),
            drill="jakarta-showroom",
            vendor="acme-rtc",
            desk="simulated",
            severity="P0",
            timezone="Asia/Jakarta",
        )
    )
    emit(PhaseChanged(at=at(0), observed_at=at(0), phase=Phase.BASELINE))
    for second in range(1, 121):
        moment = at(second)
        if 14 <= second < 30 or 41 <= second <= 90:
            metrics = sample(
                moment,
                fps=9.0,
                latency_ms=720.0,
                loss_pct=12.0,
                jitter_ms=45.0,
                bitrate_kbps=310.0,
                reconnects=0 if second < 30 else 1,
                outage_s=0.0 if second < 30 else 10.0,
            )
        elif 30 <= second <= 40:
            metrics = sample(
                moment,
                fps=0.0,
                connected=second < 33,
                frozen_fraction=1.0,
                loss_pct=100.0,
                outage_s=max(0.0, second - 33.0),
            )
        else:
            metrics = sample(
                moment, reconnects=0 if second < 30 else 1, outage_s=0.0 if second < 30 else 10.0
            )
        healthy = not (14 <= second <= 90)
        emit(StreamHealth(at=moment, observed_at=moment, metrics=metrics, healthy=healthy))
        if second == 10:
            emit(BaselineHealthy(at=moment, observed_at=moment, evidence=metrics))
        if second == 12:
            emit(
                FaultInjected(
                    at=moment,
                    observed_at=moment,
                    profile="sea-mobile-peak",
                    region="Southeast Asia",
                    symptom="mobile congestion at evening peak",
                    toxics=("latency", "bandwidth", "loss"),
                )
            )
        if second == 15:
            emit(
                StreamDegraded(
                    at=moment,
                    observed_at=moment,
                    reasons=("fps 9.0 < 24", "latency 720 ms > 600 ms", "loss 12.0 % > 5 %"),
                    evidence=metrics,
                )
            )
        if second == 20:
            emit(TicketFiled(at=moment, observed_at=moment, ticket_id="42"))
        if second == 90:
            emit(FaultLifted(at=moment, observed_at=moment, reason="vendor answered"))
        if second == 94:
            emit(StreamRecovered(at=moment, observed_at=moment, evidence=metrics))
    end = at(120)
    emit(DrillEnded(at=end, observed_at=end, outcome=Outcome.COMPLETED, reason="solved"))
    marks = Marks(
        baseline_at=at(10),
        injected_at=at(12),
        degraded_at=at(15),
        outage=(at(29), at(40)),
        lifted_at=at(90),
        recovered_at=at(94),
        filed_at=at(20),
    )
    return Timeline.of(events), marks
