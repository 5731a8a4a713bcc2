"""Viewer-surge figures: windows, the degraded judgement, and the surge's summary."""

from __future__ import annotations

from datetime import UTC, datetime

from supportdrill.definitions.load import LoadThresholds
from supportdrill.measure.load import (
    Join,
    LoadJudge,
    SurgeFigures,
    judge_window,
    summarise,
    surge_summary,
    window_figures,
)
from supportdrill.timeline import LoadSample, LoadSummary, Note, Timeline

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def test_a_window_counts_attempts_percentiles_and_failures_by_kind() -> None:
    figures = window_figures(
        [
            Join(ok=True, first_ms=100.0),
            Join(ok=True, first_ms=300.0),
            Join(ok=False, failure="http_503"),
            Join(ok=False, failure="http_503"),
            Join(ok=False, failure="timeout"),
            # A playback error of a viewer that joined earlier: a failure, not an attempt.
            Join(ok=True, failure="stalled"),
        ]
    )
    assert figures.joins == 5 and figures.joined == 2 and figures.success_pct == 40.0
    assert figures.first_p50_ms == 200.0 and figures.first_p95_ms == 290.0
    assert dict(figures.failures) == {"http_503": 2, "stalled": 1, "timeout": 1}


def test_an_empty_window_has_no_rate_and_no_percentiles() -> None:
    figures = window_figures([])
    assert figures.success_pct is None and figures.first_p95_ms is None


def test_judging_a_window() -> None:
    thresholds = LoadThresholds(min_join_success_pct=90, max_first_frame_p95_ms=1000, min_joins=2)
    assert judge_window(window_figures([Join(ok=False, failure="x")]), thresholds) is None
    healthy = window_figures([Join(ok=True, first_ms=10.0)] * 3)
    assert judge_window(healthy, thresholds) == ()
    bad = window_figures([Join(ok=True, first_ms=5000.0), Join(ok=False, failure="http_503")])
    problems = judge_window(bad, thresholds)
    assert problems == (
        "viewers: join success 50.0 % < 90 % (1/2; http_503 ×1)",
        "viewers: time to first frame p95 5000 ms > 1000 ms",
    )
    # Switched-off checks judge nothing; a window with no successful join has no p95 to judge.
    off = LoadThresholds(min_join_success_pct=None, max_first_frame_p95_ms=1000, min_joins=1)
    assert judge_window(window_figures([Join(ok=False, failure="x")]), off) == ()
    only_rate = LoadThresholds(min_join_success_pct=50, max_first_frame_p95_ms=None, min_joins=1)
    assert judge_window(window_figures([Join(ok=False)]), only_rate) == (
        "viewers: join success 0.0 % < 50 % (0/1)",
    )


def test_the_judge_needs_unhealthy_windows_in_a_row_and_healthy_ones_to_recover() -> None:
    judge = LoadJudge(LoadThresholds(degrade_after=2))
    assert judge.step(("bad",)) is None
    assert judge.step(None) is None  # too small to judge: keeps the count
    assert judge.step(()) is None  # a healthy window resets it
    assert judge.step(("bad",)) is None
    assert judge.step(("bad",)) == "degraded" and judge.degraded
    assert judge.step(("bad",)) is None
    assert judge.step(()) is None
    assert judge.step(()) == "recovered" and not judge.degraded


def test_a_surge_summary_and_its_lines() -> None:
    figures = summarise(
        [Join(ok=True, first_ms=100.0), Join(ok=False, failure="http_503")],
        viewers_reached=5,
        users_reached=8,
    )
    assert figures.success_pct == 50.0 and figures.viewers_reached == 5
    named = SurgeFigures(**{**figures.__dict__, "mode": "whep", "planned_viewers": 8})
    assert named.lines() == [
        "viewer surge (whep): 8 planned, 8 started, 5 watching at most",
        "joins: 1/2 succeeded (50.0 %)",
        "time to first frame: p50 100 ms, p95 100 ms",
        "failures: http_503 ×1",
    ]
    assert SurgeFigures(mode="hls").lines() == [
        "viewer surge (hls): 0 planned, 0 started, 0 watching at most",
        "joins: none finished",
    ]
    assert SurgeFigures().lines()[0].startswith("viewer surge (unknown mode)")


def test_the_surge_of_a_timeline() -> None:
    base = {"at": NOW, "observed_at": NOW}
    assert surge_summary(Timeline.of([Note(**base, text="x")])) is None
    samples = [
        LoadSample(**base, window_s=1, users=4, watching=4, total_joins=4, total_joined=4),
        LoadSample(
            **base,
            window_s=1,
            users=8,
            watching=5,
            total_joins=10,
            total_joined=6,
            total_first_p50_ms=100.0,
            total_first_p95_ms=900.0,
            total_failures={"http_503": 4},
        ),
    ]
    running = surge_summary(Timeline.of(samples), mode="hls", planned_viewers=8)
    assert running == SurgeFigures(
        joins=10,
        joined=6,
        first_p50_ms=100.0,
        first_p95_ms=900.0,
        failures={"http_503": 4},
        viewers_reached=5,
        users_reached=8,
        mode="hls",
        planned_viewers=8,
    )
    summary = LoadSummary(
        **base, mode="hls", planned_viewers=8, workers=2, joins=12, joined=7, viewers_reached=6
    )
    ended = surge_summary(Timeline.of([*samples, summary]))
    assert ended is not None and ended.joins == 12 and ended.workers == 2
    assert ended.viewers_reached == 6 and ended.mode == "hls"
