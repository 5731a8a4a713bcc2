"""The journal's stream summary, and that the whole journal is plain JSON."""

from __future__ import annotations

import json

from supportdrill.report.build import evaluation_of
from supportdrill.report.journal import SCHEMA, RunFacts, build_journal
from supportdrill.timeline import DrillStarted, Timeline

from .streamdrill import START, stream_drill, stream_timeline


def test_stream_summary_in_the_journal() -> None:
    timeline, marks = stream_timeline()
    facts = RunFacts(run_id="run-1", drill=stream_drill())
    journal = json.loads(json.dumps(build_journal(facts, timeline, evaluation_of(facts, timeline))))
    assert journal["schema"] == SCHEMA
    stream = journal["stream"]
    assert (stream["samples"], stream["unhealthy"], stream["reconnects"]) == (120, 77, 1)
    assert stream["baseline"]["at"] == marks.baseline_at.isoformat()
    assert stream["baseline"]["metrics"]["fps"] == 30.0
    (episode,) = stream["episodes"]
    assert episode["detection_s"] == 3.0 and episode["recovery_s"] == 4.0
    assert episode["recovered_at"] == marks.recovered_at.isoformat()
    assert episode["evidence"]["loss_pct"] == 12.0
    assert stream["outages"] == [
        {
            "start": marks.outage[0].isoformat(),
            "end": marks.outage[1].isoformat(),
            "duration_s": 11.0,
            "ongoing": False,
            "reconnected": True,
        }
    ]
    assert len(journal["health"]) == 120
    assert all(event["kind"] != "stream.health" for event in journal["timeline"])


def test_no_stream_no_summary() -> None:
    started = DrillStarted(
        at=START, observed_at=START, drill="d", vendor="v", desk="simulated", severity="P0"
    )
    timeline = Timeline.of([started])
    facts = RunFacts(run_id="run-2", drill=stream_drill())
    journal = build_journal(facts, timeline, evaluation_of(facts, timeline))
    assert journal["stream"] is None and journal["health"] == []


def test_the_journal_carries_the_diagnosis() -> None:
    from datetime import timedelta

    from supportdrill.report.build import evaluation_of
    from supportdrill.report.journal import RunFacts, build_journal
    from supportdrill.timeline import ReplyClass, Timeline, VendorReply

    from .streamdrill import stream_drill, stream_timeline

    timeline, marks = stream_timeline()
    reply = VendorReply(
        at=marks.filed_at + timedelta(minutes=3),
        observed_at=marks.filed_at + timedelta(minutes=3),
        message_id="m1",
        classification=ReplyClass.HUMAN,
        excerpt="Latency is high across Southeast Asia.",
    )
    timeline = Timeline.of([*timeline.events, reply])
    facts = RunFacts(run_id="run-1", drill=stream_drill())
    diagnosis = build_journal(facts, timeline, evaluation_of(facts, timeline))["diagnosis"]
    assert diagnosis["judgement"] == "correct" and diagnosis["time_to_correct_s"] == 180
    assert diagnosis["kinds"] == ["bandwidth", "latency", "loss"]
    assert diagnosis["claims"][0]["quotes"] == ["Latency is high across Southeast Asia."]
    assert diagnosis["wrong_first"] is None
