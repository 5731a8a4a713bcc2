"""Jira Service Management (Cloud): file and watch a customer request through servicedeskapi.

Endpoints (developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/):
``POST /rest/servicedeskapi/request`` to file; ``GET …/request?requestOwnership=OWNED_REQUESTS``
to find our own request again by its drill token; ``GET …/request/{key}/comment?public=true
&internal=false`` for replies (``author{accountId, displayName}``, ``created.iso8601``);
``GET …/request/{key}/status`` for the status history with the desk's own ``statusDate``;
``GET …/request/{key}/sla`` for the desk's SLA cycles (agents only).

What a customer cannot see: the servicedeskapi author object has no ``accountType``, so an
"Automation for Jira" comment is known only by its display name; whether an author is an agent
is not shown at all. With agent access (``mode: agent``) the platform user API
(``/rest/api/3/user?accountId=``) gives ``accountType`` (``app`` = automation). ``atlassian`` is
only "a regular Atlassian user account", which customers and participants can have too, so an
author is an agent only when Jira says it holds the ``SERVICEDESK_AGENT`` permission on the
request's project (``/rest/api/3/user/permission/search``).

Every list is read page by page (``start``/``limit`` until ``isLastPage``).

On one's own Jira, an admin webhook (``jira:issue_updated``, ``comment_created``…) pointed at
the drill's receiver (``webhook_listen``, see :mod:`.webhooks`) makes the drill poll as soon as
the request changes; the webhook names the issue by ``issue.key`` (our ticket id).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ..clock import Clock, RealClock
from ..definitions.desk_settings import JsmSettings
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
from .tracking import Cursor, drill_token, with_token
from .webhooks import JIRA, WebhookReceiver, receiver_for

API = "/rest/servicedeskapi"
PAGE = 50
AGENT_ACCOUNT = "atlassian+agent"
"""Our mark for an Atlassian account holding SERVICEDESK_AGENT on the request's project."""
AUTOMATION_NAMES = ("automation for jira", "jira automation", "system")
CUSTOMER_CAPS = DeskCapabilities(
    author_roles=False,
    channels=False,
    status_history=True,
    vendor_sla_clocks=False,
    notes=(
        "customers see no accountType: automation is recognised by display name only",
        "customers are not told which authors are agents",
        "no SLA cycles (agents only)",
    ),
)
AGENT_CAPS = DeskCapabilities(
    view="agent",
    author_roles=True,
    channels=False,
    status_history=True,
    vendor_sla_clocks=True,
    notes=("comment channel (portal/email/API) is not exposed by servicedeskapi",),
)


def status_category(status: str, category: str) -> StatusCategory:
    """JSM's statusCategory (NEW/INDETERMINATE/DONE) plus the usual waiting names."""
    name = status.lower()
    if category.upper() == "DONE":
        return StatusCategory.CLOSED if "closed" in name else StatusCategory.SOLVED
    if "waiting for customer" in name or "pending" in name:
        return StatusCategory.PENDING
    if category.upper() == "NEW":
        return StatusCategory.NEW
    return StatusCategory.OPEN


def _when(value: Any, what: str) -> datetime:
    stamp = json_object(value, what)
    if stamp.get("iso8601"):
        return parse_timestamp(stamp["iso8601"], what)
    millis = require(stamp, "epochMillis", what)
    return datetime.fromtimestamp(float(millis) / 1000.0, UTC)


