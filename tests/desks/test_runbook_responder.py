"""The scripted responder on the desks' agent side: the simulated desk's agent endpoint and the
local PagerDuty fake's "Update an incident", each in a whole runbook drill loop."""

from __future__ import annotations

import asyncio
import textwrap
from itertools import pairwise
from pathlib import Path

import pytest
from fakes.pagerduty import ROUTING_KEY, FakePagerDuty

from supportdrill.clock import VirtualClock
from supportdrill.definitions.runbook import StepKind, parse_runbook
from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer
from supportdrill.errors import DeskRejected
from supportdrill.runbook.oncall import PagerDutyOnCall, SimulatedOnCall
from supportdrill.runbook.responder import ScriptedResponder
from supportdrill.session import run_drill_file
from supportdrill.store import RunStore
from supportdrill.timeline import (
    Note,
    ReplyClass,
    ResolutionKind,
    StatusCategory,
    TicketResolved,
    TicketStatus,
    VendorReply,
)
from supportdrill.vocabulary import DeskReply, DeskStatusChange, TicketDraft

TOKEN = "pd-rest-token-runbook-7a2e"


async def test_the_simulated_desk_shows_the_agents_actions_like_its_own(
    clock: VirtualClock,
) -> None:
    async with SimulatedDeskServer(persona="silent", clock=clock) as server:
        desk = SimulatedDesk(server.url)
        oncall = SimulatedOnCall(server.url)
        try:
            draft = TicketDraft(subject="[P0][DRILL] down", body="Stream down.", severity="P0")
            ref = await desk.file(draft, idempotency_key="rb-1")
            clock.advance(30)
            await oncall.acknowledge(ref.ticket_id, "Ack, on it.")
            clock.advance(60)
            await oncall.comment(ref.ticket_id, "Failing over.")
            clock.advance(60)
            await oncall.resolve(ref.ticket_id, "")
            poll = await desk.poll(ref)
            with pytest.raises(DeskRejected, match="answered 404"):
                await oncall.comment("999", "nobody")
        finally:
            await oncall.close()
            await desk.close()
    replies = [e for e in poll.events if isinstance(e, DeskReply)]
    assert [r.body for r in replies] == ["Ack, on it.", "Failing over.", "Resolved."]
    assert all(r.author_role == "agent" for r in replies)
    statuses = [e for e in poll.events if isinstance(e, DeskStatusChange)]
    assert [s.status for s in statuses] == ["new", "open", "solved"]
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in pairwise(replies)]
    assert gaps == [60.0, 60.0]  # the desk's own clock stamps them


async def test_the_agent_endpoint_refuses_what_an_agent_cannot_do(clock: VirtualClock) -> None:
    import httpx

    async with SimulatedDeskServer(persona="silent", clock=clock) as server:
        desk = SimulatedDesk(server.url)
        try:
            draft = TicketDraft(subject="s", body="b", severity="P0")
            ref = await desk.file(draft, idempotency_key="rb-2")
            async with httpx.AsyncClient(base_url=server.url) as client:
                url = f"/_agent/requests/{ref.ticket_id}"
                assert (await client.post(url, json={"status": "fixed"})).status_code == 422
                assert (await client.post(url, json={"comment": "  "})).status_code == 422
                assert (await client.post(url, content=b"{")).status_code == 400
                assert (await client.post(url, json={"status": "solved"})).status_code == 200
        finally:
            await desk.close()


@pytest.fixture
async def fake() -> object:
    server = FakePagerDuty()
    await server.start()
    yield server
    await server.stop()


async def test_the_pagerduty_on_call_acts_as_a_user(fake: FakePagerDuty) -> None:
    oncall = PagerDutyOnCall(fake.url, TOKEN, "earline@example.test")
    try:
        with pytest.raises(DeskRejected, match="answered 404"):
            await oncall.acknowledge("PNOPE", "")
    finally:
        await oncall.close()


