"""PagerDuty adapter against a local fake Events API v2 + REST (tests/desks/fakes/pagerduty.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from contracts.openapi import Contract
from fakes.pagerduty import ROUTING_KEY, FakePagerDuty
from fakes.server import FakeServer
from test_contracts import held_to

from supportdrill.desks.http import DeskHttp
from supportdrill.desks.pagerduty import PagerDutyDesk
from supportdrill.errors import DeskRateLimited, InvalidConfiguration
from supportdrill.measure.classify import classify_reply
from supportdrill.secrets import SecretValue
from supportdrill.timeline import ReplyClass, StatusCategory
from supportdrill.vocabulary import AuthorRole, DeskReply, DeskStatusChange, TicketDraft

DRAFT = TicketDraft(subject="[P0][DRILL] Stream degraded", body="Frozen video.", severity="P0")


@pytest.fixture
async def fake() -> AsyncIterator[FakePagerDuty]:
    server = FakePagerDuty()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make(fake: FakePagerDuty) -> AsyncIterator[Callable[[], PagerDutyDesk]]:
    made: list[PagerDutyDesk] = []

    def factory() -> PagerDutyDesk:
        made.append(
            PagerDutyDesk(
                events=DeskHttp(fake.url, desk="pagerduty"),
                rest=DeskHttp(
                    fake.url, desk="pagerduty", headers={"Authorization": "Token token=u+x"}
                ),
                routing_key=SecretValue("PD_ROUTING_KEY", ROUTING_KEY),
                from_email="oncall@example.test",
                appear_timeout_s=5,
            )
        )
        return made[-1]

    yield factory
    for desk in made:
        await desk.close()


async def test_trigger_is_exactly_once_across_a_crash(
    fake: FakePagerDuty, make: Callable[[], PagerDutyDesk]
) -> None:
    ref = await make().file(DRAFT, idempotency_key="pd-run-1")
    again = await make().file(DRAFT, idempotency_key="pd-run-1")
    assert again == ref and fake.creations == 1
    assert ref.extra["dedup_key"].startswith("supportdrill-")


async def test_human_ack_versus_events_api_ack(
    fake: FakePagerDuty, make: Callable[[], PagerDutyDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="pd-run-2")
    await desk.acknowledge(ref)  # an integration's ack: not a human response
    fake.human_ack(ref.ticket_id)
    await desk.comment(ref, "Runbook step 3 done.")
    await desk.resolve(ref)
    poll = await desk.poll(ref)
    replies = [e for e in poll.events if isinstance(e, DeskReply)]
    # Our own note comes back as an annotate_log_entry by the From user: ours, not a reply.
    assert [(a.author_role, a.automated_hint, a.from_us) for a in replies] == [
        (AuthorRole.SYSTEM, True, False),
        (AuthorRole.AGENT, False, False),
        (AuthorRole.AGENT, False, True),
    ]
    acks = [a for a in replies if not a.from_us]
    verdicts = [
        classify_reply(a, ticket_created_at=ref.created_at, system_window_s=0).cls for a in acks
    ]
    assert verdicts == [ReplyClass.AUTO, ReplyClass.HUMAN]
    statuses = [e.category for e in poll.events if isinstance(e, DeskStatusChange)]
    assert statuses == [
        StatusCategory.NEW,
        StatusCategory.OPEN,
        StatusCategory.OPEN,
        StatusCategory.SOLVED,
    ]
    assert (await desk.poll(ref, since=poll.cursor)).events == ()


async def test_check(make: Callable[[], PagerDutyDesk]) -> None:
    assert any("REST key accepted" in line for line in await make().check())


async def test_a_responders_note_is_a_reply_and_ours_is_not(
    fake: FakePagerDuty, make: Callable[[], PagerDutyDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="pd-notes")
    await desk.comment(ref, "Logs attached for the drill.")
    fake.human_note(ref.ticket_id, "Looking at the Frankfurt edge now.")
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    assert [(r.body, r.from_us) for r in replies] == [
        ("Logs attached for the drill.", True),
        ("Looking at the Frankfurt edge now.", False),
    ]
    theirs = classify_reply(replies[1], ticket_created_at=ref.created_at, system_window_s=0)
    assert theirs.cls is ReplyClass.HUMAN


async def test_an_acknowledgement_that_times_out_goes_back_to_triggered(
    fake: FakePagerDuty, make: Callable[[], PagerDutyDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="pd-unack")
    fake.human_ack(ref.ticket_id)
    fake.ack_timeout(ref.ticket_id)
    statuses = [
        (e.status, e.category)
        for e in (await desk.poll(ref)).events
        if isinstance(e, DeskStatusChange)
    ]
    assert statuses[-1] == ("triggered", StatusCategory.NEW)


async def test_every_log_entry_page_is_read(
    fake: FakePagerDuty, make: Callable[[], PagerDutyDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="pd-busy")
    for index in range(130):
        fake.human_note(ref.ticket_id, f"status update {index}")
    fake.human_resolve(ref.ticket_id)
    events = (await desk.poll(ref)).events
    assert len([e for e in events if isinstance(e, DeskReply)]) == 130
    assert [e.category for e in events if isinstance(e, DeskStatusChange)][-1] is (
        StatusCategory.SOLVED
    )
    assert any("offset=100" in path for _, path in fake.log)


async def test_a_note_needs_a_from_address_that_names_a_user(fake: FakePagerDuty) -> None:
    def desk(from_email: str) -> PagerDutyDesk:
        return PagerDutyDesk(
            events=DeskHttp(fake.url, desk="pagerduty"),
            rest=DeskHttp(fake.url, desk="pagerduty"),
            routing_key=SecretValue("routing_key", ROUTING_KEY),
            from_email=from_email,
        )

    without = desk("")
    stranger = desk("nobody@example.test")
    try:
        ref = await without.file(DRAFT, idempotency_key="pd-from")
        with pytest.raises(InvalidConfiguration, match="from_email"):
            await without.comment(ref, "hello")
        with pytest.raises(InvalidConfiguration, match="not a user of this account"):
            await stranger.check()
    finally:
        await without.close()
        await stranger.close()


async def test_pagerduty_rate_limit_reset_is_waited_out() -> None:
    async def limited(request: web.Request) -> web.Response:
        return web.json_response(
            {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
            status=429,
            headers={"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "23"},
        )

    server = FakeServer()
    server.app.router.add_get("/limited", limited)
    await server.start()
    http = DeskHttp(server.url, desk="pagerduty")
    try:
        with pytest.raises(DeskRateLimited) as caught:
            await http.get("/limited")
        assert caught.value.retry_after == 23
    finally:
        await http.aclose()
        await server.stop()


async def test_the_drills_incident_is_found_past_the_first_page_of_its_key(
    fake: FakePagerDuty, make: Callable[[], PagerDutyDesk]
) -> None:
    # A trigger joins only an OPEN incident with its dedup key: once the drill's incident is
    # resolved, later triggers with the key open new incidents. The key then names 121
    # incidents, listed newest first, 100 a page at most; the drill's is the first opened.
    ref = await make().file(DRAFT, idempotency_key="pd-many")
    fake.human_resolve(ref.ticket_id)
    for _ in range(120):
        newer = fake.open_incident(ref.extra["dedup_key"], "re-triggered by a monitor")
        fake.human_resolve(newer["id"])
    found = await make().find(idempotency_key="pd-many")
    assert found == ref
    listed = [query for method, query in fake.log if query.startswith("/incidents?")]
    assert any("offset=100" in query for query in listed)
    # Every page asked for, and every page the fake answered, as PagerDuty describes them.
    checked = held_to(
        fake.exchanges, ("/v2/", Contract("pagerduty-events")), ("/", Contract("pagerduty"))
    )
    assert any(entry.startswith("GET /incidents") for entry in checked), checked
