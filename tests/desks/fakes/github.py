"""A fake GitHub REST API for issues (docs.github.com/en/rest/issues).

Shapes follow "Create an issue" and "List issue comments" (``user.login``, ``user.type``,
``author_association``, ``performed_via_github_app``, ``created_at``), and conditional
requests (docs.github.com/en/rest/using-the-rest-api/best-practices: a matching
``If-None-Match`` gets ``304 Not Modified``). Lists are paged as GitHub pages them
(``per_page``, ``page`` and a ``Link`` header with ``rel="next"``); a transferred issue answers
``301 Moved Permanently`` with the new location, to any method (404 when the token cannot read
the new place), and the issue's own ``url``/``comments_url`` name the new place; ``rate_limit_next()`` answers as GitHub's
primary rate limit does (403, ``x-ratelimit-remaining: 0``, ``x-ratelimit-reset``).
Responses are validated against GitHub's OpenAPI description in tests/desks/contracts.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from .server import FakeServer, stamp

# Every payload starts from GitHub's own documented example (the vendored description), so the
# fake's answers carry every field the description requires.
_EXAMPLES = json.loads(
    (Path(__file__).parents[1] / "contracts" / "github.openapi.json").read_text()
)["components"]["examples"]


def _example(name: str) -> dict[str, Any]:
    return copy.deepcopy(_EXAMPLES[name]["value"])


def _user(login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    user = _example("issue-comment")["user"]
    user.update(login=login, id=user_id, type=kind, url=f"https://api.github.com/users/{login}")
    return user


ME = _user("drill-bot-user", 1)
MAINTAINER = _user("octocat", 583231)
BOT = _user("triage-helper[bot]", 99, "Bot")
STRANGER = _user("another-user", 4242)


class FakeGithub(FakeServer):
    def __init__(self, repo: str = "acme/rtc-sdk") -> None:
        super().__init__()
        self.repo = repo
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.creations = 0
        self.not_modified = 0
        self._numbers = itertools.count(1347)
        self._comment_ids = itertools.count(1)
        self.moved: dict[tuple[str, int], tuple[str, int] | None] = {}
        """Where a transferred issue was (repository, number) → where GitHub's 301 points
        (``#<repository id>``, number), or None when the token cannot read the new place."""
        self.located: dict[tuple[str, int], int] = {}
        """Every address of an issue (repository or ``#<id>``, number) → its key here (the
        number it was filed with, which the tests use)."""
        self.rate_limited = 0
        self.reset_at = 0
        r = self.app.router
        base = f"/repos/{repo}"
        r.add_get("/user", self.user)
        r.add_get(base, self.show_repo)
        r.add_post(f"{base}/issues", self.create)
        r.add_get(f"{base}/issues", self.list)
        # An issue is addressed by repository name, or by repository id once transferred.
        for place in ("/repos/{owner}/{name}", "/repositories/{rid}"):
            r.add_get(f"{place}/issues/{{n}}", self.show)
            r.add_get(f"{place}/issues/{{n}}/comments", self.list_comments)
            r.add_post(f"{place}/issues/{{n}}/comments", self.add_comment)
        self.app.middlewares.append(self._github_middleware)

    def rate_limit_next(self, count: int, reset_at: int) -> None:
        """The next ``count`` requests get GitHub's primary rate-limit answer."""
        self.rate_limited = count
        self.reset_at = reset_at

    def transfer(
        self,
        number: int,
        repository_id: int = 777,
        *,
        to_repo: str = "acme/media-sdk",
        new_number: int | None = None,
        readable: bool = True,
    ) -> None:
        """Transfer the issue filed as ``number`` to ``to_repo``, where it gets ``new_number``
        (GitHub numbers it anew). Its old URLs answer 301 to ``/repositories/{id}/issues/{n}``
        or, when the token cannot read the new place, 404 (both documented for "Get an
        issue")."""
        issue = self.issues[number]
        old = (self._repo_of(issue), int(issue["number"]))
        moved_to = new_number or int(issue["number"])
        self.moved[old] = (f"#{repository_id}", moved_to) if readable else None
        self.located.pop(old, None)
        self.located[(to_repo, moved_to)] = number
        self.located[(f"#{repository_id}", moved_to)] = number
        self._address(issue, to_repo, moved_to)

    def _address(self, issue: dict[str, Any], repo: str, number: int) -> None:
        api = f"{self.url}/repos/{repo}"
        issue.update(
            number=number,
            url=f"{api}/issues/{number}",
            repository_url=api,
            comments_url=f"{api}/issues/{number}/comments",
            events_url=f"{api}/issues/{number}/events",
            labels_url=f"{api}/issues/{number}/labels{{/name}}",
            html_url=f"https://github.com/{repo}/issues/{number}",
        )

    def _repo_of(self, issue: dict[str, Any]) -> str:
        return str(issue["repository_url"]).split("/repos/", 1)[1]

    def _place(self, request: web.Request) -> tuple[str, int] | None:
        """The (repository or ``#<id>``, number) a request addresses, if it names an issue."""
        info = request.match_info
        if "n" not in info:
            return None
        where = f"#{info['rid']}" if "rid" in info else f"{info['owner']}/{info['name']}"
        return where, int(info["n"])

    def _key(self, request: web.Request) -> int:
        place = self._place(request)
        if place is None or place not in self.located:
            raise web.HTTPNotFound(
                text=json.dumps({"message": "Not Found", "status": "404"}),
                content_type="application/json",
            )
        return self.located[place]

    @web.middleware
    async def _github_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.rate_limited:
            self.rate_limited -= 1
            return web.json_response(
                {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                },
                status=403,
                headers={
                    "x-ratelimit-limit": "5000",
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": "5000",
                    "x-ratelimit-reset": str(self.reset_at),
                },
            )
        place = self._place(request)
        if place is not None and place in self.moved:
            target = self.moved[place]
            if target is None:
                return web.json_response(
                    {
                        "message": "Not Found",
                        "documentation_url": "https://docs.github.com/rest/issues/issues#get-an-issue",
                        "status": "404",
                    },
                    status=404,
                )
            tail = request.path.split(f"/issues/{place[1]}", 1)[1]
            rid = target[0].removeprefix("#")
            location = f"{self.url}/repositories/{rid}/issues/{target[1]}{tail}"
            if request.query_string:
                location += f"?{request.query_string}"
            return web.json_response(
                {
                    "message": "Moved Permanently",
                    "url": location,
                    "documentation_url": "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects",
                },
                status=301,
                headers={"Location": location},
            )
        return await handler(request)

    def _page(self, request: web.Request, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
        per_page = min(100, int(request.query.get("per_page", "30")))
        page = int(request.query.get("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers: dict[str, str] = {}
        if page * per_page < len(items):
            query = dict(request.query)
            query["page"] = str(page + 1)
            query["per_page"] = str(per_page)
            url = self.link(request, **query)
            headers["Link"] = f'<{url}>; rel="next"'
        return chunk, headers

    def comment(self, number: int, user: dict[str, Any], body: str, association: str, app=None):
        comment = _example("issue-comment")
        comment_id = next(self._comment_ids)
        comment.update(
            id=comment_id,
            body=body,
            user=user,
            author_association=association,
            performed_via_github_app=app,
            created_at=stamp(),
            updated_at=stamp(),
            url=f"{self._repo_api(number)}/issues/comments/{comment_id}",
            issue_url=self.issues[number]["url"],
        )
        self.comments[number].append(comment)
        self.issues[number]["comments"] = len(self.comments[number])
        self.issues[number]["updated_at"] = stamp()

    def close_issue(
        self, number: int, reason: str = "completed", by: dict[str, Any] | None = None
    ) -> None:
        issue = self.issues[number]
        issue.update(
            state="closed",
            state_reason=reason,
            closed_at=stamp(),
            updated_at=stamp(),
            closed_by=by or MAINTAINER,
        )

    def _etagged(
        self, request: web.Request, payload: Any, headers: dict[str, str] | None = None
    ) -> web.Response:
        etag = '"' + hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.json_response(payload, headers={"ETag": etag, **(headers or {})})

    async def user(self, request: web.Request) -> web.Response:
        me = _example("private-user-response-with-public-profile-information")
        me.update(login=ME["login"], id=ME["id"], type=ME["type"], url=ME["url"])
        return web.json_response(me, headers={"X-RateLimit-Remaining": "4999"})

    async def show_repo(self, request: web.Request) -> web.Response:
        repo = _example("full-repository-default-response")
        repo.update(full_name=self.repo, name=self.repo.split("/")[1], has_issues=True)
        # Not a fork (GitHub's example is, and omits the required language of its parents).
        repo.pop("source", None)
        repo.pop("parent", None)
        repo["language"] = None
        return web.json_response(repo)

    async def create(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.creations += 1
        number = next(self._numbers)
        issue = _example("issue")
        issue.pop("pinned_comment", None)
        issue.pop("pull_request", None)  # an issue, not a pull request
        issue.update(
            {
                "id": 1000 + number,
                "number": number,
                "title": data["title"],
                "body": data["body"],
                "user": ME,
                "assignee": None,
                "assignees": [],
                "labels": [],
                "milestone": None,
                "state": "open",
                "state_reason": None,
                "comments": 0,
                "created_at": stamp(),
                "updated_at": stamp(),
                "closed_at": None,
                "closed_by": None,
            }
        )
        self._address(issue, self.repo, number)
        self.issues[number] = issue
        self.located[(self.repo, number)] = number
        self.comments[number] = []
        return web.json_response(self.issues[number], status=201)

    async def list(self, request: web.Request) -> web.Response:
        creator = request.query.get("creator")
        items = [i for i in self.issues.values() if creator in (None, i["user"]["login"])]
        chunk, headers = self._page(request, list(reversed(items)))
        return web.json_response(chunk, headers=headers)

    def _repo_api(self, number: int) -> str:
        return str(self.issues[number]["repository_url"])

    async def show(self, request: web.Request) -> web.Response:
        return self._etagged(request, self.issues[self._key(request)])

    async def list_comments(self, request: web.Request) -> web.Response:
        chunk, headers = self._page(request, self.comments[self._key(request)])
        return self._etagged(request, chunk, headers)

    async def add_comment(self, request: web.Request) -> web.Response:
        number = self._key(request)
        self.comment(number, ME, (await request.json())["body"], "NONE")
        return web.json_response(self.comments[number][-1], status=201)
