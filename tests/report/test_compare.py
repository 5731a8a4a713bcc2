"""``supportdrill scorecard``: vendors side by side over runs stored by real drills (the runner
against the simulated desk, on a virtual clock)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from run.test_runner_simulated import SATURDAY_3AM, drill_yaml
from supportdrill.clock import VirtualClock
from supportdrill.definitions.loader import build_drill
from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer
from supportdrill.report.compare import compare_store, comparison_json, render_comparison
from supportdrill.report.ticket import render_ticket
from supportdrill.run.runner import DrillRunner
from supportdrill.store import RunStore


async def _drill(store: RunStore, persona: str, vendor: str) -> None:
    # Polled every 15 min: the figures are the desk's own timestamps, and a weekend of 5-min
    # HTTP polls is most of this test's time.
    text = drill_yaml(persona, poll="15m").replace("name: acme", f"name: {vendor}")
    drill = build_drill(text, f"{vendor}.yaml")
    clock = VirtualClock(SATURDAY_3AM)
    async with SimulatedDeskServer(persona=persona, clock=clock, timezone="Asia/Jakarta") as server:
        desk = SimulatedDesk(server.url)
        try:
            await DrillRunner(
                drill,
                store=store,
                desk=desk,
                clock=clock,
                drill_text=text,
                compose_ticket=render_ticket,
            ).run()
        finally:
            await desk.close()


async def test_vendors_compared_over_their_runs(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with RunStore(path) as store:
        await _drill(store, "responsive-24x7", "fastco")
        await _drill(store, "responsive-24x7", "fastco")
        await _drill(store, "business-hours-only", "slowco")
    # Simulated time describes a persona, not a vendor: left out unless asked for.
    assert compare_store(path) == ()
    assert render_comparison(()) == "no finished runs to compare"
    summaries = compare_store(path, include_simulated=True)
    assert [(s.vendor, s.severity, s.runs, s.simulated) for s in summaries] == [
        ("fastco", "P0", 2, 2),
        ("slowco", "P0", 1, 1),
    ]
    fast, slow = summaries
    fast_human, slow_human = (
        fast.metric("first_human_response"),
        slow.metric("first_human_response"),
    )
    assert fast_human is not None and slow_human is not None
    assert fast_human.ended == 2 and fast_human.p50_calendar_s is not None
    assert slow_human.p50_calendar_s is not None
    assert slow_human.p50_calendar_s > 24 * 3600 > fast_human.p50_calendar_s
    # Two days of calendar silence, yet 12 business minutes: met under a business-hours contract.
    assert slow_human.p50_business_s == 12 * 60 and slow_human.met == 1
    assert fast.metric("nonexistent") is None
    text = render_comparison(summaries)
    assert "| fastco (simulated: 2) | P0 | 2 |" in text and "## Business time" in text
    only = compare_store(path, vendors=["slowco"], include_simulated=True)
    assert [s.vendor for s in only] == ["slowco"]
    assert compare_store(path, severity="P1", include_simulated=True) == ()
    data = json.loads(comparison_json(summaries))
    assert data["schema"] == "supportdrill.compare/1" and len(data["vendors"]) == 2
    cli = subprocess.run(
        [sys.executable, "-m", "supportdrill.cli", "--store", str(path), "scorecard",
         "--include-simulated", "--vendor", "fastco", "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    scorecard = json.loads(cli.stdout)
    assert scorecard["schema"] == "supportdrill.scorecard/1"
    assert {group["vendor"] for group in scorecard["groups"]} == {"fastco"}
