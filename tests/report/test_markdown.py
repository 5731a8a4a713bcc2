"""The Markdown report's stream section, from a run with a stream and one without."""

from __future__ import annotations

from datetime import timedelta

from supportdrill.definitions.loader import build_drill
from supportdrill.report.build import evaluation_of
from supportdrill.report.journal import RunFacts
from supportdrill.report.markdown import render_markdown
from supportdrill.timeline import (
    DrillEnded,
    DrillStarted,
    Outcome,
    StreamHealth,
    TicketFiled,
    Timeline,
)

from .streamdrill import START, STREAM_DRILL, sample, stream_drill, stream_timeline


def _render(timeline: Timeline, text: str | None = None) -> str:
    drill = stream_drill() if text is None else build_drill(text, "t.yaml")
    facts = RunFacts(run_id="run-1", drill=drill)
    return render_markdown(facts, timeline, evaluation_of(facts, timeline))


def _section(report: str) -> str:
    return report.split("## Stream health", 1)[1]


def test_stream_section_tells_the_story() -> None:
    timeline, _ = stream_timeline()
    section = _section(_render(timeline))
    assert "Fault `sea-mobile-peak` injected in Southeast Asia at 2026-11-20 20:00:12Z" in section
    assert "Degraded at 2026-11-20 20:00:15Z, detected 3s after the fault was injected." in section
    assert "Reasons: fps 9.0 < 24; latency 720 ms > 600 ms; loss 12.0 % > 5 %." in section
    assert "Recovered at 2026-11-20 20:01:34Z, 4s after the fault was lifted." in section
    assert "20:00:29Z → 20:00:40Z (11s) — ended by rebuilding the connection" in section
    assert "| baseline | 20:00:10Z | 30.0 | 80 ms | 0.0 % | 4 ms | 1400 kbps | 4.27 |" in section
    assert "| degraded | 20:00:15Z | 9.0 | 720 ms | 12.0 % | 45 ms | 310 kbps | 1.00 |" in section


def test_health_table_is_at_most_thirty_rows_with_offsets_from_the_fault() -> None:
    timeline, _ = stream_timeline()
    section = _section(_render(timeline))
    table = section.split("Worst figures per 5s (time from fault injected):", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| 20:")]
    assert 1 < len(rows) <= 30
    assert rows[0].startswith("| 20:00:01 | -11s | 5 |  | starting |")
    assert any("| +19s | 5 | on | degraded, no media | 0.0 | — | 100.0 % |" in r for r in rows)
    assert rows[-1].endswith("| healthy | 30.0 | 80 ms | 0.0 % | 4.27 |")


def test_sparkline_shows_the_dip_under_the_fault() -> None:
    timeline, _ = stream_timeline()
    section = _section(_render(timeline))
    spark = next(line for line in section.splitlines() if line.startswith("MOS   "))[6:]
    marks = next(line for line in section.splitlines() if line.startswith("fault "))[6:]
    assert len(spark) == len(marks) == 60
    under_fault = {char for char, mark in zip(spark, marks, strict=True) if mark == "━"}
    before = spark[: marks.index("━")]
    assert "▁" in under_fault and set(before) == {"█"}


def test_timeline_rows_carry_baseline_and_recovery_figures() -> None:
    timeline, _ = stream_timeline()
    report = _render(timeline)
    assert "| baseline healthy | fps 30.0 · latency 80 ms · loss 0.0 %" in report
    assert "| stream recovered | fps 30.0 ·" in report


def test_a_ticket_only_run_has_no_stream_section() -> None:
    text = STREAM_DRILL.replace("stream: {scenario: showroom}\n", "").replace(
        "fault: {profile: sea-mobile-peak}\n", ""
    )
    later = START + timedelta(minutes=5)
    timeline = Timeline.of(
        [
            DrillStarted(
                at=START, observed_at=START, drill="d", vendor="v", desk="simulated", severity="P0"
            ),
            TicketFiled(at=START, observed_at=START, ticket_id="1"),
            DrillEnded(at=later, observed_at=later, outcome=Outcome.COMPLETED),
        ]
    )
    report = _render(timeline, text)
    assert "## Timeline" in report
    assert "Stream health" not in report


def test_a_run_over_a_weekend_dates_its_rows() -> None:
    samples = []
    for step in range(2 * 48):  # every 30 minutes from Saturday 03:00 Jakarta to Monday
        moment = START + timedelta(minutes=30 * step)
        samples.append(StreamHealth(at=moment, observed_at=moment, metrics=sample(moment)))
    section = _section(_render(Timeline.of(samples)))
    assert "Worst figures per 2h (time from first sample):" in section
    rows = [line for line in section.splitlines() if line.startswith("| 11-")]
    assert rows[0].startswith("| 11-20 20:00 | +0ms | 4 |")
    assert rows[-1].startswith("| 11-22 18:00 | +1d 22h | 4 |")
    assert len(rows) == 24
