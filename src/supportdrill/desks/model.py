"""What crosses the desk boundary: plain frozen values, no I/O (measure/ reads these too)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..timeline import StatusCategory


@dataclass(frozen=True)
class TicketDraft:
    """A ticket as we file it."""

    subject: str
    body: str
    severity: str
    """P0..P3; each adapter maps it to its own priority field."""
    tags: tuple[str, ...] = ()
    requester_email: str = ""


@dataclass(frozen=True)
class TicketRef:
    """A filed ticket, as the desk knows it."""

    desk: str
    ticket_id: str
    created_at: datetime
    """The desk's own creation time: T0."""
    url: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Adapter-specific handles (e.g. an email Message-ID, a JSM issue key)."""


class AuthorRole:
    """Who wrote a message, as far as the desk tells a requester."""

    AGENT = "agent"
    END_USER = "end_user"
    SYSTEM = "system"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeskReply:
    """A message on the ticket, with every signal the desk exposes for classifying it."""

    message_id: str
    created_at: datetime
    """The desk's timestamp (comment created_at, IMAP INTERNALDATE)."""
    body: str
    author_id: str = ""
    author_name: str = ""
    author_role: str = AuthorRole.UNKNOWN
    channel: str = ""
    """How it got there, when the desk says: web, email, api, rule, automation..."""
    public: bool = True
    from_us: bool = False
    """Our own message (the requester's): never a vendor reply."""
    automated_hint: bool | None = None
    """The desk says it was automated (True) or a person (False); None when it cannot tell."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Mail headers, for email desks (lower-case names)."""


@dataclass(frozen=True)
class DeskStatusChange:
    status: str
    category: StatusCategory
    at: datetime
    at_is_desk_time: bool = True
    """False when the desk does not timestamp changes and ``at`` is when we polled."""


DeskEvent = DeskReply | DeskStatusChange


@dataclass(frozen=True)
class DeskPoll:
    """One look at a ticket."""

    events: tuple[DeskEvent, ...]
    cursor: str | None
    """Pass back as ``since`` to get only newer events."""
    server_time: datetime | None = None
    """The desk's clock at the answer (HTTP Date header), for skew."""


@dataclass(frozen=True)
class DeskCapabilities:
    """What this desk lets a requester see. Reports say what a verdict could not use."""

    author_roles: bool = False
    channels: bool = False
    status_history: bool = False
    vendor_sla_clocks: bool = False
    webhooks: bool = False
    view: str = "requester"
    """Whose eyes we read the desk with: ``requester`` (the vendor's customer: public messages
    only), ``agent`` (the vendor's agent: internal notes, channels, SLA clocks) or ``owner``
    (our own desk or on-call, e.g. PagerDuty)."""
    notes: tuple[str, ...] = ()
    """Plain statements of what it cannot see, e.g. "requester view has no via.channel"."""
