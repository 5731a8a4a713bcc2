"""Invariants 2 and 3: SIGKILL the harness while it waits for the vendor, then ``resume``.

The same ticket (one ticket on the desk), and the same figures, taken from the desk's timestamps.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

from supportdrill.desks.simulated import SimulatedDeskServer
from supportdrill.report.build import evaluation_for
from supportdrill.store import RunStore
from supportdrill.timeline import DrillEnded, Outcome, ReplyClass, TicketFiled, VendorReply

HARNESS = [sys.executable, "-m", "supportdrill.cli"]


async def _harness(*args: str, store: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *HARNESS,
        "--store",
        str(store),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def _wait_for_filing(store_path: Path, process: asyncio.subprocess.Process) -> str:
    for _ in range(600):
        await asyncio.sleep(0.05)
        assert process.returncode is None, "the harness ended before filing"
        if not store_path.exists():
            continue
        store = RunStore(store_path)
        try:
            for run in store.runs(limit=1):
                if store.events(run.run_id).first(TicketFiled) is not None:
                    return run.run_id
        finally:
            store.close()
    raise AssertionError("no ticket filed within 30 s")


async def test_sigkill_while_waiting_then_resume(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.db"
    # Real clock; the persona's script shrunk to seconds (ack ~0.1 s, a human after ~2 s), and
    # its update and solve 2 s apart: the kill lands in the wait for the human, all after it is
    # the resumed run finishing.
    async with SimulatedDeskServer(
        persona="responsive-24x7",
        scale=0.005,
        delays={"responsive-24x7": {"update": 2.0, "solve": 2.0}},
        timezone="UTC",
    ) as server:
        drill = tmp_path / "drill.yaml"
        drill.write_text(
            textwrap.dedent(
                f"""\
                name: kill-test
                vendor:
                  name: acme
                  desk: {{kind: simulated, url: "{server.url}"}}
                  timezone: UTC
                  coverage: 24x7
                  agents: ["Dewi Lestari (L2 Support)"]  # a known person: human even seconds after T0
                ticket: {{severity: P0, symptom: stream down}}
                resolution: {{when: ticket_solved, timeout: 5m, poll_interval: 1s}}
                safety: {{max_duration: 10m}}
                """
            )
        )
        first = await _harness("run", str(drill), "--no-live", store=store_path)
        run_id = await _wait_for_filing(store_path, first)
        first.kill()  # SIGKILL: no teardown, no goodbye
        await first.wait()
        assert first.returncode == -signal.SIGKILL

        second = await _harness("resume", run_id, "--no-live", store=store_path)
        out, err = await asyncio.wait_for(second.communicate(), timeout=120)
        assert second.returncode == 0, (out.decode(), err.decode())
        assert f"run id: {run_id}" in out.decode()

        tickets = server.state.tickets()
        assert len(tickets) == 1, "the resumed harness filed a second ticket"
        ticket = tickets[0]

    store = RunStore(store_path)
    try:
        timeline = store.events(run_id)
        assert len(timeline.all(TicketFiled)) == 1
        ended = timeline.last(DrillEnded)
        assert ended is not None and ended.outcome is Outcome.COMPLETED
        human = next(r for r in timeline.all(VendorReply) if r.classification is ReplyClass.HUMAN)
        # The figure is the desk's own timestamps, whatever the crash did to our polling.
        card = evaluation_for(store, run_id)
        metric = next(m for m in card.metrics if m.name == "first_human_response")
        expected = (human.at - ticket.created_at).total_seconds()
        assert metric.calendar_s is not None
        assert abs(metric.calendar_s - expected) < 1.0
        ids = [reply.message_id for reply in timeline.all(VendorReply)]
        assert len(ids) == len(set(ids)), "a reply was recorded twice across the restart"
    finally:
        store.close()
