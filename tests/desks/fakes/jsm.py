"""A fake Jira Service Management speaking servicedeskapi.

Shapes follow developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/ ("Create
customer request", "Get request comments" — the documented example comment is
``{"id": "1000", "body": "Hello there", "public": true, "author": {"accountId": ...,
"displayName": "Fred F. User"}, "created": {"iso8601": "2015-10-09T10:22:00+0700",
"epochMillis": 1444360920000}}`` — "Get customer request status" and "Get SLA information").
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .server import FakeServer

CUSTOMER = {
    "accountId": "qm:customer-1",
    "displayName": "Drill Customer",
    "accountType": "customer",
}
AGENT = {
    "accountId": "5b10a2844c20165700ede21g",
    "displayName": "Mia Krystof",
    "accountType": "atlassian",
}
AUTOMATION = {
    "accountId": "557058:automation",
    "displayName": "Automation for Jira",
    "accountType": "app",
}
PARTICIPANT = {
    "accountId": "5d9e2f3c1a2b3c0c8e7f6a51",
    "displayName": "Sam Viewer (customer's colleague, an Atlassian account)",
    "accountType": "atlassian",
}
ACCOUNTS = {a["accountId"]: a for a in (CUSTOMER, AGENT, AUTOMATION, PARTICIPANT)}
AGENTS = {AGENT["accountId"]}
"""Who holds SERVICEDESK_AGENT on the project (Jira's "Find users with permissions")."""
# Jira's "Get transitions" shape (developer.atlassian.com/cloud/jira/platform/rest/v3/
# api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-get): the target status and
# its category key (new / indeterminate / done).
TRANSITIONS = [
    {
        "id": "21",
        "name": "Start progress",
        "to": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
    },
    {"id": "31", "name": "Resolve", "to": {"name": "Resolved", "statusCategory": {"key": "done"}}},
]


def when(moment: datetime | None = None) -> dict[str, Any]:
    moment = moment or datetime.now(UTC)
    return {
        "iso8601": moment.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "epochMillis": int(moment.timestamp() * 1000),
        "friendly": "Today",
    }


class FakeJsm(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.creations = 0
        self._numbers = itertools.count(100)
        self._comment_ids = itertools.count(1000)
        r = self.app.router
        r.add_post("/rest/servicedeskapi/request", self.create)
        r.add_get("/rest/servicedeskapi/request", self.list)
        r.add_get("/rest/servicedeskapi/request/{key}/comment", self.list_comments)
        r.add_post("/rest/servicedeskapi/request/{key}/comment", self.add_comment)
        r.add_get("/rest/servicedeskapi/request/{key}/status", self.status)
        r.add_get("/rest/servicedeskapi/request/{key}/sla", self.sla)
        r.add_get("/rest/servicedeskapi/servicedesk/{id}", self.servicedesk)
        r.add_get("/rest/servicedeskapi/servicedesk/{id}/requesttype/{rt}/field", self.fields)
        r.add_get("/rest/api/3/user", self.user)
        r.add_get("/rest/api/3/user/permission/search", self.with_permission)
        r.add_get("/rest/api/3/issue/{key}/transitions", self.transitions)
        r.add_post("/rest/api/3/issue/{key}/transitions", self.transition)
        self.agent_auth: str | None = None
        """The ``Authorization`` header of the agent's account: its comments are the agent's."""

    def comment(self, key: str, author: dict[str, Any], body: str) -> None:
        self.comments[key].append(
            {
                "id": str(next(self._comment_ids)),
                "body": body,
                "public": True,
                "author": {k: v for k, v in author.items() if k != "accountType"},
                "created": when(),
            }
        )

    def set_status(self, key: str, status: str, category: str) -> None:
        self.history[key].insert(
            0, {"status": status, "statusCategory": category, "statusDate": when()}
        )

    async def create(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.creations += 1
        number = next(self._numbers)
        key = f"SD-{number}"
        fields = data["requestFieldValues"]
        self.requests[key] = {
            "_expands": [],
            "issueId": str(number + 10000),
            "issueKey": key,
            "requestTypeId": data["requestTypeId"],
            "serviceDeskId": data["serviceDeskId"],
            "createdDate": when(),
            "reporter": {k: v for k, v in CUSTOMER.items() if k != "accountType"},
            "requestFieldValues": [
                {"fieldId": "summary", "label": "What do you need?", "value": fields["summary"]},
                {"fieldId": "description", "label": "Why?", "value": fields["description"]},
            ],
            "currentStatus": {"status": "Waiting for support", "statusCategory": "NEW"},
            "_links": {"web": f"{self.url}/servicedesk/customer/portal/1/{key}"},
        }
        self.comments[key] = []
        self.history[key] = [
            {"status": "Waiting for support", "statusCategory": "NEW", "statusDate": when()}
        ]
        return web.json_response(self.requests[key], status=201)

    @staticmethod
    def _paged(request: web.Request, items: list[Any]) -> web.Response:
        """servicedeskapi paging: ``start``/``limit`` in, ``size``/``isLastPage`` out."""
        start = int(request.query.get("start", "0"))
        limit = min(100, int(request.query.get("limit", "50")))
        values = items[start : start + limit]
        return web.json_response(
            {
                "size": len(values),
                "start": start,
                "limit": limit,
                "isLastPage": start + limit >= len(items),
                "values": values,
                "_links": {},
            }
        )

    async def list(self, request: web.Request) -> web.Response:
        return self._paged(request, list(reversed(self.requests.values())))

    async def list_comments(self, request: web.Request) -> web.Response:
        return self._paged(request, self.comments[request.match_info["key"]])

    async def add_comment(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        by_agent = self.agent_auth is not None and request.headers.get("Authorization") == (
            self.agent_auth
        )
        self.comment(key, AGENT if by_agent else CUSTOMER, (await request.json())["body"])
        return web.json_response(self.comments[key][-1], status=201)

    async def transitions(self, request: web.Request) -> web.Response:
        if request.match_info["key"] not in self.requests:
            return web.json_response({"errorMessages": ["Issue does not exist"]}, status=404)
        return web.json_response({"transitions": TRANSITIONS})

    async def transition(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        wanted = (await request.json()).get("transition", {}).get("id")
        chosen = next((t for t in TRANSITIONS if t["id"] == wanted), None)
        if key not in self.requests or chosen is None:
            return web.json_response({"errorMessages": ["Invalid transition"]}, status=400)
        target = chosen["to"]
        self.set_status(key, target["name"], target["statusCategory"]["key"].upper())
        return web.Response(status=204)

    async def status(self, request: web.Request) -> web.Response:
        return self._paged(request, self.history[request.match_info["key"]])

    async def sla(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "values": [
                    {
                        "id": "1",
                        "name": "Time to first response",
                        "completedCycles": [
                            {
                                "startTime": when(),
                                "stopTime": when(),
                                "breached": False,
                                "goalDuration": {"millis": 900000, "friendly": "15m"},
                                "elapsedTime": {"millis": 420000, "friendly": "7m"},
                                "remainingTime": {"millis": 480000, "friendly": "8m"},
                            }
                        ],
                    },
                    {
                        "id": "2",
                        "name": "Time to resolution",
                        "completedCycles": [],
                        "ongoingCycle": {
                            "startTime": when(),
                            "breachTime": when(),
                            "breached": False,
                            "paused": False,
                            "withinCalendarHours": True,
                            "goalDuration": {"millis": 14400000},
                            "elapsedTime": {"millis": 600000},
                            "remainingTime": {"millis": 13800000},
                        },
                    },
                ]
            }
        )

    async def servicedesk(self, request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["id"], "projectName": "Acme Support"})

    async def fields(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requestTypeFields": [
                    {"fieldId": "summary", "required": True},
                    {"fieldId": "description", "required": False},
                    {"fieldId": "customfield_10042", "required": True},
                ]
            }
        )

    async def user(self, request: web.Request) -> web.Response:
        return web.json_response(ACCOUNTS[request.query["accountId"]])

    async def with_permission(self, request: web.Request) -> web.Response:
        wanted = request.query.get("accountId")
        found = [
            {**ACCOUNTS[a], "active": True}
            for a in sorted(AGENTS)
            if request.query.get("permissions") == "SERVICEDESK_AGENT" and wanted in (None, a)
        ]
        return web.json_response(found)
