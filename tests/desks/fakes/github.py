"""A fake GitHub REST API for issues (docs.github.com/en/rest/issues).

Shapes follow "Create an issue" and "List issue comments" (``user.login``, ``user.type``,
``author_association``, ``performed_via_github_app``, ``created_at``), and conditional
requests (docs.github.com/en/rest/using-the-rest-api/best-practices: a matching
``If-None-Match`` gets ``304 Not Modified``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

from aiohttp import web

from .server import FakeServer, stamp

ME = {"login": "drill-bot-user", "id": 1, "type": "User"}
MAINTAINER = {"login": "octocat", "id": 583231, "type": "User"}
BOT = {"login": "triage-helper[bot]", "id": 99, "type": "Bot"}
STRANGER = {"login": "another-user", "id": 4242, "type": "User"}


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
        r = self.app.router
        base = f"/repos/{repo}"
        r.add_get("/user", self.user)
        r.add_get(base, self.show_repo)
        r.add_post(f"{base}/issues", self.create)
        r.add_get(f"{base}/issues", self.list)
        r.add_get(f"{base}/issues/{{n}}", self.show)
        r.add_get(f"{base}/issues/{{n}}/comments", self.list_comments)
        r.add_post(f"{base}/issues/{{n}}/comments", self.add_comment)

    def comment(self, number: int, user: dict[str, Any], body: str, association: str, app=None):
        self.comments[number].append(
            {
                "id": next(self._comment_ids),
                "body": body,
                "user": user,
                "author_association": association,
                "performed_via_github_app": app,
                "created_at": stamp(),
                "updated_at": stamp(),
            }
        )
        self.issues[number]["comments"] = len(self.comments[number])
        self.issues[number]["updated_at"] = stamp()

    def close_issue(self, number: int, reason: str = "completed") -> None:
        issue = self.issues[number]
        issue.update(state="closed", state_reason=reason, closed_at=stamp(), updated_at=stamp())

    def _etagged(self, request: web.Request, payload: Any) -> web.Response:
        etag = '"' + hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.json_response(payload, headers={"ETag": etag})

    async def user(self, request: web.Request) -> web.Response:
        return web.json_response(ME, headers={"X-RateLimit-Remaining": "4999"})

    async def show_repo(self, request: web.Request) -> web.Response:
        return web.json_response({"full_name": self.repo, "has_issues": True})

    async def create(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.creations += 1
        number = next(self._numbers)
        self.issues[number] = {
            "id": 1000 + number,
            "number": number,
            "title": data["title"],
            "body": data["body"],
            "user": ME,
            "state": "open",
            "state_reason": None,
            "comments": 0,
            "created_at": stamp(),
            "updated_at": stamp(),
            "closed_at": None,
            "html_url": f"https://github.com/{self.repo}/issues/{number}",
        }
        self.comments[number] = []
        return web.json_response(self.issues[number], status=201)

    async def list(self, request: web.Request) -> web.Response:
        creator = request.query.get("creator")
        items = [i for i in self.issues.values() if creator in (None, i["user"]["login"])]
        return web.json_response(list(reversed(items)))

    async def show(self, request: web.Request) -> web.Response:
        return self._etagged(request, self.issues[int(request.match_info["n"])])

    async def list_comments(self, request: web.Request) -> web.Response:
        return self._etagged(request, self.comments[int(request.match_info["n"])])

    async def add_comment(self, request: web.Request) -> web.Response:
        number = int(request.match_info["n"])
        self.comment(number, ME, (await request.json())["body"], "NONE")
        return web.json_response(self.comments[number][-1], status=201)
