"""The words the desk boundary speaks, shared by the adapters, the runner, the store and measure/.

Plain frozen values, no I/O: a ticket as we file it (:class:`TicketDraft`) and as the desk knows it
(:class:`TicketRef`), what one look at it returns (:class:`DeskPoll` of :class:`DeskReply` and
:class:`DeskStatusChange`), what a desk lets us see (:class:`DeskCapabilities`) and the desk's own
SLA clocks (:class:`VendorClock`, read by a :class:`VendorClockReader`). They live here, outside
the adapter package, so that measure/ and store/ depend on the vocabulary and never on desks/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from .timeline import StatusCategory


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


@dataclass(frozen=True)
class VendorClock:
    """One of the desk's own SLA clocks, as the desk reports it."""

    metric: str
    """Ours: first_response, next_reply, periodic_update, resolution or other."""
    vendor_name: str
    """The desk's own name for it ("reply_time", "Time to first response", "fr_due_by")."""
    source: str
    """The endpoint it came from."""
    started_at: datetime | None = None
    breach_at: datetime | None = None
    completed_at: datetime | None = None
    goal_s: float | None = None
    elapsed_s: float | None = None
    breached: bool | None = None
    paused: bool | None = None
    business_hours: bool | None = None
    """True when the desk counts this clock in its business hours, None when it does not say."""


@runtime_checkable
class VendorClockReader(Protocol):
    """A desk adapter that can read the desk's own SLA clocks (Zendesk, JSM, Freshdesk agents)."""

    async def vendor_clocks(self, ref: TicketRef) -> tuple[VendorClock, ...]: ...
