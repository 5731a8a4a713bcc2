"""Freshdesk: file and watch a ticket through the v2 REST API (developers.freshdesk.com/api/).

``POST /api/v2/tickets`` files (priority 4 = Urgent, status 2 = Open, source 2 = Portal, the
drill tag in ``tags``); ``GET /api/v2/tickets?email=`` (newest first, every page) finds our own
ticket again by its drill token; ``GET /api/v2/tickets/{id}/conversations`` gives the replies
(``user_id``, ``incoming``, ``private``, ``source``, ``created_at``) and
``GET /api/v2/agents/{user_id}`` tells an agent from a contact (``incoming`` is settable by the
API and says nothing about the author).
``GET /api/v2/tickets/{id}?include=stats`` gives the status and its desk-side time
(``stats.status_updated_at``, ``resolved_at``, ``closed_at``) and the desk's own clocks
(``fr_due_by``/``fr_escalated``, ``due_by``/``is_escalated``, ``nr_due_by``/``nr_escalated``).

Freshdesk API keys belong to agents, so a vendor's customer rarely has one; then use email.
What it cannot see: automation-rule emails (the auto-acknowledgement) are not conversations.
"""

from __future__ import annotations

from contextlib import aclosing
from datetime import datetime
from typing import Any

from ..clock import Clock, RealClock
from ..definitions.desk_settings import FreshdeskSettings
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
    VendorClock,
)
from .base import Desk, OpenContext
from .http import (
    DeskHttp,
    json_list,
    json_object,
    linked_pages,
    parse_timestamp,
    require,
)
from .tracking import Cursor, drill_tag, drill_token, first_carrying_token, with_token

PRIORITIES = {"P0": 4, "P1": 3, "P2": 2, "P3": 1}
STATUSES = {
    2: ("Open", StatusCategory.OPEN),
    3: ("Pending", StatusCategory.PENDING),
    4: ("Resolved", StatusCategory.SOLVED),
    5: ("Closed", StatusCategory.CLOSED),
    6: ("Waiting on Customer", StatusCategory.PENDING),
    7: ("Waiting on Third Party", StatusCategory.HOLD),
}
SOURCES = {
    0: "reply",
    2: "note",
    5: "tweet",
    6: "survey",
    7: "facebook",
    8: "forwarded_email",
    9: "phone",
    11: "ecommerce",
}
"""A conversation's ``source`` (developers.freshdesk.com/api/#conversations); a ticket's own
``source`` codes are a different list (1 email, 2 portal, 3 phone, 7 chat...)."""
CAPABILITIES = DeskCapabilities(
    view="agent",  # API keys belong to agents and carry the agent's role
    author_roles=True,
    channels=True,
    status_history=False,
    vendor_sla_clocks=True,
    notes=(
        "automation-rule emails (auto-acknowledgements) are not conversations",
        "only the latest status change has a desk timestamp (stats.status_updated_at)",
    ),
)


