"""Zendesk: file and watch a P0 as the vendor's customer (Requests API), or as an agent.

Requester mode (the usual drill: we are the vendor's customer) uses the end-user Requests API
(developer.zendesk.com/api-reference/ticketing/tickets/ticket-requests/):
``POST /api/v2/requests`` to file, ``GET /api/v2/requests/{id}/comments`` for public comments
(each with ``author_id``; the ``users`` side-load says whether the author is an ``agent``) and
``GET /api/v2/requests/{id}`` for the status. A requester cannot see ``via.channel``, trigger
notification emails, audits or SLA clocks; status changes carry our poll time, not the desk's.

Agent mode (one's own Zendesk, or a vendor that grants agent access) files with
``POST /api/v2/tickets`` (``external_id`` = the idempotency key, found again with
``GET /api/v2/tickets?external_id=``) and reads ``/tickets/{id}/audits``: comments with
``via.channel``, trigger/automation ``Notification`` events (``via.source.rel``) and status
``Change`` events, all with the desk's timestamps; plus the desk's SLA clocks
(``include=slas`` policy metrics, ``/tickets/{id}/metrics``) as a cross-check.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..clock import Clock, RealClock
from ..definitions.desk_settings import ZendeskSettings
from ..errors import DeskAuthFailed, DeskProtocolError, InvalidConfiguration
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
from .http import MAX_PAGES, DeskHttp, HttpAnswer, json_list, json_object, parse_timestamp, require
from .tracking import (
    SEVERITY_WORDS,
    Cursor,
    drill_tag,
    drill_token,
    first_carrying_token,
    with_token,
)

STATUS_CATEGORIES = {
    "new": StatusCategory.NEW,
    "open": StatusCategory.OPEN,
    "pending": StatusCategory.PENDING,
    "hold": StatusCategory.HOLD,
    "solved": StatusCategory.SOLVED,
    "closed": StatusCategory.CLOSED,
}
# Zendesk's metric names → ours (support.zendesk.com "About SLA metrics").
METRICS = {
    "first_reply_time": "first_response",
    "reply_time": "first_response",
    "next_reply_time": "next_reply",
    "periodic_update_time": "periodic_update",
    "pausable_update_time": "periodic_update",
    "requester_wait_time": "resolution",
    "agent_work_time": "resolution",
}
ROLES = {"end-user": AuthorRole.END_USER, "agent": AuthorRole.AGENT, "admin": AuthorRole.AGENT}
REQUESTER_CAPS = DeskCapabilities(
    author_roles=True,
    channels=False,
    status_history=False,
    vendor_sla_clocks=False,
    notes=(
        "requester view has no via.channel: an integration posting through an agent account "
        "looks like a human agent",
        "trigger/automation notification emails are not comments and are not visible here",
        "status changes are timestamped by our poll, not by the desk",
        "no SLA clocks (agents only)",
    ),
)
AGENT_CAPS = DeskCapabilities(
    view="agent",
    author_roles=True,
    channels=True,
    status_history=True,
    vendor_sla_clocks=True,
    notes=("include=slas is read from the ticket list endpoint; SLA policies need admin",),
)


def status_category(status: str) -> StatusCategory:
    try:
        return STATUS_CATEGORIES[status]
    except KeyError as exc:
        raise DeskProtocolError(f"zendesk: unknown ticket status {status!r}") from exc


def _trigger_title(source: Mapping[str, Any]) -> str:
    """The trigger's or automation's name: ``via.source.from.title`` in the audit docs."""
    origin = source.get("from")
    title = origin.get("title") if isinstance(origin, Mapping) else None
    return str(title or source.get("title") or "")


def _ticket_metric(data: Any, ticket_id: str) -> Mapping[str, Any]:
    """The ticket's metric set from "Show Ticket Metrics": ``ticket_metric`` is one object in
    the live API and a list in Zendesk's published description; either is read (from a list,
    the item for this ticket). Empty when the desk has none."""
    found = require(data, "ticket_metric", "zendesk ticket metrics")
    if not isinstance(found, list):
        return json_object(found, "ticket_metric")
    items = [json_object(item, "ticket_metric") for item in found]
    ours = [item for item in items if str(item.get("ticket_id")) == ticket_id]
    return (ours or items or [{}])[0]


def _reply_clocks(metric_set: Mapping[str, Any], ref: TicketRef) -> list[VendorClock]:
    """First-reply time from the ticket metrics: to the second (``reply_time_in_seconds``,
    calendar time, Messaging tickets) where given, else in minutes; and in business minutes."""
    minutes = json_object(metric_set.get("reply_time_in_minutes") or {}, "reply_time_in_minutes")
    seconds = json_object(metric_set.get("reply_time_in_seconds") or {}, "reply_time_in_seconds")
    figures = [
        ("reply_time_in_seconds", False, seconds.get("calendar"), 1.0)
        if seconds.get("calendar") is not None
        else ("reply_time_in_minutes", False, minutes.get("calendar"), 60.0),
        ("reply_time_in_minutes", True, minutes.get("business"), 60.0),
    ]
    return [
        VendorClock(
            metric="first_response",
            vendor_name=name,
            source="tickets/{id}/metrics",
            started_at=ref.created_at,
            elapsed_s=float(value) * unit,
            business_hours=business,
        )
        for name, business, value, unit in figures
        if value is not None
    ]


def _next_page(data: Any) -> str | None:
    """Zendesk's ``next_page`` (an absolute URL, null on the last page)."""
    value = json_object(data, "zendesk page").get("next_page")
    return str(value) if value else None


