"""The ticket body: what a support engineer needs, from a drill's timeline."""

from __future__ import annotations

from datetime import timedelta

from report.streamdrill import START, STREAM_DRILL, stream_drill, stream_timeline
from supportdrill.definitions.loader import build_drill
from supportdrill.report.ticket import NO_STREAM_EVIDENCE, NO_STREAM_STATS, render_ticket
from supportdrill.timeline import DrillStarted, Timeline


def _lines_after(body: str, heading: str) -> list[str]:
    block = body.split(heading, 1)[1].strip("\n").split("\n\n", 1)[0]
    return block.splitlines()


def test_stream_ticket_carries_region_symptom_times_and_stats() -> None:
    timeline, marks = stream_timeline(until=20)
    draft = render_ticket(stream_drill(), timeline, run_id="RUN-1", now=marks.filed_at)
    body = draft.body
    assert draft.subject == "[P0][DRILL] jakarta-showroom: mobile congestion at evening peak"
    assert "What we see: mobile congestion at evening peak (region: Southeast Asia)" in body
    assert "Since: 2026-11-20 20:00:15 UTC (vendor local time 2026-11-21 03:00 WIB (Sat))" in body
    assert "problem started (fault injected): 2026-11-20 20:00:12 UTC" in body
    assert "degradation detected by our monitoring: 2026-11-20 20:00:15 UTC, 3s later" in body
    assert "    - latency 720 ms > 600 ms" in body
    before = _lines_after(body, "Stream health before the problem:\n")
    assert before[0].split() == ["healthy,", "20:00:10", "UTC"]
    assert [line.split()[0] for line in before[1:]] == [
        "fps",
        "latency",
        "loss",
        "jitter",
        "bitrate",
        "MOS",
    ]
    after = _lines_after(body, "Stream health now:\n")
    assert after[0].split() == ["before", "20:00:10", "detected", "20:00:15", "now", "20:00:20"]
    assert after[2].split() == ["latency", "80", "ms", "720", "ms", "720", "ms"]
    assert after[3].split() == ["loss", "0.0", "%", "12.0", "%", "12.0", "%"]
    assert body.endswith("will be removed when the drill ends.")
    assert draft.tags[-1] == "supportdrill-run-1"


def test_outages_so_far_are_counted_in_the_evidence() -> None:
    timeline, marks = stream_timeline(until=45)
    body = render_ticket(stream_drill(), timeline, run_id="r", now=marks.filed_at).body
    assert "outages with no media at all: 1 (11s in total)" in body
    # The latest sample, after the reconnect, is the "now" column.
    assert "now 20:00:45" in body


def test_a_custom_body_without_evidence_placeholders_still_gets_the_evidence() -> None:
    drill = stream_drill('body: "Our show is down in {region}. Ref {run_id}"')
    timeline, marks = stream_timeline(until=20)
    body = render_ticket(drill, timeline, run_id="r", now=marks.filed_at).body
    assert body.startswith("Our show is down in Southeast Asia. Ref r\n\nRegion: Southeast Asia.")
    assert "degradation detected by our monitoring: 2026-11-20 20:00:15 UTC" in body
    assert "Stream health before and after:\n" in body and "detected 20:00:15" in body


def test_a_custom_body_with_placeholders_is_filled_not_extended() -> None:
    drill = stream_drill('body: "{stats_before}|{detected_after}|{fault_profile}"')
    timeline, marks = stream_timeline(until=20)
    body = render_ticket(drill, timeline, run_id="r", now=marks.filed_at).body
    stats, detected, profile = body.split("\n\n", 1)[0].split("|")
    assert "MOS      4.27" in stats
    assert (detected, profile) == ("3s", "sea-mobile-peak")
    assert "Stream health before and after" not in body


def test_ticket_only_drill_keeps_its_plain_body() -> None:
    text = (
        STREAM_DRILL.replace("stream: {scenario: showroom}\n", "")
        .replace("fault: {profile: sea-mobile-peak}\n", "")
        .replace("ticket: {severity: P0}", "ticket: {severity: P0, symptom: no video, region: ID}")
    )
    drill = build_drill(text, "t.yaml")
    started = DrillStarted(
        at=START, observed_at=START, drill="d", vendor="v", desk="simulated", severity="P0"
    )
    now = START + timedelta(seconds=5)
    draft = render_ticket(drill, Timeline.of([started]), run_id="r", now=now)
    assert "What we see: no video (region: ID)" in draft.body
    assert "Since: 2026-11-20 20:00:05 UTC" in draft.body
    assert NO_STREAM_EVIDENCE in draft.body
    assert draft.body.count(NO_STREAM_STATS) == 2
    assert "Stream health before and after" not in draft.body
