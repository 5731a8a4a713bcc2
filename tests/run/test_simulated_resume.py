"""Issue 12: a drill on the built-in simulated desk resumes after a SIGKILL — the desk's tickets
and its simulated clock persist with the run — and its figures equal an uninterrupted run's."""

from __future__ import annotations

import asyncio
import json
import signal
import textwrap
from pathlib import Path

import pytest

from supportdrill.report.build import evaluation_for
from supportdrill.store import RunStore
from supportdrill.timeline import DrillEnded, Outcome, TicketFiled, TicketStatus, VendorReply

from .test_fault_kill import _harness

SIMULATED_DRILL = textwrap.dedent(
    """\
    name: simulated-resume
    description: a ticket-only drill on the embedded simulated desk
    vendor:
      name: acme (simulated)
      desk:
        kind: simulated
        persona: business-hours-only
        simulated_start: "2026-11-20T17:55:00+07:00"
        rate: 40000
      timezone: Asia/Jakarta
      coverage: {P0: "Mon-Fri 09:00-18:00", holidays: ID}
      sla: common-vendor
    ticket: {severity: P0, symptom: stream down, region: Jakarta}
    resolution: {when: ticket_solved, timeout: 4d, poll_interval: 10m}
    safety: {max_duration: 5d}
    """
)

FIGURES = ("acknowledgement", "first_human_response", "first_resolution")


def _figures(store: Path, run_id: str) -> dict[str, tuple[float | None, float | None]]:
    with RunStore(store) as runs:
        card = evaluation_for(runs, run_id)
    return {
        metric.name: (metric.calendar_s, metric.business_s)
        for metric in card.metrics
        if metric.name in FIGURES
    }


@pytest.mark.slow
async def test_a_killed_simulated_drill_resumes_with_the_same_figures(tmp_path: Path) -> None:
    drill = tmp_path / "simulated.yaml"
    drill.write_text(SIMULATED_DRILL, encoding="utf-8")

    # The same drill, uninterrupted, for the figures to match.
    whole_store = tmp_path / "whole" / "runs.db"
    whole = await _harness(
        "run", str(drill), "--no-live", store=whole_store, toxiproxy="", capture=True
    )
    out, err = await asyncio.wait_for(whole.communicate(), timeout=600)
    assert whole.returncode in (0, 1), err.decode()
    with RunStore(whole_store) as runs:
        (whole_run,) = runs.runs()
    expected = _figures(whole_store, whole_run.run_id)
    assert expected["first_resolution"][0] is not None, "the persona solves within the drill"

    store = tmp_path / "killed" / "runs.db"
    first = await _harness("run", str(drill), "--no-live", store=store, toxiproxy="", capture=True)
    run_id = ""
    for _ in range(1200):
        await asyncio.sleep(0.05)
        assert first.returncode is None, "the drill ended before it could be killed"
        if store.exists():
            with RunStore(store) as runs:
                found = runs.runs()
                if found and runs.events(found[0].run_id).first(TicketFiled) is not None:
                    run_id = found[0].run_id
                    break
    assert run_id, "nothing was filed"
    first.kill()  # SIGKILL: the embedded desk dies with the harness
    await first.wait()
    assert first.returncode == -signal.SIGKILL

    second = await _harness("resume", run_id, "--no-live", store=store, toxiproxy="", capture=True)
    out, err = await asyncio.wait_for(second.communicate(), timeout=600)
    assert second.returncode in (0, 1), out.decode() + err.decode()
    assert "drill completed" in out.decode(), out.decode()

    with RunStore(store) as runs:
        timeline = runs.events(run_id)
        state_file = runs.state(run_id, "simulated_desk_state")
    ended = timeline.all(DrillEnded)
    assert len(ended) == 1 and ended[0].outcome is Outcome.COMPLETED
    # One ticket on the desk, the same one, and no event twice.
    assert state_file is not None
    assert len(json.loads(Path(state_file).read_text(encoding="utf-8"))["tickets"]) == 1
    assert len(timeline.all(TicketFiled)) == 1
    replies = [reply.message_id for reply in timeline.all(VendorReply)]
    assert len(replies) == len(set(replies))
    statuses = [(status.status, status.at) for status in timeline.all(TicketStatus)]
    assert len(statuses) == len(set(statuses)), statuses
    assert _figures(store, run_id) == expected
