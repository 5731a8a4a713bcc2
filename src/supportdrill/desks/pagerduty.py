"""PagerDuty: runbook CI against one's own on-call (Events API v2 + REST log entries).

Filing is an Events API v2 ``trigger`` (``POST /v2/enqueue``) with a ``dedup_key`` derived from
the idempotency key: PagerDuty itself folds repeated triggers with one key into one alert, and
:meth:`PagerDutyDesk.find` looks the incident up by that key (``GET /incidents?incident_key=``,
every page, the first incident opened for the key) before any trigger. The incident's
``created_at`` is T0.

Responses come from ``GET /incidents/{id}/log_entries?is_overview=true``: each entry has
``created_at`` and an ``agent`` whose ``type`` tells a person (``user_reference``) from an
automation (``service_reference``, ``integration_reference``, …). An acknowledgement sent
through the Events API is an integration's, not a human's. Acknowledge and resolve entries are
also status changes; ``annotate_log_entry`` (notes) are replies.

This adapter needs the REST API key; with the routing key alone it can trigger but not watch.

With a webhook receiver (``webhook_listen``, see :mod:`.webhooks`) a v3 webhook subscription
naming the incident (its id or ``incident_key``, our dedup key) makes the drill poll at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..clock import Clock, RealClock
from ..definitions.desk_settings import PagerDutySettings
from ..errors import DeskProtocolError, InvalidConfiguration
from ..secrets import SecretValue
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
from .http import MAX_PAGES, DeskHttp, HttpAnswer, json_list, json_object, parse_timestamp, require
from .tracking import Cursor, key_digest
from .webhooks import PAGERDUTY, WebhookReceiver, receiver_for

PAGE = 100
SEVERITIES = {"P0": "critical", "P1": "error", "P2": "warning", "P3": "info"}
ENTRY_STATUS = {
    "trigger_log_entry": ("triggered", StatusCategory.NEW),
    "acknowledge_log_entry": ("acknowledged", StatusCategory.OPEN),
    # An acknowledgement that timed out (the policy's ack timeout) puts it back to triggered.
    "unacknowledge_log_entry": ("triggered", StatusCategory.NEW),
    "resolve_log_entry": ("resolved", StatusCategory.SOLVED),
}
CAPABILITIES = DeskCapabilities(
    view="owner",
    author_roles=True,
    channels=True,
    status_history=True,
    vendor_sla_clocks=False,
    webhooks=False,
    notes=("no SLA clocks; urgency and escalation timing live in the escalation policy",),
)


def dedup_key_for(idempotency_key: str) -> str:
    return f"supportdrill-{key_digest(idempotency_key)}"


def _number(ref: TicketRef) -> int:
    """The incident number, which orders incidents opened in the same second."""
    number = ref.extra.get("number", "")
    return int(number) if number.isdigit() else 0


class PagerDutyDesk(Desk):
    """``events`` speaks to events.pagerduty.com, ``rest`` to api.pagerduty.com."""

    name = "pagerduty"
    accepts_webhooks = True
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        events: DeskHttp,
        rest: DeskHttp,
        routing_key: SecretValue,
        from_email: str = "",
        clock: Clock | None = None,
        appear_timeout_s: float = 30.0,
        webhook: WebhookReceiver | None = None,
    ) -> None:
        self.events = events
        self.rest = rest
        self._routing_key = routing_key
        self.from_email = from_email
        self._me_id: str | None = None
        self.clock: Clock = clock or RealClock()
        self.appear_timeout_s = appear_timeout_s
        self.webhook = webhook
        self.wakeup = webhook.wakeup if webhook is not None else None
        self.capabilities = replace(CAPABILITIES, webhooks=webhook is not None)

    @classmethod
    def from_settings(cls, settings: PagerDutySettings, context: OpenContext) -> PagerDutyDesk:
        token = context.secret(settings.token).reveal()
        hook = settings.webhook
        return cls(
            events=context.http(settings.events_url),
            rest=context.http(
                settings.url,
                headers={
                    "Authorization": f"Token token={token}",
                    "Accept": "application/vnd.pagerduty+json;version=2",
                },
            ),
            routing_key=context.secret(settings.routing_key),
            from_email=settings.from_email,
            clock=context.clock,
            webhook=receiver_for(
                hook, PAGERDUTY, context.secret(hook.secret) if hook and hook.secret else None
            ),
        )

    async def _listen(self, *identifiers: str) -> None:
        """Start the webhook receiver (once) and have it wake the watch for ``identifiers``."""
        if self.webhook is not None:
            await self.webhook.ensure_started()
            self.webhook.watch(*identifiers)

    async def _enqueue(self, action: str, dedup_key: str, payload: Any = None) -> str:
        body: dict[str, Any] = {
            "routing_key": self._routing_key.reveal(),
            "event_action": action,
            "dedup_key": dedup_key,
        }
        if payload is not None:
            body["payload"] = payload
        answer = await self.events.post("/v2/enqueue", body)
        data = json_object(answer.data, "pagerduty enqueue")
        if data.get("status") != "success":
            raise DeskProtocolError(f"pagerduty: enqueue answered {data.get('status')!r}")
        return str(data.get("dedup_key") or dedup_key)

    async def file(self, draft: TicketDraft, *, idempotency_key: str) -> TicketRef:
        existing = await self.find(idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        await self._listen(dedup_key_for(idempotency_key))
        dedup = await self._enqueue(
            "trigger",
            dedup_key_for(idempotency_key),
            {
                "summary": draft.subject[:1024],
                "source": "supportdrill",
                "severity": SEVERITIES.get(draft.severity, "critical"),
                "custom_details": {"body": draft.body, "tags": list(draft.tags)},
            },
        )
        # Events are processed asynchronously: the incident appears a moment later.
        waited = 0.0
        while waited <= self.appear_timeout_s:
            found = await self._by_key(dedup)
            if found is not None:
                await self._listen(found.ticket_id, dedup)
                return found
            await asyncio.sleep(0.5)
            waited += 0.5
        raise DeskProtocolError(
            f"pagerduty: event {dedup} accepted but no incident after {self.appear_timeout_s}s"
        )

    async def find(self, *, idempotency_key: str) -> TicketRef | None:
        found = await self._by_key(dedup_key_for(idempotency_key))
        if found is not None:
            await self._listen(found.ticket_id, found.extra.get("dedup_key", ""))
        return found

    async def _by_key(self, dedup: str) -> TicketRef | None:
        """The drill's incident: the first one opened for its dedup key.

        A trigger joins only an open incident with its key, so once ours is resolved a later
        trigger with the key opens another; the key can then name many incidents, listed in an
        order PagerDuty does not document. Every page is read and the earliest wins.
        """
        incidents, _ = await self._pages(
            "/incidents", {"incident_key": dedup, "date_range": "all"}, "incidents"
        )
        if not incidents:
            return None
        refs = [
            TicketRef(
                desk=self.name,
                ticket_id=str(require(incident, "id", "incident")),
                created_at=parse_timestamp(require(incident, "created_at", "incident"), "created"),
                url=str(incident.get("html_url") or ""),
                extra={"dedup_key": dedup, "number": str(incident.get("incident_number", ""))},
            )
            for incident in incidents
        ]
        return min(refs, key=lambda ref: (ref.created_at, _number(ref)))

    async def _pages(
        self, path: str, params: dict[str, str | int], key: str
    ) -> tuple[list[Any], HttpAnswer]:
        """Every item of a REST listing, following PagerDuty's ``offset``/``limit``/``more``
        pages (at most :data:`MAX_PAGES`); with the last answer (its server time)."""
        items: list[Any] = []
        offset = 0
        for _ in range(MAX_PAGES):
            answer = await self.rest.get(path, params={**params, "limit": PAGE, "offset": offset})
            page = json_list(answer.data, key, f"pagerduty {key}")
            items.extend(page)
            if not json_object(answer.data, key).get("more") or not page:
                break
            offset += len(page)
        return items, answer

    async def _log_entries(self, ref: TicketRef) -> tuple[list[Any], HttpAnswer]:
        """Every log entry of the incident, following PagerDuty's ``offset``/``more`` pages."""
        return await self._pages(
            f"/incidents/{ref.ticket_id}/log_entries", {"is_overview": "true"}, "log_entries"
        )

    async def _my_user_id(self) -> str:
        """The PagerDuty user our ``From`` address names: its notes are ours, never a
        responder's reply. Empty when the account has no such user (a note would fail)."""
        if self._me_id is None:
            answer = await self.rest.get("/users", params={"query": self.from_email})
            users = json_list(answer.data, "users", "pagerduty users")
            self._me_id = next(
                (
                    str(user.get("id") or "")
                    for user in users
                    if str(json_object(user, "user").get("email", "")).lower()
                    == self.from_email.lower()
                ),
                "",
            )
        return self._me_id

    async def poll(self, ref: TicketRef, *, since: str | None = None) -> DeskPoll:
        # A resumed drill polls without filing or finding: the receiver starts here then.
        await self._listen(ref.ticket_id, ref.extra.get("dedup_key", ""))
        cursor = Cursor.decode(since)
        entries, answer = await self._log_entries(ref)
        me = await self._my_user_id() if self.from_email else ""
        events: list[DeskEvent] = []
        # PagerDuty lists newest first; reversing before a stable sort keeps same-second
        # entries (a trigger and its ack) in the order they happened.
        ordered = sorted(reversed(entries), key=lambda e: str(e.get("created_at")))
        for entry in ordered:
            entry_id = str(require(entry, "id", "log entry"))
            if entry_id in cursor.seen:
                continue
            cursor = cursor.saw(entry_id)
            events.extend(self._entry_events(entry, me))
        return DeskPoll(tuple(events), cursor.encode(), answer.server_time)

    @staticmethod
    def _entry_events(entry: Any, me: str = "") -> list[DeskEvent]:
        kind = str(entry.get("type") or "")
        at = parse_timestamp(entry.get("created_at"), "log_entry.created_at")
        agent = json_object(entry.get("agent") or {}, "log_entry.agent")
        channel = json_object(entry.get("channel") or {}, "log_entry.channel")
        agent_type = str(agent.get("type") or "")
        person = agent_type == "user_reference"
        made: list[DeskEvent] = []
        if kind in ("acknowledge_log_entry", "annotate_log_entry"):
            made.append(
                DeskReply(
                    message_id=str(entry["id"]),
                    created_at=at,
                    body=str(channel.get("summary") or entry.get("summary") or kind.split("_")[0]),
                    author_id=str(agent.get("id") or ""),
                    author_name=str(agent.get("summary") or ""),
                    author_role=AuthorRole.AGENT if person else AuthorRole.SYSTEM,
                    channel=f"{channel.get('type') or ''}:{agent_type}",
                    automated_hint=not person,
                    # Our own follow-up comes back as a note by the From user.
                    from_us=person and bool(me) and str(agent.get("id") or "") == me,
                )
            )
        if kind in ENTRY_STATUS:
            status, category = ENTRY_STATUS[kind]
            made.append(DeskStatusChange(status=status, category=category, at=at))
        return made

    async def comment(self, ref: TicketRef, text: str) -> datetime:
        if not self.from_email:
            # PagerDuty refuses a note without From (400); say so before the run depends on it.
            raise InvalidConfiguration("desk pagerduty: 'from_email' is required to add a note")
        answer = await self.rest.request(
            "POST",
            f"/incidents/{ref.ticket_id}/notes",
            json_body={"note": {"content": text}},
            headers={"From": self.from_email},
        )
        note = require(answer.data, "note", "pagerduty note")
        return parse_timestamp(require(note, "created_at", "note"), "note.created_at")

    async def acknowledge(self, ref: TicketRef) -> None:
        """Acknowledge through the Events API (an automated ack, never a human one)."""
        await self._enqueue("acknowledge", ref.extra.get("dedup_key", ""))

    async def resolve(self, ref: TicketRef) -> None:
        await self._enqueue("resolve", ref.extra.get("dedup_key", ""))

    async def check(self) -> list[str]:
        answer = await self.rest.get("/abilities")
        abilities = json_list(answer.data, "abilities", "pagerduty abilities")
        lines = [f"pagerduty: REST key accepted ({len(abilities)} account abilities)"]
        if not await self._my_user_id():
            raise InvalidConfiguration(
                f"desk pagerduty: from_email {self.from_email!r} is not a user of this account; "
                "PagerDuty would refuse the drill's note (its From header must name a user)"
            )
        lines.append(f"pagerduty: notes are added as {self.from_email} (user {self._me_id})")
        lines.append(
            "pagerduty: routing key not verified without triggering (Events API has no dry run)"
        )
        lines.extend(f"pagerduty: cannot see: {note}" for note in self.capabilities.notes)
        return lines

    async def close(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
        await self.events.aclose()
        await self.rest.aclose()
