"""A drill's ``load:`` section as users write it: the surge profile, its modes and one-line errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdrill.definitions.load import LoadMode, LoadPlan, LoadThresholds
from supportdrill.definitions.loader import build_drill
from supportdrill.errors import InvalidDrill

HEAD = (
    "name: surge-drill\n"
    "vendor: {name: v, desk: {kind: simulated}, timezone: UTC}\n"
    "ticket: {severity: P0}\n"
    "stream: {target: whip, whip_url: 'http://127.0.0.1:1/whip', whep_url: '${WHEP_URL}'}\n"
    "load:\n"
)
"""Five lines; the ``load:`` body starts on line 6."""


def load_of(body: str, head: str = HEAD) -> LoadPlan:
    drill = build_drill(head + body, "drill.yaml")
    assert drill.load is not None
    return drill.load


def error(body: str, head: str = HEAD) -> str:
    with pytest.raises(InvalidDrill) as caught:
        build_drill(head + body, "drill.yaml")
    return str(caught.value)


def test_a_whep_surge_aims_at_the_streams_viewing_side_by_default() -> None:
    plan = load_of("  mode: whep\n  peak_viewers: 40\n  ramp_up: 10s\n  hold: 30s\n")
    assert plan.mode is LoadMode.WHEP and plan.url is None
    assert plan.peak_viewers == 40 and plan.hold == timedelta(seconds=30)
    assert plan.spawn_rate == 4.0 and plan.leave_rate == 8.0  # ramp_down defaults to 5s
    assert plan.workers == 0 and plan.thresholds == LoadThresholds()
    assert plan.describe() == (
        "load: 40 whep viewers, ramp up 10s, hold 30s, ramp down 5s (local runner)"
    )
    assert LoadMode.WHEP.first == "first frame" and LoadMode.HLS.first == "first byte"


def test_every_setting() -> None:
    plan = load_of(
        "  mode: hls\n"
        "  url: http://127.0.0.1:8480/hls/live.m3u8\n"
        "  peak_viewers: 200\n"
        "  ramp_up: 20s\n"
        "  hold: until_lifted\n"
        "  ramp_down: 4s\n"
        "  workers: 2\n"
        "  spawn_workers: false\n"
        "  master_host: 127.0.0.1\n"
        "  master_port: 5600\n"
        "  join_timeout: 5s\n"
        "  sample_interval: 3s\n"
        "  expect_degraded_within: 45s\n"
        "  thresholds: {min_join_success_pct: 99, max_first_frame_p95_ms: null,"
        " degrade_after: 3, min_joins: 10}\n"
    )
    assert plan.hold is None and plan.workers == 2 and not plan.spawn_workers
    assert plan.master_port == 5600 and plan.join_timeout == timedelta(seconds=5)
    assert plan.sample_interval == timedelta(seconds=3)
    assert plan.expect_degraded_within == timedelta(seconds=45)
    assert plan.thresholds == LoadThresholds(99.0, None, 3, 10)
    assert plan.describe().endswith("hold until lifted, ramp down 4s (2 Locust workers)")


def test_a_url_may_be_an_environment_reference() -> None:
    assert (
        load_of("  mode: http-flv\n  url: ${FLV}\n  peak_viewers: 1\n  hold: 1m\n").url == "${FLV}"
    )


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ("  mode: dash\n  peak_viewers: 1\n  hold: 1s\n", ":6: load.mode:", "not one of"),
        ("  mode: hls\n  peak_viewers: 1\n  hold: 1s\n", ":6: load.url:", "needs the playback"),
        (
            "  mode: hls\n  url: ftp://x\n  peak_viewers: 1\n  hold: 1s\n",
            ":7: load.url:",
            "http:// or https://",
        ),
        ("  mode: whep\n  peak_viewers: 0\n  hold: 1s\n", ":7: load.peak_viewers:", "at least 1"),
        (
            "  mode: whep\n  peak_viewers: 100001\n  hold: 1s\n",
            ":7: load.peak_viewers:",
            "at most 100000",
        ),
        ("  mode: whep\n  peak_viewers: 1\n", ":6: load.hold:", "until_lifted"),
        ("  mode: whep\n  peak_viewers: 1\n  hold: soon\n", ":8: load.hold:", ""),
        (
            "  mode: whep\n  peak_viewers: 2\n  hold: 1s\n  workers: 3\n",
            ":9: load.workers:",
            "some would have none",
        ),
        (
            "  mode: whep\n  peak_viewers: 1\n  hold: 1s\n  master_port: 70000\n",
            ":9: load.master_port:",
            "not a port",
        ),
        (
            "  mode: whep\n  peak_viewers: 1\n  hold: 1s\n  sample_interval: 500ms\n",
            ":9: load.sample_interval:",
            "at least 1s",
        ),
        (
            "  mode: whep\n  peak_viewers: 5000\n  ramp_up: 1s\n  hold: 1s\n",
            ":8: load.ramp_up:",
            "5000 joins a second",
        ),
        (
            "  mode: whep\n  peak_viewers: 1\n  hold: 1s\n  thresholds: {min_joins: 0}\n",
            ":9: load.thresholds.min_joins:",
            "at least 1",
        ),
        (
            "  mode: whep\n  peak_viewers: 1\n  hold: 1s\n  thresholds: {min_join_success_pct: 0}\n",
            ":9: load.thresholds.min_join_success_pct:",
            "more than zero",
        ),
        (
            "  mode: whep\n  peak_viewers: 1\n  hold: 1s\n"
            "  thresholds: {min_join_success_pct: 101}\n",
            ":9: load.thresholds.min_join_success_pct:",
            "at most 100",
        ),
        (
            "  mode: whep\n  peak_viewers: 1\n  hold: 1s\n"
            "  thresholds: {min_join_success_pct: null, max_first_frame_p95_ms: null}\n",
            ":9: load.thresholds:",
            "switches every check off",
        ),
        (
            "  mode: whep\n  peak_viewers: 1\n  hold: 1s\n  thresholds: {p99: 1}\n",
            ":9: load.thresholds.p99:",
            "unknown key",
        ),
        ("  mode: whep\n  peek_viewers: 1\n", ":7: load.peek_viewers:", "did you mean"),
    ],
)
def test_bad_load_sections_name_file_line_and_field(body: str, where: str, message: str) -> None:
    text = error(body)
    assert text.startswith(f"drill.yaml{where}") and message in text


def test_a_load_needs_a_stream_to_judge_it_with() -> None:
    head = HEAD.replace(HEAD.splitlines()[3] + "\n", "")
    text = error("  mode: hls\n  url: http://127.0.0.1:1/x\n  peak_viewers: 1\n  hold: 1s\n", head)
    assert text.startswith("drill.yaml:5: load:") and "needs a stream" in text


def test_a_whep_surge_without_a_url_needs_the_streams_whep_url() -> None:
    head = HEAD.replace(HEAD.splitlines()[3], "stream: {target: loopback}")
    text = error("  mode: whep-signalling\n  peak_viewers: 1\n  hold: 1s\n", head)
    assert text.startswith("drill.yaml:6: load.url:") and "has none" in text


def test_a_drill_without_a_load_has_none() -> None:
    drill = build_drill(HEAD.removesuffix("load:\n"), "drill.yaml")
    assert drill.load is None
