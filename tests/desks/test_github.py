"""GitHub issues adapter against a local fake REST API (tests/desks/fakes/github.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from fakes.github import BOT, MAINTAINER, STRANGER, FakeGithub
from fakes.server import FakeServer

from supportdrill.clock import VirtualClock
from supportdrill.desks.github import GithubDesk
from supportdrill.desks.http import DeskHttp
from supportdrill.desks.retry import with_retries
from supportdrill.errors import DeskProtocolError, DeskRateLimited, DeskRejected
from supportdrill.measure.classify import classify_reply
from supportdrill.timeline import ReplyClass, StatusCategory
from supportdrill.vocabulary import AuthorRole, DeskReply, DeskStatusChange, TicketDraft, TicketRef

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


async def test_a_rate_limit_403_is_waited_out_not_taken_for_bad_credentials(
    fake: FakeGithub, make: Callable[[], GithubDesk]
) -> None:
    # GitHub's documented primary rate-limit answer: 403 with x-ratelimit-remaining: 0.
    clock = VirtualClock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="gh-rate")
    reset = int(datetime.now(UTC).timestamp()) + 600
    fake.rate_limit_next(1, reset)
    with pytest.raises(DeskRateLimited) as caught:
        await desk.poll(ref)
    assert caught.value.retry_after is not None and 590 <= caught.value.retry_after <= 601
    fake.rate_limit_next(1, reset)
    polled = await with_retries(
        lambda: desk.poll(ref), deadline=clock.now() + timedelta(hours=1), clock=clock
    )
    assert polled.cursor
    waited = (clock.now() - datetime(2026, 11, 22, 3, 0, tzinfo=UTC)).total_seconds()
    assert 590 <= waited <= 601


async def test_a_transferred_issue_is_followed_not_read_as_a_broken_answer(
    fake: FakeGithub, make: Callable[[], GithubDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="gh-moved")
    number = int(ref.ticket_id)
    fake.transfer(number)
    fake.comment(number, MAINTAINER, "Moved to our SDK repo; looking now.", "MEMBER")
    polled = await desk.poll(ref)
    replies = [e for e in polled.events if isinstance(e, DeskReply)]
    assert [r.body for r in replies] == ["Moved to our SDK repo; looking now."]
    assert ("GET", f"/repositories/777/issues/{number}") in fake.log


async def test_a_comment_on_a_transferred_issue_is_posted_once_at_its_new_place(
    fake: FakeGithub, make: Callable[[], GithubDesk]
) -> None:
    # GitHub answers a write to a transferred issue's old URL with 301 and does nothing; the
    # issue is re-resolved (a read follows the redirect) and the comment posted once where
    # the issue's own comments_url says, which GitHub asks us to use from then on.
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="gh-moved-write")
    number = int(ref.ticket_id)
    fake.transfer(number, to_repo="acme/media-sdk", new_number=12)
    await desk.comment(ref, "Logs attached.")
    await desk.comment(ref, "And the HAR file.")
    assert [c["body"] for c in fake.comments[number]] == ["Logs attached.", "And the HAR file."]
    posts = [(e.path, e.status) for e in fake.exchanges if e.method == "POST"]
    assert posts[1:] == [
        (f"/repos/acme/rtc-sdk/issues/{number}/comments", 301),
        ("/repos/acme/media-sdk/issues/12/comments", 201),
        ("/repos/acme/media-sdk/issues/12/comments", 201),
    ]
    replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    assert [(r.body, r.from_us) for r in replies] == [
        ("Logs attached.", True),
        ("And the HAR file.", True),
    ]
    # Only the first write and the read that re-resolved the issue met the old address;
    # everything after went to the new place.
    redirected = [(e.method, e.path) for e in fake.exchanges if e.status == 301]
    assert redirected == [
        ("POST", f"/repos/acme/rtc-sdk/issues/{number}/comments"),
        ("GET", f"/repos/acme/rtc-sdk/issues/{number}"),
    ]


async def test_polls_of_a_transferred_issue_go_to_its_new_place_after_the_first(
    fake: FakeGithub, make: Callable[[], GithubDesk]
) -> None:
    # GitHub: "A 301 status code indicates permanent redirection ... you should update your
    # code to use this URL for future requests."
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="gh-moved-reads")
    number = int(ref.ticket_id)
    first = await desk.poll(ref)
    fake.transfer(number, to_repo="acme/media-sdk", new_number=12)
    fake.comment(number, MAINTAINER, "Moved to the SDK repo; looking now.", "MEMBER")
    second = await desk.poll(ref, since=first.cursor)
    before = len(fake.exchanges)
    fake.close_issue(number)
    third = await desk.poll(ref, since=second.cursor)
    assert [e.status for e in fake.exchanges[before:]].count(301) == 0
    assert {e.path for e in fake.exchanges[before:]} == {
        "/repos/acme/media-sdk/issues/12/comments",
        "/repos/acme/media-sdk/issues/12",
    }
    status = [e for e in third.events if isinstance(e, DeskStatusChange)]
    assert [s.category for s in status] == [StatusCategory.SOLVED]


async def test_a_comment_on_an_issue_moved_out_of_sight_says_so_and_posts_nothing(
    fake: FakeGithub, make: Callable[[], GithubDesk]
) -> None:
    # "If the issue was transferred to or deleted from a repository where the authenticated
    # user lacks read access, the API returns a 404 Not Found status."
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="gh-moved-away")
    fake.transfer(int(ref.ticket_id), readable=False)
    with pytest.raises(DeskRejected, match="transferred or deleted") as caught:
        await desk.comment(ref, "Logs attached.")
    assert caught.value.status == 404
    assert fake.comments[int(ref.ticket_id)] == []


async def test_a_write_redirected_again_after_re_resolving_is_refused_not_looped() -> None:
    # A redirect is not success and the desk did nothing; after one re-resolution a second
    # redirect is an error, never a loop.
    server = FakeServer()
    posted: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        posted.append(request.path)
        return web.json_response(
            {"message": "Temporary Redirect"},
            status=307,
            headers={"Location": f"{server.url}{request.path}"},
        )

    async def issue(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "number": 5,
                "url": f"{server.url}/repos/acme/rtc-sdk/issues/5",
                "comments_url": f"{server.url}/repos/acme/rtc-sdk/issues/5/comments",
            }
        )

    server.app.router.add_post("/repos/acme/rtc-sdk/issues/5/comments", moved)
    server.app.router.add_get("/repos/acme/rtc-sdk/issues/5", issue)
    await server.start()
    desk = GithubDesk(DeskHttp(server.url, desk="github"), repo="acme/rtc-sdk")
    ref = TicketRef(desk="github", ticket_id="5", created_at=datetime.now(UTC))
    try:
        with pytest.raises(DeskProtocolError, match="redirect"):
            await desk.comment(ref, "Logs attached.")
    finally:
        await desk.close()
        await server.stop()
    assert len(posted) == 2


async def test_every_comment_page_is_read(fake: FakeGithub, make: Callable[[], GithubDesk]) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="gh-busy")
    number = int(ref.ticket_id)
    for index in range(120):
        fake.comment(number, STRANGER, f"+1 from viewer {index}", "NONE")
    first = await desk.poll(ref)
    assert len([e for e in first.events if isinstance(e, DeskReply)]) == 120
    # The first page is unchanged; the vendor's reply is on the second.
    fake.comment(number, MAINTAINER, "Fixed the relay, please retry.", "MEMBER")
    second = await desk.poll(ref, since=first.cursor)
    replies = [e for e in second.events if isinstance(e, DeskReply)]
    assert [(r.body, r.author_role) for r in replies] == [
        ("Fixed the relay, please retry.", AuthorRole.AGENT)
    ]


async def test_a_bot_closing_the_issue_is_not_a_resolution(
    fake: FakeGithub, make: Callable[[], GithubDesk]
) -> None:
    desk = make()
    ref = await desk.file(DRAFT, idempotency_key="gh-stale")
    first = await desk.poll(ref)
    fake.close_issue(int(ref.ticket_id), by=BOT)
    closed = await desk.poll(ref, since=first.cursor)
    status = [e for e in closed.events if isinstance(e, DeskStatusChange)]
    assert [s.category for s in status] == [StatusCategory.CLOSED]


async def test_redirects_to_writes_and_other_origins_are_never_success() -> None:
    async def moved(request: web.Request) -> web.Response:
        return web.json_response(
            {"message": "Moved Permanently"},
            status=307,
            headers={"Location": "http://127.0.0.2:9/elsewhere"},
        )

    server = FakeServer()
    server.app.router.add_post("/x", moved)
    server.app.router.add_get("/x", moved)
    await server.start()
    http = DeskHttp(server.url, desk="github", headers={"Authorization": "Bearer ghp_secret_1"})
    try:
        with pytest.raises(DeskProtocolError, match="redirect"):
            await http.post("/x", {"body": "hi"})
        with pytest.raises(DeskProtocolError, match="not on the desk's own origin"):
            await http.get("http://127.0.0.2:9/elsewhere")
    finally:
        await http.aclose()
        await server.stop()