def pagerduty_drill(tmp_path: Path, url: str, steps: str) -> Path:
    (tmp_path / "rb.runbook.yaml").write_text(
        "name: rb-7\nresponder: earline@example.test\nsteps:\n" + steps, encoding="utf-8"
    )
    path = tmp_path / "pagerduty-runbook.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name: pagerduty-runbook-loop
            vendor:
              name: our-oncall
              desk:
                kind: pagerduty
                url: {url}
                events_url: {url}
                routing_key: ${{SUPPORTDRILL_TEST_PD_ROUTING}}
                token: ${{SUPPORTDRILL_TEST_PD_TOKEN}}
                from_email: drills@example.test
              timezone: UTC
              coverage: 24x7
              sla: {{P0: {{first_response: 1m, resolution: 5m}}}}
              consent: "test against a local fake PagerDuty on 127.0.0.1"
            ticket: {{severity: P0, symptom: stream frozen, region: EU}}
            resolution: {{when: ticket_solved, timeout: 30s, poll_interval: 1s}}
            safety: {{max_duration: 2m}}
            runbook: {{file: rb.runbook.yaml}}
            """
        ),
        encoding="utf-8",
    )
    return path


async def test_a_runbook_drill_against_the_local_pagerduty(
    fake: FakePagerDuty, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPORTDRILL_TEST_PD_ROUTING", ROUTING_KEY)
    monkeypatch.setenv("SUPPORTDRILL_TEST_PD_TOKEN", TOKEN)
    steps = (
        "  - {after: 1s, do: acknowledge, text: 'Ack: RB-7'}\n"
        "  - {after: 1s, do: comment, text: 'Restarted the packager.'}\n"
        "  - {after: 1s, do: resolve, text: 'Back to normal.'}\n"
    )
    run = await asyncio.wait_for(
        run_drill_file(
            pagerduty_drill(tmp_path, fake.url, steps),
            store_path=tmp_path / "runs.db",
            reports_dir=tmp_path / "reports",
        ),
        timeout=60,
    )
    assert run.completed and run.sla_met, run.reason
    store = RunStore(tmp_path / "runs.db")
    try:
        timeline = store.events(run.run_id)
    finally:
        store.close()
    human = [r for r in timeline.all(VendorReply) if r.classification is ReplyClass.HUMAN]
    # The acknowledgement first, then the responder's notes (each step's text is a note, and
    # PagerDuty records a person's note as an annotate_log_entry by that user): all human.
    assert [r.author for r in human] == ["Earline Greenholt"] * 4
    solved = [s for s in timeline.all(TicketStatus) if s.category is StatusCategory.SOLVED]
    assert solved and timeline.last(TicketResolved).how is ResolutionKind.TICKET_SOLVED  # type: ignore[union-attr]
    notes = [n.text for n in timeline.all(Note) if n.text.startswith("runbook")]
    assert notes[0] == "runbook 'rb-7': earline@example.test paged (3 steps)"
    assert notes[1:] == [
        "runbook step 1 (acknowledge): acknowledged",
        "runbook step 2 (comment): commented",
        "runbook step 3 (resolve): resolved on the desk",
    ]
    puts = [path for method, path in fake.log if method == "PUT"]
    assert len(puts) == 2  # acknowledged, then resolved: as the user, through the REST API


async def test_a_failed_step_is_noted_and_the_runbook_goes_on(clock: VirtualClock) -> None:
    book = parse_runbook(
        "steps:\n  - {do: comment, text: first}\n  - {after: 5s, do: failover, path: backup}\n",
        "rb.yaml",
    )
    notes: list[tuple[str, str]] = []

    async def note(text: str, level: str) -> None:
        notes.append((text, level))

    async with SimulatedDeskServer(persona="silent", clock=clock) as server:
        responder = ScriptedResponder(book, SimulatedOnCall(server.url), clock=clock, note=note)
        try:
            task = asyncio.create_task(responder.follow("999"))  # no such ticket on the desk
            while not task.done():
                await asyncio.sleep(0.01)
                clock.advance(1)
        finally:
            await responder.close()
    assert notes[0] == ("runbook 'runbook': scripted responder paged (2 steps)", "info")
    assert notes[1][1] == "warning"
    assert notes[1][0].startswith("runbook step 1 (comment) failed: simulated: POST ")
    assert notes[2] == (
        "runbook step 2 (failover backup) failed: no failover endpoint: the drill has no "
        "runbook.failover",
        "warning",
    )
    assert responder.done == [(1, StepKind.COMMENT, False), (2, StepKind.FAILOVER, False)]
