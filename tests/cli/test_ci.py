"""``supportdrill run --junit`` and ``supportdrill ci``: JUnit files CI servers read, exit codes,
and GitHub Actions annotations when ``GITHUB_ACTIONS=true``."""

from __future__ import annotations

import asyncio
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "supportdrill" / "definitions" / "examples"
SCHEMA = xmlschema.XMLSchema(Path(__file__).resolve().parents[1] / "report/schemas/junit-10.xsd")
HARNESS = [sys.executable, "-m", "supportdrill.cli"]


async def harness(tmp_path: Path, *args: str, github: bool = False) -> tuple[int, list[str], str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    if github:
        env["GITHUB_ACTIONS"] = "true"
    process = await asyncio.create_subprocess_exec(
        *HARNESS,
        "--store",
        str(tmp_path / "runs.db"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    assert "Traceback" not in err.decode(), err.decode()
    return process.returncode, out.decode().splitlines(), err.decode()


async def test_run_junit_writes_a_valid_file_and_fails_on_a_breach(tmp_path: Path) -> None:
    junit = tmp_path / "out" / "junit.xml"
    silent = str(EXAMPLES / "simulated-silent.yaml")
    # The silent desk's hour of waiting at 6000x, not the example's 600x: the file is the same.
    code, lines, _ = await harness(
        tmp_path, "run", "--no-live", "--rate", "6000", "--junit", str(junit), silent
    )
    assert code == 1, lines
    assert lines[-1] == f"junit report: {junit}"
    assert not any(line.startswith("::") for line in lines)  # not on GitHub Actions
    SCHEMA.validate(str(junit))
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "demo-silent"
    failure = suite.find("./testcase[@name='drill: completed']/failure")
    assert failure is not None
    assert (
        failure.get("message")
        == "drill timed_out: not resolved within resolution.timeout (1:00:00)"
    )


@pytest.mark.slow
async def test_ci_runs_every_drill_and_annotates_on_github(tmp_path: Path) -> None:
    junit = tmp_path / "ci.xml"
    good = str(EXAMPLES / "simulated-responsive-24x7.yaml")
    silent = str(EXAMPLES / "simulated-silent.yaml")
    code, lines, _ = await harness(tmp_path, "ci", "--junit", str(junit), good, silent, github=True)
    assert code == 1, lines
    assert f"{good}: passed: drill completed" in "\n".join(lines)
    assert f"{silent}: FAILED: drill timed_out" in "\n".join(lines)
    assert "1 of 2 drill(s) passed" in lines
    annotations = [line for line in lines if line.startswith("::error ")]
    assert annotations and all(f"file={silent}" in line for line in annotations)
    SCHEMA.validate(str(junit))
    root = ET.parse(junit).getroot()
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "demo-responsive-24x7",
        "demo-silent",
    ]
    passed = root.find("testsuite[@name='demo-responsive-24x7']")
    assert passed is not None and passed.get("failures") == "0" and passed.get("errors") == "0"


async def test_ci_refuses_a_bad_drill_before_running_any(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Bad Name\n", encoding="utf-8")
    good = str(EXAMPLES / "simulated-responsive-24x7.yaml")
    code, _, err = await harness(tmp_path, "ci", "--junit", str(tmp_path / "j.xml"), good, str(bad))
    assert code == 2
    assert err.startswith(f"{bad}:1: name: ")
    assert not (tmp_path / "j.xml").exists() and not (tmp_path / "runs.db").exists()
