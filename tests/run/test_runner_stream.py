"""Drills with a real loopback stream and a real fault: the embedded Toxiproxy-compatible server,
aiortc peers on 127.0.0.1, the simulated desk on an accelerated clock."""

from __future__ import annotations

import shutil
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from supportdrill.clock import AcceleratedClock
from supportdrill.definitions.loader import build_drill
from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer
from supportdrill.report.build import write_reports
from supportdrill.report.ticket import render_ticket
from supportdrill.run.runner import DrillRunner, RunResult
from supportdrill.session import drill_parts
from supportdrill.store import RunStore
from supportdrill.store.runs import new_run_id
from supportdrill.timeline import (
    BaselineHealthy,
    DrillEnded,
    FaultInjected,
    FaultLifted,
    Outcome,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    TicketFiled,
    TicketFiling,
)

from .test_runner_simulated import SATURDAY_3AM

STREAM = "stream: {scenario: showroom, resolution: 320x180}"


def drill_yaml(
    fault: str, *, resolution: str = "lift_fault: on_first_human_response", stream: str = STREAM
) -> str:
    return textwrap.dedent(
        """\
        name: stream-drill
        description: viewers in Jakarta see frozen video
        vendor:
          name: acme
          desk: {kind: simulated, persona: responsive-24x7}
          timezone: Asia/Jakarta
          coverage: {P0: 24x7}
          sla: common-vendor
        ticket: {severity: P0, symptom: frozen video, region: Jakarta}
        resolution: {when: ticket_solved, timeout: 1d, poll_interval: 1m, %s}
        safety: {max_duration: 2d}
        %s
        fault:
        %s
        """
    ) % (resolution, stream, textwrap.indent(textwrap.dedent(fault), "  "))


async def run_drill(
    text: str, tmp_path: Path, **runner_options: Any
) -> tuple[RunStore, RunResult, list[str], str]:
    """Run ``text`` as the session does; returns the proxies left on the fault server after the
    run (read while the server still runs) and the ticket body the desk received."""
    drill = build_drill(text, "stream.yaml")
    clock = AcceleratedClock(SATURDAY_3AM, rate=600)
    store = RunStore(tmp_path / "runs.db")
    run_id = new_run_id(clock.now())
    async with (
        SimulatedDeskServer(
            persona="responsive-24x7", clock=clock, timezone="Asia/Jakarta"
        ) as server,
        drill_parts(drill, run_id=run_id, store=store, clock=clock) as parts,
    ):
        desk = SimulatedDesk(server.url)
        try:
            runner = DrillRunner(
                drill,
                compose_ticket=render_ticket,
                store=store,
                desk=desk,
                clock=clock,
                fault=parts.fault,
                stream=parts.stream,
                run_id=store.create_run_for(
                    drill, started_at=clock.now(), drill_text=text, run_id=run_id
                ),
                **runner_options,
            )
            result = await runner.run()
        finally:
            await desk.close()
        assert parts.fault is not None
        left = [proxy.name for proxy in await parts.fault.session.backend.state()]  # type: ignore[attr-defined]
        bodies = [ticket.description for ticket in server.state.tickets()]
    return store, result, left, "\n".join(bodies)


async def test_fault_degrades_stream_ticket_carries_evidence_and_stream_recovers(
    tmp_path: Path,
) -> None:
    fault = """\
        region: Jakarta
        symptom: frozen video
        expect_degraded_within: 20s
        toxics:
          - {type: loss, protocol: udp, attributes: {probability: 0.3}}
        """
    store, result, left, body = await run_drill(drill_yaml(fault), tmp_path)
    timeline = store.events(result.run_id)
    assert result.outcome is Outcome.COMPLETED, result.reason
    order = [
        timeline.first(BaselineHealthy),
        timeline.first(FaultInjected),
        timeline.first(StreamDegraded),
        timeline.first(TicketFiling),
        timeline.first(TicketFiled),
        timeline.first(FaultLifted),
    ]
    assert all(event is not None for event in order)
    stamps = [event.observed_at for event in order if event is not None]
    assert stamps == sorted(stamps)
    injected = timeline.first(FaultInjected)
    assert injected is not None and injected.region == "Jakarta"
    assert any("loss" in toxic and "probability=0.3" in toxic for toxic in injected.toxics)
    degraded = timeline.first(StreamDegraded)
    assert degraded is not None and degraded.reasons and "loss_pct" in degraded.evidence
    # The stream is physical: detection is measured in wall seconds on an accelerated clock.
    assert (degraded.at - injected.at).total_seconds() <= 20
    recovered = timeline.first(StreamRecovered)
    lifted = timeline.first(FaultLifted)
    assert recovered is not None and lifted is not None and recovered.at >= lifted.at
    assert len(timeline.all(StreamHealth)) >= 5
    # What a support engineer needs is in the ticket the desk received.
    assert "Jakarta" in body and "frozen video" in body
    assert "loss" in body.lower() and "fps" in body.lower()
    assert left == []  # every proxy of the run is gone from the server
    paths = write_reports(store, result.run_id, tmp_path / "reports")
    assert "Stream health" in paths["markdown"].read_text(encoding="utf-8")


