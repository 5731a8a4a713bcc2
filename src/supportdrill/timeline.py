"""The one-clock timeline: typed, timestamped drill events (the clocks that stamp them are in
:mod:`supportdrill.clock`).

Every figure in every report is a pure function of a :class:`Timeline`. Each event carries two
times: ``at``, the authoritative time of the thing itself (for vendor-side events the desk's own
timestamp), and ``observed_at``, when the harness saw it. ``precision_s`` bounds how wrong ``at``
may be (the poll interval for things the desk does not timestamp, the measured clock skew for
things it does).

Events serialise to plain records (``kind`` + JSON-able fields) for the store and the journal, and
back, through :func:`event_to_record` and :func:`event_from_record`.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from .clock import require_aware

# --------------------------------------------------------------------------------------------
# Event vocabulary


class Outcome(enum.StrEnum):
    """How a drill ended."""

    COMPLETED = "completed"
    ABORTED = "aborted"
    TIMED_OUT = "timed_out"
    HALTED = "halted"


class ReplyClass(enum.StrEnum):
    """What a vendor message was, as far as we can tell. Unclassified is never counted as human."""

    AUTO = "auto"
    HUMAN = "human"
    UNCLASSIFIED = "unclassified"


class StatusCategory(enum.StrEnum):
    """The desk-independent category of a ticket status (Zendesk's categories, mapped per desk)."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


class ResolutionKind(enum.StrEnum):
    """What counted as resolution for this drill."""

    TICKET_SOLVED = "ticket_solved"
    STREAM_RECOVERED = "stream_recovered"
    REPLY_MATCHED = "reply_matched"


class Phase(enum.StrEnum):
    """The runner's phases, in order."""

    PREFLIGHT = "preflight"
    BASELINE = "baseline"
    FAULT = "fault"
    DEGRADED = "degraded"
    GRACE = "grace"
    FILE = "file"
    WATCH = "watch"
    TEARDOWN = "teardown"


E = TypeVar("E", bound="Event")
_EVENT_TYPES: dict[str, type[Event]] = {}


def _register(cls: type[E]) -> type[E]:
    _EVENT_TYPES[cls.kind] = cls
    return cls


@dataclass(frozen=True, kw_only=True)
class Event:
    """One thing that happened during a drill."""

    kind: ClassVar[str] = "event"
    at: datetime
    """When it happened: the desk's own timestamp for vendor-side events."""
    observed_at: datetime
    """When the harness saw it."""
    precision_s: float = 0.0
    """How far ``at`` may be from the truth, in seconds."""

    def __post_init__(self) -> None:
        require_aware(self.at, f"{self.kind}.at")
        require_aware(self.observed_at, f"{self.kind}.observed_at")
        if self.precision_s < 0:
            raise ValueError(f"{self.kind}.precision_s must not be negative")

    def identity(self) -> str | None:
        """What makes this event the same as one already on the timeline, if anything.

        Vendor-side events are read again after a restart (the desk lists its history from the
        start); their identity lets the runner record each once. ``None``: every one counts.
        """
        return None


@_register
@dataclass(frozen=True, kw_only=True)
class DrillStarted(Event):
    kind: ClassVar[str] = "drill.started"
    drill: str
    vendor: str
    desk: str
    severity: str
    drill_digest: str = ""
    timezone: str = "UTC"
    simulated_clock: str = ""
    """Set when the run used simulated time (a virtual or accelerated clock): its description."""

    def identity(self) -> str | None:
        return "drill.started"


@_register
@dataclass(frozen=True, kw_only=True)
class PhaseChanged(Event):
    kind: ClassVar[str] = "phase.changed"
    phase: Phase


@_register
@dataclass(frozen=True, kw_only=True)
class BaselineHealthy(Event):
    kind: ClassVar[str] = "baseline.healthy"
    evidence: Mapping[str, float] = field(default_factory=dict)


@_register
@dataclass(frozen=True, kw_only=True)
class FaultInjected(Event):
    kind: ClassVar[str] = "fault.injected"
    profile: str
    region: str = ""
    symptom: str = ""
    toxics: tuple[str, ...] = ()


@_register
@dataclass(frozen=True, kw_only=True)
class StreamDegraded(Event):
    kind: ClassVar[str] = "stream.degraded"
    reasons: tuple[str, ...] = ()
    evidence: Mapping[str, float] = field(default_factory=dict)


@_register
@dataclass(frozen=True, kw_only=True)
class StreamHealth(Event):
    """One health sample of the test stream (kept so reports can plot health over time)."""

    kind: ClassVar[str] = "stream.health"
    metrics: Mapping[str, float] = field(default_factory=dict)
    healthy: bool = True


@_register
@dataclass(frozen=True, kw_only=True)
class LoadSample(Event):
    """One window of a viewer surge (``at`` is the window's end): the joins it saw and how
    many viewers Locust had running and watching."""

    kind: ClassVar[str] = "load.sample"
    window_s: float
    users: int = 0
    """Viewers Locust had started at the window's end."""
    watching: int = 0
    """Viewers joined and still watching at the window's end."""
    joins: int = 0
    """Join attempts that finished in the window."""
    joined: int = 0
    first_p50_ms: float | None = None
    """Time to first frame (WHEP) or first byte (HTTP modes) of the window's joins, median."""
    first_p95_ms: float | None = None
    failures: Mapping[str, int] = field(default_factory=dict)
    """Failed joins and playback errors by kind (``http_503``, ``timeout``, ``ice_failed``...)."""
    healthy: bool = True
    reasons: tuple[str, ...] = ()
    total_joins: int = 0
    """The surge so far (so a ticket filed mid-surge quotes exact percentiles)."""
    total_joined: int = 0
    total_first_p50_ms: float | None = None
    total_first_p95_ms: float | None = None
    total_failures: Mapping[str, int] = field(default_factory=dict)


@_register
@dataclass(frozen=True, kw_only=True)
class LoadSummary(Event):
    """The whole surge, once it has ended: what the report and the ticket quote."""

    kind: ClassVar[str] = "load.summary"
    mode: str
    planned_viewers: int
    workers: int = 0
    joins: int = 0
    joined: int = 0
    first_p50_ms: float | None = None
    first_p95_ms: float | None = None
    failures: Mapping[str, int] = field(default_factory=dict)
    viewers_reached: int = 0
    """The most viewers joined and watching at once."""
    users_reached: int = 0
    """The most viewers Locust had started at once."""


@_register
@dataclass(frozen=True, kw_only=True)
class VendorProactiveContact(Event):
    """The vendor told us first (e.g. a status-page incident); ``at`` is its own created_at."""

    kind: ClassVar[str] = "vendor.proactive_contact"
    source: str
    reference: str = ""
    title: str = ""

    def identity(self) -> str | None:
        return f"{self.kind}:{self.source}:{self.reference}" if self.reference else None


@_register
@dataclass(frozen=True, kw_only=True)
class TicketFiling(Event):
    """Written before the desk is called: the idempotency key that makes filing exactly-once."""

    kind: ClassVar[str] = "ticket.filing"
    idempotency_key: str
    subject: str = ""
    body: str = ""
    """The ticket's body as sent: the evidence the vendor was given (reports show it)."""


@_register
@dataclass(frozen=True, kw_only=True)
class TicketFiled(Event):
    """T0. ``at`` is the desk's created_at; ``submitted_at`` our local time of the request."""

    kind: ClassVar[str] = "ticket.filed"
    ticket_id: str
    url: str = ""
    submitted_at: datetime | None = None
    clock_skew_s: float = 0.0
    """Desk clock minus ours, from its Date header or timestamps (positive: desk is ahead)."""
    recovered: bool = False
    """True when found on the desk by its idempotency tag after a crash, not filed now."""

    def identity(self) -> str | None:
        return "ticket.filed"


@_register
@dataclass(frozen=True, kw_only=True)
class CustomerMessage(Event):
    """A public message we (the customer) posted on the ticket after filing it."""

    kind: ClassVar[str] = "customer.message"
    message_id: str
    excerpt: str = ""

    def identity(self) -> str | None:
        return f"{self.kind}:{self.message_id}"


@_register
@dataclass(frozen=True, kw_only=True)
class VendorReply(Event):
    kind: ClassVar[str] = "vendor.reply"
    message_id: str
    classification: ReplyClass
    author: str = ""
    author_role: str = ""
    channel: str = ""
    excerpt: str = ""
    reasons: tuple[str, ...] = ()
    """Why it was classified as it was: every signal that decided it."""

    def identity(self) -> str | None:
        return f"{self.kind}:{self.message_id}"


@_register
@dataclass(frozen=True, kw_only=True)
class TicketStatus(Event):
    kind: ClassVar[str] = "ticket.status"
    status: str
    category: StatusCategory

    def identity(self) -> str | None:
        return f"{self.kind}:{self.status}:{self.at.isoformat()}"


@_register
@dataclass(frozen=True, kw_only=True)
class TicketResolved(Event):
    kind: ClassVar[str] = "ticket.resolved"
    how: ResolutionKind
    detail: str = ""

    def identity(self) -> str | None:
        return "ticket.resolved"


@_register
@dataclass(frozen=True, kw_only=True)
class FaultLifted(Event):
    kind: ClassVar[str] = "fault.lifted"
    reason: str = ""


@_register
@dataclass(frozen=True, kw_only=True)
class StreamRecovered(Event):
    kind: ClassVar[str] = "stream.recovered"
    evidence: Mapping[str, float] = field(default_factory=dict)


@_register
@dataclass(frozen=True, kw_only=True)
class DeskGap(Event):
    """We could not see the desk from ``at`` to ``until`` (errors, 429s, timeouts)."""

    kind: ClassVar[str] = "desk.gap"
    until: datetime
    error: str
    attempts: int = 1


@_register
@dataclass(frozen=True, kw_only=True)
class DeskSlaClock(Event):
    """One of the desk's own SLA clocks as the desk reported it at ``at`` (agent access only):
    a cross-check of our figures, never their source."""

    kind: ClassVar[str] = "desk.sla_clock"
    metric: str
    """Ours: first_response, next_reply, periodic_update, resolution or other."""
    vendor_name: str
    source: str = ""
    started_at: datetime | None = None
    breach_at: datetime | None = None
    completed_at: datetime | None = None
    goal_s: float | None = None
    elapsed_s: float | None = None
    breached: bool | None = None
    paused: bool | None = None
    business_hours: bool | None = None


@_register
@dataclass(frozen=True, kw_only=True)
class Note(Event):
    """Something worth showing in the timeline that is not a measurement."""

    kind: ClassVar[str] = "note"
    text: str
    level: str = "info"


@_register
@dataclass(frozen=True, kw_only=True)
class AlertDelivery(Event):
    """One attempt-series to deliver an alert about this run (a scheduled drill's breach, abort
    or failure to start): where to (secrets redacted), how many attempts, and whether it got
    through."""

    kind: ClassVar[str] = "alert.delivery"
    alert: str
    """breach, abort or cannot_start."""
    channel: str
    """webhook or email."""
    target: str
    """The receiver, redacted: a URL without its query, or the variable that holds it."""
    delivered: bool
    attempts: int = 1
    status: str = ""
    """The receiver's last answer (an HTTP status, an SMTP reply)."""
    error: str = ""


@_register
@dataclass(frozen=True, kw_only=True)
class DrillEnded(Event):
    kind: ClassVar[str] = "drill.ended"
    outcome: Outcome
    reason: str = ""

    def identity(self) -> str | None:
        return "drill.ended"


EVENT_KINDS: tuple[str, ...] = tuple(sorted(_EVENT_TYPES))


# --------------------------------------------------------------------------------------------
# Records


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _encode(item) for key, item in value.items()}
    return value


