"""The sampler's arithmetic over aiortc's own stats types and a frame log, with a hand-set clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from aiortc.stats import (
    RTCInboundRtpStreamStats,
    RTCRemoteInboundRtpStreamStats,
    RTCTransportStats,
)

from supportdrill.definitions.scenarios import StreamPlan
from supportdrill.media.health import ConnectionFacts, HealthSampler, PeerCounters, read_counters
from supportdrill.media.quality import FrameLog

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def inbound(kind: str, received: int, lost: int, jitter: int) -> RTCInboundRtpStreamStats:
    return RTCInboundRtpStreamStats(
        timestamp=NOW,
        type="inbound-rtp",
        id=f"in-{kind}",
        ssrc=1,
        kind=kind,
        transportId="t",
        packetsReceived=received,
        packetsLost=lost,
        jitter=jitter,
    )


def transport(received_bytes: int) -> RTCTransportStats:
    return RTCTransportStats(
        timestamp=NOW,
        type="transport",
        id="t",
        packetsSent=0,
        packetsReceived=0,
        bytesSent=0,
        bytesReceived=received_bytes,
        iceRole="controlling",
        dtlsState="connected",
    )


def test_read_counters_per_kind_jitter_in_ms_and_publisher_rtt() -> None:
    rtt = RTCRemoteInboundRtpStreamStats(
        timestamp=NOW,
        type="remote-inbound-rtp",
        id="r",
        ssrc=1,
        kind="video",
        transportId="t",
        packetsReceived=0,
        packetsLost=0,
        jitter=0,
        roundTripTime=0.120,
        fractionLost=0,
    )
    counters = read_counters(
        [inbound("video", 900, 10, 900), inbound("audio", 500, 5, 480), transport(123_456)],
        [rtt],
    )
    assert counters.packets == {"video": (900, 10), "audio": (500, 5)}
    assert counters.packets_lost == 15
    assert counters.jitter_ms == pytest.approx(10.0)  # 900/90 kHz = 10 ms; 480/48 kHz = 10 ms
    assert counters.rtt_ms == pytest.approx(120.0)
    assert counters.bytes_received == 123_456


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_sampler_reports_fps_latency_rise_loss_bitrate_and_mos() -> None:
    clock = Clock()
    log = FrameLog()
    sampler = HealthSampler(StreamPlan(scenario="t", audio=False), log, None, clock=clock)
    facts = ConnectionFacts(connected=True, generation=1, connect_ms=50.0, first_frame_ms=80.0)
    received = 0
    samples = []
    for step in range(6):
        latency = 40.0 if step < 3 else 340.0  # 300 ms added from the fourth interval on
        for frame in range(15):
            log.add(clock.t + frame / 30, latency)
        clock.t += 0.5
        received += 100
        lost = 0 if step < 3 else 25 * (step - 2)
        counters = PeerCounters(
            packets={"video": (received, lost)}, bytes_received=received * 1000, jitter_ms=2.0
        )
        samples.append(sampler.sample(NOW, facts, counters))
    calm, hit = samples[2], samples[-1]
    assert calm.fps == pytest.approx(30.0, abs=2.1) and calm.latency_rise_ms == 0.0
    assert calm.loss_pct == 0.0 and calm.mos > 4.0
    assert calm.bitrate_kbps == pytest.approx(100 * 1000 * 8 / 1000 / 0.5)
    assert hit.latency_ms == 340.0 and hit.latency_rise_ms == pytest.approx(300.0)
    assert hit.loss_pct == pytest.approx(100 * 50 / (200 + 50))  # 1 s window: 2 intervals
    assert hit.mos < 2.0
    assert hit.connect_ms == 50.0


def test_an_interval_with_nothing_received_scores_mos_one() -> None:
    clock = Clock()
    sampler = HealthSampler(StreamPlan(scenario="t"), FrameLog(), FrameLog(), clock=clock)
    clock.t += 0.5
    sample = sampler.sample(NOW, ConnectionFacts(connected=True, generation=1), PeerCounters())
    assert (sample.fps, sample.frozen_fraction, sample.mos) == (0.0, 1.0, 1.0)


def test_new_connection_counters_restart_without_negative_loss() -> None:
    clock = Clock()
    log = FrameLog()
    sampler = HealthSampler(StreamPlan(scenario="t", audio=False), log, None, clock=clock)
    old = ConnectionFacts(connected=True, generation=1)
    clock.t += 0.5
    sampler.sample(NOW, old, PeerCounters(packets={"video": (5000, 400)}))
    clock.t += 0.5
    new = replace(old, generation=2)
    sample = sampler.sample(NOW, new, PeerCounters(packets={"video": (50, 0)}))
    assert sample.loss_pct == 0.0 and sample.packets_lost == 0 and sample.bitrate_kbps == 0.0


def test_too_few_packets_make_no_percentage() -> None:
    clock = Clock()
    sampler = HealthSampler(StreamPlan(scenario="t"), FrameLog(), None, clock=clock)
    facts = ConnectionFacts(connected=True, generation=1)
    sampler.sample(NOW, facts, PeerCounters(packets={"audio": (10, 0)}))
    clock.t += 0.5
    sample = sampler.sample(NOW, facts, PeerCounters(packets={"audio": (15, 5)}))
    assert sample.loss_pct == 0.0 and sample.packets_lost == 5