class ZendeskDesk(Desk):
    """A Zendesk desk reached through :class:`DeskHttp` (base URL ``https://{sub}.zendesk.com``)."""

    name = "zendesk"

    def __init__(
        self, http: DeskHttp, *, agent_mode: bool = False, clock: Clock | None = None
    ) -> None:
        self.http = http
        self.agent_mode = agent_mode
        self.clock: Clock = clock or RealClock()
        self.capabilities = AGENT_CAPS if agent_mode else REQUESTER_CAPS
        self._roles: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._me: str | None = None

    @classmethod
    def from_settings(cls, settings: ZendeskSettings, context: OpenContext) -> ZendeskDesk:
        if settings.oauth_token is not None:
            bearer = context.secret(settings.oauth_token).reveal()
            client = context.http(settings.url, headers={"Authorization": f"Bearer {bearer}"})
        else:
            assert settings.email is not None and settings.token is not None  # parse() ensures
            user = f"{context.text(settings.email)}/token"
            token = context.secret(settings.token)
            context.redactor.add_basic_auth(user, token)
            client = context.http(settings.url, auth=(user, token.reveal()))
        return cls(client, agent_mode=settings.agent_mode, clock=context.clock)

    # ---------------------------------------------------------------- filing

    async def file(self, draft: TicketDraft, *, idempotency_key: str) -> TicketRef:
        existing = await self.find(idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        subject = with_token(draft.subject, idempotency_key)
        body = f"{draft.body}\n\n{drill_token(idempotency_key)}"
        priority = SEVERITY_WORDS.get(draft.severity, "urgent")
        if self.agent_mode:
            ticket: dict[str, Any] = {
                "subject": subject,
                "comment": {"body": body, "public": True},
                "priority": priority,
                "external_id": idempotency_key,
                "tags": [*draft.tags, drill_tag(idempotency_key)],
            }
            if draft.requester_email:
                ticket["requester"] = {"email": draft.requester_email}
            answer = await self.http.post("/api/v2/tickets.json", {"ticket": ticket})
            return self._ref(require(answer.data, "ticket", "zendesk create ticket"))
        request = {"subject": subject, "comment": {"body": body}, "priority": priority}
        answer = await self.http.post("/api/v2/requests.json", {"request": request})
        return self._ref(require(answer.data, "request", "zendesk create request"))

    async def find(self, *, idempotency_key: str) -> TicketRef | None:
        if self.agent_mode:
            answer = await self.http.get(
                "/api/v2/tickets.json", params={"external_id": idempotency_key}
            )
            tickets = json_list(answer.data, "tickets", "zendesk tickets by external_id")
            return self._ref(tickets[0]) if tickets else None
        # The requester's own list is read, not the search API: search is indexed with a delay
        # of minutes, and a ticket filed just before a crash must be found at once.
        url: str | None = "/api/v2/requests.json"
        params: dict[str, str | int] | None = {
            "sort_by": "created_at",
            "sort_order": "desc",
            "per_page": 100,
        }
        for _ in range(MAX_PAGES):
            if url is None:
                break
            answer = await self.http.get(url, params=params)
            requests = json_list(answer.data, "requests", "zendesk requests")
            request = first_carrying_token(
                requests, idempotency_key, field="subject", what="zendesk request"
            )
            if request is not None:
                return self._ref(request)
            url, params = _next_page(answer.data), None
        return None

    def _ref(self, item: Any) -> TicketRef:
        ticket_id = str(require(item, "id", "zendesk ticket"))
        created = parse_timestamp(require(item, "created_at", "zendesk ticket"), "created_at")
        requester = str(json_object(item, "zendesk ticket").get("requester_id") or "")
        return TicketRef(
            desk=self.name,
            ticket_id=ticket_id,
            created_at=created,
            url=f"{self.http.base_url.rstrip('/')}/hc/requests/{ticket_id}",
            extra={"requester_id": requester} if requester else {},
        )

    # ---------------------------------------------------------------- watching

    async def poll(self, ref: TicketRef, *, since: str | None = None) -> DeskPoll:
        cursor = Cursor.decode(since)
        if self.agent_mode:
            return await self._poll_audits(ref, cursor)
        return await self._poll_requester(ref, cursor)

    async def _pages(self, url: str, key: str) -> tuple[list[Any], HttpAnswer]:
        """Every page of a listing, following Zendesk's ``next_page``; the side-loaded
        ``users`` of each page are learnt on the way."""
        items: list[Any] = []
        next_url: str | None = url
        params: dict[str, str | int] | None = {"per_page": 100}
        answer: HttpAnswer | None = None
        for _ in range(MAX_PAGES):
            if next_url is None:
                break
            answer = await self.http.get(next_url, params=params)
            data = json_object(answer.data, f"zendesk {key}")
            items.extend(json_list(data, key, f"zendesk {key}"))
            for user in json_list(data.get("users") or [], None, "zendesk users"):
                user_id = str(require(user, "id", "zendesk user"))
                self._names[user_id] = str(user.get("name") or "")
                self._roles[user_id] = (
                    AuthorRole.AGENT if user.get("agent") else AuthorRole.END_USER
                )
            next_url, params = _next_page(data), None
        assert answer is not None  # the loop runs at least once
        return items, answer

    async def _poll_requester(self, ref: TicketRef, cursor: Cursor) -> DeskPoll:
        events: list[DeskEvent] = []
        comments, answer = await self._pages(
            f"/api/v2/requests/{ref.ticket_id}/comments.json", "comments"
        )
        requester = ref.extra.get("requester_id", "")
        for comment in comments:
            comment_id = str(require(comment, "id", "zendesk comment"))
            if comment_id in cursor.seen:
                continue
            author = str(comment.get("author_id") or "")
            events.append(
                DeskReply(
                    message_id=comment_id,
                    created_at=parse_timestamp(comment.get("created_at"), "comment.created_at"),
                    body=str(comment.get("plain_body") or comment.get("body") or ""),
                    author_id=author,
                    author_name=self._names.get(author, ""),
                    author_role=self._roles.get(author, AuthorRole.UNKNOWN),
                    public=bool(comment.get("public", True)),
                    from_us=bool(requester) and author == requester,
                )
            )
            cursor = cursor.saw(comment_id)
        status_answer = await self.http.get(f"/api/v2/requests/{ref.ticket_id}.json")
        request = json_object(require(status_answer.data, "request", "zendesk request"), "request")
        status = str(require(request, "status", "zendesk request"))
        server_time = status_answer.server_time or answer.server_time
        if status != cursor.status:
            events.append(
                DeskStatusChange(
                    status=status,
                    category=status_category(status),
                    at=server_time or self.clock.now(),
                    at_is_desk_time=False,
                )
            )
            cursor = Cursor(cursor.seen, status, cursor.etag, cursor.extra)
        return DeskPoll(tuple(events), cursor.encode(), server_time)

    async def _poll_audits(self, ref: TicketRef, cursor: Cursor) -> DeskPoll:
        audits, answer = await self._pages(f"/api/v2/tickets/{ref.ticket_id}/audits.json", "audits")
        authors = {str(a.get("author_id")) for a in audits if a.get("author_id") is not None}
        await self._learn_users(authors)
        requester = ref.extra.get("requester_id", "")
        events: list[DeskEvent] = []
        for audit in audits:
            audit_id = str(require(audit, "id", "zendesk audit"))
            if audit_id in cursor.seen:
                continue
            at = parse_timestamp(audit.get("created_at"), "audit.created_at")
            audit_via = json_object(audit.get("via") or {}, "audit.via")
            for event in json_list(audit.get("events") or [], None, "audit.events"):
                # "If an Event has a different Via than its Audit, it will have its own Via
                # object": a trigger's notification inside an API audit names the trigger there.
                own = json_object(event, "audit event").get("via")
                via = json_object(own, "event.via") if own else audit_via
                made = self._audit_event(audit, event, at, via, requester)
                if made is not None:
                    events.append(made)
            cursor = cursor.saw(audit_id)
        return DeskPoll(tuple(events), cursor.encode(), answer.server_time)

    def _audit_event(
        self,
        audit: Mapping[str, Any],
        event: Mapping[str, Any],
        at: datetime,
        via: Mapping[str, Any],
        requester: str,
    ) -> DeskEvent | None:
        kind = event.get("type")
        channel = str(via.get("channel") or "")
        source = json_object(via.get("source") or {}, "via.source")
        rel = str(source.get("rel") or "")
        if kind == "Comment":
            author = str(event.get("author_id") or audit.get("author_id") or "")
            role = self._roles.get(author, AuthorRole.UNKNOWN)
            automated: bool | None = None
            if channel in ("rule", "automation") or rel in ("trigger", "automation"):
                automated = True
            elif channel == "web" and role == AuthorRole.AGENT:
                # Typed into the agent workspace: the one channel that means a person did it.
                automated = False
            return DeskReply(
                message_id=str(event.get("id") or audit.get("id")),
                created_at=at,
                body=str(event.get("plain_body") or event.get("body") or ""),
                author_id=author,
                author_name=self._names.get(author, ""),
                author_role=role,
                channel=f"{channel}:{rel}" if rel else channel,
                public=bool(event.get("public", True)),
                from_us=bool(requester) and author == requester,
                automated_hint=automated,
            )
        if kind == "Notification":
            # Trigger/automation emails to the requester: the auto-acknowledgement a customer
            # receives, invisible in the requester API. One sent only to agents ("Notify
            # assignee of comment update") is not an answer to the customer.
            recipients = {str(r) for r in event.get("recipients") or ()}
            if requester and recipients and requester not in recipients:
                return None
            return DeskReply(
                message_id=f"notification-{event.get('id')}",
                created_at=at,
                body=str(event.get("body") or event.get("subject") or ""),
                author_id=str(audit.get("author_id") or "-1"),
                author_name=_trigger_title(source),
                author_role=AuthorRole.SYSTEM,
                channel=f"{channel}:{rel}" if rel else (channel or "rule"),
                automated_hint=True,
            )
        if kind in ("Change", "Create") and event.get("field_name") == "status":
            status = str(event.get("value"))
            return DeskStatusChange(status=status, category=status_category(status), at=at)
        return None

    async def _learn_users(self, ids: set[str]) -> None:
        unknown = sorted(i for i in ids if i not in self._roles and i not in ("", "-1"))
        if not unknown:
            return
        answer = await self.http.get(
            "/api/v2/users/show_many.json", params={"ids": ",".join(unknown)}
        )
        for user in json_list(answer.data, "users", "zendesk users"):
            user_id = str(require(user, "id", "zendesk user"))
            self._roles[user_id] = ROLES.get(str(user.get("role")), AuthorRole.UNKNOWN)
            self._names[user_id] = str(user.get("name") or "")

    async def comment(self, ref: TicketRef, text: str) -> datetime:
        if self.agent_mode:
            comment: dict[str, Any] = {"body": text, "public": True}
            requester = ref.extra.get("requester_id", "")
            if requester.isdigit():
                # Without author_id the follow-up is posted as the agent account we use: a
                # public agent reply that stops the desk's own first-reply clock.
                comment["author_id"] = int(requester)
            body = {"ticket": {"comment": comment}}
            answer = await self.http.put(f"/api/v2/tickets/{ref.ticket_id}.json", body)
            audit = answer.data.get("audit") if isinstance(answer.data, Mapping) else None
            if isinstance(audit, Mapping) and audit.get("created_at"):
                return parse_timestamp(audit["created_at"], "audit.created_at")
            ticket = require(answer.data, "ticket", "zendesk update ticket")
            return parse_timestamp(require(ticket, "updated_at", "ticket"), "ticket.updated_at")
        body = {"request": {"comment": {"body": text}}}
        answer = await self.http.put(f"/api/v2/requests/{ref.ticket_id}.json", body)
        request = require(answer.data, "request", "zendesk update request")
        return parse_timestamp(require(request, "updated_at", "request"), "request.updated_at")

    # ---------------------------------------------------------------- vendor clocks, check

    async def vendor_clocks(self, ref: TicketRef) -> tuple[VendorClock, ...]:
        """The desk's SLA policy metrics and ticket metrics (agent mode only)."""
        if not self.agent_mode:
            return ()
        clocks: list[VendorClock] = []
        # include=slas is honoured by list endpoints (not the single-ticket show).
        answer = await self.http.get(
            "/api/v2/tickets/show_many.json", params={"ids": ref.ticket_id, "include": "slas"}
        )
        for ticket in json_list(answer.data, "tickets", "zendesk tickets"):
            slas = json_object(ticket.get("slas") or {}, "ticket.slas")
            for metric in json_list(slas.get("policy_metrics") or [], None, "policy_metrics"):
                name = str(metric.get("metric") or "")
                breach = metric.get("breach_at")
                clocks.append(
                    VendorClock(
                        metric=METRICS.get(name, "other"),
                        vendor_name=name,
                        source="tickets/show_many?include=slas",
                        breach_at=parse_timestamp(breach, "breach_at") if breach else None,
                        breached=metric.get("stage") == "breached" or None,
                        paused=metric.get("stage") == "paused" or None,
                        business_hours=metric.get("business_hours"),
                    )
                )
        metrics_answer = await self.http.get(f"/api/v2/tickets/{ref.ticket_id}/metrics.json")
        metric_set = _ticket_metric(metrics_answer.data, ref.ticket_id)
        clocks.extend(_reply_clocks(metric_set, ref))
        solved = metric_set.get("solved_at")
        if solved:
            clocks.append(
                VendorClock(
                    metric="resolution",
                    vendor_name="solved_at",
                    source="tickets/{id}/metrics",
                    started_at=ref.created_at,
                    completed_at=parse_timestamp(solved, "solved_at"),
                )
            )
        return tuple(clocks)

    async def check(self) -> list[str]:
        answer = await self.http.get("/api/v2/users/me.json")
        user = json_object(require(answer.data, "user", "zendesk users/me"), "user")
        if user.get("id") is None:
            raise InvalidConfiguration(
                "zendesk: the credentials were not accepted (answered as an anonymous user)"
            )
        role = str(user.get("role") or "unknown")
        lines = [f"zendesk: authenticated as {user.get('name')!s} (role {role})"]
        mode = "agent" if self.agent_mode else "requester"
        lines.append(f"zendesk: mode {mode}")
        if self.agent_mode and role == "end-user":
            raise InvalidConfiguration("zendesk: mode agent needs an agent account, got end-user")
        if not self.agent_mode and role in ("agent", "admin"):
            lines.append("zendesk: this account is an agent; mode: agent would also read clocks")
        if not self.agent_mode:
            await self.http.get("/api/v2/requests.json", params={"per_page": 1})
            lines.append("zendesk: can list own requests (duplicate check before filing works)")
        else:
            await self.http.get(
                "/api/v2/tickets.json", params={"external_id": "supportdrill-check"}
            )
            lines.append("zendesk: can look tickets up by external_id (duplicate check works)")
            lines.append(await self._check_sla_policies())
        lines.extend(f"zendesk: cannot see: {note}" for note in self.capabilities.notes)
        return lines

    async def _check_sla_policies(self) -> str:
        # Reading policies needs admin; an agent still sees each ticket's own SLA metrics
        # (include=slas), so a refusal here narrows the cross-check rather than failing it.
        try:
            answer = await self.http.get("/api/v2/slas/policies.json")
        except DeskAuthFailed:
            return (
                "zendesk: SLA policies not readable (admin only); per-ticket SLA clocks "
                "(include=slas, ticket metrics) are read as an agent"
            )
        policies = json_list(answer.data, "sla_policies", "zendesk SLA policies")
        titles = ", ".join(str(json_object(p, "policy").get("title")) for p in policies)
        return f"zendesk: SLA clocks visible; {len(policies)} SLA policies ({titles or 'none'})"

    async def close(self) -> None:
        await self.http.aclose()
