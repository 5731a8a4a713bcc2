"""Real aiortc streams on 127.0.0.1: a healthy baseline, and faults through the embedded UDP proxy.

Each stream is 320x180: aiortc encodes in Python threads and these tests share two cores with
everyone else's, so bounds are generous (the acceptance figures come from the benchmark).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from supportdrill.clock import AcceleratedClock
from supportdrill.definitions.scenarios import MediaPath, StreamPlan, StreamThresholds
from supportdrill.errors import StreamError
from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.media.base import JudgedSample, Stream, open_stream
from supportdrill.media.judge import HealthState, TransitionKind
from supportdrill.media.loopback import LoopbackStream
from supportdrill.media.route import DirectRoute, OwnProxies, UdpProxyRoute

PLAN = StreamPlan(
    scenario="test",
    width=320,
    height=180,
    fps=20,
    thresholds=StreamThresholds(min_fps=14.0, min_mos=3.1, degrade_after=2, recover_after=3),
)


async def watch_for(
    stream: Stream, kind: TransitionKind, within_s: float
) -> tuple[JudgedSample, float, list[JudgedSample]]:
    """Sample at the plan's interval until ``kind`` happens; the deciding sample and the time."""
    started = time.monotonic()
    seen: list[JudgedSample] = []
    async for judged in stream.watch():
        seen.append(judged)
        if judged.transition is not None and judged.transition.kind is kind:
            return judged, time.monotonic() - started, seen
        if time.monotonic() - started >= within_s:
            break
    problems = [s.problems for s in seen[-4:]]
    raise AssertionError(f"no {kind} within {within_s} s; last problems {problems}")


async def test_direct_loopback_stream_reaches_a_healthy_baseline() -> None:
    async with LoopbackStream(PLAN, DirectRoute()) as stream:
        judged, _, _ = await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 10.0)
    sample = judged.sample
    assert sample.connected and judged.state is HealthState.HEALTHY
    assert sample.fps >= 14.0
    assert sample.latency_ms is not None and sample.latency_ms < 300.0
    assert sample.connect_ms is not None and 0 < sample.connect_ms < 3000.0
    assert sample.first_frame_ms is not None and sample.first_frame_ms >= sample.connect_ms
    assert sample.loss_pct == 0.0 and sample.mos > 4.0
    assert stream.media_proxies == () and stream.reconnections == ()


async def test_audio_only_stream_is_judged_on_audio_frames() -> None:
    plan = replace(PLAN, video=False, thresholds=StreamThresholds(min_fps=40.0, recover_after=3))
    async with LoopbackStream(plan, DirectRoute()) as stream:
        judged, _, _ = await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 10.0)
    assert judged.sample.fps >= 40.0  # Opus frames of 20 ms
    assert judged.sample.latency_ms is None  # no stamp in audio: only the rise is measured
    assert judged.sample.latency_rise_ms is not None and judged.sample.latency_rise_ms < 100.0


@pytest.mark.parametrize(
    "toxic",
    [
        ToxicSpec("blackout", "blackhole"),
        ToxicSpec("loss30", "loss", attributes={"probability": 0.3}),
        ToxicSpec("latency400", "latency", attributes={"latency": 400}),
    ],
    ids=lambda toxic: toxic.name,
)
async def test_a_fault_on_the_udp_proxy_degrades_the_stream_and_lifting_it_recovers(
    backend: ToxiproxyBackend, toxic: ToxicSpec
) -> None:
    stream = open_stream(PLAN, fault_backend=backend, proxy_name_prefix="sd-test-")
    async with stream:
        (proxy,) = stream.media_proxies
        assert (await backend.proxy(proxy)) is not None
        await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 10.0)
        await backend.add_toxic(proxy, toxic)
        degraded, detected_after, _ = await watch_for(stream, TransitionKind.DEGRADED, 8.0)
        await backend.remove_toxic(proxy, toxic.name)
        recovered, _, _ = await watch_for(stream, TransitionKind.RECOVERED, 15.0)
    # The target is 3 s; the bound here leaves room for a loaded CI machine.
    assert detected_after < 8.0
    assert degraded.transition is not None and degraded.transition.reasons
    assert degraded.transition.evidence["fps"] >= 0.0
    assert recovered.sample.fps >= 14.0
    assert (await backend.proxy(proxy)) is None, "stop() deletes the stream's proxy"


async def test_audio_only_stream_recovers_from_loss_without_keeping_the_delay(
    backend: ToxiproxyBackend,
) -> None:
    # aiortc's Opus jitter buffer would stay ~200 ms late after a loss burst (no drain); the
    # stream drops that backlog, so lifting the fault brings the delay back to its baseline.
    plan = replace(
        PLAN,
        video=False,
        thresholds=StreamThresholds(min_fps=40.0, max_latency_rise_ms=100.0, recover_after=3),
    )
    stream = open_stream(plan, fault_backend=backend, proxy_name_prefix="sd-audio-")
    async with stream:
        (proxy,) = stream.media_proxies
        await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 10.0)
        await backend.add_toxic(proxy, ToxicSpec("loss", "loss", attributes={"probability": 0.2}))
        await watch_for(stream, TransitionKind.DEGRADED, 8.0)
        await backend.remove_toxic(proxy, "loss")
        recovered, _, _ = await watch_for(stream, TransitionKind.RECOVERED, 15.0)
    rise = recovered.sample.latency_rise_ms
    assert rise is not None and rise < 100.0


