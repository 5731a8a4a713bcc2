"""A fake Freshdesk speaking API v2 (developers.freshdesk.com/api/).

Shapes follow the documented "Create a Ticket" response (``id``, ``requester_id``,
``fr_due_by``, ``due_by``, ``fr_escalated``, ``is_escalated``, ``created_at``), "List All
Conversations of a Ticket" (``body_text``, ``incoming``, ``private``, ``user_id``, ``source``,
``created_at``, conversation ``source`` 0 reply / 2 note), "View an Agent" (404 for a contact)
and ``include=stats``. "Reply to a ticket" takes an agent's ``user_id`` (a contact's is refused
with the documented 400 validation error) and, being an agent's reply, sets
``stats.first_responded_at``; "Create a Note" takes any user's ``user_id``, ``private`` and
``incoming`` and touches no SLA field. Lists page with ``per_page``/``page`` and a ``Link``
header (rel="next"). Each payload shape is checked against the documented examples in
tests/desks/contracts.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from .server import FakeServer, stamp

_DOCUMENTED = json.loads((Path(__file__).parents[1] / "contracts" / "documented.json").read_text())[
    "freshdesk"
]

REQUESTER_ID = 77001
AGENT_ID = 43001
AGENTS = {
    AGENT_ID: {"id": AGENT_ID, "contact": {"name": "Priya Agent", "email": "priya@acme.test"}}
}


class FakeFreshdesk(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.tickets: dict[int, dict[str, Any]] = {}
        self.conversations: dict[int, list[dict[str, Any]]] = {}
        self.requesters: dict[int, str] = {}
        """Each ticket's requester email (the ``email`` filter of "List All Tickets")."""
        self.creations = 0
        self._ids = itertools.count(1)
        self._conv = itertools.count(5000)
        r = self.app.router
        r.add_post("/api/v2/tickets", self.create)
        r.add_get("/api/v2/tickets", self.list)
        r.add_get("/api/v2/tickets/{id}", self.show)
        r.add_get("/api/v2/tickets/{id}/conversations", self.list_conversations)
        r.add_post("/api/v2/tickets/{id}/reply", self.reply)
        r.add_post("/api/v2/tickets/{id}/notes", self.note)
        r.add_get("/api/v2/agents/me", self.me)
        r.add_get("/api/v2/agents/{id}", self.agent)

    def converse(
        self,
        ticket: int,
        user: int,
        body: str,
        *,
        private: bool = False,
        note: bool | None = None,
        incoming: bool | None = None,
    ) -> None:
        documented = copy.deepcopy(_DOCUMENTED["list_conversations_response"]["payload"][1])
        self.conversations[ticket].append(
            documented
            | {
                "id": next(self._conv),
                "body": f"<div>{body}</div>",
                "body_text": body,
                "incoming": user == REQUESTER_ID if incoming is None else incoming,
                "private": private,
                "user_id": user,
                "support_email": "support@acme.freshdesk.com",
                "source": 2 if (private if note is None else note) else 0,
                "ticket_id": ticket,
                "created_at": stamp(),
                "updated_at": stamp(),
            }
        )

    def set_status(self, ticket: int, status: int) -> None:
        self.tickets[ticket]["status"] = status
        self.tickets[ticket]["stats"]["status_updated_at"] = stamp()
        if status == 4:
            self.tickets[ticket]["stats"]["resolved_at"] = stamp()

    async def create(self, request: web.Request) -> web.Response:
        ticket = self.add_ticket(await request.json())
        return web.json_response({k: v for k, v in ticket.items() if k != "stats"}, status=201)

    def add_ticket(self, data: dict[str, Any]) -> dict[str, Any]:
        """File a ticket as "Create a Ticket" does (``data`` is its request body)."""
        self.creations += 1
        ticket_id = next(self._ids)
        now = datetime.now(UTC)
        documented = copy.deepcopy(_DOCUMENTED["create_ticket_response"]["payload"])
        self.tickets[ticket_id] = documented | {
            "cc_emails": [],
            "reply_cc_emails": [],
            "company_id": None,
            "id": ticket_id,
            "subject": data["subject"],
            "description_text": data["description"],
            "priority": data["priority"],
            "status": data["status"],
            "source": data["source"],
            "tags": data.get("tags", []),
            "requester_id": REQUESTER_ID,
            "fr_escalated": False,
            "is_escalated": False,
            "fr_due_by": stamp(now + timedelta(minutes=15)),
            "due_by": stamp(now + timedelta(hours=4)),
            "nr_due_by": None,
            "nr_escalated": False,
            "created_at": stamp(now),
            "updated_at": stamp(now),
            "stats": {
                "first_responded_at": None,
                "resolved_at": None,
                "closed_at": None,
                "status_updated_at": stamp(now),
            },
        }
        self.conversations[ticket_id] = []
        self.requesters[ticket_id] = data["email"]
        return self.tickets[ticket_id]

    def _paged(self, request: web.Request, items: list[Any]) -> web.Response:
        """One page of ``items``: ``per_page`` (default 30, at most 100) and ``page``, with a
        ``Link: <…>; rel="next"`` header while more remain ("Pagination" in the API docs)."""
        per_page = min(100, int(request.query.get("per_page", "30")))
        page = int(request.query.get("page", "1"))
        headers = {}
        if page * per_page < len(items):
            query = {**request.query, "page": str(page + 1), "per_page": str(per_page)}
            headers["Link"] = f'<{self.link(request, **query)}>; rel="next"'
        chunk = items[(page - 1) * per_page : page * per_page]
        return web.json_response(chunk, headers=headers)

    async def list(self, request: web.Request) -> web.Response:
        # "List All Tickets": filtered by the requester's ``email``, newest first (the
        # documented default order is created_at desc), paged like every list.
        email = request.query.get("email")
        items = [
            {k: v for k, v in t.items() if k != "stats"}
            for t in self.tickets.values()
            if email is None or self.requesters[t["id"]] == email
        ]
        items.sort(key=lambda t: (t["created_at"], t["id"]), reverse=True)
        return self._paged(request, items)

    async def show(self, request: web.Request) -> web.Response:
        ticket = dict(self.tickets[int(request.match_info["id"])])
        if request.query.get("include") != "stats":
            ticket.pop("stats")
        return web.json_response(ticket)

    async def list_conversations(self, request: web.Request) -> web.Response:
        return self._paged(request, self.conversations[int(request.match_info["id"])])

    async def reply(self, request: web.Request) -> web.Response:
        ticket = int(request.match_info["id"])
        data = await request.json()
        user = int(data.get("user_id", AGENT_ID))
        if user not in AGENTS:
            return web.json_response(
                {
                    "description": "Validation failed",
                    "errors": [
                        {
                            "field": "user_id",
                            "message": "There is no agent with this user_id",
                            "code": "invalid_value",
                        }
                    ],
                },
                status=400,
            )
        self.converse(ticket, user, data["body"])
        stats = self.tickets[ticket]["stats"]
        stats["first_responded_at"] = stats["first_responded_at"] or stamp()
        return web.json_response(self.conversations[ticket][-1], status=201)

    async def note(self, request: web.Request) -> web.Response:
        ticket = int(request.match_info["id"])
        data = await request.json()
        self.converse(
            ticket,
            int(data.get("user_id", AGENT_ID)),
            data["body"],
            private=bool(data.get("private", True)),
            note=True,
            incoming=bool(data.get("incoming", False)),
        )
        return web.json_response(self.conversations[ticket][-1], status=201)

    async def me(self, request: web.Request) -> web.Response:
        return web.json_response(AGENTS[AGENT_ID])

    async def agent(self, request: web.Request) -> web.Response:
        agent = AGENTS.get(int(request.match_info["id"]))
        if agent is None:
            return web.json_response({"code": "access_denied", "message": "not found"}, status=404)
        return web.json_response(agent)
