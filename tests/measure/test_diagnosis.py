"""Diagnosis accuracy: the vendor's replies judged against the fault we injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportdrill.measure.diagnosis import (
    Direction,
    FaultKind,
    Judgement,
    diagnose,
    ground_truth,
)
from supportdrill.timeline import FaultInjected, ReplyClass, Timeline

from .timelines import Builder, minutes

T0 = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
JAKARTA_LOSS = FaultInjected(
    at=T0 - timedelta(minutes=2),
    observed_at=T0 - timedelta(minutes=2),
    profile="custom",
    region="Jakarta, Indonesia (Southeast Asian mobile viewers)",
    toxics=(
        "hold: udp loss probability=0.15 (upstream,downstream)",
        "hold: udp latency jitter=30 latency=250 (upstream,downstream)",
    ),
)


def timeline(builder: Builder, fault: FaultInjected | None = JAKARTA_LOSS) -> Timeline:
    events = [fault, *builder.events] if fault is not None else builder.events
    return Timeline.of(events)


def test_ground_truth_reads_region_kinds_and_directions() -> None:
    truth = ground_truth(JAKARTA_LOSS)
    assert truth.places == ("Jakarta", "Indonesia", "Asia", "Southeast Asia")
    assert truth.kinds == {FaultKind.LOSS, FaultKind.LATENCY}
    assert truth.directions == {Direction.UPSTREAM, Direction.DOWNSTREAM}


def test_ground_truth_of_one_way_bandwidth_and_a_blackout_without_streams() -> None:
    fault = FaultInjected(
        at=T0,
        observed_at=T0,
        profile="p",
        region="Tokyo",
        toxics=(
            "hold: udp bandwidth rate=300 (downstream)",
            "hold: tcp down (connections refused)",
            "hold: udp mystery x=1 (upstream)",
        ),
    )
    truth = ground_truth(fault)
    assert truth.places == ("Tokyo",)
    assert truth.kinds == {FaultKind.BANDWIDTH, FaultKind.BLACKOUT}
    assert truth.directions == {Direction.UPSTREAM, Direction.DOWNSTREAM}


def test_region_and_kind_in_one_human_reply_is_correct_with_its_time_and_quote() -> None:
    b = Builder(T0).reply(timedelta(seconds=30), ReplyClass.AUTO, excerpt="We got your ticket.")
    b.reply(
        minutes(12),
        excerpt="Hi, we see heavy packet loss on our Jakarta edge. Rerouting now.",
    )
    result = diagnose(timeline(b))
    assert result.judgement is Judgement.CORRECT
    assert result.time_to_correct_s == 12 * 60
    assert result.correct_at == T0 + minutes(12)
    assert result.region_named_s == result.kind_named_s == 12 * 60
    assert result.direction_named_s is None
    assert not result.wrong_before_correct
    assert result.replies == 1  # the automatic acknowledgement is not read
    (claim,) = result.claims
    assert claim.quotes == ("Hi, we see heavy packet loss on our Jakarta edge.",)
    assert claim.right == ("region Jakarta", "kind loss")
    assert claim.wrong == ()


def test_correct_is_when_the_second_half_arrives() -> None:
    b = Builder(T0).reply(minutes(5), excerpt="Latency is elevated, looking into it.")
    b.reply(minutes(40), excerpt="The affected edge is in Indonesia.")
    result = diagnose(timeline(b))
    assert result.judgement is Judgement.CORRECT
    assert result.kind_named_s == 300 and result.region_named_s == 2400
    assert result.time_to_correct_s == 2400


def test_region_before_kind_takes_the_kind_reply() -> None:
    b = Builder(T0).reply(minutes(5), excerpt="We are checking Southeast Asia.")
    b.reply(minutes(9), excerpt="Found jitter on the path.")
    assert diagnose(timeline(b)).time_to_correct_s == 540


def test_a_wrong_kind_first_then_corrected() -> None:
    b = Builder(T0).reply(
        minutes(5), excerpt="Looks like a bandwidth cap on your uplink in Tokyo; check your ISP."
    )
    b.reply(minutes(50), excerpt="Correction: packets were dropped on the Jakarta relay.")
    result = diagnose(timeline(b))
    assert result.judgement is Judgement.CORRECT_AFTER_WRONG
    assert result.wrong_first is not None
    assert result.wrong_first.wrong == ("region Tokyo", "kind bandwidth")
    assert result.wrong_first.right == ("direction upstream",)
    assert result.time_to_correct_s == 3000
    assert result.direction_named_s == 300


def test_ruling_out_the_true_kind_is_wrong() -> None:
    b = Builder(T0).reply(minutes(5), excerpt="We do not see any packet loss. Outage on our side?")
    result = diagnose(timeline(b))
    assert result.judgement is Judgement.WRONG
    (claim,) = result.claims
    assert claim.ruled_out == {FaultKind.LOSS}
    assert claim.kinds == {FaultKind.BLACKOUT}
    assert claim.wrong == ("kind blackout", "ruled out loss")


def test_ruling_out_a_kind_it_also_names_is_not_ruling_it_out() -> None:
    b = Builder(T0).reply(minutes(5), excerpt="Not just loss: loss and delay both.")
    (claim,) = diagnose(timeline(b)).claims
    assert claim.ruled_out == frozenset()
    assert claim.kinds == {FaultKind.LOSS, FaultKind.LATENCY}


def test_partial_when_only_the_kind_is_named() -> None:
    # The simulated persona's triage: the right kind, "that region" instead of a place.
    b = Builder(T0).reply(
        minutes(12),
        excerpt="We see elevated packet loss on the edge serving that region and are checking.",
    )
    result = diagnose(timeline(b))
    assert result.judgement is Judgement.PARTIAL
    assert result.time_to_correct_s is None and result.region_named_s is None


def test_both_directions_and_downstream_words() -> None:
    b = Builder(T0).reply(minutes(3), excerpt="Loss in both directions at Jakarta.")
    b.reply(minutes(4), excerpt="Playback is affected.")
    result = diagnose(timeline(b))
    assert result.claims[0].directions == {Direction.UPSTREAM, Direction.DOWNSTREAM}
    assert result.claims[1].directions == {Direction.DOWNSTREAM}
    assert result.direction_named_s == 180


def test_quoted_customer_text_is_not_the_vendor_s_diagnosis() -> None:
    b = Builder(T0).reply(
        minutes(3),
        excerpt="Thanks, we are on it. On Sat, 21 Nov 2026 you wrote: packet loss in Jakarta",
    )
    b.reply(minutes(4), excerpt="Checking now > Jakarta loss 15 %")
    result = diagnose(timeline(b))
    assert result.judgement is Judgement.NOT_NAMED
    assert result.claims == ()


def test_no_replies_and_no_fault_and_no_ticket() -> None:
    assert diagnose(timeline(Builder(T0))).judgement is Judgement.NO_REPLY
    b = Builder(T0).reply(minutes(3), excerpt="Jakarta loss")
    assert diagnose(timeline(b, fault=None)).judgement is Judgement.NOT_APPLICABLE
    only_fault = diagnose(Timeline.of([JAKARTA_LOSS]))
    assert only_fault.judgement is Judgement.NOT_APPLICABLE
    assert only_fault.truth is None and not only_fault.wrong_before_correct


def test_replies_before_t0_ignored_and_auto_replies_optional() -> None:
    b = Builder(T0).reply(-minutes(1), excerpt="Jakarta loss")
    b.reply(minutes(1), ReplyClass.AUTO, excerpt="Known issue: packet loss in Jakarta.")
    everything = diagnose(timeline(b), include_auto=True)
    assert everything.replies == 1 and everything.judgement is Judgement.CORRECT
    humans = diagnose(timeline(b))
    assert humans.replies == 0 and humans.judgement is Judgement.NO_REPLY


def test_a_time_zone_name_is_not_a_region() -> None:
    b = Builder(T0).reply(minutes(3), excerpt="We work 09:00-18:00 (Asia/Jakarta). Loss noted.")
    result = diagnose(timeline(b))
    assert result.judgement is Judgement.PARTIAL
    assert result.claims[0].places == ()


def test_a_wrong_claim_after_the_correct_one_does_not_count_as_first() -> None:
    b = Builder(T0).reply(minutes(3), excerpt="Packet loss in Jakarta.")
    b.reply(minutes(30), excerpt="Now seeing an outage in Tokyo as well.")
    result = diagnose(timeline(b))
    assert result.judgement is Judgement.CORRECT and result.wrong_first is None


def test_extra_places_are_recognised() -> None:
    b = Builder(T0).reply(minutes(3), excerpt="Latency at Surabaya.")
    result = diagnose(timeline(b), places=("Surabaya",))
    assert result.claims[0].wrong == ("region Surabaya",)


def test_a_wider_place_names_one_region_not_two() -> None:
    tokyo = FaultInjected(
        at=T0, observed_at=T0, profile="p", region="Tokyo", toxics=("hold: udp loss (downstream)",)
    )
    b = Builder(T0).reply(minutes(3), excerpt="Loss across Southeast Asia.")
    (claim,) = diagnose(timeline(b, fault=tokyo)).claims
    assert claim.wrong == ("region Southeast Asia",)
