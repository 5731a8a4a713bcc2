"""Freshdesk adapter against a local fake API v2 (tests/desks/fakes/freshdesk.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from fakes.freshdesk import AGENT_ID, REQUESTER_ID, FakeFreshdesk

from supportdrill.desks.freshdesk import FreshdeskDesk
from supportdrill.desks.http import DeskHttp
from supportdrill.measure.classify import classify_reply
from supportdrill.timeline import ReplyClass, StatusCategory
from supportdrill.vocabulary import AuthorRole, DeskReply, DeskStatusChange, TicketDraft

DRAFT = TicketDraft(subject="[P0][DRILL] Stream degraded", body="Frozen video.", severity="P0")


@pytest.fixture
async def fake() -> AsyncIterator[FakeFreshdesk]:
    server = FakeFreshdesk()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make(fake: FakeFreshdesk) -> AsyncIterator[Callable[[], FreshdeskDesk]]:
    made: list[FreshdeskDesk] = []

    def factory() -> FreshdeskDesk:
        http = DeskHttp(fake.url, desk="freshdesk", auth=("fd-api-key-0001", "X"))
        made.append(FreshdeskDesk(http, requester_email="drill@example.test"))
        return made[-1]

    yield factory
    for desk in made:
        await desk.close()


async def test_file_is_exactly_once_across_a_crash(
    fake: FakeFreshdesk, make: Callable[[], FreshdeskDesk]
) -> None:
    ref = await make().file(DRAFT, idempotency_key="fd-run-1")
    again = await make().file(DRAFT, idempotency_key="fd-run-1")
    assert again == ref and fake.creations == 1
    assert fake.tickets[int(ref.ticket_id)]["priority"] == 4


async def test_roles_from_agent_lookup_not_incoming(
    fake: FakeFreshdesk, make: Callable[[], FreshdeskDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="fd-run-2")
    ticket = int(ref.ticket_id)
    fake.converse(ticket, AGENT_ID, "Internal: escalate to network team", private=True)
    fake.converse(ticket, AGENT_ID, "Priya here, checking the Jakarta PoP now.")
    await desk.comment(ref, "Still down.")
    fake.set_status(ticket, 4)
    poll = await desk.poll(ref)
    replies = [e for e in poll.events if isinstance(e, DeskReply)]
    assert [(r.author_role, r.from_us) for r in replies] == [
        (AuthorRole.AGENT, False),
        (AuthorRole.END_USER, True),
    ]
    assert "Internal" not in " ".join(r.body for r in replies)  # private notes never count
    status = next(e for e in poll.events if isinstance(e, DeskStatusChange))
    assert status.category is StatusCategory.SOLVED and status.at_is_desk_time
    verdict = classify_reply(replies[0], ticket_created_at=ref.created_at, system_window_s=0)
    assert verdict.cls is ReplyClass.HUMAN
    assert (await desk.poll(ref, since=poll.cursor)).events == ()


async def test_vendor_clocks_from_due_by_fields(make: Callable[[], FreshdeskDesk]) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="fd-run-3")
    clocks = {c.vendor_name: c for c in await desk.vendor_clocks(ref)}
    first = clocks["fr_due_by"]
    assert first.breach_at is not None
    assert 14 * 60 <= (first.breach_at - ref.created_at).total_seconds() <= 16 * 60
    assert clocks["due_by"].breached is False


async def test_a_follow_up_is_the_requesters_and_leaves_the_vendors_clocks_alone(
    fake: FakeFreshdesk, make: Callable[[], FreshdeskDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="fd-follow-up")
    before = dict(fake.tickets[int(ref.ticket_id)])
    await desk.comment(ref, "Here are the logs you asked for.")
    posted = [path for method, path in fake.log if method == "POST"]
    assert posted[-1] == f"/api/v2/tickets/{ref.ticket_id}/notes"
    after = fake.tickets[int(ref.ticket_id)]
    # The vendor's first-response clock still runs: no agent reply was sent.
    assert after["stats"]["first_responded_at"] is None
    assert (after["fr_due_by"], after["fr_escalated"]) == (before["fr_due_by"], False)
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    assert [(r.from_us, r.public, r.channel) for r in replies] == [(True, True, "note")]


async def test_conversation_sources_read_as_documented(
    fake: FakeFreshdesk, make: Callable[[], FreshdeskDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="fd-sources")
    number = int(ref.ticket_id)
    for source in (0, 5, 6, 7, 8, 9, 11):
        fake.converse(number, AGENT_ID, f"source {source}")
        fake.conversations[number][-1]["source"] = source
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    assert [r.channel for r in replies] == [
        "reply",
        "tweet",
        "survey",
        "facebook",
        "forwarded_email",
        "phone",
        "ecommerce",
    ]


async def test_every_conversation_page_is_read(
    fake: FakeFreshdesk, make: Callable[[], FreshdeskDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="fd-busy")
    number = int(ref.ticket_id)
    for index in range(105):
        fake.converse(number, REQUESTER_ID, f"update {index}")
    fake.converse(number, AGENT_ID, "Fixed on our side.")
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    assert len(replies) == 106 and replies[-1].author_role == AuthorRole.AGENT


async def test_a_ticket_past_the_first_page_is_found_not_filed_twice(
    fake: FakeFreshdesk, make: Callable[[], FreshdeskDesk]
) -> None:
    # The drill's ticket, then 120 newer tickets of the same requester: "List All Tickets"
    # (newest first, at most 100 a page) shows ours only on page two.
    ref = await make().file(DRAFT, idempotency_key="fd-resumed")
    for index in range(120):
        fake.add_ticket(
            {
                "subject": f"Other issue {index}",
                "description": "…",
                "email": "drill@example.test",
                "priority": 1,
                "status": 2,
                "source": 2,
            }
        )
    again = await make().file(DRAFT, idempotency_key="fd-resumed")
    assert again == ref and fake.creations == 121
    listed = [query for method, query in fake.log if query.startswith("/api/v2/tickets?")]
    assert any("page=2" in query for query in listed)
