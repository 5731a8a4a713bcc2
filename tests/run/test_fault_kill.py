"""No fault outlives its drill: SIGKILL the harness mid-fault against a separately running
Toxiproxy-compatible server (``supportdrill proxy serve``); ``supportdrill cleanup`` and the next
drill's start remove what it left."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

HARNESS = [sys.executable, "-m", "supportdrill.cli"]

MID_FAULT_DRILL = textwrap.dedent(
    """\
    name: kill-mid-fault
    description: the harness dies while the fault is on
    vendor:
      name: acme
      desk: {kind: simulated, persona: responsive-24x7}
      timezone: UTC
      coverage: {P0: 24x7}
      sla: common-vendor
    stream: {scenario: voice-room}
    fault:
      toxics:
        - {type: loss, protocol: udp, attributes: {probability: 0.5}}
    ticket: {severity: P0, file_after: 1h}
    resolution: {when: ticket_solved, timeout: 1d}
    safety: {max_duration: 2d}
    """
)

TICKET_ONLY_DRILL = textwrap.dedent(
    """\
    name: next-drill
    description: the next drill, ticket only
    vendor:
      name: acme
      desk:
        kind: simulated
        persona: responsive-24x7
        simulated_start: "2026-11-21T03:00:00+07:00"
        rate: 36000
      timezone: Asia/Jakarta
      coverage: {P0: 24x7}
      sla: common-vendor
    ticket: {severity: P0}
    resolution: {when: ticket_solved, timeout: 1d}
    safety: {max_duration: 2d}
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _proxies(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        data: dict[str, Any] = (await client.get(f"{url}/proxies")).json()
        return data


async def _harness(
    *args: str, store: Path, toxiproxy: str, capture: bool = False
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *HARNESS,
        "--store",
        str(store),
        *args,
        stdout=asyncio.subprocess.PIPE if capture else asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE if capture else asyncio.subprocess.DEVNULL,
        env={**os.environ, "TOXIPROXY_URL": toxiproxy, "PYTHONUNBUFFERED": "1"},
    )


async def _kill_mid_fault(
    tmp_path: Path, store: Path, toxiproxy: str, signum: int = signal.SIGKILL
) -> list[str]:
    """Start the drill, wait until its toxic is on the server, signal it; the proxies left."""
    drill = tmp_path / "mid-fault.yaml"
    drill.write_text(MID_FAULT_DRILL, encoding="utf-8")
    process = await _harness("run", str(drill), "--no-live", store=store, toxiproxy=toxiproxy)
    try:
        for _ in range(600):
            await asyncio.sleep(0.1)
            assert process.returncode is None, "the harness ended before the fault was on"
            faulted = [
                name
                for name, proxy in (await _proxies(toxiproxy)).items()
                if name.startswith("sd-") and proxy["toxics"]
            ]
            if faulted:
                break
        else:
            pytest.fail("the fault never reached the server")
        await asyncio.sleep(0.5)  # into the grace window: the fault is on, nothing is filed
    finally:
        if process.returncode is None:
            process.send_signal(signum)
        await asyncio.wait_for(process.wait(), timeout=60)
    if signum == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    return [name for name in await _proxies(toxiproxy) if name.startswith("sd-")]


async def test_sigterm_mid_fault_halts_and_removes_the_fault(
    tmp_path: Path, toxiproxy: str
) -> None:
    from supportdrill.store import RunStore
    from supportdrill.timeline import DrillEnded, FaultLifted, Outcome

    store = tmp_path / "runs.db"
    left = await _kill_mid_fault(tmp_path, store, toxiproxy, signal.SIGTERM)
    assert left == []
    with RunStore(store) as runs:
        (summary,) = runs.runs()
        timeline = runs.events(summary.run_id)
        assert runs.open_fault_ownerships() == []
    ended = timeline.last(DrillEnded)
    assert ended is not None and ended.outcome is Outcome.HALTED
    assert timeline.last(FaultLifted) is not None


async def test_cleanup_removes_what_a_killed_drill_left(tmp_path: Path, toxiproxy: str) -> None:
    store = tmp_path / "runs.db"
    left = await _kill_mid_fault(tmp_path, store, toxiproxy)
    assert left, "SIGKILL leaves the fault on a separate server: that is what cleanup is for"
    cleanup = await _harness("cleanup", store=store, toxiproxy=toxiproxy, capture=True)
    out, err = await cleanup.communicate()
    assert cleanup.returncode == 0, err.decode()
    for name in left:
        assert f"removed {name}" in out.decode()
    assert not [name for name in await _proxies(toxiproxy) if name.startswith("sd-")]
    again = await _harness("cleanup", store=store, toxiproxy=toxiproxy, capture=True)
    out, _ = await again.communicate()
    assert again.returncode == 0 and "no leftover faults" in out.decode()


async def test_next_drill_start_removes_what_a_killed_drill_left(
    tmp_path: Path, toxiproxy: str
) -> None:
    store = tmp_path / "runs.db"
    left = await _kill_mid_fault(tmp_path, store, toxiproxy)
    assert left
    drill = tmp_path / "next.yaml"
    drill.write_text(TICKET_ONLY_DRILL, encoding="utf-8")
    process = await _harness(
        "run", str(drill), "--no-live", store=store, toxiproxy=toxiproxy, capture=True
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode in (0, 1), err.decode()
    lines = out.decode().splitlines()
    for name in left:
        assert any(line.startswith(f"removed leftover fault {name}") for line in lines)
    assert any(line.startswith("drill completed") for line in lines)
    assert not [name for name in await _proxies(toxiproxy) if name.startswith("sd-")]