async def test_blackout_stops_audio_and_video_alike(backend: ToxiproxyBackend) -> None:
    # Proof that no media bypasses the proxy: with every datagram dropped, nothing arrives.
    stream = open_stream(PLAN, fault_backend=backend, proxy_name_prefix="sd-test-")
    assert isinstance(stream, LoopbackStream)
    async with stream:
        await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 10.0)
        await backend.add_toxic(stream.media_proxies[0], ToxicSpec("blackout", "blackhole"))
        await stream.clock.sleep(0.5)
        video, audio = stream._video_log, stream._audio_log
        assert video is not None and audio is not None
        before = (video.total_frames, audio.total_frames)
        await stream.clock.sleep(1.5)
        assert (video.total_frames, audio.total_frames) == before


async def test_a_dead_stream_is_rebuilt_through_the_same_proxy_and_the_outage_recorded(
    backend: ToxiproxyBackend,
) -> None:
    plan = replace(PLAN, dead_after=timedelta(seconds=1.5))
    route = UdpProxyRoute(OwnProxies(backend, "sd-test-"))
    async with LoopbackStream(plan, route, connect_timeout_s=2.0) as stream:
        await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 10.0)
        first_upstream = (await backend.proxy("sd-test-media-udp")).upstream
        await backend.add_toxic("sd-test-media-udp", ToxicSpec("blackout", "blackhole"))
        await watch_for(stream, TransitionKind.DEGRADED, 8.0)
        deadline = time.monotonic() + 10
        while not stream.reconnections and time.monotonic() < deadline:
            await stream.judged()
            await stream.clock.sleep(stream.interval_s)
        assert stream.reconnections and stream.reconnections[0].ended_at is None
        for _ in range(5):  # let at least one rebuild fail under the blackout
            await stream.judged()
            await stream.clock.sleep(stream.interval_s)
        held = await backend.proxy("sd-test-media-udp")
        assert held.upstream != first_upstream, "the proxy follows the new publisher"
        assert held.toxic("blackout") is not None, "re-pointing kept the fault in force"
        await backend.remove_toxic("sd-test-media-udp", "blackout")
        judged, _, _ = await watch_for(stream, TransitionKind.RECOVERED, 20.0)
    (outage,) = stream.reconnections
    assert outage.ended_at is not None and outage.attempts >= 2
    assert outage.wall_seconds is not None and outage.wall_seconds > 1.5
    assert "no media" in outage.reason
    assert judged.sample.reconnects == 1 and judged.sample.outage_s > 1.5


async def test_an_outage_on_an_accelerated_clock_is_stamped_in_drill_time_measured_in_wall(
    backend: ToxiproxyBackend,
) -> None:
    # The demo's clock runs faster than the wall and changes speed mid-drill (the runner
    # speeds it up while waiting for the vendor): outage stamps follow it, lengths do not.
    rate = 600.0
    clock = AcceleratedClock(datetime(2026, 1, 3, 3, 0, tzinfo=UTC), rate=rate)
    plan = replace(PLAN, dead_after=timedelta(seconds=1.5))
    route = UdpProxyRoute(OwnProxies(backend, "sd-accel-"))
    async with LoopbackStream(plan, route, clock=clock, connect_timeout_s=2.0) as stream:
        await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 10.0)
        (proxy,) = stream.media_proxies
        before_fault = clock.now()
        wall_start = time.monotonic()
        await backend.add_toxic(proxy, ToxicSpec("blackout", "blackhole"))
        deadline = time.monotonic() + 10
        while not stream.reconnections and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert stream.reconnections, "the blackout killed the stream"
        clock.set_rate(rate * 6)
        await asyncio.sleep(1.0)
        ongoing = await stream.health()
        await backend.remove_toxic(proxy, "blackout")
        deadline = time.monotonic() + 20
        while stream.reconnections[0].ended_at is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        wall_total = time.monotonic() - wall_start
        after = await stream.health()
    (outage,) = stream.reconnections
    assert outage.ended_at is not None and outage.wall_seconds is not None
    # Wall seconds: at least the dead time plus the second at the faster rate, and no more
    # than the wall time the whole fault took (the last frame came just before it).
    assert 2.0 < outage.wall_seconds < wall_total + 1.0
    assert 1.0 < ongoing.outage_s < wall_total + 1.0
    assert after.outage_s == pytest.approx(outage.wall_seconds)
    # Drill stamps: the start is when media was last seen, within a tick (not "detection time
    # minus wall seconds", which lands ~900 drill seconds late at this rate)...
    assert before_fault - timedelta(seconds=0.5 * rate) <= outage.started_at
    assert outage.started_at <= before_fault + timedelta(seconds=1.0 * rate)
    # ... and the drill clock ran far faster than the outage's wall length.
    drill_span = (outage.ended_at - outage.started_at).total_seconds()
    assert drill_span > 100 * outage.wall_seconds


async def test_open_stream_refuses_what_it_cannot_run(backend: ToxiproxyBackend) -> None:
    turn = replace(PLAN, path=MediaPath.TURN_TCP)
    with pytest.raises(StreamError, match="needs a TURN server"):
        open_stream(turn, fault_backend=backend, proxy_name_prefix="sd-")
    with pytest.raises(StreamError, match="needs a fault layer"):
        open_stream(turn, fault_backend=None, proxy_name_prefix="sd-")
