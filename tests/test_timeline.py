"""Events round-trip through records; clocks refuse naive times and never go backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportdrill import timeline as tl

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def samples() -> list[tl.Event]:
    base = {"at": NOW, "observed_at": NOW + timedelta(seconds=2), "precision_s": 1.0}
    return [
        tl.DrillStarted(**base, drill="d", vendor="v", desk="simulated", severity="P0"),
        tl.PhaseChanged(**base, phase=tl.Phase.WATCH),
        tl.BaselineHealthy(**base, evidence={"fps": 30.0}),
        tl.FaultInjected(**base, profile="blackout", toxics=("a", "b")),
        tl.StreamDegraded(**base, reasons=("fps 0",), evidence={"fps": 0.0}),
        tl.StreamHealth(**base, metrics={"fps": 29.0}, healthy=True),
        tl.VendorProactiveContact(**base, source="statuspage", title="outage"),
        tl.TicketFiling(**base, idempotency_key="k"),
        tl.TicketFiled(**base, ticket_id="1", submitted_at=NOW, clock_skew_s=0.5),
        tl.CustomerMessage(**base, message_id="m"),
        tl.VendorReply(
            **base, message_id="r", classification=tl.ReplyClass.HUMAN, reasons=("agent",)
        ),
        tl.TicketStatus(**base, status="solved", category=tl.StatusCategory.SOLVED),
        tl.TicketResolved(**base, how=tl.ResolutionKind.TICKET_SOLVED),
        tl.FaultLifted(**base, reason="done"),
        tl.StreamRecovered(**base),
        tl.DeskGap(**base, until=NOW + timedelta(minutes=1), error="500"),
        tl.DeskSlaClock(
            **base,
            metric="first_response",
            vendor_name="reply_time",
            breach_at=NOW + timedelta(minutes=15),
            goal_s=900.0,
            breached=False,
        ),
        tl.Note(**base, text="hello"),
        tl.AlertDelivery(
            **base, alert="breach", channel="webhook", target="${SLACK_URL}", delivered=True
        ),
        tl.DrillEnded(**base, outcome=tl.Outcome.COMPLETED),
        tl.LoadSample(
            **base,
            window_s=2.0,
            users=8,
            watching=5,
            joins=4,
            joined=2,
            first_p50_ms=120.0,
            first_p95_ms=900.0,
            failures={"http_503": 2},
            healthy=False,
            reasons=("viewers: join success 50.0 % < 90 %",),
            total_joins=10,
            total_joined=7,
            total_first_p95_ms=880.0,
            total_failures={"http_503": 3},
        ),
        tl.LoadSummary(
            **base, mode="hls", planned_viewers=8, joins=10, joined=7, failures={"timeout": 1}
        ),
    ]


def test_every_kind_round_trips() -> None:
    events = samples()
    assert {event.kind for event in events} == set(tl.EVENT_KINDS)
    for event in events:
        assert tl.event_from_record(tl.event_to_record(event)) == event


def test_null_and_omitted_fields_load_as_stored_or_default() -> None:
    # A ticket whose submission time we never learned (recovered after a crash) stores null.
    filed = tl.TicketFiled(at=NOW, observed_at=NOW, ticket_id="7", recovered=True)
    record = tl.event_to_record(filed)
    assert record["submitted_at"] is None and record["at"] == "2026-11-21T03:00:00+00:00"
    assert tl.event_from_record(record) == filed
    # Records written before a field existed load with that field's default.
    old = {"kind": "vendor.reply", "at": record["at"], "observed_at": record["at"]}
    reply = tl.event_from_record({**old, "message_id": "m1", "classification": "auto"})
    assert reply == tl.VendorReply(
        at=NOW, observed_at=NOW, message_id="m1", classification=tl.ReplyClass.AUTO
    )
    assert isinstance(reply, tl.VendorReply) and reply.reasons == () and reply.precision_s == 0.0


def test_records_from_other_time_zones_keep_the_instant() -> None:
    record = tl.event_to_record(tl.Note(at=NOW, observed_at=NOW, text="x"))
    record["at"] = "2026-11-21T10:00:00+07:00"  # 03:00 UTC, written in Asia/Jakarta
    event = tl.event_from_record(record)
    assert event.at == NOW and event.at.utcoffset() == timedelta(hours=7)


def test_bad_records() -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        tl.event_from_record({"kind": "nope"})
    record = tl.event_to_record(samples()[0])
    record["surprise"] = 1
    with pytest.raises(ValueError, match=r"drill.started: unknown fields \['surprise'\]"):
        tl.event_from_record(record)
    reply = tl.event_to_record(samples()[10])
    with pytest.raises(ValueError, match="'bogus' is not a valid ReplyClass"):
        tl.event_from_record({**reply, "classification": "bogus"})
    with pytest.raises(ValueError, match="Invalid isoformat"):
        tl.event_from_record({**reply, "at": "yesterday"})


def test_events_refuse_naive_times_and_negative_precision() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        tl.Note(at=datetime(2026, 1, 1), observed_at=NOW, text="x")
    with pytest.raises(ValueError, match="must not be negative"):
        tl.Note(at=NOW, observed_at=NOW, precision_s=-1, text="x")


def test_timeline_queries() -> None:
    line = tl.Timeline.of(samples())
    assert len(line) == len(samples())
    assert line.first(tl.Note) is not None and line.last(tl.DrillEnded) is not None
    assert tl.Timeline().first(tl.Note) is None
    assert len(line.appended(tl.Note(at=NOW, observed_at=NOW, text="y")).all(tl.Note)) == 2
    assert next(event.kind for event in line) == "drill.started"


def test_vendor_side_events_read_again_are_held_once() -> None:
    """After a restart the desk lists its history again: the same reply, the same status change
    at the same desk time, the same filing are recognised; samples and notes always count."""
    base = {"at": NOW, "observed_at": NOW}
    later = {"at": NOW + timedelta(minutes=5), "observed_at": NOW + timedelta(minutes=5)}
    recorded = [
        tl.DrillStarted(**base, drill="d", vendor="v", desk="simulated", severity="P0"),
        tl.VendorProactiveContact(**base, source="statuspage", reference="inc-1"),
        tl.TicketFiled(**base, ticket_id="1"),
        tl.CustomerMessage(**base, message_id="c1"),
        tl.VendorReply(**base, message_id="r1", classification=tl.ReplyClass.HUMAN),
        tl.TicketStatus(**base, status="open", category=tl.StatusCategory.OPEN),
        tl.TicketResolved(**base, how=tl.ResolutionKind.TICKET_SOLVED),
        tl.DrillEnded(**base, outcome=tl.Outcome.COMPLETED),
    ]
    timeline = tl.Timeline.of(recorded)
    for event in recorded:
        assert event.identity() is not None
        assert timeline.holds(event), event.kind
    assert not timeline.holds(
        tl.VendorReply(**base, message_id="r2", classification=tl.ReplyClass.HUMAN)
    )
    assert not timeline.holds(
        tl.TicketStatus(**later, status="open", category=tl.StatusCategory.OPEN)
    )
    unreferenced = tl.VendorProactiveContact(**base, source="statuspage")
    assert unreferenced.identity() is None and not timeline.appended(unreferenced).holds(
        unreferenced
    )
    note = tl.Note(**base, text="same words")
    assert not timeline.appended(note).holds(note)
