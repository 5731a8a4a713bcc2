"""The two example runbook drills, end to end through ``supportdrill ci``: real stream, real fault
on the primary path, the scripted responder on the simulated desk, the failover endpoint. One
passes; the broken runbook fails with the figure, the target and the failover it called."""

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


def case(root: ET.Element, suite: str, name: str) -> ET.Element:
    found = root.find(f"./testsuite[@name='{suite}']/testcase[@name='{name}']")
    assert found is not None, (suite, name)
    return found


@pytest.mark.slow
async def test_a_working_runbook_passes_and_a_broken_one_fails_with_the_right_message(
    tmp_path: Path,
) -> None:
    junit = tmp_path / "junit.xml"
    good = str(EXAMPLES / "runbook-edge-failover.yaml")
    broken = str(EXAMPLES / "runbook-broken-failover.yaml")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    env["GITHUB_ACTIONS"] = "true"
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "supportdrill.cli", "--store", str(tmp_path / "runs.db")),
        *("ci", "--junit", str(junit), good, broken),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=400)
    lines = out.decode().splitlines()
    assert "Traceback" not in err.decode(), err.decode()
    assert process.returncode == 1, lines
    assert "1 of 2 drill(s) passed" in lines, lines
    SCHEMA.validate(str(junit))
    root = ET.parse(junit).getroot()

    passed = root.find("./testsuite[@name='runbook-edge-failover']")
    assert passed is not None
    assert (passed.get("failures"), passed.get("errors")) == ("0", "0"), ET.tostring(passed)
    restored = case(root, "runbook-edge-failover", "stream: recovered within 45s")
    out_text = restored.findtext("system-out") or ""
    assert out_text.startswith("met: Outage (stream degraded → recovered): ")

    # The broken runbook re-pointed the stream at the failed region: nothing came back.
    restore = case(root, "runbook-broken-failover", "stream: recovered within 45s").find("failure")
    assert restore is not None
    message = restore.get("message") or ""
    assert message.startswith("breached: Outage (stream degraded → recovered): ")
    assert message.endswith("so far; target 45s (45 s)")
    detail = restore.text or ""
    assert "failover: media path singapore → singapore" in detail
    assert "already the active path: nothing changes" in detail
    completed = case(root, "runbook-broken-failover", "drill: completed").find("failure")
    assert completed is not None
    assert completed.get("message") == (
        "drill timed_out: not resolved within resolution.timeout (0:01:00)"
    )
    # The desk was marked solved by the runbook, but that is not the stream coming back.
    resolution = case(root, "runbook-broken-failover", "sla: first_resolution within 3m")
    assert resolution.find("failure") is not None
    annotations = [line for line in lines if line.startswith("::error ")]
    assert annotations and all(f"file={broken}" in line for line in annotations)
