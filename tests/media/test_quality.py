"""The pure quality arithmetic: E-model MOS, the W3C freeze rule, frame windows, samples."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from supportdrill.media.quality import (
    FrameLog,
    HealthSample,
    e_model_mos,
    freeze_threshold,
)


def test_mos_of_a_clean_path_is_excellent() -> None:
    # effective latency 10 ms: R = 93.2 - 0.25 = 92.95 -> MOS about 4.4 (webrtc-issue-detector).
    assert e_model_mos(0.0, 0.0, 0.0) == pytest.approx(4.41, abs=0.01)


def test_mos_follows_the_two_latency_slopes() -> None:
    # Below 160 ms effective latency R loses 1/40 per ms, above it 1/10 per ms.
    r_low = 93.2 - (100 + 10) / 40
    r_high = 93.2 - ((400 + 10) - 120) / 10

    def mos(r: float) -> float:
        return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)

    assert e_model_mos(100.0, 0.0, 0.0) == pytest.approx(mos(r_low))
    assert e_model_mos(400.0, 0.0, 0.0) == pytest.approx(mos(r_high))


def test_mos_counts_jitter_twice_and_loss_two_and_a_half_points_per_percent() -> None:
    assert e_model_mos(50.0, 25.0, 0.0) == pytest.approx(e_model_mos(100.0, 0.0, 0.0))
    r = 93.2 - 10 / 40 - 2.5 * 10
    assert e_model_mos(0.0, 0.0, 10.0) == pytest.approx(
        1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)
    )


def test_mos_is_clamped_at_one_for_a_hopeless_path() -> None:
    assert e_model_mos(2000.0, 100.0, 50.0) == 1.0
    assert e_model_mos(0.0, 0.0, 100.0) == 1.0


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_mos_refuses_nonsense(bad: float) -> None:
    with pytest.raises(ValueError, match="rtt_ms"):
        e_model_mos(bad, 0.0, 0.0)


def test_w3c_freeze_threshold() -> None:
    # 30 fps: max(3 x 33 ms, 33 ms + 150 ms) = 183 ms; 5 fps: max(600 ms, 350 ms) = 600 ms.
    assert freeze_threshold(1 / 30) == pytest.approx(1 / 30 + 0.150)
    assert freeze_threshold(0.2) == pytest.approx(0.6)


def _steady(
    log: FrameLog, start: float, end: float, fps: float = 30.0, latency: float = 40.0
) -> None:
    t = start
    while t < end - 1e-9:
        log.add(t, latency)
        t += 1 / fps


def test_frame_log_window_of_a_steady_stream() -> None:
    log = FrameLog()
    _steady(log, 0.0, 3.0)
    stats = log.window(2.0, 2.5)
    assert stats.fps == pytest.approx(30.0, abs=2.1)
    assert stats.freezes == 0
    assert stats.frozen_s == 0.0
    assert stats.latency_ms == 40.0


def test_a_gap_beyond_the_threshold_is_one_freeze_and_counts_as_frozen_time() -> None:
    log = FrameLog()
    _steady(log, 0.0, 1.0)
    _steady(log, 1.5, 2.0)  # a 0.5 s gap after the frame at ~0.967 s
    assert log.total_freezes == 1
    stats = log.window(1.0, 1.5)
    assert stats.freezes == 1  # it ended at 1.5, inside (1.0, 1.5]
    assert stats.frozen_s == pytest.approx(0.5, abs=0.01)
    assert stats.frames == 1


def test_a_short_gap_is_not_a_freeze() -> None:
    log = FrameLog()
    _steady(log, 0.0, 1.0)
    _steady(log, 1.1, 2.0)  # about 133 ms: under 183 ms
    assert log.total_freezes == 0


def test_an_ongoing_freeze_is_frozen_time_before_any_frame_ends_it() -> None:
    log = FrameLog()
    _steady(log, 0.0, 1.0)
    stats = log.window(1.0, 2.0)
    assert stats.frames == 0
    assert stats.frozen_s == pytest.approx(1.0 - 0.0, abs=0.05)
    assert stats.since_last_frame_s == pytest.approx(1.033, abs=0.01)


def test_an_empty_log_is_all_frozen() -> None:
    stats = FrameLog().window(0.0, 0.5)
    assert (stats.frames, stats.frozen_s, stats.latency_ms) == (0, 0.5, None)


def test_frame_log_refuses_time_travel_and_empty_windows() -> None:
    log = FrameLog()
    log.add(1.0)
    with pytest.raises(ValueError, match="arrival order"):
        log.add(0.5)
    with pytest.raises(ValueError, match="ends after"):
        log.window(1.0, 1.0)


def test_a_new_connection_does_not_count_its_first_frame_as_a_freeze() -> None:
    log = FrameLog()
    _steady(log, 0.0, 1.0)
    log.reset_gaps()
    _steady(log, 5.0, 6.0)
    assert log.total_freezes == 0


def test_sample_metrics_leave_out_missing_values() -> None:
    sample = HealthSample(
        at=datetime(2026, 11, 22, tzinfo=UTC),
        elapsed_s=3.0,
        interval_s=0.5,
        connected=True,
        fps=30.0,
        freezes=0,
        frozen_fraction=0.0,
        since_last_frame_s=0.01,
        latency_ms=None,
        latency_rise_ms=12.0,
        bitrate_kbps=500.0,
        packets_lost=3,
        loss_pct=1.5,
        jitter_ms=None,
        rtt_ms=None,
        mos=4.3,
    )
    metrics = sample.as_metrics()
    assert "latency_ms" not in metrics and "jitter_ms" not in metrics and "at" not in metrics
    assert metrics["connected"] == 1.0 and metrics["packets_lost"] == 3.0
    assert all(isinstance(value, float) for value in metrics.values())
