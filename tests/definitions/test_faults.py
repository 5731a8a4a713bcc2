"""A drill's ``fault:`` section as users write it, and the built-in cited fault profiles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdrill.definitions.faults import (
    BOTH,
    BUILTIN_PROFILES,
    DOWN,
    FaultPlan,
    PhaseKind,
    ToxicPlan,
    format_profiles,
)
from supportdrill.definitions.loader import build_drill
from supportdrill.definitions.toxics import Direction, Transport
from supportdrill.errors import InvalidDrill

HEAD = (
    "name: fault-drill\n"
    "vendor: {name: v, desk: {kind: simulated}, timezone: UTC}\n"
    "ticket: {severity: P0}\n"
    "fault:\n"
)
"""Four lines; the ``fault:`` body starts on line 5."""


def fault_of(body: str) -> FaultPlan:
    # A fault acts on a stream's media, so a drill with one needs a direction too.
    drill = build_drill(HEAD + body + "stream: {scenario: showroom}\n", "drill.yaml")
    assert drill.fault is not None
    return drill.fault


# -- profiles ---------------------------------------------------------------------------------


def test_a_profile_keeps_its_numbers_and_source() -> None:
    plan = fault_of("  profile: sea-mobile-peak\n")
    assert (plan.profile, plan.region) == ("sea-mobile-peak", "Southeast Asia")
    assert plan.symptom == "mobile congestion at evening peak"
    assert plan.expect_degraded_within == timedelta(seconds=10)
    assert plan.source == BUILTIN_PROFILES["sea-mobile-peak"].source
    (hold,) = plan.phases
    assert hold.kind is PhaseKind.HOLD and hold.duration is None and hold.steps == 1
    by_kind = {(t.type, t.transport, t.directions): t for t in hold.toxics}
    # 9000 kbps down, 3000 up, as KB/s on the media datagrams only.
    down = by_kind["bandwidth", Transport.UDP, (Direction.DOWNSTREAM,)]
    assert down.attributes == {"rate": 1125.0}
    assert by_kind["bandwidth", Transport.UDP, (Direction.UPSTREAM,)].attributes == {"rate": 375.0}
    latency = by_kind["latency", Transport.UDP, BOTH].attributes
    assert latency == {"latency": 47, "jitter": 30, "reorder": False}
    assert by_kind["latency", Transport.TCP, BOTH].attributes == {"latency": 47, "jitter": 30}
    assert by_kind["loss", Transport.UDP, BOTH].attributes == {"probability": 0.02, "burst": 3.0}
    assert plan.transports == {Transport.UDP, Transport.TCP}


def test_a_profile_can_be_renamed_for_the_ticket() -> None:
    plan = fault_of(
        "  profile: eu\n"
        "  region: Frankfurt\n"
        "  symptom: viewers in Germany buffer\n"
        "  expect_degraded_within: 30s\n"
    )
    assert (plan.profile, plan.region, plan.symptom) == (
        "eu",
        "Frankfurt",
        "viewers in Germany buffer",
    )
    assert plan.expect_degraded_within == timedelta(seconds=30)
    assert plan.phases == BUILTIN_PROFILES["eu"].phases
    assert plan.expect_recovered_within is None


def test_a_fault_can_say_how_soon_the_stream_must_be_restored() -> None:
    plan = fault_of("  profile: eu\n  expect_recovered_within: 90s\n")
    assert plan.expect_recovered_within == timedelta(seconds=90)
    custom = fault_of("  toxics:\n    - {type: loss}\n  expect_recovered_within: 2m\n")
    assert custom.expect_recovered_within == timedelta(minutes=2)


def test_profile_plan_defaults() -> None:
    plan = BUILTIN_PROFILES["blackout"].plan()
    assert plan == FaultPlan(
        "blackout",
        "any",
        "no media, sockets open",
        BUILTIN_PROFILES["blackout"].phases,
        timedelta(seconds=10),
        BUILTIN_PROFILES["blackout"].source,
    )
    assert BUILTIN_PROFILES["blackout"].plan(timedelta(minutes=1)).expect_degraded_within == (
        timedelta(minutes=1)
    )


def test_every_builtin_profile_is_cited_and_applicable() -> None:
    assert len(BUILTIN_PROFILES) == 14 + 8 + 5 + 7 + 5
    for name, profile in BUILTIN_PROFILES.items():
        assert profile.name == name and profile.source and profile.numbers and profile.phases
        for phase in profile.phases:
            assert phase.toxics
            for toxic in phase.toxics:
                assert 0.0 <= toxic.toxicity <= 1.0
                assert toxic.directions and set(toxic.start) <= set(toxic.attributes)


def test_testrtc_and_loadero_profiles_use_the_sources_figures() -> None:
    drop = BUILTIN_PROFILES["testrtc-call-drop"]
    assert drop.numbers == "50 kbps, 500 ms, 20.0% loss"
    udp = {t.type: t.attributes for t in drop.phases[0].toxics if t.transport is Transport.UDP}
    assert udp["bandwidth"]["rate"] == 6.25 and udp["loss"]["probability"] == 0.2
    # testRTC's regular 4G adds no latency: no latency toxic, so nothing is added on TCP either.
    regular = BUILTIN_PROFILES["testrtc-regular-4g"].phases[0].toxics
    assert {t.type for t in regular} == {"bandwidth", "loss"}
    # Loadero's high-latency has no bandwidth limit and no loss.
    latency_only = BUILTIN_PROFILES["loadero-high-latency"]
    assert latency_only.numbers == "-/- kbps, 0.0% loss, 500 ms ± 50 ms"
    assert {t.type for t in latency_only.phases[0].toxics} == {"latency"}
    # Loss-only profiles touch only the media path.
    assert BUILTIN_PROFILES["loadero-100-percent-packetloss"].plan().transports == {Transport.UDP}


def test_the_profile_table_lists_numbers_kinds_protocols_and_sources() -> None:
    table = format_profiles().splitlines()
    assert len(table) == 2 * len(BUILTIN_PROFILES)
    rows = dict(zip(table[::2], table[1::2], strict=True))
    collapse = next(row for row in rows if row.startswith("bandwidth-collapse "))
    assert collapse.endswith(
        "20 Mbps → 50 KB/s in 5 steps over 30 s, then held  [ramp+hold; tcp/udp]"
    )
    assert rows[collapse].strip() == f"source: {BUILTIN_PROFILES['bandwidth-collapse'].source}"
    flapping = next(row for row in rows if row.startswith("flapping-link "))
    assert flapping.endswith("[flap; tcp/udp]")
    loss = next(row for row in rows if row.startswith("loadero-5-percent-packetloss "))
    assert loss.endswith("5% loss  [hold; udp]")


def test_profiles_cite_where_their_numbers_come_from() -> None:
    assert "Opensignal" in BUILTIN_PROFILES["sea-mobile-peak"].source
    assert "testrtc.com" in BUILTIN_PROFILES["testrtc-call-drop"].source


# -- a ramp, in between -----------------------------------------------------------------------


def test_a_ramp_steps_from_its_start_to_its_end() -> None:
    collapse = BUILTIN_PROFILES["bandwidth-collapse"].phases[0]
    assert collapse.kind is PhaseKind.RAMP and collapse.steps == 5
    udp, tcp = collapse.toxics
    assert udp.at(0.0) == {"rate": 2500.0} and udp.at(1.0) == {"rate": 50.0}
    assert udp.at(0.5) == {"rate": 1275.0}
    # Whole-number attributes stay whole numbers on the way.
    assert tcp.at(0.3) == {"rate": 1765} and isinstance(tcp.at(0.3)["rate"], int)


def test_a_ramp_leaves_switches_and_unramped_values_alone() -> None:
    toxic = ToxicPlan(
        "latency",
        Transport.UDP,
        attributes={"latency": 400, "jitter": 50, "reorder": True},
        start={"latency": 0, "reorder": False},
    )
    assert toxic.at(0.25) == {"latency": 100, "jitter": 50, "reorder": True}
    # A start value for an attribute the end does not set holds still.
    held = ToxicPlan("bandwidth", Transport.UDP, attributes={}, start={"rate": 10.0})
    assert held.at(0.5) == {"rate": 10.0}


def test_plans_are_frozen_copies() -> None:
    given = {"rate": 1.0}
    toxic = ToxicPlan("bandwidth", Transport.UDP, attributes=given)
    given["rate"] = 2.0
    assert toxic.attributes == {"rate": 1.0}
    with pytest.raises(TypeError):
        toxic.attributes["rate"] = 3.0  # type: ignore[index]


# -- explicit toxics and phases ---------------------------------------------------------------


def test_explicit_toxics_are_one_held_phase() -> None:
    plan = fault_of(
        "  region: Jakarta\n"
        "  symptom: edge drops half the packets\n"
        "  toxics:\n"
        "    - type: loss\n"
        "      attributes: {probability: 0.5}\n"
        "    - type: latency\n"
        "      protocol: tcp\n"
        "      stream: upstream\n"
        "      toxicity: 0.25\n"
        "      attributes: {latency: 120}\n"
        "    - {type: down, protocol: tcp}\n"
    )
    assert (plan.profile, plan.region, plan.source) == ("custom", "Jakarta", "the drill file")
    assert plan.symptom == "edge drops half the packets"
    (hold,) = plan.phases
    loss, latency, down = hold.toxics
    assert loss == ToxicPlan("loss", Transport.UDP, BOTH, 1.0, {"probability": 0.5, "burst": 1.0})
    assert latency == ToxicPlan(
        "latency", Transport.TCP, (Direction.UPSTREAM,), 0.25, {"latency": 120, "jitter": 0}
    )
    assert down == ToxicPlan(DOWN, Transport.TCP)
    assert plan.transports == {Transport.UDP, Transport.TCP}


def test_explicit_phases_ramp_hold_and_flap() -> None:
    plan = fault_of(
        "  phases:\n"
        "    - kind: ramp\n"
        "      duration: 30s\n"
        "      toxics:\n"
        "        - type: bandwidth\n"
        "          stream: downstream\n"
        "          attributes: {rate: 50}\n"
        "          from: {rate: 500}\n"
        "    - kind: flap\n"
        "      period: 2m\n"
        "      duration: 10m\n"
        "      toxics: [{type: blackhole}]\n"
        "    - until: first_human_response\n"
        "      toxics: [{type: latency, attributes: {latency: 300}, from: {reorder: true}}]\n"
    )
    ramp, flap, hold = plan.phases
    assert ramp.kind is PhaseKind.RAMP and ramp.steps == 5  # a ramp's default
    assert ramp.duration == timedelta(seconds=30)
    (bandwidth,) = ramp.toxics
    # Only the values the drill gave in ``from`` ramp; the rest start where they end.
    assert bandwidth.start == {"rate": 500.0}
    assert bandwidth.attributes == {"rate": 50.0, "queue": 64}
    assert bandwidth.at(0.5) == {"rate": 275.0, "queue": 64}
    assert bandwidth.directions == (Direction.DOWNSTREAM,)
    assert flap.kind is PhaseKind.FLAP and flap.period == timedelta(minutes=2)
    assert flap.duration == timedelta(minutes=10) and flap.steps == 1
    assert hold.kind is PhaseKind.HOLD and hold.until == "first_human_response"
    assert hold.duration is None
    (latency,) = hold.toxics
    assert latency.start == {"reorder": True} and latency.at(0.5)["reorder"] is False
    assert plan.transports == {Transport.UDP}


def test_a_ramp_with_its_own_steps_on_tcp_then_a_bursty_loss() -> None:
    plan = fault_of(
        "  phases:\n"
        "    - kind: ramp\n"
        "      duration: 30s\n"
        "      steps: 3\n"
        "      toxics:\n"
        "        - {type: bandwidth, protocol: tcp, stream: downstream,"
        " attributes: {rate: 50}, from: {rate: 500}}\n"
        "    - until: first_human_response\n"
        "      toxics: [{type: loss, attributes: {probability: 0.1, burst: 4}}]\n"
    )
    ramp, hold = plan.phases
    assert ramp.kind is PhaseKind.RAMP and ramp.steps == 3
    (bandwidth,) = ramp.toxics
    assert (bandwidth.transport, bandwidth.directions) == (Transport.TCP, (Direction.DOWNSTREAM,))
    assert bandwidth.at(0.5)["rate"] == 275
    (loss,) = hold.toxics
    assert loss.transport is Transport.UDP and loss.attributes == {"probability": 0.1, "burst": 4.0}
    assert plan.transports == {Transport.UDP, Transport.TCP}


def test_a_null_attributes_block_means_the_defaults() -> None:
    (toxic,) = fault_of("  toxics:\n    - type: latency\n      attributes:\n").phases[0].toxics
    assert toxic.attributes == {"latency": 0, "jitter": 0, "reorder": False}


BAD_FAULTS = [
    # (body, the whole error line, or its start)
    ("  region: Jakarta\n", "drill.yaml:5: fault: give exactly one of profile, toxics or phases"),
    ("  profile: eu\n  toxics: []\n", "drill.yaml:5: fault: give exactly one of profile, toxics or phases"),
    ("  profile: sea-mobile\n", "drill.yaml:5: fault.profile: unknown profile 'sea-mobile'; did you mean 'sea-mobile-peak'?"),
    ("  profile: eu\n  expect_degraded_within: 0s\n", "drill.yaml:6: fault.expect_degraded_within: must be longer than zero"),
    ("  profile: eu\n  expect_recovered_within: soon\n", "drill.yaml:6: fault.expect_recovered_within: "),
    ("  profile: eu\n  toxic: []\n", "drill.yaml:6: fault.toxic: unknown key; did you mean 'toxics'?"),
    ("  toxics: []\n", "drill.yaml:5: fault.toxics: needs at least one toxic"),
    ("  toxics: {type: loss}\n", "drill.yaml:5: fault.toxics: must be a list, got a mapping"),
    ("  toxics:\n    - loss\n", "drill.yaml:6: fault.toxics[0]: fault.toxics[0] must be a mapping of keys to values, got str 'loss'"),
    ("  toxics:\n    - {protocol: udp}\n", "drill.yaml:6: fault.toxics[0].type: is required"),
    ("  toxics:\n    - {type: lag}\n", "drill.yaml:6: fault.toxics[0].type: unknown udp toxic type 'lag'; known: bandwidth, blackhole, duplicate, latency, loss, down"),
    ("  toxics:\n    - {type: los}\n", "drill.yaml:6: fault.toxics[0].type: unknown udp toxic type 'los'; did you mean 'loss'?"),
    ("  toxics:\n    - {type: loss, protocol: tcp}\n", "drill.yaml:6: fault.toxics[0].type: unknown tcp toxic type 'loss'"),
    ("  toxics:\n    - {type: loss, protocol: sctp}\n", "drill.yaml:6: fault.toxics[0].protocol: 'sctp' is not one of tcp, udp"),
    ("  toxics:\n    - {type: loss, stream: both-ways}\n", "drill.yaml:6: fault.toxics[0].stream: 'both-ways' is not one of both, upstream, downstream"),
    ("  toxics:\n    - {type: loss, toxicity: 1.5}\n", "drill.yaml:6: fault.toxics[0].toxicity: must be between 0 and 1, got 1.5"),
    ("  toxics:\n    - {type: loss, toxicity: .nan}\n", "drill.yaml:6: fault.toxics[0].toxicity: must be a finite number, got nan"),
    ("  toxics:\n    - {type: loss, toxicity: half}\n", "drill.yaml:6: fault.toxics[0].toxicity: must be a number, got str 'half'"),
    ("  toxics:\n    - {type: loss, rate: 5}\n", "drill.yaml:6: fault.toxics[0].rate: unknown key"),
    (
        "  toxics:\n    - type: latency\n      attributes:\n        latency: -5\n",
        "drill.yaml:8: fault.toxics[0].attributes.latency: must not be negative, got -5",
    ),
    (
        "  toxics:\n    - type: loss\n      attributes:\n        probability: 2\n",
        "drill.yaml:8: fault.toxics[0].attributes.probability: must be at most 1, got 2.0",
    ),
    (
        "  toxics:\n    - type: latency\n      from:\n        reorder: sometimes\n",
        "drill.yaml:8: fault.toxics[0].from.reorder: must be true or false, got 'sometimes'",
    ),
    ("  toxics:\n    - {type: latency, attributes: 5}\n", "drill.yaml:6: fault.toxics[0].attributes: fault.toxics[0].attributes must be a mapping"),
    ("  toxics:\n    - {type: down, attributes: {rate: 1}}\n", "drill.yaml:6: fault.toxics[0].attributes: a 'down' proxy takes no attributes"),
    ("  toxics:\n    - {type: down, from: {rate: 1}}\n", "drill.yaml:6: fault.toxics[0].from: a 'down' proxy takes no attributes"),
    ("  phases: []\n", "drill.yaml:5: fault.phases: needs at least one phase"),
    ("  phases:\n    - kind: hold\n", "drill.yaml:6: fault.phases[0].toxics: is required"),
    ("  phases:\n    - {kind: hold, toxics: []}\n", "drill.yaml:6: fault.phases[0].toxics: needs at least one toxic"),
    ("  phases:\n    - {kind: pulse, toxics: [{type: blackhole}]}\n", "drill.yaml:6: fault.phases[0].kind: 'pulse' is not one of hold, ramp, flap"),
    ("  phases:\n    - {kind: ramp, toxics: [{type: blackhole}]}\n", "drill.yaml:6: fault.phases[0].kind: a ramp needs a duration"),
    ("  phases:\n    - {kind: flap, toxics: [{type: blackhole}]}\n", "drill.yaml:6: fault.phases[0].kind: a flap needs a period"),
    ("  phases:\n    - {kind: ramp, duration: 1m, steps: 0, toxics: [{type: blackhole}]}\n", "drill.yaml:6: fault.phases[0].steps: must be at least 1, got 0"),
    ("  phases:\n    - {duration: 1m, until: fault_lifted, toxics: [{type: blackhole}]}\n", "drill.yaml:6: fault.phases[0].until: give either duration or until, not both"),
    ("  phases:\n    - {hold: 1m, toxics: [{type: blackhole}]}\n", "drill.yaml:6: fault.phases[0].hold: unknown key"),
    (
        "  phases:\n    - toxics:\n        - {type: blackhole}\n        - {type: lag}\n",
        "drill.yaml:8: fault.phases[0].toxics[1].type: unknown udp toxic type 'lag'",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("body", "expected"), BAD_FAULTS, ids=[b for b, _ in BAD_FAULTS])
def test_bad_faults_name_file_line_and_field(body: str, expected: str) -> None:
    with pytest.raises(InvalidDrill) as caught:
        fault_of(body)
    rendered = str(caught.value)
    assert rendered.startswith(expected), rendered
    assert "\n" not in rendered
