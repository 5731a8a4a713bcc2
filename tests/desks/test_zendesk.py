"""Zendesk adapter against a local fake Zendesk (tests/desks/fakes/zendesk.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fakes.zendesk import AGENT, INTEGRATION, REQUESTER, FakeZendesk

from supportdrill.clock import VirtualClock
from supportdrill.desks.http import DeskHttp
from supportdrill.desks.retry import with_retries
from supportdrill.desks.zendesk import ZendeskDesk
from supportdrill.errors import DeskAuthFailed
from supportdrill.measure.classify import classify_reply
from supportdrill.secrets import Redactor
from supportdrill.timeline import DeskGap, ReplyClass, StatusCategory
from supportdrill.vocabulary import AuthorRole, DeskReply, DeskStatusChange, TicketDraft

TOKEN = "zd-secret-token-123"
DRAFT = TicketDraft(
    subject="[P0][DRILL] Stream degraded from Jakarta", body="Video froze.", severity="P0"
)


_OPEN: list[ZendeskDesk] = []


@pytest.fixture
async def fake() -> AsyncIterator[FakeZendesk]:
    server = FakeZendesk(token=TOKEN)
    await server.start()
    yield server
    while _OPEN:
        await _OPEN.pop().close()
    await server.stop()


def make_desk(fake: FakeZendesk, *, agent: bool = False, token: str = TOKEN) -> ZendeskDesk:
    redactor = Redactor([token])
    redactor.add_basic_auth("drill@example.test/token", token)
    http = DeskHttp(
        fake.url,
        desk="zendesk",
        redactor=redactor,
        auth=("drill@example.test/token", token),
        timeout=0.5,
    )
    desk = ZendeskDesk(http, agent_mode=agent)
    _OPEN.append(desk)
    return desk


async def test_file_is_exactly_once_across_a_crash(fake: FakeZendesk) -> None:
    first = make_desk(fake)
    ref = await first.file(DRAFT, idempotency_key="run-1/ticket")
    # The harness "crashes" here: the desk answered but the store never saw the ticket.
    second = make_desk(fake)
    again = await second.file(DRAFT, idempotency_key="run-1/ticket")
    assert again.ticket_id == ref.ticket_id
    assert again.created_at == ref.created_at
    assert fake.creations == 1
    assert "[SD-" in fake.tickets[int(ref.ticket_id)].subject


async def test_agent_mode_files_once_by_external_id(fake: FakeZendesk) -> None:
    desk = make_desk(fake, agent=True)
    ref = await desk.file(DRAFT, idempotency_key="run-2/ticket")
    assert (await desk.file(DRAFT, idempotency_key="run-2/ticket")).ticket_id == ref.ticket_id
    assert await desk.find(idempotency_key="other") is None
    assert fake.creations == 1
    assert fake.tickets[int(ref.ticket_id)].external_id == "run-2/ticket"


async def test_requester_poll_reports_roles_status_and_cursor(fake: FakeZendesk) -> None:
    desk = make_desk(fake)
    ref = await desk.file(DRAFT, idempotency_key="run-3")
    fake.comment(int(ref.ticket_id), AGENT, "Looking at the Jakarta edge now.")
    first = await desk.poll(ref)
    replies = [e for e in first.events if isinstance(e, DeskReply)]
    statuses = [e for e in first.events if isinstance(e, DeskStatusChange)]
    assert [r.from_us for r in replies] == [True, False]
    assert replies[1].author_role == AuthorRole.AGENT
    assert replies[1].author_name == "Ana Agent"
    assert replies[1].channel == ""  # the requester view has no via.channel
    assert statuses[0].category is StatusCategory.NEW and not statuses[0].at_is_desk_time
    assert first.server_time is not None
    assert abs((first.server_time - datetime.now(UTC)).total_seconds()) < 120
    # Nothing new: the cursor keeps the next poll empty.
    assert (await desk.poll(ref, since=first.cursor)).events == ()
    fake.set_status(int(ref.ticket_id), "solved")
    later = await desk.poll(ref, since=first.cursor)
    assert [(e.status, e.category) for e in later.events if isinstance(e, DeskStatusChange)] == [
        ("solved", StatusCategory.SOLVED)
    ]
    posted = await desk.comment(ref, "Any update?")
    assert posted.tzinfo is not None


async def test_agent_mode_reads_channels_notifications_and_clocks(fake: FakeZendesk) -> None:
    desk = make_desk(fake, agent=True)
    ref = await desk.file(DRAFT, idempotency_key="run-4")
    ticket = int(ref.ticket_id)
    fake.trigger_notification(ticket, "We have received your request and will respond shortly.")
    fake.comment(ticket, INTEGRATION, "Ticket auto-triaged: priority urgent", channel="api")
    fake.comment(ticket, AGENT, "Hi, I am checking the Jakarta PoP; packet loss confirmed.")
    fake.set_status(ticket, "solved")
    poll = await desk.poll(ref)
    replies = [e for e in poll.events if isinstance(e, DeskReply) and not e.from_us]
    assert [r.channel for r in replies] == ["rule:trigger", "api", "web"]
    assert [r.automated_hint for r in replies] == [True, None, False]
    solved = [e for e in poll.events if isinstance(e, DeskStatusChange)]
    assert solved[-1].category is StatusCategory.SOLVED and solved[-1].at_is_desk_time

    classes = [
        classify_reply(r, ticket_created_at=ref.created_at, system_window_s=0).cls for r in replies
    ]
    # The documented cases: a trigger notification is automatic; an integration's comment
    # through an agent account (via.channel "api", via type 5) cannot be told from a person's,
    # so it is unclassified, never human; an agent typing in the workspace is human.
    assert classes == [ReplyClass.AUTO, ReplyClass.UNCLASSIFIED, ReplyClass.HUMAN]

    clocks = await desk.vendor_clocks(ref)
    names = {(c.vendor_name, c.business_hours) for c in clocks}
    assert ("first_reply_time", None) in names
    assert ("reply_time_in_minutes", True) in names
    assert any(c.metric == "resolution" and c.completed_at is not None for c in clocks)


async def test_requester_auto_ack_from_agent_account_is_not_human(fake: FakeZendesk) -> None:
    desk = make_desk(fake)
    ref = await desk.file(DRAFT, idempotency_key="run-5")
    fake.comment(
        int(ref.ticket_id), AGENT, "We have received your request. An agent will respond shortly."
    )
    poll = await desk.poll(ref)
    reply = next(e for e in poll.events if isinstance(e, DeskReply) and not e.from_us)
    result = classify_reply(reply, ticket_created_at=ref.created_at, system_window_s=0)
    assert result.cls is ReplyClass.AUTO


async def test_retries_survive_429_5xx_timeout_and_garbage(fake: FakeZendesk) -> None:
    desk = make_desk(fake)
    ref = await desk.file(DRAFT, idempotency_key="run-6")
    fake.hang_s = 1.5
    fake.fail_next("429", "500", "timeout", "garbage", "503")
    clock = VirtualClock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    gaps: list[DeskGap] = []
    poll = await with_retries(
        lambda: desk.poll(ref),
        deadline=clock.now() + timedelta(minutes=10),
        clock=clock,
        on_gap=gaps.append,
    )
    assert any(isinstance(e, DeskReply) for e in poll.events)
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.attempts == 6
    # Retry-After: 7 from the 429, then backoff 2 + 4 + 8 + 16 seconds of the virtual clock.
    assert (gap.until - gap.at).total_seconds() == pytest.approx(7 + 2 + 4 + 8 + 16)


async def test_bad_token_fails_without_leaking_it(fake: FakeZendesk) -> None:
    wrong = "zd-wrong-token-456"
    desk = make_desk(fake, token=wrong)
    with pytest.raises(DeskAuthFailed) as info:
        await desk.check()
    text = str(info.value) + info.value.body
    assert "401" in text
    assert wrong not in text
    assert "***" in text  # the fake echoed the Authorization header; it was redacted


async def test_check_describes_what_the_requester_can_see(fake: FakeZendesk) -> None:
    desk = make_desk(fake)
    lines = await desk.check()
    assert any("role end-user" in line for line in lines)
    assert any("via.channel" in line for line in lines)


async def test_lost_answer_to_create_is_not_filed_twice(fake: FakeZendesk) -> None:
    """The desk creates the ticket but its answer never reaches us; the retry finds it."""
    desk = make_desk(fake)  # client timeout 0.5 s
    fake.hang_s = 1.0
    fake.fail_next("lost@POST")
    clock = VirtualClock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    gaps: list[DeskGap] = []
    ref = await with_retries(
        lambda: desk.file(DRAFT, idempotency_key="run-lost"),
        deadline=clock.now() + timedelta(minutes=5),
        clock=clock,
        on_gap=gaps.append,
        base_delay=2.0,
    )
    assert fake.creations == 1
    assert [t.id for t in fake.tickets.values()] == [int(ref.ticket_id)]
    assert len(gaps) == 1 and "DeskTimeout" in gaps[0].error


async def test_a_trigger_named_on_its_own_event_and_agent_only_notifications(
    fake: FakeZendesk,
) -> None:
    desk = make_desk(fake, agent=True)
    ref = await desk.file(DRAFT, idempotency_key="run-via")
    ticket = int(ref.ticket_id)
    fake.trigger_notification(ticket, "We have received your request.")
    # An email to the assignee only: not an acknowledgement the customer received.
    fake.trigger_notification(
        ticket,
        "Ticket updated by the requester.",
        title="Notify assignee of comment update",
        recipients=(AGENT["id"],),
    )
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    notices = [r for r in replies if not r.from_us]
    assert [(r.channel, r.author_name, r.body) for r in notices] == [
        (
            "rule:trigger",
            "Notify requester and CCs of received request",
            "We have received your request.",
        )
    ]


async def test_an_agent_mode_follow_up_is_posted_as_the_requester(fake: FakeZendesk) -> None:
    desk = make_desk(fake, agent=True)
    ref = await desk.file(DRAFT, idempotency_key="run-author")
    await desk.comment(ref, "Here are the logs you asked for.")
    put = [path for method, path in fake.log if method == "PUT"]
    assert put == [f"/api/v2/tickets/{ref.ticket_id}.json"]
    body = json.loads(fake.bodies[-1])
    assert body["ticket"]["comment"]["author_id"] == REQUESTER["id"]
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    follow_up = [r for r in replies if r.body == "Here are the logs you asked for."]
    assert [(r.from_us, r.author_role) for r in follow_up] == [(True, AuthorRole.END_USER)]


@pytest.mark.parametrize("agent", [False, True])
async def test_every_page_of_comments_and_audits_is_read(fake: FakeZendesk, agent: bool) -> None:
    desk = make_desk(fake, agent=agent)
    ref = await desk.file(DRAFT, idempotency_key=f"run-pages-{agent}")
    ticket = int(ref.ticket_id)
    for index in range(110):
        fake.comment(ticket, REQUESTER, f"viewer report {index}", channel="api")
    fake.comment(ticket, AGENT, "Found it: a bad relay in Jakarta.")
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    assert len(replies) == 112
    assert replies[-1].author_role == AuthorRole.AGENT and not replies[-1].from_us
    assert any("page=2" in path for _, path in fake.log)