class JsmDesk(Desk):
    """A JSM service desk; ``service_desk_id`` and ``request_type_id`` pick the portal form."""

    name = "jsm"
    accepts_webhooks = True

    def __init__(
        self,
        http: DeskHttp,
        *,
        service_desk_id: str,
        request_type_id: str,
        agent_mode: bool = False,
        clock: Clock | None = None,
        webhook: WebhookReceiver | None = None,
    ) -> None:
        self.http = http
        self.service_desk_id = service_desk_id
        self.request_type_id = request_type_id
        self.agent_mode = agent_mode
        self.capabilities = replace(
            AGENT_CAPS if agent_mode else CUSTOMER_CAPS, webhooks=webhook is not None
        )
        self.clock: Clock = clock or RealClock()
        self._account_types: dict[str, str] = {}
        self.webhook = webhook
        self.wakeup = webhook.wakeup if webhook is not None else None

    @classmethod
    def from_settings(cls, settings: JsmSettings, context: OpenContext) -> JsmDesk:
        email = context.text(settings.email)
        token = context.secret(settings.token)
        context.redactor.add_basic_auth(email, token)
        hook = settings.webhook
        return cls(
            context.http(settings.url, auth=(email, token.reveal())),
            service_desk_id=settings.service_desk_id,
            request_type_id=settings.request_type_id,
            agent_mode=settings.agent_mode,
            clock=context.clock,
            webhook=receiver_for(
                hook, JIRA, context.secret(hook.secret) if hook and hook.secret else None
            ),
        )

    async def _listen(self, ref: TicketRef | None) -> None:
        """Start the webhook receiver (once) and have it wake the watch for ``ref``."""
        if self.webhook is not None:
            await self.webhook.ensure_started()
            if ref is not None:
                self.webhook.watch(ref.ticket_id, ref.extra.get("issue_id", ""))

    async def file(self, draft: TicketDraft, *, idempotency_key: str) -> TicketRef:
        existing = await self.find(idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        await self._listen(None)
        body = {
            "serviceDeskId": self.service_desk_id,
            "requestTypeId": self.request_type_id,
            "requestFieldValues": {
                "summary": with_token(draft.subject, idempotency_key),
                "description": f"{draft.body}\n\n{drill_token(idempotency_key)}",
            },
        }
        answer = await self.http.post(f"{API}/request", body)
        ref = self._ref(answer.data)
        await self._listen(ref)
        return ref

    async def find(self, *, idempotency_key: str) -> TicketRef | None:
        # The customer's own requests, newest first; the search index may lag a fresh request.
        token = drill_token(idempotency_key)
        requests, _ = await self._pages(
            f"{API}/request",
            "jsm requests",
            {"requestOwnership": "OWNED_REQUESTS", "serviceDeskId": self.service_desk_id},
        )
        for request in requests:
            for value in json_list(request.get("requestFieldValues") or [], None, "fields"):
                if value.get("fieldId") == "summary" and token in str(value.get("value", "")):
                    ref = self._ref(request)
                    await self._listen(ref)
                    return ref
        return None

    def _ref(self, data: Any) -> TicketRef:
        key = str(require(data, "issueKey", "jsm request"))
        reporter = json_object(data.get("reporter") or {}, "jsm reporter")
        links = json_object(data.get("_links") or {}, "jsm links")
        return TicketRef(
            desk=self.name,
            ticket_id=key,
            created_at=_when(require(data, "createdDate", "jsm request"), "createdDate"),
            url=str(links.get("web") or ""),
            extra={
                "issue_id": str(data.get("issueId") or ""),
                "reporter": str(reporter.get("accountId") or ""),
            },
        )

    async def poll(self, ref: TicketRef, *, since: str | None = None) -> DeskPoll:
        # A resumed drill polls without filing or finding: the receiver starts here then.
        await self._listen(ref)
        cursor = Cursor.decode(since)
        events: list[DeskEvent] = []
        comments, answer = await self._pages(
            f"{API}/request/{ref.ticket_id}/comment",
            "jsm comments",
            {"public": "true", "internal": "false"},
        )
        if self.agent_mode:
            await self._learn_accounts(comments, ref)
        for comment in comments:
            comment_id = f"c{require(comment, 'id', 'jsm comment')}"
            if comment_id in cursor.seen:
                continue
            events.append(self._reply(comment_id, comment, ref))
            cursor = cursor.saw(comment_id)
        history, _ = await self._pages(f"{API}/request/{ref.ticket_id}/status", "jsm status", {})
        for entry in reversed(history):  # the desk lists newest first
            at = _when(require(entry, "statusDate", "jsm status"), "statusDate")
            status = str(require(entry, "status", "jsm status"))
            marker = f"s{int(at.timestamp() * 1000)}:{status}"
            if marker in cursor.seen:
                continue
            category = status_category(status, str(entry.get("statusCategory") or ""))
            events.append(DeskStatusChange(status=status, category=category, at=at))
            cursor = cursor.saw(marker)
        return DeskPoll(tuple(events), cursor.encode(), answer.server_time)

    def _reply(self, comment_id: str, comment: Any, ref: TicketRef) -> DeskReply:
        author = json_object(comment.get("author") or {}, "jsm author")
        account = str(author.get("accountId") or "")
        name = str(author.get("displayName") or "")
        from_us = bool(account) and account == ref.extra.get("reporter")
        role = AuthorRole.END_USER if from_us else AuthorRole.UNKNOWN
        automated: bool | None = True if name.lower() in AUTOMATION_NAMES else None
        kind = self._account_types.get(account)
        if kind == "app":
            role, automated = AuthorRole.SYSTEM, True
        elif kind == AGENT_ACCOUNT and not from_us:
            role = AuthorRole.AGENT
        elif kind in ("customer", "atlassian"):
            # An Atlassian account without the agent permission: a participant or customer.
            role = AuthorRole.END_USER
        return DeskReply(
            message_id=comment_id,
            created_at=_when(require(comment, "created", "jsm comment"), "created"),
            body=str(comment.get("body") or ""),
            author_id=account,
            author_name=name,
            author_role=role,
            public=bool(comment.get("public", True)),
            from_us=from_us,
            automated_hint=automated,
        )

    async def _pages(
        self, url: str, what: str, params: dict[str, str | int]
    ) -> tuple[list[Any], HttpAnswer]:
        """Every page of a servicedeskapi listing (``start``/``limit`` until ``isLastPage``)."""
        items: list[Any] = []
        start = 0
        for _ in range(MAX_PAGES):
            answer = await self.http.get(url, params={**params, "start": start, "limit": PAGE})
            page = json_list(answer.data, "values", what)
            items.extend(page)
            if json_object(answer.data, what).get("isLastPage", True) or not page:
                break
            start += len(page)
        return items, answer

    async def _learn_accounts(self, comments: list[Any], ref: TicketRef) -> None:
        for comment in comments:
            author = json_object(comment.get("author") or {}, "jsm author")
            account = str(author.get("accountId") or "")
            if not account or account in self._account_types:
                continue
            answer = await self.http.get("/rest/api/3/user", params={"accountId": account})
            kind = str(json_object(answer.data, "user").get("accountType"))
            if kind == "atlassian" and await self._is_agent(account, ref):
                kind = AGENT_ACCOUNT
            self._account_types[account] = kind

    async def _is_agent(self, account: str, ref: TicketRef) -> bool:
        answer = await self.http.get(
            "/rest/api/3/user/permission/search",
            params={
                "permissions": "SERVICEDESK_AGENT",
                "issueKey": ref.ticket_id,
                "accountId": account,
            },
        )
        users = json_list(answer.data, None, "jira users with permission")
        return any(json_object(u, "user").get("accountId") == account for u in users)

    async def comment(self, ref: TicketRef, text: str) -> datetime:
        answer = await self.http.post(
            f"{API}/request/{ref.ticket_id}/comment", {"body": text, "public": True}
        )
        return _when(require(answer.data, "created", "jsm comment"), "created")

    async def vendor_clocks(self, ref: TicketRef) -> tuple[VendorClock, ...]:
        """The desk's SLA cycles (agent permission needed)."""
        if not self.agent_mode:
            return ()
        answer = await self.http.get(f"{API}/request/{ref.ticket_id}/sla")
        clocks: list[VendorClock] = []
        for sla in json_list(answer.data, "values", "jsm sla"):
            name = str(sla.get("name") or "")
            metric = (
                "first_response"
                if "first response" in name.lower()
                else ("resolution" if "resolution" in name.lower() else "other")
            )
            cycles = [
                *json_list(sla.get("completedCycles") or [], None, "completedCycles"),
                *([sla["ongoingCycle"]] if sla.get("ongoingCycle") else []),
            ]
            for cycle in cycles:
                clocks.append(self._cycle(metric, name, cycle))
        return tuple(clocks)

    @staticmethod
    def _cycle(metric: str, name: str, cycle: Any) -> VendorClock:
        def stamp(key: str) -> datetime | None:
            return _when(cycle[key], key) if cycle.get(key) else None

        def millis(key: str) -> float | None:
            value = json_object(cycle.get(key) or {}, key).get("millis")
            return None if value is None else float(value) / 1000.0

        return VendorClock(
            metric=metric,
            vendor_name=name,
            source="servicedeskapi/request/{key}/sla",
            started_at=stamp("startTime"),
            breach_at=stamp("breachTime"),
            completed_at=stamp("stopTime"),
            goal_s=millis("goalDuration"),
            elapsed_s=millis("elapsedTime"),
            breached=cycle.get("breached"),
            paused=cycle.get("paused"),
            business_hours=(
                None
                if cycle.get("withinCalendarHours") is None
                else bool(cycle["withinCalendarHours"])
            ),
        )

    async def check(self) -> list[str]:
        desk = await self.http.get(f"{API}/servicedesk/{self.service_desk_id}")
        name = json_object(desk.data, "servicedesk").get("projectName", self.service_desk_id)
        fields = await self.http.get(
            f"{API}/servicedesk/{self.service_desk_id}/requesttype/{self.request_type_id}/field"
        )
        required = [
            str(f.get("fieldId"))
            for f in json_list(
                json_object(fields.data, "fields").get("requestTypeFields") or [], None, "fields"
            )
            if f.get("required")
        ]
        lines = [f"jsm: service desk {name!s} reachable; request type {self.request_type_id}"]
        missing = [f for f in required if f not in ("summary", "description")]
        if missing:
            lines.append(f"jsm: WARNING required fields we do not fill: {', '.join(missing)}")
        lines.extend(f"jsm: cannot see: {note}" for note in self.capabilities.notes)
        return lines

    async def close(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
        await self.http.aclose()
