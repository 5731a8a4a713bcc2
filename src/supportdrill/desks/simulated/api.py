"""The simulated desk's HTTP API: loosely Zendesk's Requests API, as a requester sees it.

Routes (JSON in and out, like Zendesk's requester view)::

    POST /api/v2/requests                 {request: {subject, comment: {body}, priority, tags}}
                                          → 201 {request: {id, created_at, status, ...}}
                                          (an Idempotency-Key header files at most once)
    GET  /api/v2/requests                 every ticket (count them per tag to check exactly-once)
    GET  /api/v2/requests/search?query=   tag:NAME, status:NAME and free words
    GET  /api/v2/requests/{id}            the ticket now, with ``status_history`` (an extension:
                                          Zendesk's requester view has none)
    PUT  /api/v2/requests/{id}            {request: {comment: {body}}}: the customer comments
    GET  /api/v2/requests/{id}/comments   ?since=ISO&role=agent|end_user; users sideloaded with role
    GET  /api/v2/users/me                 who the token is
    GET|POST|DELETE /_control             persona and clock info; inject faults for the next N calls
    POST /_agent/requests/{id}            {comment, status}: act as the vendor's agent (a runbook
                                          drill's scripted responder); shown like the persona's

Every answer carries a ``Date`` header from the desk's clock, and every timestamp is that clock's:
share a :class:`~supportdrill.timeline.VirtualClock` or an
:class:`~supportdrill.desks.simulated.clock.AcceleratedClock` with the runner and days of vendor
behaviour play out in seconds — in *simulated* time, which reports must say.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from ...clock import Clock
from .faults import FaultMode, InjectedFault, json_error, misbehave
from .personas import Persona
from .state import AGENT_ID, BOT_ID, REQUESTER_ID, DeskState, SimTicket, TicketView

PRIORITIES = ("low", "normal", "high", "urgent")
AGENT_STATUSES = ("open", "pending", "hold", "solved", "closed")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DeskApi:
    """The aiohttp application's handlers over one :class:`DeskState` and one clock."""

    def __init__(self, state: DeskState, clock: Clock, token: str | None) -> None:
        self.state = state
        self.clock = clock
        self.token = token
        self.fault: InjectedFault | None = None
        self.closing = asyncio.Event()

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware])
        app.on_response_prepare.append(self.stamp_date)
        app.router.add_post("/api/v2/requests", self.create)
        app.router.add_get("/api/v2/requests", self.list)
        app.router.add_get("/api/v2/requests/search", self.search)
        app.router.add_get(r"/api/v2/requests/{id:\d+}", self.show)
        app.router.add_put(r"/api/v2/requests/{id:\d+}", self.update)
        app.router.add_get(r"/api/v2/requests/{id:\d+}/comments", self.comments)
        app.router.add_get("/api/v2/users/me", self.me)
        app.router.add_get("/_control", self.control_show)
        app.router.add_post("/_control", self.control_inject)
        app.router.add_delete("/_control", self.control_clear)
        app.router.add_post(r"/_agent/requests/{id:\d+}", self.agent_act)
        return app

    async def stamp_date(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Date"] = format_datetime(self.now(), usegmt=True)

    # ---- faults and auth

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._authorized(request):
            return json_error(401, "Unauthorized", "Couldn't authenticate you")
        if request.path.startswith("/api/") and self.fault is not None:
            fault, self.fault = self.fault, self.fault.spent()
            return await misbehave(fault, self.closing)
        return await handler(request)

    def _authorized(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    # ---- JSON shapes

    def _request_json(self, request: web.Request, view: TicketView) -> dict[str, Any]:
        ticket = view.ticket
        return {
            "id": ticket.id,
            "url": f"{request.scheme}://{request.host}/api/v2/requests/{ticket.id}.json",
            "subject": ticket.subject,
            "description": ticket.description,
            "status": view.status,
            "priority": ticket.priority,
            "type": None,
            "created_at": _iso(ticket.created_at),
            "updated_at": _iso(view.updated_at),
            "requester_id": REQUESTER_ID,
            "tags": list(ticket.tags),
            "via": {"channel": "api"},
            "is_public": True,
            "solved": view.status in ("solved", "closed"),
            "status_history": [
                {"status": status, "at": _iso(at)} for status, at in view.status_history
            ],
        }

    def _user_json(self, persona: Persona, user_id: int) -> dict[str, Any]:
        if user_id == REQUESTER_ID:
            return {"id": user_id, "name": "Drill Requester", "role": "end-user", "agent": False}
        name = persona.bot_name if user_id == BOT_ID else persona.agent_name
        return {"id": user_id, "name": name, "role": "agent", "agent": True}

    def _ticket(self, request: web.Request) -> SimTicket | None:
        return self.state.get(int(request.match_info["id"]))

    @staticmethod
    async def _body(request: web.Request) -> Mapping[str, Any] | web.Response:
        try:
            document = await request.json()
        except ValueError:
            return json_error(400, "InvalidJSON", "the body is not JSON")
        inner = document.get("request") if isinstance(document, dict) else None
        if not isinstance(inner, dict):
            return json_error(422, "RecordInvalid", 'expected {"request": {...}}')
        return inner

    # ---- routes

    async def create(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        subject = body.get("subject")
        comment = body.get("comment")
        text = comment.get("body") if isinstance(comment, dict) else None
        priority = body.get("priority", "normal")
        tags = body.get("tags", [])
        problem = None
        if not isinstance(subject, str) or not subject.strip():
            problem = "subject: must be a non-empty string"
        elif not isinstance(text, str) or not text.strip():
            problem = "comment.body: must be a non-empty string"
        elif priority not in PRIORITIES:
            problem = f"priority: must be one of {', '.join(PRIORITIES)}"
        elif not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            problem = "tags: must be a list of strings"
        if problem is not None:
            return json_error(422, "RecordInvalid", problem)
        assert isinstance(subject, str) and isinstance(text, str)
        key = request.headers.get("Idempotency-Key")
        try:
            ticket, created = self.state.file(
                subject=subject,
                description=text,
                priority=str(priority),
                tags=tuple(tag.strip().lower() for tag in tags),
                now=self.now(),
                idempotency_key=key,
            )
        except ValueError as exc:
            return json_error(422, "RecordInvalid", str(exc))
        if not created and ticket.subject != subject:
            return json_error(
                400, "IdempotentRequestError", "Idempotency-Key reused with another body"
            )
        view = self.state.view(ticket, self.now())
        response = web.json_response({"request": self._request_json(request, view)}, status=201)
        response.headers["Location"] = f"/api/v2/requests/{ticket.id}.json"
        if key is not None:
            response.headers["x-idempotency-lookup"] = "miss" if created else "hit"
        return response

    def _listing(self, request: web.Request, tickets: list[SimTicket]) -> web.Response:
        now = self.now()
        items = [self._request_json(request, self.state.view(t, now)) for t in tickets]
        return web.json_response({"requests": items, "count": len(items), "next_page": None})

    async def list(self, request: web.Request) -> web.Response:
        visible = [t for t in self.state.tickets() if t.created_at <= self.now()]
        return self._listing(request, visible)

    async def search(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "").strip()
        if not query:
            return json_error(400, "InvalidParameter", "query: required")
        now = self.now()
        found = []
        for ticket in self.state.tickets():
            if ticket.created_at > now:
                continue
            status = self.state.view(ticket, now).status
            if all(_matches(term, ticket, status) for term in query.split()):
                found.append(ticket)
        return self._listing(request, found)

    async def show(self, request: web.Request) -> web.Response:
        ticket = self._ticket(request)
        if ticket is None:
            return json_error(404, "RecordNotFound", "Not found")
        view = self.state.view(ticket, self.now())
        return web.json_response({"request": self._request_json(request, view)})

    async def update(self, request: web.Request) -> web.Response:
        ticket = self._ticket(request)
        if ticket is None:
            return json_error(404, "RecordNotFound", "Not found")
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        comment = body.get("comment")
        text = comment.get("body") if isinstance(comment, dict) else None
        if not isinstance(text, str) or not text.strip():
            return json_error(422, "RecordInvalid", "comment.body: must be a non-empty string")
        ticket = self.state.add_comment(ticket.id, text, self.now())
        view = self.state.view(ticket, self.now())
        return web.json_response({"request": self._request_json(request, view)})

    async def comments(self, request: web.Request) -> web.Response:
        ticket = self._ticket(request)
        if ticket is None:
            return json_error(404, "RecordNotFound", "Not found")
        since: datetime | None = None
        if "since" in request.query:
            try:
                since = datetime.fromisoformat(request.query["since"].replace("Z", "+00:00"))
                if since.tzinfo is None:
                    raise ValueError("naive")
            except ValueError:
                return json_error(
                    400, "InvalidParameter", "since: expected an ISO 8601 time with zone"
                )
        role = request.query.get("role")
        if role not in (None, "agent", "end_user"):
            return json_error(400, "InvalidParameter", "role: agent or end_user")
        persona = self.state.personas[ticket.persona]
        shown = []
        for comment in self.state.view(ticket, self.now()).comments:
            is_agent = comment.author_id in (AGENT_ID, BOT_ID)
            if since is not None and comment.at < since:
                continue
            if role is not None and is_agent != (role == "agent"):
                continue
            shown.append(comment)
        users = sorted({c.author_id for c in shown})
        return web.json_response(
            {
                "comments": [
                    {
                        "id": c.id,
                        "type": "Comment",
                        "body": c.body,
                        "plain_body": c.body,
                        "public": True,
                        "author_id": c.author_id,
                        "attachments": [],
                        "created_at": _iso(c.at),
                        "via": {"channel": c.channel},
                        "metadata": {"headers": dict(c.headers)},
                    }
                    for c in shown
                ],
                "users": [self._user_json(persona, user_id) for user_id in users],
                "count": len(shown),
                "next_page": None,
                "previous_page": None,
            }
        )

    async def me(self, request: web.Request) -> web.Response:
        persona = self.state.personas[self.state.default_persona]
        return web.json_response({"user": self._user_json(persona, REQUESTER_ID)})

    # ---- control

    def _holidays_json(self) -> dict[str, Any] | None:
        """The days off of the persona that keeps business hours (the others staff 7x24)."""
        persona = self.state.personas.get("business-hours-only")
        if persona is None:
            return None
        coverage = persona.coverage
        return {
            "country": coverage.holiday_country,
            "subdivision": coverage.holiday_subdivision,
            "extra": [day.isoformat() for day in coverage.extra_holidays],
        }

    async def control_show(self, request: web.Request) -> web.Response:
        persona = self.state.personas[self.state.default_persona]
        fault = self.fault
        return web.json_response(
            {
                "persona": persona.name,
                "description": persona.description,
                "personas": sorted(self.state.personas),
                "timezone": persona.coverage.timezone,
                "coverage": persona.coverage.label,
                "holidays": self._holidays_json(),
                "now": _iso(self.now()),
                "clock": type(self.clock).__name__,
                "tickets": len(self.state.tickets()),
                "fault": None
                if fault is None
                else {"mode": fault.mode, "remaining": fault.remaining},
            }
        )

    async def control_inject(self, request: web.Request) -> web.Response:
        try:
            document = await request.json()
            mode = FaultMode(str(document["fault"]))
            fault = InjectedFault(
                mode,
                int(document.get("count", 1)),
                float(document.get("retry_after", 1.0)),
                float(document.get("hang_s", 30.0)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            modes = ", ".join(mode.value for mode in FaultMode)
            return json_error(
                400, "InvalidParameter", f"{exc}; expected {{fault: {modes}, count: N}}"
            )
        self.fault = fault if fault.remaining > 0 else None
        return web.json_response({"fault": mode.value, "remaining": fault.remaining})

    async def agent_act(self, request: web.Request) -> web.Response:
        ticket = self._ticket(request)
        if ticket is None:
            return json_error(404, "RecordNotFound", "Not found")
        try:
            document = await request.json()
        except ValueError:
            return json_error(400, "InvalidJSON", "the body is not JSON")
        body = document.get("comment", "") if isinstance(document, dict) else None
        status = document.get("status") if isinstance(document, dict) else None
        if not isinstance(body, str) or (status is not None and status not in AGENT_STATUSES):
            return json_error(
                422,
                "RecordInvalid",
                f"expected {{comment: text, status: {'|'.join(AGENT_STATUSES)}}}",
            )
        if not body.strip() and status is None:
            return json_error(422, "RecordInvalid", "give a comment, a status or both")
        ticket = self.state.agent_act(ticket.id, self.now(), body=body.strip(), status=status)
        view = self.state.view(ticket, self.now())
        return web.json_response({"request": self._request_json(request, view)})

    async def control_clear(self, request: web.Request) -> web.Response:
        self.fault = None
        return web.json_response({"fault": None})


def _matches(term: str, ticket: SimTicket, status: str) -> bool:
    name, _, value = term.partition(":")
    if value and name == "tag":
        return value.lower() in ticket.tags
    if value and name == "status":
        return value.lower() == status
    word = term.lower()
    return word in ticket.subject.lower() or word in ticket.description.lower()
