"""The stream's story: episodes, detection and recovery times, outages, buckets, sparkline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdrill.report.figures import format_figure, text_table
from supportdrill.report.stream_story import MOS_RANGE, sparkline, state_now, stream_story
from supportdrill.timeline import (
    DrillStarted,
    FaultInjected,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    Timeline,
)

from .streamdrill import START, sample, stream_timeline


def test_a_run_without_a_stream_has_no_story() -> None:
    started = DrillStarted(
        at=START, observed_at=START, drill="d", vendor="v", desk="simulated", severity="P0"
    )
    assert stream_story(Timeline.of([started])) is None
    assert state_now(Timeline.of([started])) == "starting"


def test_detection_recovery_and_reasons() -> None:
    timeline, marks = stream_timeline()
    story = stream_story(timeline)
    assert story is not None
    assert story.samples == 120 and story.unhealthy == 77
    assert story.baseline is not None and story.baseline.at == marks.baseline_at
    (episode,) = story.episodes
    assert episode.degraded.at == marks.degraded_at
    assert episode.detection_s == 3.0
    assert episode.recovered is not None and episode.recovered.at == marks.recovered_at
    assert episode.recovery_s == 4.0
    assert "loss 12.0 % > 5 %" in episode.degraded.reasons
    assert story.reconnects == 1
    assert state_now(timeline) == "healthy"


def test_the_blackout_is_one_outage_ended_by_a_reconnect() -> None:
    timeline, marks = stream_timeline()
    story = stream_story(timeline)
    assert story is not None
    (outage,) = story.outages
    assert (outage.start, outage.end) == marks.outage
    assert outage.duration_s == 11.0
    assert outage.reconnected and not outage.ongoing


def test_an_outage_still_going_at_the_end_is_ongoing() -> None:
    timeline, _ = stream_timeline(until=35)
    story = stream_story(timeline)
    assert story is not None
    (outage,) = story.outages
    assert outage.ongoing and not outage.reconnected
    assert story.episodes[0].recovered is None
    assert state_now(timeline) == "degraded"


def test_buckets_keep_the_worst_figures() -> None:
    timeline, _ = stream_timeline()
    story = stream_story(timeline)
    assert story is not None
    assert len(story.buckets) <= 30 and story.bucket_s == 5.0
    assert sum(bucket.samples for bucket in story.buckets) == 120
    blackout = [bucket for bucket in story.buckets if bucket.no_media]
    assert blackout and all(bucket.min_fps == 0.0 for bucket in blackout)
    first, last = story.buckets[0], story.buckets[-1]
    assert first.states == ("starting",) and not first.fault
    assert last.states == ("healthy",) and last.min_mos == pytest.approx(4.27, abs=0.01)
    turning = next(bucket for bucket in story.buckets if "degraded" in bucket.states)
    assert turning.states == ("healthy", "degraded") and turning.fault
    assert turning.max_latency_ms == 720.0 and turning.max_loss_pct == 12.0


def test_eight_hours_of_samples_fit_in_thirty_rows() -> None:
    events = []
    for second in range(8 * 3600):
        moment = START + timedelta(seconds=second)
        bad = second == 4 * 3600 + 17  # one bad sample among 28,800
        metrics = sample(moment, fps=3.0 if bad else 30.0, latency_ms=900.0 if bad else 80.0)
        events.append(StreamHealth(at=moment, observed_at=moment, metrics=metrics))
    story = stream_story(Timeline.of(events))
    assert story is not None
    assert len(story.buckets) <= 30
    assert story.bucket_s == 1800.0
    worst = [bucket for bucket in story.buckets if bucket.min_fps == 3.0]
    assert len(worst) == 1 and worst[0].max_latency_ms == 900.0
    assert len(story.sparkline) == 60 and len(story.fault_line) == 60
    assert set(story.fault_line) == {"·"}


def test_a_flapping_fault_is_detected_once_and_recovers_only_after_lifting() -> None:
    at = [START + timedelta(seconds=n) for n in range(10)]
    timeline = Timeline.of(
        [
            FaultInjected(at=at[0], observed_at=at[0], profile="flap"),
            StreamDegraded(at=at[1], observed_at=at[1], reasons=("fps 0.0 < 24",)),
            StreamRecovered(at=at[3], observed_at=at[3]),
            StreamDegraded(at=at[5], observed_at=at[5]),
        ]
    )
    story = stream_story(timeline)
    assert story is not None
    first, second = story.episodes
    assert first.detection_s == 1.0 and first.recovery_s is None
    assert second.detection_s is None and second.recovered is None


def test_sparkline_scales_and_leaves_gaps() -> None:
    low, high = MOS_RANGE
    assert sparkline([low, None, high, 2.75], low, high) == "▁ █▅"
    assert sparkline([-5.0, 99.0], low, high) == "▁█"
    with pytest.raises(ValueError, match="high > low"):
        sparkline([1.0], 2.0, 2.0)
    with pytest.raises(ValueError, match="at least 1"):
        stream_story(Timeline(), max_rows=0)


def test_figures_are_written_with_units_and_missing_ones_left_out() -> None:
    assert format_figure("latency_ms", 85.4) == "85 ms"
    assert format_figure("mos", 4.3) == "4.30"
    assert format_figure("fps", None) == "—"
    assert format_figure("fps", float("nan")) == "—"
    assert format_figure("reconnects", 2.0) == "2"
    audio_only = {"loss_pct": 1.5, "jitter_ms": 12.0, "mos": 4.1, "bitrate_kbps": 40.0}
    table = text_table([("before", audio_only), ("now", None)])
    lines = table.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["loss", "jitter", "bitrate", "MOS"]
    assert lines[1].split() == ["loss", "1.5", "%", "—"]
    assert all(line == line.rstrip() for line in lines)


def test_outages_are_wall_seconds_on_an_accelerated_clock() -> None:
    """On the demo's clock a 1 s sample interval spans 10 simulated minutes: the outage is
    the samples' own intervals (wall seconds), not the simulated span."""
    from datetime import UTC, datetime, timedelta

    from supportdrill.timeline import StreamHealth, Timeline

    start = datetime(2026, 11, 21, tzinfo=UTC)
    events = []
    for index in range(8):
        moment = start + timedelta(minutes=10 * index)
        dead = 2 <= index <= 4
        metrics = sample(moment, fps=0.0 if dead else 30.0, connected=not dead)
        events.append(StreamHealth(at=moment, observed_at=moment, metrics=metrics, healthy=True))
    story = stream_story(Timeline(tuple(events)))
    assert story is not None
    (outage,) = story.outages
    assert outage.duration_s == 3.0
    assert (outage.end - outage.start).total_seconds() > 1000
