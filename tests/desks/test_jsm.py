"""JSM adapter against a local fake servicedeskapi (tests/desks/fakes/jsm.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.jsm import AGENT, AUTOMATION, PARTICIPANT, FakeJsm

from supportdrill.desks.http import DeskHttp
from supportdrill.desks.jsm import JsmDesk
from supportdrill.measure.classify import classify_reply
from supportdrill.timeline import ReplyClass, StatusCategory
from supportdrill.vocabulary import AuthorRole, DeskReply, DeskStatusChange, TicketDraft

DRAFT = TicketDraft(subject="[P0][DRILL] Stream degraded", body="Frozen video.", severity="P0")


@pytest.fixture
async def fake() -> AsyncIterator[FakeJsm]:
    server = FakeJsm()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make(fake: FakeJsm) -> AsyncIterator[type[object]]:
    made: list[JsmDesk] = []

    def factory(agent: bool = False) -> JsmDesk:
        http = DeskHttp(fake.url, desk="jsm", auth=("drill@example.test", "jsm-token-xyz"))
        desk = JsmDesk(http, service_desk_id="1", request_type_id="10", agent_mode=agent)
        made.append(desk)
        return desk

    yield factory  # type: ignore[misc]
    for desk in made:
        await desk.close()


async def test_file_is_exactly_once_across_a_crash(fake: FakeJsm, make) -> None:
    ref = await make().file(DRAFT, idempotency_key="jsm-run-1")
    again = await make().file(DRAFT, idempotency_key="jsm-run-1")
    assert again == ref
    assert fake.creations == 1
    assert ref.ticket_id.startswith("SD-") and ref.created_at.tzinfo is not None


async def test_customer_view_comments_status_and_classification(fake: FakeJsm, make) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="jsm-run-2")
    fake.comment(ref.ticket_id, AUTOMATION, "Thanks, your request has been received.")
    fake.comment(ref.ticket_id, AGENT, "Mia here: we see loss on the SG edge, failing over.")
    await desk.comment(ref, "Thanks, still degraded here.")
    fake.set_status(ref.ticket_id, "Resolved", "DONE")
    poll = await desk.poll(ref)
    replies = [e for e in poll.events if isinstance(e, DeskReply)]
    statuses = [e for e in poll.events if isinstance(e, DeskStatusChange)]
    assert [r.from_us for r in replies] == [False, False, True]
    assert replies[0].automated_hint is True  # "Automation for Jira", by display name
    assert replies[1].author_role == AuthorRole.UNKNOWN  # customers are not told who is agent
    assert [s.category for s in statuses] == [StatusCategory.NEW, StatusCategory.SOLVED]
    assert all(s.at_is_desk_time for s in statuses)
    c = [
        classify_reply(r, ticket_created_at=ref.created_at, system_window_s=0).cls
        for r in replies[:2]
    ]
    assert c == [ReplyClass.AUTO, ReplyClass.UNCLASSIFIED]
    assert (await desk.poll(ref, since=poll.cursor)).events == ()


async def test_agent_view_knows_roles_and_reads_sla(fake: FakeJsm, make) -> None:
    desk = make(agent=True)
    ref = await desk.file(DRAFT, idempotency_key="jsm-run-3")
    fake.comment(ref.ticket_id, AUTOMATION, "Request received.")
    fake.comment(ref.ticket_id, AGENT, "Investigating now.")
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    assert [(r.author_role, r.automated_hint) for r in replies] == [
        (AuthorRole.SYSTEM, True),
        (AuthorRole.AGENT, None),
    ]
    human = classify_reply(replies[1], ticket_created_at=ref.created_at, system_window_s=0)
    assert human.cls is ReplyClass.HUMAN
    clocks = await desk.vendor_clocks(ref)
    first = next(c for c in clocks if c.metric == "first_response")
    assert first.goal_s == 900 and first.elapsed_s == 420 and first.breached is False
    assert any(c.metric == "resolution" and c.business_hours is True for c in clocks)


async def test_check_warns_about_required_fields(make) -> None:
    lines = await make().check()
    assert any("customfield_10042" in line for line in lines)
    assert any("accountType" in line for line in lines)


async def test_a_participant_with_an_atlassian_account_is_not_an_agent(fake: FakeJsm, make) -> None:
    # Jira's spec: accountType "atlassian" is "a regular Atlassian user account"; customers
    # and participants can have one. Only SERVICEDESK_AGENT makes an author an agent.
    desk = make(agent=True)
    ref = await desk.file(DRAFT, idempotency_key="jsm-participant")
    fake.comment(ref.ticket_id, PARTICIPANT, "Same problem here in our Jakarta office.")
    fake.comment(ref.ticket_id, AGENT, "Investigating now.")
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    assert [r.author_role for r in replies] == [AuthorRole.END_USER, AuthorRole.AGENT]
    verdict = classify_reply(replies[0], ticket_created_at=ref.created_at, system_window_s=0)
    assert verdict.cls is not ReplyClass.HUMAN


async def test_every_page_of_comments_is_read(fake: FakeJsm, make) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="jsm-busy")
    for index in range(120):
        fake.comment(ref.ticket_id, PARTICIPANT, f"me too {index}")
    fake.comment(ref.ticket_id, AGENT, "Fixed; please confirm.")
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    assert len(replies) == 121 and replies[-1].body == "Fixed; please confirm."
    assert any("start=100" in path for _, path in fake.log)
