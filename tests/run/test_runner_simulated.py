"""The runner end to end against the real simulated desk over HTTP, on a virtual clock."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from supportdrill.clock import VirtualClock
from supportdrill.definitions.loader import build_drill
from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer
from supportdrill.measure.verdicts import Verdict
from supportdrill.report.build import evaluation_for, write_reports
from supportdrill.report.ticket import render_ticket
from supportdrill.run.runner import DrillRunner
from supportdrill.store import RunStore
from supportdrill.timeline import (
    CustomerMessage,
    DrillEnded,
    Outcome,
    ReplyClass,
    TicketFiled,
    TicketFiling,
    VendorReply,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
SATURDAY_3AM = datetime(2026, 11, 21, 3, 0, tzinfo=JAKARTA)


def drill_yaml(
    persona: str, *, coverage: str = "'Mon-Fri 09:00-18:00'", poll: str = "5m", extra: str = ""
) -> str:
    return textwrap.dedent(
        f"""\
        name: test-{persona}
        description: stream down
        vendor:
          name: acme
          desk: {{kind: simulated, persona: {persona}}}
          timezone: Asia/Jakarta
          coverage: {{P0: {coverage}}}
          sla: common-vendor
        ticket: {{severity: P0, symptom: stream down, region: Jakarta}}
        resolution: {{when: ticket_solved, timeout: 3d, poll_interval: {poll}{extra}}}
        safety: {{max_duration: 4d}}
        """
    )


async def run_against(
    persona: str, tmp_path: Path, **kwargs: str
) -> tuple[RunStore, str, SimulatedDeskServer]:
    text = drill_yaml(persona, **kwargs)
    drill = build_drill(text, "test.yaml")
    clock = VirtualClock(SATURDAY_3AM)
    store = RunStore(tmp_path / "runs.db")
    async with SimulatedDeskServer(persona=persona, clock=clock, timezone="Asia/Jakarta") as server:
        desk = SimulatedDesk(server.url)
        try:
            runner = DrillRunner(
                drill,
                store=store,
                desk=desk,
                clock=clock,
                drill_text=text,
                compose_ticket=render_ticket,
            )
            result = await runner.run()
        finally:
            await desk.close()
    return store, result.run_id, server


async def test_business_hours_vendor_filed_saturday_night(tmp_path: Path) -> None:
    store, run_id, server = await run_against("business-hours-only", tmp_path)
    timeline = store.events(run_id)
    ended = timeline.last(DrillEnded)
    assert ended is not None and ended.outcome is Outcome.COMPLETED
    assert len(server.state.tickets()) == 1
    filed = timeline.first(TicketFiled)
    assert filed is not None
    assert filed.at.astimezone(JAKARTA).hour == 3
    replies = timeline.all(VendorReply)
    assert replies[0].classification is ReplyClass.AUTO
    human = next(reply for reply in replies if reply.classification is ReplyClass.HUMAN)
    local = human.at.astimezone(JAKARTA)
    assert local.weekday() == 0 and local.hour >= 9  # Monday, after opening
    card = evaluation_for(store, run_id)
    by_name = {metric.name: metric for metric in card.metrics}
    first_human = by_name["first_human_response"]
    assert first_human.verdict_calendar is Verdict.BREACHED
    assert first_human.calendar_s is not None and first_human.calendar_s > 50 * 3600
    assert first_human.business_s is not None and first_human.business_s < 3600
    assert (
        by_name["acknowledgement"].calendar_s is not None
        and by_name["acknowledgement"].calendar_s < 120
    )
    assert not card.sla_met
    paths = write_reports(store, run_id, tmp_path / "reports")
    markdown = paths["markdown"].read_text()
    assert "first human response" in markdown.lower() and "breached" in markdown
    assert paths["journal"].read_text().startswith("{")


async def test_responsive_vendor_meets_sla(tmp_path: Path) -> None:
    store, run_id, _ = await run_against("responsive-24x7", tmp_path, coverage="24x7")
    card = evaluation_for(store, run_id)
    assert card.sla_met, [(m.name, m.verdict_business) for m in card.metrics]


async def test_silent_vendor_times_out(tmp_path: Path) -> None:
    # Three days of a desk that never answers: every poll is a real HTTP round trip, and how
    # often it asks changes nothing here.
    store, run_id, _ = await run_against("silent", tmp_path, coverage="24x7", poll="30m")
    ended = store.events(run_id).last(DrillEnded)
    assert ended is not None and ended.outcome is Outcome.TIMED_OUT
    assert not evaluation_for(store, run_id).sla_met


async def test_asks_for_logs_gets_followup_and_finishes(tmp_path: Path) -> None:
    store, run_id, server = await run_against(
        "asks-for-logs", tmp_path, coverage="24x7", extra=", followup: 'Logs attached.'"
    )
    timeline = store.events(run_id)
    ended = timeline.last(DrillEnded)
    assert ended is not None and ended.outcome is Outcome.COMPLETED, ended
    assert len(server.state.tickets()) == 1
    # The follow-up is one message, though the desk lists it back to us on the next poll.
    ours = timeline.all(CustomerMessage)
    assert [m.excerpt for m in ours] == ["Logs attached."], ours


async def test_resume_files_nothing_twice(tmp_path: Path) -> None:
    """A crash after the filing intent was stored: resume finds the ticket by its tag."""
    text = drill_yaml("responsive-24x7", coverage="24x7")
    drill = build_drill(text, "test.yaml")
    clock = VirtualClock(SATURDAY_3AM)
    store = RunStore(tmp_path / "runs.db")
    async with SimulatedDeskServer(
        persona="responsive-24x7", clock=clock, timezone="Asia/Jakarta"
    ) as server:
        desk = SimulatedDesk(server.url)
        try:
            first = DrillRunner(
                drill,
                store=store,
                desk=desk,
                clock=clock,
                drill_text=text,
                compose_ticket=render_ticket,
            )
            # Simulate a harness that filed the ticket and died before storing the reference.
            from supportdrill.run.ports import idempotency_key

            key = idempotency_key(first.run_id)
            await first.emit(
                TicketFiling(at=clock.now(), observed_at=clock.now(), idempotency_key=key)
            )
            await desk.file(
                render_ticket(drill, first.timeline, run_id=first.run_id, now=clock.now()),
                idempotency_key=key,
            )
            resumed = DrillRunner(
                drill,
                store=store,
                desk=desk,
                clock=clock,
                run_id=first.run_id,
                compose_ticket=render_ticket,
            )
            result = await resumed.resume()
        finally:
            await desk.close()
    assert result.outcome is Outcome.COMPLETED
    assert len(server.state.tickets()) == 1
    filed = store.events(first.run_id).first(TicketFiled)
    assert filed is not None and filed.recovered
