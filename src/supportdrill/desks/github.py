"""GitHub issues as a support desk: file an issue on the vendor's repository and watch it.

REST API (docs.github.com/en/rest/issues): ``POST /repos/{owner}/{repo}/issues`` to file;
``GET /repos/{owner}/{repo}/issues?creator={login}&state=all`` to find our own issue again by
its drill token; ``GET …/issues/{n}/comments`` for replies, each with ``user.type`` (User or
Bot), ``author_association`` (OWNER, MEMBER, COLLABORATOR = the vendor) and
``performed_via_github_app``; ``GET …/issues/{n}`` for ``state``, ``closed_at`` and
``state_reason``. Webhooks cannot be set on someone else's repository, so polling uses
conditional requests (``If-None-Match``): a 304 costs no rate limit.

A transferred issue answers 301 at its old URLs (docs.github.com "Get an issue"). Reads follow
it, and a poll that did takes the new place the issue names for later requests; a write is not
acted on, so :meth:`GithubDesk.comment` re-resolves the issue and posts once
to the ``comments_url`` the issue now names, which later requests use too (GitHub: a 301's new
place is for every later request). Moved where the token cannot read, it answers 404 (or 410
when deleted): the comment fails and says so.
"""

from __future__ import annotations

from contextlib import aclosing
from datetime import datetime
from typing import Any

from ..clock import Clock, RealClock
from ..definitions.desk_settings import GithubSettings
from ..errors import DeskRejected
from ..timeline import StatusCategory
from ..vocabulary import (
    AuthorRole,
    DeskCapabilities,
    DeskEvent,
    DeskPoll,
    DeskReply,
    DeskStatusChange,
    TicketDraft,
    TicketRef,
)
from .base import Desk, OpenContext
from .http import (
    MAX_PAGES,
    DeskHttp,
    DeskRedirected,
    HttpAnswer,
    json_list,
    json_object,
    linked_pages,
    next_link,
    parse_timestamp,
    require,
)
from .tracking import Cursor, drill_token, first_carrying_token, with_token

VENDOR_ASSOCIATIONS = ("OWNER", "MEMBER", "COLLABORATOR")
CAPABILITIES = DeskCapabilities(
    author_roles=True,
    channels=True,
    status_history=True,
    vendor_sla_clocks=False,
    notes=(
        "a vendor employee without public org membership shows as CONTRIBUTOR or NONE",
        "a reopen is timestamped by updated_at (the desk's, but not specific to the reopen)",
    ),
)


