"""A fake Zendesk speaking the parts of its API the adapter uses.

Payload shapes follow developer.zendesk.com/api-reference:
- ticketing/tickets/ticket-requests/ ("Create Request", "List Comments": ``comments`` plus the
  ``users`` side-load with the ``agent`` flag; requesters see public comments only);
- ticketing/tickets/ticket_audits/ (audits with ``via.channel``, ``Comment``, ``Change`` and
  ``Notification`` events). As in a real audit trail, a trigger fired by an API update puts its
  ``Notification`` in an audit whose ``via`` is ``api``; the event carries its own ``via:
  {channel: "rule", source: {rel: "trigger", from: {title: ...}}}`` and its ``recipients``;
- ticketing/tickets/tickets/ "Update Ticket" (``PUT /api/v2/tickets/{id}.json``; a comment
  is by ``comment.author_id`` when given, else by the authenticated agent);
- offset pagination: ``per_page``/``page`` and an absolute ``next_page`` (null on the last);
- ticketing/tickets/ticket_metrics/ (built on the documented example, tests/desks/contracts/
  documented.json) and SLA ``include=slas`` (``policy_metrics``).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from .server import FakeServer, stamp

REQUESTER = {"id": 1001, "name": "Drill Customer", "role": "end-user", "agent": False}
AGENT = {"id": 2001, "name": "Ana Agent", "role": "agent", "agent": True}
INTEGRATION = {"id": 2002, "name": "Ops Integration", "role": "agent", "agent": True}
USERS = {u["id"]: u for u in (REQUESTER, AGENT, INTEGRATION)}
_DOCUMENTED_METRIC = json.loads(
    (Path(__file__).parents[1] / "contracts" / "documented.json").read_text()
)["zendesk"]["ticket_metric"]["payload"]


@dataclass
class FakeTicket:
    id: int
    subject: str
    priority: str
    created_at: str
    external_id: str | None = None
    tags: list[str] = field(default_factory=list)
    status: str = "new"
    updated_at: str = ""
    audits: list[dict[str, Any]] = field(default_factory=list)


class FakeZendesk(FakeServer):
    def __init__(self, *, token: str = "zd-secret-token-123") -> None:
        super().__init__()
        self.token = token
        self.tickets: dict[int, FakeTicket] = {}
        self.creations = 0
        self._ids = itertools.count(35436)
        self._event_ids = itertools.count(1)
        r = self.app.router
        r.add_get("/api/v2/users/me.json", self.me)
        r.add_post("/api/v2/requests.json", self.create_request)
        r.add_get("/api/v2/requests.json", self.list_requests)
        r.add_get("/api/v2/requests/{id}.json", self.show_request)
        r.add_put("/api/v2/requests/{id}.json", self.update_request)
        r.add_get("/api/v2/requests/{id}/comments.json", self.request_comments)
        r.add_post("/api/v2/tickets.json", self.create_ticket)
        r.add_get("/api/v2/tickets.json", self.list_tickets)
        r.add_get("/api/v2/tickets/show_many.json", self.show_many_tickets)
        r.add_get("/api/v2/tickets/{id}/audits.json", self.audits)
        r.add_put("/api/v2/tickets/{id}.json", self.update_ticket)
        r.add_get("/api/v2/tickets/{id}/metrics.json", self.metrics)
        r.add_get("/api/v2/users/show_many.json", self.show_many_users)
        r.add_get("/api/v2/slas/policies.json", self.sla_policies)
        self.on_create: Callable[[FakeTicket], None] | None = None
        """Called with each new ticket: how a test scripts the vendor's side."""
        self.me_user: dict[str, Any] = REQUESTER
        """Who the credentials belong to (``users/me``)."""

    # ---- test controls -------------------------------------------------------------------

    def _audit(self, ticket: FakeTicket, author: int, via: dict[str, Any], events: list[Any]):
        ticket.updated_at = stamp()
        ticket.audits.append(
            {
                "id": next(self._event_ids) + 9000,
                "ticket_id": ticket.id,
                "created_at": ticket.updated_at,
                "author_id": author,
                "via": via,
                "events": events,
            }
        )

    def comment(
        self,
        ticket_id: int,
        author: dict[str, Any],
        body: str,
        channel: str = "web",
        *,
        public: bool = True,
    ) -> None:
        """A comment by ``author``; ``public=False`` is an internal note (agents only)."""
        ticket = self.tickets[ticket_id]
        event = {
            "id": next(self._event_ids),
            "type": "Comment",
            "author_id": author["id"],
            "body": body,
            "html_body": f"<p>{body}</p>",
            "plain_body": body,
            "public": public,
        }
        self._audit(ticket, author["id"], {"channel": channel, "source": {}}, [event])

    def trigger_notification(
        self,
        ticket_id: int,
        body: str,
        *,
        title: str = "Notify requester and CCs of received request",
        recipients: tuple[int, ...] = (REQUESTER["id"],),
    ) -> None:
        """A trigger's email, fired by the API update that filed the ticket: the audit's via is
        ``api``, the event's own via names the trigger."""
        ticket = self.tickets[ticket_id]
        event = {
            "id": next(self._event_ids),
            "type": "Notification",
            "subject": "Request received: {{ticket.title}}",
            "body": body,
            "recipients": list(recipients),
            "via": {
                "channel": "rule",
                "source": {
                    "from": {"id": 360000123, "title": title},
                    "rel": "trigger",
                },
            },
        }
        self._audit(ticket, REQUESTER["id"], {"channel": "api", "source": {}}, [event])

    def set_status(self, ticket_id: int, status: str) -> None:
        ticket = self.tickets[ticket_id]
        event = {
            "id": next(self._event_ids),
            "type": "Change",
            "field_name": "status",
            "value": status,
            "previous_value": ticket.status,
        }
        ticket.status = status
        self._audit(ticket, AGENT["id"], {"channel": "web", "source": {}}, [event])

    # ---- API -------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> None:
        if self.token not in (request.headers.get("Authorization") or "") and not self._basic_ok(
            request
        ):
            # Zendesk's 401 body; we also echo the header back, as a careless proxy might, so
            # the redaction test has something to find.
            got = request.headers.get("Authorization")
            body = json.dumps({"error": "Couldn't authenticate you", "got": got})
            raise web.HTTPUnauthorized(text=body, content_type="application/json")

    def _basic_ok(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        decoded = base64.b64decode(header[6:]).decode()
        return decoded.endswith(f"/token:{self.token}")

    def _request_json(self, t: FakeTicket) -> dict[str, Any]:
        return {
            "url": f"{self.url}/api/v2/requests/{t.id}.json",
            "id": t.id,
            "status": t.status,
            "priority": t.priority,
            "subject": t.subject,
            "description": t.audits[0]["events"][0]["body"] if t.audits else "",
            "requester_id": REQUESTER["id"],
            "created_at": t.created_at,
            "updated_at": t.updated_at,
        }

    def _ticket_json(self, t: FakeTicket) -> dict[str, Any]:
        return {**self._request_json(t), "external_id": t.external_id, "tags": t.tags}

    def _paged(
        self, request: web.Request, key: str, items: list[Any], **extra: Any
    ) -> web.Response:
        per_page = min(100, int(request.query.get("per_page", "100")))
        page = int(request.query.get("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        next_page = None
        if page * per_page < len(items):
            query = {**request.query, "page": str(page + 1), "per_page": str(per_page)}
            next_page = self.link(request, **query)
        previous = self.link(request, page=str(page - 1))
        return web.json_response(
            {
                key: chunk,
                **extra,
                "next_page": next_page,
                "previous_page": previous if page > 1 else None,
                "count": len(items),
            }
        )

    async def me(self, request: web.Request) -> web.Response:
        self._authorised(request)
        return web.json_response({"user": {**self.me_user, "email": "drill@example.test"}})

    def _create(self, subject: str, body: str, priority: str, **extra: Any) -> FakeTicket:
        self.creations += 1
        ticket = FakeTicket(next(self._ids), subject, priority, stamp(), **extra)
        self.tickets[ticket.id] = ticket
        self.comment(ticket.id, REQUESTER, body, channel="api")
        if self.on_create is not None:
            self.on_create(ticket)
        return ticket

    async def create_request(self, request: web.Request) -> web.Response:
        self._authorised(request)
        data = (await request.json())["request"]
        t = self._create(data["subject"], data["comment"]["body"], data.get("priority", "normal"))
        return web.json_response({"request": self._request_json(t)}, status=201)

    async def list_requests(self, request: web.Request) -> web.Response:
        self._authorised(request)
        items = sorted(self.tickets.values(), key=lambda t: t.id, reverse=True)
        return self._paged(request, "requests", [self._request_json(t) for t in items])

    async def show_request(self, request: web.Request) -> web.Response:
        self._authorised(request)
        ticket = self.tickets[int(request.match_info["id"])]
        return web.json_response({"request": self._request_json(ticket)})

    async def update_request(self, request: web.Request) -> web.Response:
        self._authorised(request)
        ticket = self.tickets[int(request.match_info["id"])]
        data = (await request.json())["request"]
        self.comment(ticket.id, REQUESTER, data["comment"]["body"], channel="api")
        return web.json_response({"request": self._request_json(ticket)})

    async def request_comments(self, request: web.Request) -> web.Response:
        self._authorised(request)
        ticket = self.tickets[int(request.match_info["id"])]
        comments = []
        for audit in ticket.audits:
            for event in audit["events"]:
                if event["type"] == "Comment" and event["public"]:
                    comments.append(
                        {
                            "id": event["id"],
                            "type": "Comment",
                            "request_id": ticket.id,
                            "body": event["body"],
                            "html_body": event["html_body"],
                            "plain_body": event["plain_body"],
                            "public": True,
                            "author_id": event["author_id"],
                            "attachments": [],
                            "created_at": audit["created_at"],
                        }
                    )
        authors = {c["author_id"] for c in comments}
        users = [
            {"id": u["id"], "name": u["name"], "agent": u["agent"], "organization_id": None}
            for u in USERS.values()
            if u["id"] in authors
        ]
        return self._paged(request, "comments", comments, users=users, organizations=[])

    async def create_ticket(self, request: web.Request) -> web.Response:
        self._authorised(request)
        data = (await request.json())["ticket"]
        ticket = self._create(
            data["subject"],
            data["comment"]["body"],
            data.get("priority", "normal"),
            external_id=data.get("external_id"),
            tags=list(data.get("tags", [])),
        )
        return web.json_response({"ticket": self._ticket_json(ticket)}, status=201)

    async def list_tickets(self, request: web.Request) -> web.Response:
        self._authorised(request)
        wanted = request.query.get("external_id")
        items = [t for t in self.tickets.values() if wanted is None or t.external_id == wanted]
        return web.json_response({"tickets": [self._ticket_json(t) for t in items]})

    async def show_many_tickets(self, request: web.Request) -> web.Response:
        self._authorised(request)
        ids = [int(i) for i in request.query["ids"].split(",")]
        tickets = []
        for ticket_id in ids:
            t = self._ticket_json(self.tickets[ticket_id])
            if request.query.get("include") == "slas":
                t["slas"] = {
                    "policy_metrics": [
                        {
                            "breach_at": "2026-11-22T04:15:00Z",
                            "stage": "active",
                            "metric": "first_reply_time",
                            "hours": 0,
                            "minutes": 15,
                        }
                    ]
                }
            tickets.append(t)
        return web.json_response({"tickets": tickets})

    async def audits(self, request: web.Request) -> web.Response:
        self._authorised(request)
        ticket = self.tickets[int(request.match_info["id"])]
        return self._paged(request, "audits", ticket.audits)

    async def update_ticket(self, request: web.Request) -> web.Response:
        self._authorised(request)
        ticket = self.tickets[int(request.match_info["id"])]
        comment = (await request.json())["ticket"]["comment"]
        # The authenticated user is an agent here (agent mode); author_id names someone else.
        author = USERS.get(comment.get("author_id"), AGENT)
        self.comment(ticket.id, author, comment["body"], channel="api", public=comment["public"])
        return web.json_response({"ticket": self._ticket_json(ticket), "audit": ticket.audits[-1]})

    async def metrics(self, request: web.Request) -> web.Response:
        """ "Show Ticket Metrics" for a ticket: one ``ticket_metric`` object, as the live API
        answers (the description writes a list; see contracts/openapi.py), built on the
        documented example. A first reply in 12 minutes (outside business hours); the
        resolution fields only once solved, as none of the properties is mandatory."""
        self._authorised(request)
        ticket = self.tickets[int(request.match_info["id"])]
        metric = copy.deepcopy(_DOCUMENTED_METRIC)
        metric.update(
            id=ticket.id + 500000,
            ticket_id=ticket.id,
            url=f"{self.url}/api/v2/ticket_metrics/{ticket.id + 500000}.json",
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            group_stations=1,
            assignee_stations=1,
            reopens=0,
            replies=sum(1 for audit in ticket.audits if audit["author_id"] == AGENT["id"]),
            initially_assigned_at=ticket.created_at,
            assigned_at=ticket.created_at,
            assignee_updated_at=ticket.updated_at,
            requester_updated_at=ticket.created_at,
            status_updated_at=ticket.updated_at,
            custom_status_updated_at=ticket.updated_at,
            latest_comment_added_at=ticket.updated_at,
            reply_time_in_minutes={"calendar": 12, "business": 0},
            agent_wait_time_in_minutes={"calendar": 0, "business": 0},
            requester_wait_time_in_minutes={"calendar": 12, "business": 0},
            on_hold_time_in_minutes={"calendar": 0, "business": 0},
        )
        del metric["reply_time_in_seconds"]  # documented for Messaging tickets only
        if ticket.status == "solved":
            metric.update(
                solved_at=ticket.updated_at,
                first_resolution_time_in_minutes={"calendar": 30, "business": 0},
                full_resolution_time_in_minutes={"calendar": 30, "business": 0},
            )
        else:
            for unreached in ("solved_at", "first_resolution_time_in_minutes"):
                del metric[unreached]
            del metric["full_resolution_time_in_minutes"]
        return web.json_response({"ticket_metric": metric})

    async def show_many_users(self, request: web.Request) -> web.Response:
        self._authorised(request)
        ids = [int(i) for i in request.query["ids"].split(",")]
        users = [USERS[i] for i in ids if i in USERS]
        return web.json_response({"users": users})

    async def sla_policies(self, request: web.Request) -> web.Response:
        # developer.zendesk.com .../business-rules/sla_policies/: admins only; agents get 403.
        self._authorised(request)
        if self.me_user.get("role") != "admin":
            return web.json_response(
                {"error": "Forbidden", "description": "You do not have access to this page."},
                status=403,
            )
        return web.json_response(
            {
                "sla_policies": [
                    {
                        "id": 36,
                        "title": "P0 urgent",
                        "policy_metrics": [
                            {
                                "priority": "urgent",
                                "metric": "first_reply_time",
                                "target": 15,
                                "business_hours": False,
                            }
                        ],
                    }
                ],
                "count": 1,
            }
        )
