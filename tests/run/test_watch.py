"""TicketWatcher over a real desk adapter talking HTTP to the local fake Zendesk (agent view)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from desks.fakes.zendesk import AGENT, REQUESTER, FakeZendesk
from supportdrill.clock import RealClock
from supportdrill.definitions.model import DeskConfig, DeskKind, TierSet, Vendor
from supportdrill.desks.http import DeskHttp
from supportdrill.desks.tracking import drill_token
from supportdrill.desks.zendesk import ZendeskDesk
from supportdrill.run.watch import TicketWatcher, WatchState
from supportdrill.timeline import CustomerMessage, Event, ReplyClass, VendorReply
from supportdrill.vocabulary import TicketDraft

TOKEN = "zd-watch-token-4242"
VENDOR = Vendor(
    name="acme",
    desk=DeskConfig(kind=DeskKind.ZENDESK),
    timezone="UTC",
    coverage={},
    tiers=TierSet(name="none", targets={}),
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZendesk]:
    server = FakeZendesk(token=TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def desk(fake: FakeZendesk) -> AsyncIterator[ZendeskDesk]:
    http = DeskHttp(fake.url, desk="zendesk", auth=("drill@example.test/token", TOKEN))
    adapter = ZendeskDesk(http, agent_mode=True)
    yield adapter
    await adapter.close()


async def test_private_notes_are_neither_customer_messages_nor_replies(
    fake: FakeZendesk, desk: ZendeskDesk
) -> None:
    draft = TicketDraft(subject="[P0][DRILL] stream down", body="Video froze.", severity="P0")
    ref = await desk.file(draft, idempotency_key="watch-run/ticket")
    ticket = int(ref.ticket_id)
    fake.comment(ticket, AGENT, "INTERNAL: customer is on the trial plan, escalate", public=False)
    fake.comment(ticket, AGENT, "Hi, I am looking at the Jakarta edge now.")
    fake.comment(ticket, REQUESTER, "Thanks, still frozen here.", channel="api")
    emitted: list[Event] = []

    async def emit(event: Event) -> None:
        emitted.append(event)

    state = WatchState()
    watcher = TicketWatcher(desk, ref, vendor=VENDOR, clock=RealClock(), emit=emit, state=state)
    events = await watcher.poll(deadline=datetime.now(UTC) + timedelta(seconds=30))

    assert events == emitted
    excerpts = [getattr(e, "excerpt", "") for e in events]
    assert not any("INTERNAL" in text for text in excerpts)
    replies = [e for e in events if isinstance(e, VendorReply)]
    assert [r.excerpt for r in replies] == ["Hi, I am looking at the Jakarta edge now."]
    assert replies[0].classification is ReplyClass.HUMAN  # typed in the agent workspace
    ours = [e.excerpt for e in events if isinstance(e, CustomerMessage)]
    assert ours == [f"Video froze. {drill_token('watch-run/ticket')}", "Thanks, still frozen here."]
    # Seen once, skipped for good: a second look records nothing new.
    assert await watcher.poll(deadline=datetime.now(UTC) + timedelta(seconds=30)) == []
