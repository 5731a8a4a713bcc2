"""The simulated desk's tickets: what was filed, what the customer said, and what a requester sees.

Only the facts that cannot be recomputed are kept — each ticket's filing (with the persona that
answers it) and the customer's comments. Everything the vendor "does" is recomputed on every
read by :func:`~supportdrill.desks.simulated.personas.play` and cut at the clock's ``now``, so the
state stays tiny, survives a restart through an optional JSON file, and a restarted desk answers
exactly as before.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ...clock import require_aware
from ...errors import InvalidConfiguration
from .personas import Actor, Persona, play, render

STATE_VERSION = 1
REQUESTER_ID = 1001
AGENT_ID = 2001
BOT_ID = 2002
PERSONA_TAG = re.compile(r"^persona-(?P<name>[a-z0-9-]+)$")
# Comment ids: ticket id × 1000, plus the step number for the vendor's script and 500 + n for
# the customer's own comments (700 + n for a responder's agent actions), so ids are stable across
# restarts without being stored.
_IDS_PER_TICKET = 1000
_CUSTOMER_BASE = 500
_AGENT_BASE = 700

AUTO_REPLY_HEADERS: Mapping[str, str] = {"auto-submitted": "auto-replied", "x-autoreply": "yes"}


@dataclass(frozen=True)
class CustomerComment:
    id: int
    body: str
    at: datetime


@dataclass(frozen=True)
class AgentAction:
    """What a responder outside the persona did as the vendor's agent (the scripted responder
    of a runbook drill): a public comment, a status change, or both at once."""

    id: int
    at: datetime
    body: str = ""
    status: str | None = None


@dataclass(frozen=True)
class SimTicket:
    """A filed ticket, as the desk stores it."""

    id: int
    subject: str
    description: str
    priority: str
    tags: tuple[str, ...]
    created_at: datetime
    persona: str
    idempotency_key: str | None = None
    comments: tuple[CustomerComment, ...] = ()
    agent_actions: tuple[AgentAction, ...] = ()


@dataclass(frozen=True)
class CommentView:
    """One public comment as a requester sees it."""

    id: int
    body: str
    author_id: int
    at: datetime
    channel: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class TicketView:
    """A ticket at one instant: only what has happened by then."""

    ticket: SimTicket
    status: str
    updated_at: datetime
    comments: tuple[CommentView, ...]
    status_history: tuple[tuple[str, datetime], ...]


class DeskState:
    """Tickets in memory, mirrored to ``path`` (JSON) after every change when given."""

    def __init__(
        self, *, personas: Mapping[str, Persona], default_persona: str, path: Path | None = None
    ) -> None:
        if default_persona not in personas:
            raise InvalidConfiguration(
                f"unknown persona {default_persona!r}; choose one of {', '.join(personas)}"
            )
        self.personas = dict(personas)
        self.default_persona = default_persona
        self.path = path
        self._tickets: dict[int, SimTicket] = {}
        self._next_id = 1
        if path is not None and path.exists():
            self._load(path)

    # ---- reads

    def tickets(self) -> list[SimTicket]:
        return [self._tickets[key] for key in sorted(self._tickets)]

    def get(self, ticket_id: int) -> SimTicket | None:
        return self._tickets.get(ticket_id)

    def by_idempotency_key(self, key: str) -> SimTicket | None:
        return next((t for t in self._tickets.values() if t.idempotency_key == key), None)

    def view(self, ticket: SimTicket, now: datetime) -> TicketView:
        persona = self.personas[ticket.persona]
        comments: list[CommentView] = []
        history: list[tuple[str, datetime]] = [("new", ticket.created_at)]
        for scripted in play(persona, ticket.created_at, [c.at for c in ticket.comments]):
            if scripted.at > now:
                break
            step = scripted.step
            if step.body:
                bot = step.actor is Actor.BOT
                body = render(
                    step.body, persona=persona, ticket_id=ticket.id, subject=ticket.subject
                )
                comments.append(
                    CommentView(
                        id=ticket.id * _IDS_PER_TICKET + scripted.index + 1,
                        body=body,
                        author_id=BOT_ID if bot else AGENT_ID,
                        at=scripted.at,
                        channel="rule" if bot else "web",
                        headers=AUTO_REPLY_HEADERS if bot else {},
                    )
                )
            if step.status is not None and step.status != history[-1][0]:
                history.append((step.status, scripted.at))
        for comment in ticket.comments:
            if comment.at <= now:
                comments.append(
                    CommentView(comment.id, comment.body, REQUESTER_ID, comment.at, "api", {})
                )
        for action in ticket.agent_actions:
            if action.at > now:
                continue
            if action.body:
                comments.append(CommentView(action.id, action.body, AGENT_ID, action.at, "web", {}))
            if action.status is not None and action.status != history[-1][0]:
                history.append((action.status, action.at))
        history.sort(key=lambda change: change[1])
        comments.sort(key=lambda c: (c.at, c.id))
        updated = max([ticket.created_at, *(c.at for c in comments), *(at for _, at in history)])
        return TicketView(ticket, history[-1][0], updated, tuple(comments), tuple(history))

    # ---- writes

    def file(
        self,
        *,
        subject: str,
        description: str,
        priority: str,
        tags: tuple[str, ...],
        now: datetime,
        idempotency_key: str | None = None,
    ) -> tuple[SimTicket, bool]:
        """File a ticket; ``(ticket, False)`` when ``idempotency_key`` already filed one."""
        if idempotency_key is not None:
            existing = self.by_idempotency_key(idempotency_key)
            if existing is not None:
                return existing, False
        persona = self.default_persona
        for tag in tags:
            match = PERSONA_TAG.match(tag)
            if match:
                persona = match["name"]
        if persona not in self.personas:
            raise ValueError(
                f"unknown persona {persona!r}; choose one of {', '.join(self.personas)}"
            )
        ticket = SimTicket(
            id=self._next_id,
            subject=subject,
            description=description,
            priority=priority,
            tags=tags,
            created_at=now.replace(microsecond=0),
            persona=persona,
            idempotency_key=idempotency_key,
        )
        self._tickets[ticket.id] = ticket
        self._next_id += 1
        self._save()
        return ticket, True

    def add_comment(self, ticket_id: int, body: str, now: datetime) -> SimTicket:
        ticket = self._tickets[ticket_id]
        comment = CustomerComment(
            id=ticket.id * _IDS_PER_TICKET + _CUSTOMER_BASE + len(ticket.comments) + 1,
            body=body,
            at=now.replace(microsecond=0),
        )
        ticket = replace(ticket, comments=(*ticket.comments, comment))
        self._tickets[ticket_id] = ticket
        self._save()
        return ticket

    def agent_act(
        self, ticket_id: int, now: datetime, *, body: str = "", status: str | None = None
    ) -> SimTicket:
        """Record what a responder did as the agent; the desk shows it like the persona's."""
        ticket = self._tickets[ticket_id]
        action = AgentAction(
            id=ticket.id * _IDS_PER_TICKET + _AGENT_BASE + len(ticket.agent_actions) + 1,
            at=now.replace(microsecond=0),
            body=body,
            status=status,
        )
        ticket = replace(ticket, agent_actions=(*ticket.agent_actions, action))
        self._tickets[ticket_id] = ticket
        self._save()
        return ticket

    # ---- persistence

    def _save(self) -> None:
        if self.path is None:
            return
        document = {
            "version": STATE_VERSION,
            "next_id": self._next_id,
            "tickets": [_ticket_record(ticket) for ticket in self.tickets()],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        # Atomic on POSIX: a desk killed mid-write leaves the previous state, never half of one.
        os.replace(temporary, self.path)

    def _load(self, path: Path) -> None:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("version") != STATE_VERSION:
                raise ValueError(f"state version {document.get('version')!r}, expected 1")
            tickets = [_ticket_from_record(record) for record in document["tickets"]]
            next_id = int(document["next_id"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidConfiguration(f"{path}: not a simulated desk state file: {exc}") from exc
        unknown = sorted({t.persona for t in tickets} - set(self.personas))
        if unknown:
            raise InvalidConfiguration(f"{path}: tickets use unknown persona {unknown[0]!r}")
        self._tickets = {ticket.id: ticket for ticket in tickets}
        self._next_id = max([next_id, *(t.id + 1 for t in tickets)])


def _ticket_record(ticket: SimTicket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "description": ticket.description,
        "priority": ticket.priority,
        "tags": list(ticket.tags),
        "created_at": ticket.created_at.isoformat(),
        "persona": ticket.persona,
        "idempotency_key": ticket.idempotency_key,
        "comments": [{"id": c.id, "body": c.body, "at": c.at.isoformat()} for c in ticket.comments],
        "agent_actions": [
            {"id": a.id, "body": a.body, "status": a.status, "at": a.at.isoformat()}
            for a in ticket.agent_actions
        ],
    }


def _aware(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    require_aware(moment, "timestamp")
    return moment


def _ticket_from_record(record: Mapping[str, Any]) -> SimTicket:
    return SimTicket(
        id=int(record["id"]),
        subject=str(record["subject"]),
        description=str(record["description"]),
        priority=str(record["priority"]),
        tags=tuple(str(tag) for tag in record["tags"]),
        created_at=_aware(record["created_at"]),
        persona=str(record["persona"]),
        idempotency_key=record.get("idempotency_key"),
        comments=tuple(
            CustomerComment(int(c["id"]), str(c["body"]), _aware(c["at"]))
            for c in record["comments"]
        ),
        agent_actions=tuple(
            AgentAction(
                int(a["id"]),
                _aware(a["at"]),
                str(a.get("body") or ""),
                None if a.get("status") is None else str(a["status"]),
            )
            for a in record.get("agent_actions", ())
        ),
    )
