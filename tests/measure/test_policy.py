"""The drill policy: resolution reached, when to lift, "asked for logs", clock skew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportdrill.definitions.model import LiftFault, ResolutionSpec, ResolutionWhen
from supportdrill.measure.policy import (
    clock_skew_s,
    lift_reason,
    resolution_reached,
    vendor_asked_for_information,
)
from supportdrill.timeline import (
    Event,
    FaultInjected,
    FaultLifted,
    ReplyClass,
    ResolutionKind,
    StatusCategory,
    StreamRecovered,
    TicketStatus,
    Timeline,
    VendorReply,
)

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def at(seconds: float) -> dict[str, datetime]:
    moment = T0 + timedelta(seconds=seconds)
    return {"at": moment, "observed_at": moment}


def reply(seconds: float, text: str, cls: ReplyClass = ReplyClass.HUMAN) -> VendorReply:
    return VendorReply(**at(seconds), message_id=f"m{seconds}", classification=cls, excerpt=text)


def timeline(*events: Event) -> Timeline:
    return Timeline(list(events))


@pytest.mark.parametrize(
    ("events", "asked"),
    [
        ([reply(60, "Could you send the HAR file?")], True),
        ([reply(60, "Please attach your logs")], True),
        ([reply(60, "We are looking into it")], False),
        ([reply(60, "Send logs", ReplyClass.AUTO)], False),
        ([FaultLifted(**at(60), reason="x")], False),
        ([], False),
    ],
)
def test_vendor_asked_for_information(events: list[Event], asked: bool) -> None:
    assert vendor_asked_for_information(events) is asked


def test_lift_on_first_response_counts_automatic_replies() -> None:
    spec = ResolutionSpec(lift_fault=LiftFault.ON_FIRST_RESPONSE)
    assert lift_reason(spec, timeline(), T0) is None
    auto = timeline(reply(5, "we got it", ReplyClass.AUTO))
    assert lift_reason(spec, auto, T0) == "the vendor first responded"


def test_lift_on_first_human_response_waits_for_a_human() -> None:
    spec = ResolutionSpec(lift_fault=LiftFault.ON_FIRST_HUMAN_RESPONSE)
    auto = timeline(reply(5, "we got it", ReplyClass.AUTO))
    assert lift_reason(spec, auto, T0) is None
    human = timeline(reply(5, "we got it", ReplyClass.AUTO), reply(90, "on it"))
    assert lift_reason(spec, human, T0) == "a human at the vendor first responded"


def test_lift_after_counts_from_the_injection() -> None:
    spec = ResolutionSpec(lift_fault=LiftFault.AFTER, lift_after=timedelta(minutes=5))
    assert lift_reason(spec, timeline(), T0 + timedelta(hours=1)) is None  # never injected
    injected = timeline(FaultInjected(**at(0), profile="blackout"))
    assert lift_reason(spec, injected, T0 + timedelta(minutes=4, seconds=59)) is None
    assert lift_reason(spec, injected, T0 + timedelta(minutes=5)) == "lift_after (0:05:00) elapsed"
    no_delay = ResolutionSpec(lift_fault=LiftFault.AFTER)
    assert lift_reason(no_delay, injected, T0 + timedelta(days=1)) is None


def test_other_lift_policies_are_not_decided_here() -> None:
    spec = ResolutionSpec(lift_fault=LiftFault.ON_RESOLUTION)
    assert lift_reason(spec, timeline(reply(5, "fixed")), T0) is None


def test_ticket_solved_resolution_takes_the_first_solved_or_closed_status() -> None:
    spec = ResolutionSpec(when=ResolutionWhen.TICKET_SOLVED)
    open_only = timeline(TicketStatus(**at(60), status="open", category=StatusCategory.OPEN))
    assert resolution_reached(spec, open_only, T0, stream_interval_s=1.0) is None
    closed = timeline(
        TicketStatus(**at(60), status="open", category=StatusCategory.OPEN),
        TicketStatus(**at(600), status="closed", category=StatusCategory.CLOSED),
    )
    resolved = resolution_reached(spec, closed, T0 + timedelta(hours=1), stream_interval_s=1.0)
    assert resolved is not None
    assert resolved.at == T0 + timedelta(seconds=600)
    assert resolved.how is ResolutionKind.TICKET_SOLVED and resolved.detail == "closed"


def test_reply_matches_resolution_needs_a_human_reply_that_matches() -> None:
    spec = ResolutionSpec(when=ResolutionWhen.REPLY_MATCHES, pattern=r"root cause")
    events = timeline(reply(60, "Root cause found", ReplyClass.AUTO), reply(120, "hello"))
    assert resolution_reached(spec, events, T0, stream_interval_s=1.0) is None
    events = timeline(reply(60, "hello"), reply(300, "The ROOT CAUSE was a bad edge node"))
    resolved = resolution_reached(spec, events, T0, stream_interval_s=1.0)
    assert resolved is not None and resolved.how is ResolutionKind.REPLY_MATCHED
    assert resolved.detail == "m300"
    without_pattern = ResolutionSpec(when=ResolutionWhen.REPLY_MATCHES)
    assert resolution_reached(without_pattern, events, T0, stream_interval_s=1.0) is None


def test_stream_recovered_resolution_counts_only_a_recovery_after_the_lift() -> None:
    spec = ResolutionSpec(when=ResolutionWhen.STREAM_RECOVERED)
    assert resolution_reached(spec, timeline(), T0, stream_interval_s=1.0) is None
    before_lift = timeline(StreamRecovered(**at(10)), FaultLifted(**at(20), reason="x"))
    assert resolution_reached(spec, before_lift, T0, stream_interval_s=1.0) is None
    after_lift = timeline(FaultLifted(**at(20), reason="x"), StreamRecovered(**at(23)))
    resolved = resolution_reached(spec, after_lift, T0, stream_interval_s=0.5)
    assert resolved is not None and resolved.how is ResolutionKind.STREAM_RECOVERED
    assert resolved.precision_s == 0.5 and resolved.at == T0 + timedelta(seconds=23)


@pytest.mark.parametrize(
    ("created", "skew"),
    [(-3, -3.0), (0, 0.0), (1, 0.0), (2, 0.0), (7, 5.0)],
)
def test_clock_skew_only_outside_the_request_window(created: float, skew: float) -> None:
    created_at = T0 + timedelta(seconds=created)
    answered = T0 + timedelta(seconds=2)
    assert clock_skew_s(created_at, submitted=T0, answered=answered) == skew


def test_stream_recovered_with_the_fault_never_lifted_counts_the_recovery_around_it() -> None:
    spec = ResolutionSpec(when=ResolutionWhen.STREAM_RECOVERED, lift_fault=LiftFault.NEVER)
    injected = FaultInjected(**at(0), profile="edge-loss")
    assert resolution_reached(spec, timeline(injected), T0, stream_interval_s=0.5) is None
    failover = timeline(injected, StreamRecovered(**at(42)))
    resolved = resolution_reached(spec, failover, T0, stream_interval_s=0.5)
    assert resolved is not None and resolved.at == T0 + timedelta(seconds=42)
    assert resolved.how is ResolutionKind.STREAM_RECOVERED and resolved.precision_s == 0.5
    # Once the teardown has lifted it, the lift rule applies again: only a later recovery.
    torn_down = timeline(injected, StreamRecovered(**at(42)), FaultLifted(**at(50), reason="x"))
    assert resolution_reached(spec, torn_down, T0, stream_interval_s=0.5) is None


def test_a_fault_that_is_never_lifted_gives_no_lift_reason() -> None:
    spec = ResolutionSpec(lift_fault=LiftFault.NEVER)
    events = timeline(FaultInjected(**at(0), profile="x"), reply(5, "on it"))
    assert lift_reason(spec, events, T0 + timedelta(days=1)) is None
