"""The HealthJudge: baseline, degraded and recovered, with hysteresis and reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from supportdrill.definitions.scenarios import BUILTIN_SCENARIOS, StreamThresholds
from supportdrill.media.judge import HealthJudge, HealthState, TransitionKind, problems
from supportdrill.media.quality import HealthSample

GOOD = HealthSample(
    at=datetime(2026, 11, 22, tzinfo=UTC),
    elapsed_s=1.0,
    interval_s=0.5,
    connected=True,
    fps=30.0,
    freezes=0,
    frozen_fraction=0.0,
    since_last_frame_s=0.02,
    latency_ms=40.0,
    latency_rise_ms=0.0,
    bitrate_kbps=500.0,
    packets_lost=0,
    loss_pct=0.0,
    jitter_ms=2.0,
    rtt_ms=2.0,
    mos=4.4,
    connect_ms=60.0,
    first_frame_ms=90.0,
)
BLACKOUT = replace(GOOD, fps=0.0, frozen_fraction=1.0, latency_ms=None, mos=1.0)
LOSSY = replace(GOOD, loss_pct=30.0, mos=1.4)
THRESHOLDS = StreamThresholds(min_fps=24.0, degrade_after=2, recover_after=3)


def feed(judge: HealthJudge, samples: list[HealthSample]) -> list[TransitionKind | None]:
    return [(t.kind if (t := judge.feed(s)) else None) for s in samples]


def test_baseline_needs_recover_after_good_samples() -> None:
    judge = HealthJudge(THRESHOLDS)
    assert feed(judge, [GOOD, GOOD]) == [None, None]
    assert judge.state is HealthState.STARTING
    assert feed(judge, [GOOD]) == [TransitionKind.BASELINE_HEALTHY]
    assert judge.state is HealthState.HEALTHY


def test_one_bad_sample_is_not_a_degradation_two_are() -> None:
    judge = HealthJudge(THRESHOLDS)
    feed(judge, [GOOD] * 3)
    assert feed(judge, [BLACKOUT, GOOD, BLACKOUT]) == [None, None, None]
    kinds = feed(judge, [BLACKOUT])
    assert kinds == [TransitionKind.DEGRADED]
    assert judge.state is HealthState.DEGRADED


def test_recovery_needs_a_run_of_good_samples() -> None:
    judge = HealthJudge(THRESHOLDS)
    feed(judge, [GOOD] * 3 + [BLACKOUT] * 2)
    assert feed(judge, [GOOD, GOOD, LOSSY, GOOD, GOOD]) == [None] * 5
    assert feed(judge, [GOOD]) == [TransitionKind.RECOVERED]


def test_degradation_carries_reasons_of_the_first_and_deciding_sample_and_evidence() -> None:
    judge = HealthJudge(THRESHOLDS)
    feed(judge, [GOOD] * 3)
    judge.feed(LOSSY)
    transition = judge.feed(BLACKOUT)
    assert transition is not None
    assert any(reason.startswith("loss 30.0 %") for reason in transition.reasons)
    assert any(reason.startswith("fps 0.0 < 24") for reason in transition.reasons)
    assert transition.evidence["fps"] == 0.0
    assert transition.sample is BLACKOUT


def test_a_bad_start_never_becomes_healthy_and_says_why() -> None:
    judge = HealthJudge(THRESHOLDS)
    assert feed(judge, [BLACKOUT] * 5) == [None] * 5
    assert judge.state is HealthState.STARTING
    assert "MOS 1.00 < 3.1" in judge.last_problems


def test_connect_time_is_judged_only_on_the_baseline() -> None:
    social = BUILTIN_SCENARIOS["social-1v1"].thresholds
    slow = replace(GOOD, connect_ms=900.0)
    assert problems(slow, social, starting=True) == ("connect took 900 ms > 600 ms",)
    assert problems(slow, social) == ()


def test_every_check_names_its_threshold() -> None:
    t = StreamThresholds(
        min_fps=24, max_latency_ms=300, max_rtt_ms=100, min_bitrate_kbps=300, max_jitter_ms=30
    )
    bad = replace(
        GOOD,
        connected=False,
        fps=10.0,
        frozen_fraction=0.5,
        latency_ms=500.0,
        latency_rise_ms=460.0,
        loss_pct=8.0,
        jitter_ms=45.0,
        rtt_ms=250.0,
        mos=2.0,
        bitrate_kbps=100.0,
        first_frame_ms=9000.0,
    )
    found = problems(bad, t, starting=True)
    assert found == (
        "not connected",
        "fps 10.0 < 24",
        "frozen 50% of the interval (≥ 30%)",
        "latency 500 ms > 300 ms",
        "latency up 460 ms over baseline (> 200 ms)",
        "loss 8.0 % > 5 %",
        "jitter 45 ms > 30 ms",
        "rtt 250 ms > 100 ms",
        "MOS 2.00 < 3.1",
        "bitrate 100 kbps < 300 kbps",
        "first frame after 9000 ms > 5000 ms",
    )


def test_switched_off_checks_are_skipped() -> None:
    t = StreamThresholds(
        min_fps=None,
        max_latency_ms=None,
        max_latency_rise_ms=None,
        max_loss_pct=None,
        max_jitter_ms=None,
        min_mos=None,
    )
    assert problems(replace(LOSSY, fps=1.0, latency_ms=5000.0), t) == ()
