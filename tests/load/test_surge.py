"""Viewer surges for real: Locust processes against the loopback surge origin.

Small on purpose (a handful of viewers, seconds of load): the machine is shared.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from supportdrill.definitions.load import LoadMode, LoadPlan, LoadThresholds
from supportdrill.definitions.loader import load_drill
from supportdrill.definitions.packaged import examples_dir
from supportdrill.load.surge import Surge
from supportdrill.report.ticket import render_ticket
from supportdrill.session import run_drill_file
from supportdrill.store import RunStore
from supportdrill.timeline import (
    FaultInjected,
    LoadSample,
    LoadSummary,
    StreamDegraded,
    TicketFiled,
    TicketFiling,
    Timeline,
)


def test_the_harness_never_imports_locust_or_gevent() -> None:
    # Locust monkey-patches whatever imports it; the aiortc process must stay clean.
    code = (
        "import sys, supportdrill, supportdrill.session, supportdrill.load, "
        "supportdrill.load.surge, supportdrill.load.origin, supportdrill.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent'))\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_two_local_workers_report_through_their_master(origin: dict[str, str]) -> None:
    plan = LoadPlan(
        mode=LoadMode.HLS,
        peak_viewers=4,
        ramp_up=timedelta(seconds=1),
        hold=timedelta(seconds=3),
        ramp_down=timedelta(seconds=1),
        url=origin["SURGE_HLS_URL"],
        workers=2,
        master_port=0,
        sample_interval=timedelta(seconds=1),
        thresholds=LoadThresholds(min_joins=1),
    )
    # Port 0 is not a master port: let the system pick one by asking for a free one.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plan = LoadPlan(**{**plan.__dict__, "master_port": port})
    surge = Surge(plan, plan.url or "")
    injected = await surge.start()
    assert injected.profile == "viewer-surge:hls" and "2 Locust workers" in injected.toxics[0]
    try:
        for _ in range(60):  # the hold elapses on its own, then the ramp down ends the test
            observation = await surge.sample()
            if not surge.running:
                break
            await asyncio.sleep(1)
        assert observation.totals.users_reached == 4
        assert not surge.running, "the surge did not end on its own after its hold"
    finally:
        figures = await surge.close()
    assert figures.users_reached == 4 and figures.joins >= 4 and figures.joined >= 4
    assert figures.first_p50_ms is not None and figures.workers == 2


@pytest.mark.slow
async def test_a_surge_degrades_the_stream_and_its_ticket_carries_the_figures(
    origin: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in origin.items():
        monkeypatch.setenv(name, value)
    path = examples_dir() / "surge-local-origin.yaml"
    run = await run_drill_file(path, store_path=tmp_path / "runs.db", reports_dir=tmp_path)
    assert run.completed, run.reason
    store = RunStore(tmp_path / "runs.db")
    try:
        timeline = store.events(run.run_id)
    finally:
        store.close()
    injected = timeline.first(FaultInjected)
    degraded = timeline.first(StreamDegraded)
    assert injected is not None and injected.profile == "viewer-surge:hls"
    assert degraded is not None and degraded.at >= injected.at
    assert timeline.all(LoadSample)
    summary = timeline.last(LoadSummary)
    assert summary is not None and summary.users_reached == 8 and summary.planned_viewers == 8
    # Past max_viewers (6, the probe's WHEP session among them) joins are refused.
    assert summary.failures.get("http_503", 0) > 0 and summary.joined < summary.joins
    assert timeline.first(TicketFiled) is not None
    # The ticket, as the runner composed it from the timeline it had when filing.
    filing = next(i for i, e in enumerate(timeline.events) if isinstance(e, TicketFiling))
    draft = render_ticket(
        load_drill(path),
        Timeline(timeline.events[:filing]),
        run_id=run.run_id,
        now=timeline.events[filing].at,
    )
    assert "viewer surge (hls): 8 planned" in draft.body and "joins: " in draft.body


@pytest.mark.parametrize(
    ("mode", "url"), [(LoadMode.LL_HLS, "SURGE_LL_HLS_URL"), (LoadMode.HTTP_FLV, "SURGE_FLV_URL")]
)
async def test_http_viewers_join_at_their_first_byte(
    origin: dict[str, str], mode: LoadMode, url: str
) -> None:
    plan = LoadPlan(
        mode=mode,
        peak_viewers=2,
        ramp_up=timedelta(seconds=1),
        hold=timedelta(seconds=2),
        ramp_down=timedelta(seconds=1),
        url=origin[url],
        sample_interval=timedelta(seconds=1),
    )
    surge = Surge(plan, origin[url])
    try:
        await surge.start()  # prepares (starts Locust) first when not prepared
        for _ in range(60):
            await surge.sample()
            if not surge.running:
                break
            await asyncio.sleep(1)
    finally:
        figures = await surge.close()
    assert figures.joined == 2 and figures.joins == 2 and not figures.failures
    assert figures.first_p95_ms is not None and figures.viewers_reached == 2


HARNESS = """
import asyncio, sys
from datetime import timedelta
from supportdrill.definitions.load import LoadMode, LoadPlan
from supportdrill.load.surge import Surge

async def main():
    plan = LoadPlan(mode=LoadMode.HLS, peak_viewers=1, ramp_up=timedelta(seconds=1), hold=None,
                    ramp_down=timedelta(seconds=1), url=sys.argv[1])
    surge = Surge(plan, sys.argv[1])
    await surge.start()
    print(surge._processes[0].pid, flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


async def test_a_surge_ends_itself_when_its_harness_is_killed(origin: dict[str, str]) -> None:
    # No fault outlives its drill: a SIGKILLed harness cannot end its surge, so it ends itself.
    harness = subprocess.Popen(
        [sys.executable, "-c", HARNESS, origin["SURGE_HLS_URL"]], stdout=subprocess.PIPE, text=True
    )
    try:
        assert harness.stdout is not None
        locust = int(harness.stdout.readline())
        assert _alive(locust)
    finally:
        harness.kill()
        harness.wait(timeout=10)
        if harness.stdout is not None:
            harness.stdout.close()
    for _ in range(60):
        if not _alive(locust):
            break
        await asyncio.sleep(0.5)
    assert not _alive(locust), "the surge outlived its harness"
