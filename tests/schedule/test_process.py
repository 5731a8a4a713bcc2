"""The scheduler as a process: ``supportdrill schedule run`` on an accelerated clock starts a real
drill (``supportdrill run`` in a process of its own, simulated desk, no stream); killed with
SIGKILL and restarted after downtime, it applies the missed-run policy."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from supportdrill.store import RunStore
from supportdrill.store.leases import Leases

HARNESS = [sys.executable, "-m", "supportdrill"]
DRILL = textwrap.dedent(
    """\
    # A ticket-only drill against the simulated 7x24 vendor: seconds of wall time.
    name: fast-scheduled
    vendor:
      name: goodvendor (simulated)
      desk: {kind: simulated, persona: responsive-24x7, simulated_start: "2027-01-01T03:00:00+07:00", rate: 3600}
      timezone: Asia/Jakarta
      coverage: 24x7
    ticket: {severity: P0, symptom: live stream unavailable, region: Jakarta}
    resolution: {when: ticket_solved, timeout: 2h, poll_interval: 30s}
    safety: {max_duration: 3h}
    schedule: {cron: "*/30 * * * *", timezone: Asia/Jakarta, missed: latest}
    """
)


async def _scheduler(tmp_path: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *HARNESS,
        "--store",
        str(tmp_path / "runs.db"),
        "schedule",
        "run",
        str(tmp_path / "fast.yaml"),
        "--reports",
        str(tmp_path / "reports"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def _wait_finished(path: Path, run_id: str, timeout: float = 240) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with RunStore(path) as store:
            runs = [r for r in store.runs(None) if r.run_id == run_id]
            if runs and runs[0].outcome is not None:
                run = runs[0]
                return run.outcome.value
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not finish within {timeout} s")


@pytest.mark.slow
async def test_schedule_run_starts_a_real_drill_on_an_accelerated_clock(tmp_path: Path) -> None:
    (tmp_path / "fast.yaml").write_text(DRILL)
    # 00:29:30 to 00:50 at 60x: the 00:30 run starts after half a second of wall time and has
    # 20 s to finish (it takes a few: a ticket-only drill on a 3600x desk); 21 s in all.
    process = await _scheduler(
        tmp_path, "--simulate-at", "2027-01-01T00:29:30Z", "--rate", "60", "--for", "20m30s"
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    lines = out.decode().splitlines()
    assert process.returncode == 0, (lines, err.decode())
    started = [line for line in lines if " started run " in line]
    finished = [line for line in lines if " finished run " in line]
    assert len(started) == 1 and "due 2027-01-01 00:30Z" in started[0], lines
    assert len(finished) == 1 and finished[0].endswith("every SLA met"), lines
    assert lines[-1] == "scheduler stopped: 1 run(s) started"
    with RunStore(tmp_path / "runs.db") as store:
        (claim,) = Leases(store).claims("fast-scheduled")
        run = store.get_run(claim.run_id)
        assert run.outcome is not None and run.outcome.value == "completed"
        assert run.labels["schedule"] == "fast-scheduled"
        assert run.labels["scheduled_for"] == "2027-01-01T00:30:00+00:00"
    log = tmp_path / "reports" / "schedule-logs" / f"{claim.run_id}.log"
    assert "drill completed" in log.read_text()
    # The series view.
    series = await asyncio.create_subprocess_exec(
        *HARNESS,
        "--store",
        str(tmp_path / "runs.db"),
        "runs",
        "--schedule",
        "fast-scheduled",
        stdout=asyncio.subprocess.PIPE,
    )
    view, _ = await series.communicate()
    assert f"2027-01-01 00:30Z  started       {claim.run_id}" in view.decode()


@pytest.mark.slow
async def test_a_killed_scheduler_restarted_after_downtime(tmp_path: Path) -> None:
    (tmp_path / "fast.yaml").write_text(DRILL)
    process = await _scheduler(
        tmp_path, "--simulate-at", "2027-01-01T00:29:50Z", "--rate", "60", "--for", "2h"
    )
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=120)).decode()
        assert line, "the scheduler ended before starting a run"
        if " started run " in line:
            break
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()
    run_id = line.split(" started run ")[1].strip()
    # The drill runs in a process of its own: it goes on and finishes without the scheduler.
    assert _wait_finished(tmp_path / "runs.db", run_id) == "completed"
    # Back at 02:10: 01:00, 01:30 and 02:00 fell due while it was down; policy latest.
    restarted = await _scheduler(
        tmp_path, "--simulate-at", "2027-01-01T02:10:00Z", "--rate", "60", "--for", "15m"
    )
    out, err = await asyncio.wait_for(restarted.communicate(), timeout=300)
    assert restarted.returncode == 0, (out.decode(), err.decode())
    with RunStore(tmp_path / "runs.db") as store:
        claims = Leases(store).claims("fast-scheduled")
    assert [(c.due_at.strftime("%H:%M"), c.action) for c in claims] == [
        ("00:30", "started"),
        ("01:00", "missed"),
        ("01:30", "missed"),
        ("02:00", "started"),
    ]
    assert "missed-run policy latest" in claims[1].detail
