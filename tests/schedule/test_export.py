"""Exports: the CronJob against the Kubernetes models, the systemd units through
``systemd-analyze verify``, the GitHub workflow's UTC lines across DST."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from supportdrill.definitions.cron import parse_cron
from supportdrill.schedule.export import (
    cronjob,
    export_all,
    github_workflow,
    on_calendar,
    systemd_units,
)

from .drills import scheduled

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _k8s_roundtrip(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest read into the kubernetes client's V1CronJob and written back: a missing
    required field raises, and a misspelt or unknown field (dropped by the model) or a value of
    the wrong type (converted) makes the result differ from the input."""
    client = pytest.importorskip("kubernetes.client")
    api = client.ApiClient()

    class Response:
        data = json.dumps(manifest)

    model = api.deserialize(Response(), "V1CronJob")
    written: dict[str, Any] = api.sanitize_for_serialization(model)
    return written


def test_the_cronjob_is_a_valid_kubernetes_batch_v1_cronjob() -> None:
    drill = scheduled(
        'cron: "0 3 * * 6"\nstarting_deadline: 10m\nconcurrency: Forbid\nmissed: all\n'
        "name: jakarta.saturday_nights\n"
    )
    text, warnings = cronjob(drill, drill_path="/drills/jakarta.yaml", image="example/sd:1")
    manifest = yaml.safe_load(text)
    assert _k8s_roundtrip(manifest) == manifest
    spec = manifest["spec"]
    assert spec["schedule"] == "0 3 * * 6" and spec["timeZone"] == "Asia/Jakarta"
    assert spec["concurrencyPolicy"] == "Forbid" and spec["startingDeadlineSeconds"] == 600
    assert manifest["metadata"]["name"] == "jakarta-saturday-nights"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["args"] == ["schedule", "fire", "/drills/jakarta.yaml"]
    assert spec["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert any("at most the latest missed run" in w for w in warnings)


def test_the_roundtrip_catches_a_wrong_manifest() -> None:
    drill = scheduled('cron: "0 3 * * 6"\n')
    manifest = yaml.safe_load(cronjob(drill, drill_path="/d.yaml")[0])
    manifest["spec"]["timezone"] = manifest["spec"].pop("timeZone")  # misspelt
    assert _k8s_roundtrip(manifest) != manifest
    del manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(ValueError, match="name"):
        _k8s_roundtrip(manifest)


def test_skip_and_replace_map_onto_kubernetes_fields() -> None:
    drill = scheduled('cron: "@daily"\nmissed: skip\nconcurrency: Replace\nsuspend: true\n')
    text, warnings = cronjob(drill, drill_path="/d.yaml")
    manifest = yaml.safe_load(text)
    assert manifest["spec"]["schedule"] == "0 0 * * *"
    assert manifest["spec"]["startingDeadlineSeconds"] == 60
    assert manifest["spec"]["concurrencyPolicy"] == "Replace" and manifest["spec"]["suspend"]
    assert any("missed: skip" in w for w in warnings)
    assert _k8s_roundtrip(manifest) == manifest


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("0 3 * * 6", ["Sat *-*-* 03:00:00 Asia/Jakarta"]),
        ("*/30 9-10 1,15 jan,jul *", ["*-01,07-01,15 09,10:00,30:00 Asia/Jakarta"]),
        (
            "0 3 13 * fri",
            ["*-*-13 03:00:00 Asia/Jakarta", "Fri *-*-* 03:00:00 Asia/Jakarta"],
        ),
    ],
)
def test_on_calendar_expressions(line: str, expected: list[str]) -> None:
    assert on_calendar(parse_cron(line), "Asia/Jakarta") == expected
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for expression in expected:
        checked = subprocess.run(
            [analyze, "calendar", expression], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    drill = scheduled('cron: "0 3 * * 6"\njitter: 10m\nconcurrency: Allow\nmissed: skip\n')
    executable = str(Path(sys.executable).with_name("supportdrill"))
    service, timer, warnings = systemd_units(
        drill, drill_path=str(tmp_path / "drill.yaml"), executable=executable
    )
    assert "OnCalendar=Sat *-*-* 03:00:00 Asia/Jakarta" in timer
    assert "Persistent=false" in timer and "Type=oneshot" in service
    assert any("acts as Forbid" in w for w in warnings)
    assert any("jitter" in w for w in warnings)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    (tmp_path / "nightly.service").write_text(service)
    (tmp_path / "nightly.timer").write_text(timer)
    checked = subprocess.run(
        [analyze, "verify", str(tmp_path / "nightly.service"), str(tmp_path / "nightly.timer")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_github_lines_cover_both_berlin_offsets_and_warn_about_the_drift() -> None:
    drill = scheduled('cron: "30 2 * * sun"\n', timezone="Europe/Berlin", country="DE")
    text, warnings = github_workflow(drill, drill_path="drills/b.yaml", now=NOW)
    workflow = yaml.safe_load(text)
    crons = [item["cron"] for item in workflow["on"]["schedule"]]
    assert crons == ["30 1 * * 0", "30 0 * * 0"]  # CET (winter, now) then CEST
    (drift,) = [w for w in warnings if "drift" in w]
    assert "UTC+01:00 and UTC+02:00" in drift and "2027-03-28, 2027-10-31" in drift
    step = workflow["jobs"]["drill"]["steps"][-1]["run"]
    assert step == "supportdrill schedule fire drills/b.yaml --tolerance 45m"


def test_github_lines_cross_midnight_and_half_hour_offsets() -> None:
    # 03:00 Saturday in Jakarta (UTC+7) is 20:00 Friday UTC.
    jakarta = scheduled('cron: "0 3,9 * * sat"\n')
    crons = [
        item["cron"]
        for item in yaml.safe_load(github_workflow(jakarta, drill_path="d", now=NOW)[0])["on"][
            "schedule"
        ]
    ]
    assert crons == ["0 20 * * 5", "0 2 * * 6"]
    # 09:00 on the 1st in Kolkata (UTC+5:30) is 03:30 UTC the same day; 03:00 is the day before.
    india = scheduled('cron: "0 3,9 1 * *"\n', timezone="Asia/Kolkata", country="IN")
    text, warnings = github_workflow(india, drill_path="d", now=NOW)
    crons = [item["cron"] for item in yaml.safe_load(text)["on"]["schedule"]]
    assert crons == ["30 21 * * *", "30 3 1 * *"]
    assert any("triggers daily" in w for w in warnings)
    assert not any("drift" in w for w in warnings)


def test_export_all_names_every_file_and_a_drill_without_schedule_is_refused() -> None:
    drill = scheduled('cron: "0 3 * * 6"\nname: nightly\n')
    result = export_all(drill, drill_path="/d.yaml", now=NOW)
    assert sorted(result.files) == [
        "nightly.cronjob.yaml",
        "nightly.github-workflow.yml",
        "nightly.service",
        "nightly.timer",
    ]
    from supportdrill.definitions.loader import build_drill

    plain = build_drill(
        "name: x\nvendor: {name: v, desk: {kind: simulated}, timezone: UTC}\n"
        "ticket: {severity: P0}\n",
        "x.yaml",
    )
    with pytest.raises(ValueError, match="no schedule"):
        export_all(plain, drill_path="/d.yaml", now=NOW)