def event_to_record(event: Event) -> dict[str, Any]:
    """A JSON-able record of ``event``: ``{"kind": ..., field: value, ...}``."""
    record: dict[str, Any] = {"kind": event.kind}
    for item in dataclasses.fields(event):
        record[item.name] = _encode(getattr(event, item.name))
    return record


def _decoder(annotation: str) -> Callable[[Any], Any] | None:
    """What turns a stored value back into a field of this annotation; None: use it as stored."""
    if "datetime" in annotation:
        return datetime.fromisoformat
    if annotation.startswith("tuple"):
        return tuple
    for enum_type in (Phase, ReplyClass, StatusCategory, ResolutionKind, Outcome):
        if annotation == enum_type.__name__:
            return enum_type
    if annotation.startswith("Mapping"):
        return dict
    return None


@functools.cache
def _field_plan(kind: str) -> Mapping[str, Callable[[Any], Any] | None]:
    # Loading a store decodes every event of every run; working out each kind's decoders once,
    # not once per event, takes about 40 % off event_from_record (benchmarks/bench_measure.py).
    return MappingProxyType(
        {item.name: _decoder(str(item.type)) for item in dataclasses.fields(_EVENT_TYPES[kind])}
    )


def event_from_record(record: Mapping[str, Any]) -> Event:
    """The event a record stands for. Unknown kinds and fields raise ``ValueError``."""
    kind = record.get("kind")
    cls = _EVENT_TYPES.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown event kind {kind!r}")
    plan = _field_plan(cls.kind)
    values: dict[str, Any] = {}
    for name, value in record.items():
        if name == "kind":
            continue
        if name not in plan:
            unknown = set(record) - set(plan) - {"kind"}
            raise ValueError(f"{kind}: unknown fields {sorted(unknown)}")
        decode = plan[name]
        values[name] = value if value is None or decode is None else decode(value)
    return cls(**values)


# --------------------------------------------------------------------------------------------
# Timeline


@dataclass(frozen=True)
class Timeline:
    """The events of one run, in the order they were appended."""

    events: tuple[Event, ...] = ()

    @classmethod
    def of(cls, events: Iterable[Event]) -> Timeline:
        return cls(tuple(events))

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def appended(self, event: Event) -> Timeline:
        return Timeline((*self.events, event))

    def holds(self, event: Event) -> bool:
        """True when an event with ``event``'s identity is already here (see
        :meth:`Event.identity`); an event without identity is never held."""
        identity = event.identity()
        return identity is not None and any(
            known.identity() == identity for known in self.events if known.kind == event.kind
        )

    def all(self, kind: type[E]) -> tuple[E, ...]:
        """Every event of ``kind``, in appended order."""
        return tuple(event for event in self.events if isinstance(event, kind))

    def first(self, kind: type[E]) -> E | None:
        for event in self.events:
            if isinstance(event, kind):
                return event
        return None

    def last(self, kind: type[E]) -> E | None:
        found: E | None = None
        for event in self.events:
            if isinstance(event, kind):
                found = event
        return found
