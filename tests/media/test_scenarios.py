"""The stream: section of a drill: built-in scenarios, overrides, and errors naming file:line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdrill.errors import InvalidDrill
from supportdrill.spec.reader import Section, read_document
from supportdrill.spec.scenarios import (
    BUILTIN_SCENARIOS,
    MediaPath,
    StreamPlan,
    StreamTarget,
    StreamThresholds,
    parse_stream_section,
)


def parse(text: str) -> StreamPlan:
    root = Section(read_document(text, "drill.yaml"), "drill.yaml")
    return parse_stream_section(root.section("stream"))


def test_builtin_scenarios_match_live_streaming_practice() -> None:
    showroom = BUILTIN_SCENARIOS["showroom"]
    assert (showroom.width, showroom.height, showroom.fps) == (1280, 720, 30)
    assert BUILTIN_SCENARIOS["social-1v1"].thresholds.max_connect_ms == 600
    assert not BUILTIN_SCENARIOS["voice-room"].video
    assert not BUILTIN_SCENARIOS["game-voice"].video
    assert BUILTIN_SCENARIOS["game-voice"].thresholds.max_latency_rise_ms == 100
    assert set(BUILTIN_SCENARIOS) == {
        "showroom",
        "social-1v1",
        "voice-room",
        "game-voice",
        "ecommerce-live",
    }
    assert all(plan.source for plan in BUILTIN_SCENARIOS.values())


def test_a_scenario_with_overrides() -> None:
    plan = parse(
        "stream:\n"
        "  scenario: social-1v1\n"
        "  path: turn-tcp\n"
        "  resolution: 320x180\n"
        "  fps: 15\n"
        "  sample_interval: 250ms\n"
        "  thresholds: {max_loss_pct: 3, min_mos: null, degrade_after: 3}\n"
    )
    assert plan.scenario == "social-1v1"
    assert plan.path is MediaPath.TURN_TCP and plan.target is StreamTarget.LOOPBACK
    assert plan.resolution == "320x180" and plan.fps == 15
    assert plan.sample_interval == timedelta(milliseconds=250)
    assert plan.thresholds.max_loss_pct == 3.0
    assert plan.thresholds.min_mos is None
    assert plan.thresholds.degrade_after == 3
    assert plan.thresholds.max_connect_ms == 600  # kept from the scenario


def test_defaults_to_showroom() -> None:
    assert parse("stream: {target: loopback}\n") == BUILTIN_SCENARIOS["showroom"]


def test_turning_video_off_drops_the_video_floor() -> None:
    plan = parse("stream: {scenario: showroom, video: false}\n")
    assert plan.thresholds.min_fps == 40.0 and plan.thresholds.min_bitrate_kbps is None


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            "  scenario: showrom\n",
            "drill.yaml:2: stream.scenario: unknown scenario 'showrom'; did you mean 'showroom'?",
        ),
        ("  resolution: big\n", "drill.yaml:2: stream.resolution: 'big' is not a resolution"),
        ("  resolution: 33x33\n", "drill.yaml:2: stream.resolution: resolution 33x33"),
        ("  fps: 0\n", "drill.yaml:2: stream.fps: must be at least 1"),
        ("  fps: 120\n", "drill.yaml:2: stream.fps: fps 120: must be 1 to 60"),
        ("  path: tcp\n", "drill.yaml:2: stream.path: 'tcp' is not one of udp, turn-tcp"),
        ("  sample_interval: 5\n", "drill.yaml:2: stream.sample_interval: 5 has no unit"),
        ("  target: whip\n", "drill.yaml:2: stream.target: target whip needs whip_url"),
        (
            "  whip_url: ftp://x\n",
            "drill.yaml:2: stream.whip_url: must be an http:// or https:// URL",
        ),
        ("  video: false\n  audio: false\n", "stream.video: a stream needs video, audio or both"),
        (
            "  thresholds: {max_los_pct: 3}\n",
            "drill.yaml:2: stream.thresholds.max_los_pct: unknown key; did you mean 'max_loss_pct'?",
        ),
        (
            "  thresholds: {max_loss_pct: -1}\n",
            "drill.yaml:2: stream.thresholds.max_loss_pct: must be at least 0, got -1",
        ),
        (
            "  thresholds: {max_connect_ms: null}\n",
            "stream.thresholds.max_connect_ms: cannot be switched off",
        ),
        (
            "  thresholds: {recover_after: 0}\n",
            "stream.thresholds.recover_after: must be at least 1",
        ),
        (
            "  thresholds: {max_frozen_fraction: 2}\n",
            "stream.thresholds: max_frozen_fraction must be in (0, 1]",
        ),
        ("  bogus: 1\n", "drill.yaml:2: stream.bogus: unknown key"),
    ],
)
def test_bad_input_names_file_line_and_field(body: str, where: str) -> None:
    with pytest.raises(InvalidDrill) as caught:
        parse("stream:\n" + body)
    assert where in str(caught.value)


def test_plan_refuses_what_cannot_be_streamed() -> None:
    with pytest.raises(ValueError, match="even sides"):
        StreamPlan(scenario="x", width=641, height=360)


def test_every_plan_field_can_be_set_from_yaml() -> None:
    plan = parse(
        "stream:\n"
        "  scenario: voice-room\n"
        "  target: whip\n"
        "  whip_url: https://ingest.vendor.example/whip/drill\n"
        "  bitrate_kbps: 64\n"
        "  tone_hz: 0\n"
        "  dead_after: 30s\n"
    )
    assert plan.target is StreamTarget.WHIP
    assert plan.whip_url == "https://ingest.vendor.example/whip/drill"
    assert (plan.bitrate_kbps, plan.tone_hz) == (64, 0.0)
    assert plan.dead_after == timedelta(seconds=30)


def test_thresholds_refuse_hysteresis_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        StreamThresholds(degrade_after=0)