class FreshdeskDesk(Desk):
    """A Freshdesk helpdesk at ``https://{domain}.freshdesk.com`` (basic auth ``api_key:X``)."""

    name = "freshdesk"
    capabilities = CAPABILITIES

    def __init__(self, http: DeskHttp, *, requester_email: str, clock: Clock | None = None) -> None:
        self.http = http
        self.requester_email = requester_email
        self.clock: Clock = clock or RealClock()
        self._roles: dict[str, tuple[str, str]] = {}

    @classmethod
    def from_settings(cls, settings: FreshdeskSettings, context: OpenContext) -> FreshdeskDesk:
        key = context.secret(settings.api_key).reveal()
        # Freshdesk's basic auth is the API key with any password ("X").
        context.redactor.add_basic_auth(key, "X")
        return cls(
            context.http(settings.url, auth=(key, "X")),
            requester_email=settings.requester_email,
            clock=context.clock,
        )

    async def file(self, draft: TicketDraft, *, idempotency_key: str) -> TicketRef:
        existing = await self.find(idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        body = {
            "subject": with_token(draft.subject, idempotency_key),
            "description": f"{draft.body}<br><br>{drill_token(idempotency_key)}",
            "email": draft.requester_email or self.requester_email,
            "priority": PRIORITIES.get(draft.severity, 4),
            "status": 2,
            "source": 2,
            "tags": [*draft.tags, drill_tag(idempotency_key)],
        }
        answer = await self.http.post("/api/v2/tickets", body)
        return self._ref(answer.data)

    async def find(self, *, idempotency_key: str) -> TicketRef | None:
        # Newest first, page after page (``Link: rel="next"``): a requester with many tickets
        # since the drill's still finds it, so a resumed drill never files it twice.
        pages = linked_pages(
            self.http,
            "/api/v2/tickets",
            params={
                "email": self.requester_email,
                "order_by": "created_at",
                "order_type": "desc",
                "per_page": 100,
            },
        )
        # Closed as soon as the ticket turns up, not when the generator is collected.
        async with aclosing(pages):
            async for answer in pages:
                tickets = json_list(answer.data, None, "freshdesk tickets")
                ticket = first_carrying_token(
                    tickets, idempotency_key, field="subject", what="ticket"
                )
                if ticket is not None:
                    return self._ref(ticket)
        return None

    def _ref(self, data: Any) -> TicketRef:
        ticket_id = str(require(data, "id", "freshdesk ticket"))
        return TicketRef(
            desk=self.name,
            ticket_id=ticket_id,
            created_at=parse_timestamp(require(data, "created_at", "ticket"), "created_at"),
            url=f"{self.http.base_url.rstrip('/')}/a/tickets/{ticket_id}",
            extra={"requester_id": str(json_object(data, "ticket").get("requester_id") or "")},
        )

    async def _role(self, user_id: str) -> tuple[str, str]:
        if user_id not in self._roles:
            try:
                answer = await self.http.get(f"/api/v2/agents/{user_id}")
            except DeskRejected as exc:
                if exc.status != 404:
                    raise
                self._roles[user_id] = (AuthorRole.END_USER, "")
            else:
                contact = json_object(answer.data, "agent").get("contact") or {}
                self._roles[user_id] = (AuthorRole.AGENT, str(contact.get("name") or ""))
        return self._roles[user_id]

    async def poll(self, ref: TicketRef, *, since: str | None = None) -> DeskPoll:
        cursor = Cursor.decode(since)
        events: list[DeskEvent] = []
        pages = [
            page
            async for page in linked_pages(
                self.http,
                f"/api/v2/tickets/{ref.ticket_id}/conversations",
                params={"per_page": 100},
            )
        ]
        answer = pages[0]
        conversations = [
            item for page in pages for item in json_list(page.data, None, "freshdesk conversations")
        ]
        for item in conversations:
            conversation_id = str(require(item, "id", "conversation"))
            if conversation_id in cursor.seen:
                continue
            cursor = cursor.saw(conversation_id)
            if item.get("private"):
                continue  # private notes are never a reply to the customer
            user = str(item.get("user_id") or "")
            role, name = await self._role(user) if user else (AuthorRole.UNKNOWN, "")
            from_us = bool(user) and user == ref.extra.get("requester_id")
            events.append(
                DeskReply(
                    message_id=conversation_id,
                    created_at=parse_timestamp(item.get("created_at"), "created_at"),
                    body=str(item.get("body_text") or item.get("body") or ""),
                    author_id=user,
                    author_name=name or str(item.get("from_email") or ""),
                    author_role=AuthorRole.END_USER if from_us else role,
                    channel=SOURCES.get(int(item.get("source") or 0), str(item.get("source"))),
                    from_us=from_us,
                )
            )
        ticket = await self._ticket(ref)
        code = int(require(ticket, "status", "ticket"))
        status, category = STATUSES.get(code, (f"status {code}", StatusCategory.OPEN))
        if status != cursor.status:
            stats = json_object(ticket.get("stats") or {}, "stats")
            changed = stats.get("status_updated_at")
            events.append(
                DeskStatusChange(
                    status=status,
                    category=category,
                    at=parse_timestamp(changed, "status_updated_at")
                    if changed
                    else (answer.server_time or self.clock.now()),
                    at_is_desk_time=bool(changed),
                )
            )
            cursor = Cursor(cursor.seen, status, cursor.etag, cursor.extra)
        return DeskPoll(tuple(events), cursor.encode(), answer.server_time)

    async def _ticket(self, ref: TicketRef) -> Any:
        answer = await self.http.get(
            f"/api/v2/tickets/{ref.ticket_id}", params={"include": "stats"}
        )
        return json_object(answer.data, "freshdesk ticket")

    async def comment(self, ref: TicketRef, text: str) -> datetime:
        # The requester's side: a public note by the requester marked incoming ("appear as
        # being created from outside"). /reply is the agents' endpoint: its user_id must be an
        # agent, and an agent reply would stop the desk's own first-response clock.
        body: dict[str, Any] = {"body": text, "private": False, "incoming": True}
        if ref.extra.get("requester_id"):
            body["user_id"] = int(ref.extra["requester_id"])
        answer = await self.http.post(f"/api/v2/tickets/{ref.ticket_id}/notes", body)
        return parse_timestamp(require(answer.data, "created_at", "note"), "created_at")

    async def vendor_clocks(self, ref: TicketRef) -> tuple[VendorClock, ...]:
        ticket = await self._ticket(ref)
        stats = json_object(ticket.get("stats") or {}, "stats")

        def stamp(value: Any, what: str) -> datetime | None:
            return parse_timestamp(value, what) if value else None

        return (
            VendorClock(
                metric="first_response",
                vendor_name="fr_due_by",
                source="tickets/{id}?include=stats",
                started_at=ref.created_at,
                breach_at=stamp(ticket.get("fr_due_by"), "fr_due_by"),
                completed_at=stamp(stats.get("first_responded_at"), "first_responded_at"),
                breached=ticket.get("fr_escalated"),
            ),
            VendorClock(
                metric="next_reply",
                vendor_name="nr_due_by",
                source="tickets/{id}?include=stats",
                breach_at=stamp(ticket.get("nr_due_by"), "nr_due_by"),
                breached=ticket.get("nr_escalated"),
            ),
            VendorClock(
                metric="resolution",
                vendor_name="due_by",
                source="tickets/{id}?include=stats",
                started_at=ref.created_at,
                breach_at=stamp(ticket.get("due_by"), "due_by"),
                completed_at=stamp(stats.get("resolved_at"), "resolved_at"),
                breached=ticket.get("is_escalated"),
            ),
        )

    async def check(self) -> list[str]:
        answer = await self.http.get("/api/v2/agents/me")
        me = json_object(answer.data, "agents/me")
        contact = json_object(me.get("contact") or {}, "contact")
        lines = [f"freshdesk: API key belongs to agent {contact.get('name')!s}"]
        await self.http.get("/api/v2/tickets", params={"email": self.requester_email})
        lines.append(f"freshdesk: can list tickets of {self.requester_email}")
        lines.extend(f"freshdesk: cannot see: {note}" for note in self.capabilities.notes)
        return lines

    async def close(self) -> None:
        await self.http.aclose()