class GithubDesk(Desk):
    """Issues on ``owner/repo`` through the REST API (token: fine-grained or classic)."""

    name = "github"
    capabilities = CAPABILITIES

    def __init__(self, http: DeskHttp, *, repo: str, clock: Clock | None = None) -> None:
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise ValueError(f"github repo must be owner/name, got {repo!r}")
        self.http = http
        self.repo = repo
        self.clock: Clock = clock or RealClock()
        self._login: str | None = None
        self._moved: dict[str, tuple[str, str]] = {}
        """Issue number → (``url``, ``comments_url``) of a transferred issue, as the issue
        itself names them once re-resolved: GitHub asks that a permanent redirect's new place
        be used from then on."""

    @classmethod
    def from_settings(cls, settings: GithubSettings, context: OpenContext) -> GithubDesk:
        token = context.secret(settings.token).reveal()
        client = context.http(
            settings.url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        return cls(client, repo=settings.repo, clock=context.clock)

    async def _me(self) -> str:
        if self._login is None:
            answer = await self.http.get("/user")
            self._login = str(require(answer.data, "login", "github user"))
        return self._login

    async def file(self, draft: TicketDraft, *, idempotency_key: str) -> TicketRef:
        existing = await self.find(idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        body = {
            "title": with_token(draft.subject, idempotency_key),
            "body": f"{draft.body}\n\n<!-- supportdrill --> {drill_token(idempotency_key)}",
        }
        answer = await self.http.post(f"/repos/{self.repo}/issues", body)
        return self._ref(answer.data)

    async def find(self, *, idempotency_key: str) -> TicketRef | None:
        pages = linked_pages(
            self.http,
            f"/repos/{self.repo}/issues",
            params={
                "creator": await self._me(),
                "state": "all",
                "sort": "created",
                "direction": "desc",
                "per_page": 100,
            },
        )
        # Closed as soon as the ticket turns up, not when the generator is collected.
        async with aclosing(pages):
            async for answer in pages:
                issues = json_list(answer.data, None, "github issues")
                issue = first_carrying_token(issues, idempotency_key, field="title", what="issue")
                if issue is not None:
                    return self._ref(issue)
        return None

    def _ref(self, data: Any) -> TicketRef:
        number = str(require(data, "number", "github issue"))
        return TicketRef(
            desk=self.name,
            ticket_id=number,
            created_at=parse_timestamp(require(data, "created_at", "issue"), "created_at"),
            url=str(json_object(data, "issue").get("html_url") or ""),
        )

    def _issue_url(self, ref: TicketRef) -> str:
        moved = self._moved.get(ref.ticket_id)
        return moved[0] if moved else f"/repos/{self.repo}/issues/{ref.ticket_id}"

    def _comments_url(self, ref: TicketRef) -> str:
        moved = self._moved.get(ref.ticket_id)
        return moved[1] if moved else f"/repos/{self.repo}/issues/{ref.ticket_id}/comments"

    async def _comments(self, ref: TicketRef, cursor: Cursor) -> tuple[list[Any] | None, Cursor]:
        """Every comment, following the ``Link: rel="next"`` pages; None when unchanged.

        The ETag saves a read only while the issue has one page: new comments go on the last
        page, so a first page that has not changed says nothing about the others.
        """
        one_page = cursor.get("comment_pages") in (None, "1")
        answer = await self.http.get(
            self._comments_url(ref),
            params={"per_page": 100},
            etag=cursor.etag if one_page else None,
        )
        if answer.not_modified:
            return None, cursor
        etag = answer.etag
        comments = list(json_list(answer.data, None, "github comments"))
        pages = 1
        url = next_link(answer.headers)
        while url is not None and pages < MAX_PAGES:
            answer = await self.http.get(url)
            comments.extend(json_list(answer.data, None, "github comments"))
            pages += 1
            url = next_link(answer.headers)
        cursor = Cursor(cursor.seen, cursor.status, etag, cursor.extra)
        return comments, cursor.with_extra(comment_pages=str(pages))

    async def poll(self, ref: TicketRef, *, since: str | None = None) -> DeskPoll:
        cursor = Cursor.decode(since)
        me = await self._me()
        events: list[DeskEvent] = []
        comments, cursor = await self._comments(ref, cursor)
        for comment in comments or ():
            comment_id = str(require(comment, "id", "comment"))
            if comment_id not in cursor.seen:
                events.append(self._reply(comment, me))
                cursor = cursor.saw(comment_id)
        issue_answer = await self.http.get(self._issue_url(ref), etag=cursor.get("issue_etag"))
        if not issue_answer.not_modified:
            issue = json_object(issue_answer.data, "github issue")
            if issue_answer.moved:
                self._remember(ref, issue)  # transferred: later polls go to the new place
            state = str(require(issue, "state", "issue"))
            reason = str(issue.get("state_reason") or "")
            status = f"{state}:{reason}" if reason and state == "closed" else state
            if state == "closed" and self._closed_by_bot_or_us(issue, me):
                status = f"{status}:by-{'us' if self._closer(issue) == me else 'bot'}"
            if status != cursor.status:
                events.append(self._status(issue, state, status, first=cursor.status is None))
                cursor = Cursor(cursor.seen, status, cursor.etag, cursor.extra)
        if issue_answer.etag:
            cursor = cursor.with_extra(issue_etag=issue_answer.etag)
        return DeskPoll(tuple(events), cursor.encode(), issue_answer.server_time)

    @staticmethod
    def _closer(issue: Any) -> str:
        closed_by = issue.get("closed_by")
        return str(json_object(closed_by, "closed_by").get("login") or "") if closed_by else ""

    @classmethod
    def _closed_by_bot_or_us(cls, issue: Any, me: str) -> bool:
        """A stale-bot (or our own) close is not the vendor fixing anything (``closed_by``)."""
        closed_by = issue.get("closed_by")
        if not closed_by:
            return False
        user = json_object(closed_by, "closed_by")
        return user.get("type") == "Bot" or cls._closer(issue) == me

    @staticmethod
    def _status(issue: Any, state: str, status: str, *, first: bool) -> DeskStatusChange:
        if state == "closed":
            # "not_planned" and "duplicate" closes are not a fix, nor is a close by a bot or
            # by us: closed, not solved.
            completed = status in ("closed", "closed:completed")
            return DeskStatusChange(
                status=status,
                category=StatusCategory.SOLVED if completed else StatusCategory.CLOSED,
                at=parse_timestamp(require(issue, "closed_at", "issue"), "closed_at"),
            )
        if first:
            return DeskStatusChange(
                status=status,
                category=StatusCategory.OPEN,
                at=parse_timestamp(require(issue, "created_at", "issue"), "created_at"),
            )
        # A reopen: the issue keeps no reopened_at, updated_at is the closest desk time.
        return DeskStatusChange(
            status=status,
            category=StatusCategory.OPEN,
            at=parse_timestamp(require(issue, "updated_at", "issue"), "updated_at"),
            at_is_desk_time=False,
        )

    @staticmethod
    def _reply(comment: Any, me: str) -> DeskReply:
        user = json_object(comment.get("user") or {}, "comment.user")
        login = str(user.get("login") or "")
        app = comment.get("performed_via_github_app")
        association = str(comment.get("author_association") or "")
        from_us = login == me
        if from_us:
            role = AuthorRole.END_USER
        elif user.get("type") == "Bot" or app:
            role = AuthorRole.SYSTEM
        elif association in VENDOR_ASSOCIATIONS:
            role = AuthorRole.AGENT
        else:
            role = AuthorRole.END_USER  # another user of the project, not the vendor
        automated: bool | None = None
        if user.get("type") == "Bot" or app:
            automated = True
        app_slug = json_object(app, "app").get("slug") if app else None
        return DeskReply(
            message_id=str(comment["id"]),
            created_at=parse_timestamp(comment.get("created_at"), "comment.created_at"),
            body=str(comment.get("body") or ""),
            author_id=login,
            author_name=login,
            author_role=role,
            channel=f"app:{app_slug}" if app_slug else association.lower(),
            from_us=from_us,
            automated_hint=automated,
        )

    async def comment(self, ref: TicketRef, text: str) -> datetime:
        try:
            answer = await self._post_comment(ref, text)
        except DeskRejected as exc:
            if exc.status not in (404, 410):
                raise
            # "Get an issue": 404 when the issue was transferred to or deleted from a repository
            # the user cannot read, 410 when deleted from one it can.
            raise DeskRejected(
                f"github: issue #{ref.ticket_id} of {self.repo} was transferred or deleted "
                f"where this token cannot read it (HTTP {exc.status}); nothing was posted",
                status=exc.status,
                body=exc.body,
            ) from exc
        return parse_timestamp(require(answer.data, "created_at", "comment"), "created_at")

    async def _post_comment(self, ref: TicketRef, text: str) -> HttpAnswer:
        try:
            return await self.http.post(self._comments_url(ref), {"body": text})
        except DeskRedirected as moved:
            # A transferred issue answers a write with 301 and does nothing. Re-resolve the
            # issue (a read follows the redirect) and post once where it now says; a second
            # redirect is raised, so the comment is never sent more than once.
            url = await self._relocate(ref, permanent=moved.permanent)
            return await self.http.post(url, {"body": text})

    async def _relocate(self, ref: TicketRef, *, permanent: bool) -> str:
        """The ``comments_url`` of the issue where it is now (GitHub: "don't manually parse
        URLs"; the issue names its own). Remembered for every later request when the move is
        permanent."""
        answer = await self.http.get(f"/repos/{self.repo}/issues/{ref.ticket_id}")
        issue = json_object(answer.data, "github issue")
        place = self._remember(ref, issue) if permanent or answer.moved else None
        return place[1] if place else str(require(issue, "comments_url", "github issue"))

    def _remember(self, ref: TicketRef, issue: Any) -> tuple[str, str]:
        place = (
            str(require(issue, "url", "github issue")),
            str(require(issue, "comments_url", "github issue")),
        )
        self._moved[ref.ticket_id] = place
        return place

    async def check(self) -> list[str]:
        me = await self._me()
        answer = await self.http.get(f"/repos/{self.repo}")
        repo = json_object(answer.data, "repo")
        lines = [f"github: authenticated as {me}; repository {repo.get('full_name')!s} visible"]
        if not repo.get("has_issues", True):
            lines.append("github: WARNING issues are disabled on this repository")
        remaining = answer.headers.get("x-ratelimit-remaining")
        if remaining is not None:
            lines.append(f"github: rate limit remaining {remaining}")
        lines.extend(f"github: cannot see: {note}" for note in self.capabilities.notes)
        return lines

    async def close(self) -> None:
        await self.http.aclose()
