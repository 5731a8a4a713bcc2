"""The ``fault:`` section: profiles, explicit toxics and phases, and errors that name the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdrill.errors import InvalidDrill
from supportdrill.faults.catalog import Protocol, Stream
from supportdrill.spec.faults import (
    BUILTIN_PROFILES,
    PhaseKind,
    format_profiles,
    parse_fault_section,
)
from supportdrill.spec.reader import Section, read_document


def _parse(text: str):  # type: ignore[no-untyped-def]
    root = Section(read_document(text, "drill.yaml"), "drill.yaml")
    return parse_fault_section(root.section("fault"))


def test_profile_with_overrides() -> None:
    plan = _parse("fault:\n  profile: sea-mobile-peak\n  expect_degraded_within: 15s\n")
    assert plan.profile == "sea-mobile-peak" and plan.region == "Southeast Asia"
    assert plan.expect_degraded_within == timedelta(seconds=15)
    assert plan.protocols == {Protocol.UDP, Protocol.TCP}
    assert "Opensignal" in plan.source


def test_explicit_phases() -> None:
    plan = _parse(
        "fault:\n  phases:\n"
        "    - kind: ramp\n      duration: 30s\n      steps: 3\n      toxics:\n"
        "        - {type: bandwidth, protocol: tcp, stream: downstream,"
        " attributes: {rate: 50}, from: {rate: 500}}\n"
        "    - kind: hold\n      until: first_human_response\n      toxics:\n"
        "        - {type: loss, attributes: {probability: 0.1, burst: 4}}\n"
    )
    ramp, hold = plan.phases
    assert ramp.kind is PhaseKind.RAMP and ramp.steps == 3
    assert ramp.toxics[0].streams == (Stream.DOWNSTREAM,)
    assert ramp.toxics[0].at(0.5)["rate"] == 275
    assert hold.until == "first_human_response" and hold.toxics[0].protocol is Protocol.UDP


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("fault:\n  toxics:\n    - {type: lag}\n", "drill.yaml:3: fault.toxics[0].type: unknown"),
        (
            "fault:\n  toxics:\n    - type: latency\n      attributes:\n        latency: -5\n",
            "drill.yaml:5: fault.toxics[0].attributes.latency: must not be negative",
        ),
        (
            "fault:\n  toxics:\n    - {type: latency, toxicity: 2}\n",
            "fault.toxics[0].toxicity: must be between 0 and 1",
        ),
        ("fault:\n  profile: sea-mobile\n", "did you mean 'sea-mobile-peak'?"),
        (
            "fault:\n  phases:\n    - kind: flap\n      toxics: [{type: blackhole}]\n",
            "a flap needs a period",
        ),
        ("fault:\n  profile: eu\n  toxics: []\n", "give exactly one of profile, toxics or phases"),
    ],
)
def test_errors_name_the_field(text: str, where: str) -> None:
    with pytest.raises(InvalidDrill) as error:
        _parse(text)
    assert where in str(error.value)


def test_profiles_cite_sources_and_numbers() -> None:
    testrtc = BUILTIN_PROFILES["testrtc-call-drop"]
    assert testrtc.numbers == "50 kbps, 500 ms, 20.0% loss" and "testrtc.com" in testrtc.source
    loss = {t.type: t for t in testrtc.phases[0].toxics if t.protocol is Protocol.UDP}
    assert loss["loss"].attributes["probability"] == 0.2
    assert loss["bandwidth"].attributes["rate"] == 6.25  # 50 kbps in KB/s
    for name in (
        "sea-mobile-peak",
        "middle-east-out-of-region",
        "latam-4g",
        "africa-3g",
        "japan",
        "us-west",
        "eu",
        "bandwidth-collapse",
        "blackout",
        "flapping-link",
        "latency-spike",
        "edge-outage",
        "loadero-gprs",
    ):
        assert BUILTIN_PROFILES[name].source
    table = format_profiles()
    assert "edge-outage" in table and "source:" in table
