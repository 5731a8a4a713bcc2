"""GitHub issues adapter against a local fake REST API (tests/desks/fakes/github.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from fakes.github import BOT, MAINTAINER, STRANGER, FakeGithub

from supportdrill.desks.github import GithubDesk
from supportdrill.desks.http import DeskHttp
from supportdrill.measure.classify import classify_reply
from supportdrill.timeline import ReplyClass, StatusCategory
from supportdrill.vocabulary import AuthorRole, DeskReply, DeskStatusChange, TicketDraft

DRAFT = TicketDraft(subject="[P0][DRILL] Stream degraded", body="Frozen video.", severity="P0")


@pytest.fixture
async def fake() -> AsyncIterator[FakeGithub]:
    server = FakeGithub()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make(fake: FakeGithub) -> AsyncIterator[Callable[[], GithubDesk]]:
    made: list[GithubDesk] = []

    def factory() -> GithubDesk:
        http = DeskHttp(
            fake.url, desk="github", headers={"Authorization": "Bearer ghp_fake_token_123"}
        )
        made.append(GithubDesk(http, repo=fake.repo))
        return made[-1]

    yield factory
    for desk in made:
        await desk.close()


async def test_file_is_exactly_once_across_a_crash(
    fake: FakeGithub, make: Callable[[], GithubDesk]
) -> None:
    ref = await make().file(DRAFT, idempotency_key="gh-run-1")
    again = await make().file(DRAFT, idempotency_key="gh-run-1")
    assert again == ref and fake.creations == 1


async def test_signals_etag_and_close(fake: FakeGithub, make: Callable[[], GithubDesk]) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="gh-run-2")
    number = int(ref.ticket_id)
    fake.comment(number, BOT, "Thanks for the report! A maintainer will look soon.", "NONE")
    fake.comment(number, STRANGER, "Same here", "NONE")
    app = {"slug": "support-router", "name": "Support Router"}
    fake.comment(number, MAINTAINER, "Routed to the media team.", "MEMBER", app=app)
    fake.comment(number, MAINTAINER, "Fixed the Jakarta relay config, please retry.", "MEMBER")
    first = await desk.poll(ref)
    replies = [e for e in first.events if isinstance(e, DeskReply)]
    assert [r.author_role for r in replies] == [
        AuthorRole.SYSTEM,
        AuthorRole.END_USER,
        AuthorRole.SYSTEM,
        AuthorRole.AGENT,
    ]
    assert replies[2].channel == "app:support-router"
    verdicts = [
        classify_reply(r, ticket_created_at=ref.created_at, system_window_s=0).cls
        for r in (replies[0], replies[2], replies[3])
    ]
    assert verdicts == [ReplyClass.AUTO, ReplyClass.AUTO, ReplyClass.HUMAN]
    # Nothing changed: both conditional requests answer 304.
    assert (await desk.poll(ref, since=first.cursor)).events == ()
    assert fake.not_modified == 2
    fake.close_issue(number)
    closed = await desk.poll(ref, since=first.cursor)
    status = [e for e in closed.events if isinstance(e, DeskStatusChange)]
    assert [(s.status, s.category) for s in status] == [("closed:completed", StatusCategory.SOLVED)]


async def test_check(make: Callable[[], GithubDesk]) -> None:
    lines = await make().check()
    assert any("drill-bot-user" in line and "acme/rtc-sdk" in line for line in lines)
