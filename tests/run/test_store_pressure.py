"""Issue 12: the store under pressure. Another process locking the SQLite file for 15 s is waited
out (the event loop, and so the stream and the lease, keep running); a full disk ends the drill
with one line and leaves the run resumable."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportdrill.store import RunStore
from supportdrill.timeline import DrillEnded, Outcome, TicketFiled

from .test_fault_kill import _harness

DRILL = textwrap.dedent(
    """\
    name: store-pressure
    description: a ticket-only drill whose store is put under pressure
    vendor:
      name: acme (simulated)
      desk:
        kind: simulated
        persona: business-hours-only
        simulated_start: "2026-11-20T17:55:00+07:00"
        rate: RATE
      timezone: Asia/Jakarta
      coverage: {P0: "Mon-Fri 09:00-18:00", holidays: ID}
      sla: common-vendor
    ticket: {severity: P0, symptom: stream down, region: Jakarta}
    resolution: {when: ticket_solved, timeout: 4d, poll_interval: 10m}
    safety: {max_duration: 5d}
    """
)


async def _until_filed(store: Path, process: asyncio.subprocess.Process) -> str:
    for _ in range(2400):
        await asyncio.sleep(0.05)
        assert process.returncode is None, "the drill ended before filing"
        if store.exists():
            with RunStore(store) as runs:
                found = runs.runs()
                if found and runs.events(found[0].run_id).first(TicketFiled) is not None:
                    return found[0].run_id
    pytest.fail("nothing was filed")


@pytest.mark.slow
async def test_a_store_locked_for_15_s_is_waited_out(tmp_path: Path) -> None:
    drill = tmp_path / "drill.yaml"
    # 15 s of lock is 33 simulated hours: the vendor's Monday morning comes after it.
    drill.write_text(DRILL.replace("RATE", "8000"), encoding="utf-8")
    store = tmp_path / "runs.db"
    process = await _harness(
        "run", str(drill), "--no-live", store=store, toxiproxy="", capture=True
    )
    run_id = await _until_filed(store, process)
    locker = sqlite3.connect(store, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        await asyncio.sleep(15)
        assert process.returncode is None, "the drill gave up while the store was locked"
    finally:
        locker.execute("COMMIT")
        locker.close()
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert "Traceback" not in err.decode(), err.decode()
    assert "drill completed" in out.decode(), out.decode() + err.decode()
    with RunStore(store) as runs:
        ended = runs.events(run_id).last(DrillEnded)
    assert ended is not None and ended.outcome is Outcome.COMPLETED


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (root only, as in CI)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


@pytest.mark.slow
async def test_a_full_disk_is_one_line_and_the_run_stays_resumable(
    tmp_path: Path, small_disk: Path
) -> None:
    drill = tmp_path / "drill.yaml"
    # Faster: nothing here waits on the wall clock, the resumed run just has a weekend to cross.
    drill.write_text(DRILL.replace("RATE", "40000"), encoding="utf-8")
    store = small_disk / "runs.db"
    process = await _harness(
        "run", str(drill), "--no-live", "--reports", str(tmp_path / "reports"),
        store=store, toxiproxy="", capture=True,
    )  # fmt: skip
    run_id = await _until_filed(store, process)
    filler = small_disk / "filler"
    # Unbuffered: a write the disk refuses leaves nothing behind for close() to fail on again.
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass  # the disk is full
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert process.returncode == 1, out.decode() + err.decode()
    assert "Traceback" not in err.decode(), err.decode()
    assert len(lines) == 1 and "full" in lines[0], lines
    filler.unlink()
    with RunStore(store) as runs:
        assert runs.get_run(run_id).outcome is None  # still resumable
    resume = await _harness(
        "resume", run_id, "--no-live", "--reports", str(tmp_path / "reports"),
        store=store, toxiproxy="", capture=True,
    )  # fmt: skip
    out, err = await asyncio.wait_for(resume.communicate(), timeout=300)
    assert "drill completed" in out.decode(), out.decode() + err.decode()
