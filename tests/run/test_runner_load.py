"""The runner with a viewer surge: its windows on the timeline, load figures calling the stream
degraded, the surge lifted and closed on every way out. The surge here is a scripted
:class:`LoadControl` (the Locust processes are tests/load's); the desk is the real simulated one.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from supportdrill.clock import AcceleratedClock
from supportdrill.definitions.load import LoadThresholds
from supportdrill.definitions.loader import build_drill
from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer
from supportdrill.errors import LoadError
from supportdrill.measure.load import Join, SurgeFigures, summarise, window_figures
from supportdrill.report.ticket import render_ticket
from supportdrill.run.ports import AppliedFault, LoadObservation, StreamObservation
from supportdrill.run.runner import DrillRunner, RunResult
from supportdrill.store import RunStore
from supportdrill.timeline import (
    DrillEnded,
    FaultInjected,
    FaultLifted,
    LoadSample,
    LoadSummary,
    Outcome,
    StreamDegraded,
    TicketFiled,
)

from .test_runner_simulated import SATURDAY_3AM

DRILL = textwrap.dedent(
    """\
    name: surge-drill
    description: a surge of viewers
    vendor:
      name: acme
      desk: {kind: simulated, persona: responsive-24x7}
      timezone: Asia/Jakarta
      coverage: {P0: 24x7}
      sla: common-vendor
    ticket: {severity: P0, symptom: viewers cannot join, region: Jakarta}
    resolution: {when: ticket_solved, timeout: 1d, poll_interval: 1m, lift_fault: on_resolution}
    safety: {max_duration: 2d}
    stream: {scenario: showroom}
    load:
      mode: hls
      url: http://127.0.0.1:9/hls/live.m3u8
      peak_viewers: 8
      hold: until_lifted
      sample_interval: 1s
      expect_degraded_within: 20s
    """
)


class HealthyStream:
    """A probe that stays healthy: only the load can call the stream degraded."""

    interval_s = 0.05

    async def start(self) -> None:
        pass

    async def sample(self) -> StreamObservation:
        return StreamObservation(metrics={"fps": 30.0}, healthy=True)

    async def stop(self) -> None:
        pass


class ScriptedSurge:
    """Windows of joins, judged by the drill's thresholds, as the real surge's are."""

    interval_s = 0.05

    def __init__(self, windows: Sequence[Sequence[Join]], *, fail_at: int | None = None) -> None:
        self.windows = list(windows)
        self.fail_at = fail_at
        self.calls: list[str] = []
        self.seen: list[Join] = []

    async def prepare(self) -> None:
        self.calls.append("prepare")

    async def start(self) -> AppliedFault:
        self.calls.append("start")
        return AppliedFault(profile="viewer-surge:hls", toxics=("load: 8 hls viewers",))

    async def sample(self) -> LoadObservation:
        index = len([call for call in self.calls if call == "sample"])
        self.calls.append("sample")
        if self.fail_at is not None and index >= self.fail_at:
            raise LoadError("Locust exited with status 1: boom")
        joins = self.windows[min(index, len(self.windows) - 1)]
        self.seen.extend(joins)
        figures = window_figures(joins)
        bad = figures.success_pct is not None and figures.success_pct < 90
        return LoadObservation(
            window_s=1.0,
            users=8,
            watching=figures.joined,
            figures=figures,
            totals=summarise(self.seen, viewers_reached=5, users_reached=8),
            healthy=not bad,
            problems=("viewers: join success low",) if bad else (),
            transition="degraded" if bad and index == 2 else None,
        )

    async def lift(self) -> None:
        self.calls.append("lift")

    async def close(self) -> SurgeFigures:
        self.calls.append("close")
        figures = summarise(self.seen, viewers_reached=5, users_reached=8)
        return SurgeFigures(**{**figures.__dict__, "mode": "hls", "planned_viewers": 8})


async def run(surge: ScriptedSurge, tmp_path: Path) -> tuple[RunStore, RunResult, str]:
    drill = build_drill(DRILL, "surge.yaml")
    assert drill.load is not None and drill.load.thresholds == LoadThresholds()
    clock = AcceleratedClock(SATURDAY_3AM, rate=600)
    store = RunStore(tmp_path / "runs.db")
    async with SimulatedDeskServer(
        persona="responsive-24x7", clock=clock, timezone="Asia/Jakarta"
    ) as server:
        desk = SimulatedDesk(server.url)
        try:
            runner = DrillRunner(
                drill,
                compose_ticket=render_ticket,
                store=store,
                desk=desk,
                clock=clock,
                stream=HealthyStream(),
                load=surge,
            )
            result = await runner.run()
        finally:
            await desk.close()
        body = "\n".join(ticket.description for ticket in server.state.tickets())
    return store, result, body


GOOD = [Join(ok=True, first_ms=200.0)] * 3
BAD = [Join(ok=True, first_ms=900.0), *[Join(ok=False, failure="http_503")] * 3]


async def test_load_figures_call_the_stream_degraded_and_go_in_the_ticket(tmp_path: Path) -> None:
    surge = ScriptedSurge([GOOD, GOOD, BAD, BAD])
    store, result, body = await run(surge, tmp_path)
    timeline = store.events(result.run_id)
    assert result.outcome is Outcome.COMPLETED, result.reason
    assert surge.calls[:2] == ["prepare", "start"] and surge.calls[-1] == "close"
    assert surge.calls.index("lift") < surge.calls.index("close")  # the ramp down, then the end
    injected = timeline.first(FaultInjected)
    degraded = timeline.first(StreamDegraded)
    assert injected is not None and injected.profile == "viewer-surge:hls"
    assert degraded is not None and degraded.reasons == ("viewers: join success low",)
    assert degraded.evidence["load.join_success_pct"] == 25.0
    assert degraded.evidence["fps"] == 30.0  # the probe's latest sample beside the viewers'
    samples = timeline.all(LoadSample)
    assert len(samples) >= 3 and samples[2].failures == {"http_503": 3}
    assert timeline.first(TicketFiled) is not None and timeline.first(FaultLifted) is not None
    summary = timeline.last(LoadSummary)
    assert summary is not None and summary.mode == "hls" and summary.users_reached == 8
    assert summary.failures["http_503"] >= 3
    assert "viewer surge (hls): 8 planned" in body and "failures: http_503" in body


async def test_a_surge_that_fails_aborts_the_drill_and_is_still_closed(tmp_path: Path) -> None:
    surge = ScriptedSurge([GOOD], fail_at=1)
    store, result, _ = await run(surge, tmp_path)
    assert result.outcome is Outcome.ABORTED and "Locust exited with status 1" in result.reason
    assert surge.calls[-1] == "close"
    timeline = store.events(result.run_id)
    assert timeline.last(LoadSummary) is not None and timeline.last(DrillEnded) is not None
