"""The live view, fed events as the runner feeds them, drawn on a console with no tty."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from supportdrill.clock import VirtualClock
from supportdrill.definitions.loader import build_drill
from supportdrill.definitions.model import Drill
from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer
from supportdrill.report.live import LiveView
from supportdrill.report.ticket import render_ticket
from supportdrill.run.runner import DrillRunner
from supportdrill.store import RunStore
from supportdrill.timeline import Event, Phase, PhaseChanged, ReplyClass, Timeline, VendorReply

from .streamdrill import START, STREAM_DRILL, stream_drill, stream_timeline


@dataclass
class RunningDrill:
    """What the view reads from a running drill: its definition, its clock, its timeline."""

    drill: Drill
    clock: VirtualClock
    timeline: Timeline = field(default_factory=Timeline)

    def emit(self, view: LiveView, event: Event) -> None:
        self.timeline = self.timeline.appended(event)
        view.on_event(event, self.timeline)


def _console() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=200, record=True)


def draw(view: LiveView) -> str:
    console = _console()
    console.print(view.render())
    return console.export_text()


def _row(screen: str, name: str) -> list[str]:
    line = next(line for line in screen.splitlines() if f" {name} " in line)
    return [cell.strip() for cell in line.strip("│┃ ").split("│")]


def feed(drill: Drill, until: float) -> tuple[RunningDrill, LiveView]:
    timeline, _ = stream_timeline(until=until)
    running = RunningDrill(drill, VirtualClock(START))
    view = LiveView(running, console=_console())
    for event in timeline:
        running.clock.advance(max(0.0, (event.at - running.clock.now()).total_seconds()))
        running.emit(view, event)
    return running, view


def test_before_filing_it_shows_the_phase_and_a_healthy_stream() -> None:
    _, view = feed(stream_drill(), until=11)
    screen = draw(view)
    assert "jakarta-showroom → acme-rtc  phase: baseline  now 2026-11-20 20:00:11Z" in screen
    assert "(Sat 03:00 Asia/Jakarta)" in screen
    assert "stream: healthy for 1s" in screen and "fault on" not in screen
    assert "fps 30.0 · latency 80 ms · loss 0.0 % · jitter 4 ms · bitrate 1400 kbps" in screen
    assert "SLA clocks start when the ticket is filed." in screen


def test_degraded_stream_under_a_fault() -> None:
    _, view = feed(stream_drill(), until=20)
    screen = draw(view)
    assert "stream: degraded for 5s  fault on: sea-mobile-peak in Southeast Asia" in screen
    assert "fps 9.0 · latency 720 ms · loss 12.0 %" in screen
    spark = next(line for line in screen.splitlines() if "MOS trend " in line).split()[-1]
    assert spark.startswith("█") and spark.endswith("▁") and len(spark) == 20


def test_each_sla_deadline_counts_down_then_goes_overdue() -> None:
    running, view = feed(stream_drill(), until=20)
    running.clock.advance(5 * 60)
    screen = draw(view)
    row = _row(screen, "first_human_response")
    assert row == ["first_human_response", "5m", "15m", "10m", "10m", "pending"]
    assert _row(screen, "acknowledgement")[3] == "10m"
    assert _row(screen, "detection_latency") == [
        "detection_latency",
        "3s",
        "—",
        "—",
        "—",
        "no target",
    ]
    running.clock.advance(12 * 60)
    row = _row(draw(view), "first_human_response")
    assert row == ["first_human_response", "17m", "15m", "overdue 2m", "overdue 2m", "breached"]


def test_business_hours_deadline_waits_for_monday() -> None:
    drill = build_drill(
        STREAM_DRILL.replace("{P0: 24x7}", "{P0: 'Mon-Fri 09:00-18:00'}"), "bh.yaml"
    )
    running, view = feed(drill, until=20)
    running.clock.advance(20 * 60)
    row = _row(draw(view), "first_human_response")
    # Filed Saturday 03:00 in Jakarta: 15 business minutes end Monday 09:15 local, 2d 5h 55m
    # after Saturday 03:20.
    assert row[1:4] == ["20m", "15m", "overdue 5m"]
    assert row[4] == "2d 5h"
    assert row[5] == "pending (calendar: breached)"


def test_a_reply_marks_the_figure_done_and_recovery_clears_the_fault() -> None:
    running, view = feed(stream_drill(), until=120)
    reply_at = running.clock.now()
    running.emit(
        view,
        VendorReply(
            at=reply_at,
            observed_at=reply_at,
            message_id="m1",
            classification=ReplyClass.HUMAN,
            author="Ana",
            author_role="agent",
        ),
    )
    screen = draw(view)
    assert _row(screen, "first_human_response")[1:] == ["1m 40s", "15m", "done", "done", "met"]
    assert "stream: healthy for 26s" in screen and "fault on" not in screen
    recent = screen.strip().splitlines()[-6:]
    assert recent[-1] == "20:02:00Z vendor.reply"
    assert "20:02:00Z drill.ended" in recent
    assert not any("stream.health" in line or "phase.changed" in line for line in recent)


def test_a_resumed_drill_starts_from_its_stored_timeline() -> None:
    timeline, _ = stream_timeline(until=20)
    clock = VirtualClock(START + timedelta(seconds=20))
    view = LiveView(RunningDrill(stream_drill(), clock, timeline), console=_console())
    screen = draw(view)
    assert "stream: degraded for 5s" in screen
    assert "20:00:20Z ticket.filed" in screen


def test_as_a_context_manager_it_draws_on_its_console() -> None:
    console = _console()
    running = RunningDrill(stream_drill(), VirtualClock(START))
    with LiveView(running, console=console, refresh_per_second=20) as view:
        now = running.clock.now()
        running.emit(view, PhaseChanged(at=now, observed_at=now, phase=Phase.WATCH))
    assert "phase: watch" in console.export_text()


TICKET_ONLY = """\
name: live-ticket-only
description: stream down
vendor:
  name: acme
  desk: {kind: simulated, persona: responsive-24x7}
  timezone: Asia/Jakarta
  coverage: {P0: 24x7}
  sla: common-vendor
