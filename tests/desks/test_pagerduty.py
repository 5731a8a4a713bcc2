"""PagerDuty adapter against a local fake Events API v2 + REST (tests/desks/fakes/pagerduty.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from fakes.pagerduty import ROUTING_KEY, FakePagerDuty

from supportdrill.desks.http import DeskHttp
from supportdrill.desks.pagerduty import PagerDutyDesk
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
    acks = [e for e in poll.events if isinstance(e, DeskReply)]
    assert [(a.author_role, a.automated_hint) for a in acks] == [
        (AuthorRole.SYSTEM, True),
        (AuthorRole.AGENT, False),
    ]
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
