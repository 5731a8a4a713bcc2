"""The pytest plugin, exercised with pytester: drill files collected as tests, markers and -k,
each test's report carrying the drill's, invalid drills as collection errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from supportdrill_pytest import looks_like_drill

INI = "[pytest]\naddopts = -p no:cacheprovider\nasyncio_default_fixture_loop_scope = function\n"
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "supportdrill" / "definitions" / "examples"


@pytest.fixture
def drills(pytester: pytest.Pytester) -> Path:
    folder = pytester.path / "drills"
    folder.mkdir()
    for name in ("simulated-responsive-24x7.yaml", "simulated-silent.yaml"):
        shutil.copy(EXAMPLES / name, folder / name)
    labelled = (EXAMPLES / "simulated-auto-ack-only.yaml").read_text(encoding="utf-8")
    (folder / "auto-ack.yml").write_text(
        labelled + "labels: {markers: 'nightly, vendor-a'}\n", encoding="utf-8"
    )
    # Not drills: a runbook file, a CI workflow, and YAML with a vendor key nested somewhere.
    shutil.copytree(EXAMPLES / "runbooks", folder / "runbooks")
    (folder / "ci.yml").write_text("name: ci\non: push\njobs: {}\n", encoding="utf-8")
    (folder / "nested.yaml").write_text("name: x\nmeta:\n  vendor: y\n", encoding="utf-8")
    pytester.makeini(INI)
    return folder


def test_only_yaml_with_a_top_level_name_and_vendor_is_a_drill(tmp_path: Path) -> None:
    assert looks_like_drill(EXAMPLES / "simulated-silent.yaml")
    assert not looks_like_drill(EXAMPLES / "runbooks" / "edge-failover.runbook.yaml")
    text = tmp_path / "drill.txt"
    text.write_text("name: a\nvendor: b\n", encoding="utf-8")
    assert not looks_like_drill(text)
    assert not looks_like_drill(tmp_path / "missing.yaml")


def test_collects_drills_with_markers(pytester: pytest.Pytester, drills: Path) -> None:
    result = pytester.runpytest("--collect-only", "-q", "drills")
    result.stdout.fnmatch_lines(
        [
            "drills/auto-ack.yml::demo-auto-ack-only",
            "drills/simulated-responsive-24x7.yaml::demo-responsive-24x7",
            "drills/simulated-silent.yaml::demo-silent",
            "3 tests collected*",
        ]
    )
    marked = pytester.runpytest("--collect-only", "-q", "-m", "nightly", "drills")
    marked.stdout.fnmatch_lines(["drills/auto-ack.yml::demo-auto-ack-only", "1/3 tests*"])
    by_desk = pytester.runpytest("--collect-only", "-q", "-m", "desk_simulated and not stream")
    by_desk.stdout.fnmatch_lines(["3 tests collected*"])


def test_runs_a_drill_and_attaches_its_report(pytester: pytest.Pytester, drills: Path) -> None:
    # In a subprocess: an in-process run unloads the C extensions the drill imports (numpy),
    # which cannot be loaded twice in one process.
    result = pytester.runpytest_subprocess(
        "drills", "-k", "responsive", "--drill-rate", "2000", "-rA", "--junitxml=out.xml"
    )
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.fnmatch_lines(["*- Captured drill report call -*", "# *demo-responsive-24x7*"])
    xml = (pytester.path / "out.xml").read_text(encoding="utf-8")
    assert '<property name="outcome" value="completed" />' in xml
    assert 'name="sla: first_human_response within 15m" value="passed: met: ' in xml
    assert '<property name="markdown_report"' in xml


def test_a_failing_drill_says_which_case_failed_and_why(
    pytester: pytest.Pytester, drills: Path
) -> None:
    # The silent desk's hour of waiting at 6000x, not the example's 600x: the failure reads the same.
    result = pytester.runpytest_subprocess("drills", "-k", "silent", "--drill-rate", "6000")
    result.assert_outcomes(failed=1, deselected=2)
    result.stdout.fnmatch_lines(
        [
            "drill demo-silent failed:",
            "  drill: completed: drill timed_out: not resolved within resolution.timeout (1:00:00)",
            "  sla: first_human_response within 15m: breached: Time to first human response: *",
        ]
    )


def test_an_invalid_drill_is_a_collection_error_naming_the_line(
    pytester: pytest.Pytester, drills: Path
) -> None:
    (drills / "broken.yaml").write_text(
        "name: broken\nvendor:\n  name: v\n  desk: {kind: zendesk}\n", encoding="utf-8"
    )
    result = pytester.runpytest("--collect-only", "-q", "drills")
    result.stdout.fnmatch_lines(["*drills/broken.yaml:3: vendor.timezone: is required"])
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_collection_can_be_switched_off(pytester: pytest.Pytester, drills: Path) -> None:
    pytester.makeini(INI + "supportdrill_collect = false\n")
    result = pytester.runpytest("--collect-only", "-q", "drills")
    result.stdout.fnmatch_lines(["no tests collected*"])