async def test_fault_that_does_not_take_aborts_before_filing(tmp_path: Path) -> None:
    fault = """\
        expect_degraded_within: 4s
        toxics:
          - {type: latency, protocol: udp, attributes: {latency: 1}}
        """
    store, result, left, body = await run_drill(drill_yaml(fault), tmp_path)
    timeline = store.events(result.run_id)
    assert result.outcome is Outcome.ABORTED
    assert "fault did not take" in result.reason
    assert timeline.first(TicketFiling) is None and body == ""
    assert timeline.first(FaultLifted) is not None
    assert left == []
    ended = timeline.last(DrillEnded)
    assert ended is not None and ended.outcome is Outcome.ABORTED


async def test_fault_for_another_protocol_is_refused_before_it_starts(tmp_path: Path) -> None:
    fault = """\
        toxics:
          - {type: latency, protocol: tcp, attributes: {latency: 500}}
        """
    store, result, left, _ = await run_drill(drill_yaml(fault), tmp_path)
    assert result.outcome is Outcome.ABORTED
    assert "tcp only" in result.reason and "udp proxy" in result.reason
    assert store.events(result.run_id).first(TicketFiling) is None
    assert left == []


@pytest.mark.coturn
@pytest.mark.skipif(shutil.which("turnserver") is None, reason="coturn is not installed")
async def test_turn_tcp_path_takes_a_tcp_fault(tmp_path: Path) -> None:
    """Media relayed by a real coturn, over TCP through the fault layer: the path a real
    Toxiproxy can impair. The drill starts coturn itself."""
    fault = """\
        expect_degraded_within: 20s
        toxics:
          - {type: latency, protocol: tcp, attributes: {latency: 400}}
        """
    stream = "stream: {scenario: showroom, resolution: 320x180, path: turn-tcp}"
    store, result, left, body = await run_drill(drill_yaml(fault, stream=stream), tmp_path)
    timeline = store.events(result.run_id)
    assert result.outcome is Outcome.COMPLETED, result.reason
    degraded = timeline.first(StreamDegraded)
    assert degraded is not None
    assert any("latency" in reason for reason in degraded.reasons)
    assert timeline.first(StreamRecovered) is not None
    assert left == [] and "fps" in body.lower()


async def test_resume_of_a_stream_drill_says_the_stream_was_not_watched(tmp_path: Path) -> None:
    """A crash mid-fault, once the fault was confirmed (the stream seen degraded) and before
    filing: the leftover cleanup removed the fault; the resumed run records that, says the stream
    was not restarted, and still files and times the vendor."""
    from supportdrill.clock import VirtualClock
    from supportdrill.timeline import DrillStarted, Note

    fault = """\
        toxics:
          - {type: loss, protocol: udp, attributes: {probability: 0.3}}
        """
    text = drill_yaml(fault)
    drill = build_drill(text, "stream.yaml")
    clock = VirtualClock(SATURDAY_3AM)
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run_for(drill, started_at=clock.now(), drill_text=text)
    now = clock.now()
    store.append(
        run_id,
        DrillStarted(
            at=now,
            observed_at=now,
            drill=drill.name,
            vendor="acme",
            desk="simulated",
            severity="P0",
        ),
    )
    store.append(run_id, FaultInjected(at=now, observed_at=now, profile="custom"))
    store.append(run_id, StreamDegraded(at=now, observed_at=now, reasons=("loss 30 %",)))
    async with SimulatedDeskServer(
        persona="responsive-24x7", clock=clock, timezone="Asia/Jakarta"
    ) as server:
        desk = SimulatedDesk(server.url)
        try:
            runner = DrillRunner(
                drill,
                store=store,
                desk=desk,
                clock=clock,
                run_id=run_id,
                compose_ticket=render_ticket,
            )
            result = await runner.resume()
        finally:
            await desk.close()
    timeline = store.events(run_id)
    assert result.outcome is Outcome.COMPLETED, result.reason
    lifted = timeline.first(FaultLifted)
    assert lifted is not None and "restart" in lifted.reason
    assert any("not restarted on resume" in note.text for note in timeline.all(Note))
    assert len(server.state.tickets()) == 1


async def test_a_stream_that_never_looks_healthy_aborts_before_the_fault(tmp_path: Path) -> None:
    fault = """\
        toxics:
          - {type: loss, protocol: udp, attributes: {probability: 0.3}}
        """
    # 30 fps can never meet a 55 fps floor: the baseline is unhealthy, nothing else happens.
    stream = "stream: {scenario: showroom, resolution: 320x180, thresholds: {min_fps: 55}}"
    store, result, left, body = await run_drill(
        drill_yaml(fault, stream=stream), tmp_path, baseline_window=timedelta(seconds=4)
    )
    timeline = store.events(result.run_id)
    assert result.outcome is Outcome.ABORTED
    assert result.reason.startswith("baseline unhealthy")
    assert timeline.first(FaultInjected) is None and timeline.first(TicketFiling) is None
    assert body == "" and left == []
    assert len(timeline.all(StreamHealth)) >= 3