ticket: {severity: P0, symptom: stream down, region: Jakarta}
resolution: {when: ticket_solved, timeout: 1d, poll_interval: 1m}
safety: {max_duration: 2d}
"""


async def test_follows_a_real_runner_against_the_simulated_desk(tmp_path: Path) -> None:
    drill = build_drill(TICKET_ONLY, "t.yaml")
    clock = VirtualClock(START)
    store = RunStore(tmp_path / "runs.db")
    try:
        async with SimulatedDeskServer(
            persona="responsive-24x7", clock=clock, timezone="Asia/Jakarta"
        ) as server:
            desk = SimulatedDesk(server.url)
            try:
                runner = DrillRunner(
                    drill, store=store, desk=desk, clock=clock, compose_ticket=render_ticket
                )
                console = _console()
                with LiveView(runner, console=console, refresh_per_second=20) as view:
                    runner.observers.append(view.on_event)
                    await runner.run()
            finally:
                await desk.close()
    finally:
        store.close()
    screen = console.export_text()
    assert "live-ticket-only → acme  phase: teardown" in screen
    assert _row(draw(view), "first_human_response")[3:] == ["done", "done", "met"]
    assert "ticket.filed" in screen and "drill.ended" in screen
    assert "stream:" not in screen


def test_progress_while_the_stream_is_judged() -> None:
    """Baseline, the fault taking hold, recovery: what is being judged, how many samples so
    far, and the wall time used of the window (a bar), counted on the monotonic clock."""
    from supportdrill.timeline import (
        BaselineHealthy,
        FaultInjected,
        FaultLifted,
        StreamDegraded,
        StreamHealth,
        StreamRecovered,
    )

    drill = stream_drill()
    running = RunningDrill(drill, VirtualClock(START))
    view = LiveView(running, console=_console())
    wall = [100.0]
    view.monotonic = lambda: wall[0]
    at = START

    def emit(event_type: type, **fields: object) -> None:
        running.emit(view, event_type(at=at, observed_at=at, **fields))

    emit(PhaseChanged, phase=Phase.BASELINE)
    for _ in range(3):
        emit(StreamHealth, metrics={"fps": 30.0}, healthy=False)
    wall[0] = 106.0
    screen = draw(view)
    assert "judging the stream's baseline: 3 samples judged, 6s of up to 20s" in screen
    assert "(needs 4 good samples in a row)" in screen
    emit(BaselineHealthy)
    assert "judging" not in draw(view)
    emit(FaultInjected, profile="p")
    emit(PhaseChanged, phase=Phase.DEGRADED)
    emit(StreamHealth, metrics={"fps": 9.0}, healthy=True)
    wall[0] = 108.5
    screen = draw(view)
    assert "waiting for the fault to show on the stream: 1 sample judged, 2s of up to 10s" in screen
    assert "(needs 2 bad samples in a row)" in screen
    emit(StreamDegraded)
    assert "waiting for the fault" not in draw(view)
    emit(FaultLifted)
    emit(StreamHealth, metrics={"fps": 30.0}, healthy=False)
    wall[0] = 120.0
    screen = draw(view)
    assert "fault lifted: waiting for the stream to recover: 1 sample judged, 12s" in screen
    emit(StreamRecovered)
    assert "fault lifted" not in draw(view)
