"""What the run store hands back: plain frozen values, no I/O."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..timeline import Outcome
from ..vocabulary import TicketRef


class RunStatus(enum.StrEnum):
    """Whether a run has ended. ``running`` after a crash means "resume me"."""

    RUNNING = "running"
    FINISHED = "finished"


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """One line of ``supportdrill runs``."""

    run_id: str
    drill: str
    vendor: str
    desk: str
    severity: str
    started_at: datetime
    ended_at: datetime | None
    outcome: Outcome | None
    status: RunStatus


@dataclass(frozen=True, kw_only=True)
class TicketRecord:
    """A ticket a run files: the idempotency key first, the desk's reference once it answers."""

    run_id: str
    idempotency_key: str
    desk: str
    recorded_at: datetime
    ref: TicketRef | None = None
    """None while the key is written but the desk has not (yet) confirmed a ticket."""


@dataclass(frozen=True, kw_only=True)
class RunRecord(RunSummary):
    """Everything the store knows about a run except its events (see ``RunStore.events``)."""

    drill_path: str = ""
    drill_digest: str = ""
    drill_text: str = ""
    """The drill file as it was when the run started (environment variable *names* only)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    tickets: tuple[TicketRecord, ...] = ()
    event_count: int = 0


@dataclass(frozen=True, slots=True)
class StoredMetric:
    """One metric of a scored run, as the scorecard index keeps it (only metrics that started)."""

    position: int
    """Its place in the run's scorecard, so figures keep the scorecard's order."""
    name: str
    """Pooled: ``next_reply_2`` is stored as ``next_reply``."""
    ended: bool
    calendar_s: float | None
    business_s: float | None
    verdict: str
    """The contractual (business-time) verdict."""


@dataclass(frozen=True, kw_only=True)
class RunScore:
    """What a finished run's scorecard adds to the index: written when the run ends."""

    run_id: str
    simulated: bool
    sla_met: bool
    metrics: tuple[StoredMetric, ...]


@dataclass(frozen=True, slots=True)
class MetricFigures:
    """One metric over many runs, aggregated in SQL (the fields of ``measure``'s summary)."""

    name: str
    runs: int
    ended: int
    p50_calendar_s: float | None
    p90_calendar_s: float | None
    max_calendar_s: float | None
    p50_business_s: float | None
    p90_business_s: float | None
    max_business_s: float | None
    met: int
    breached: int
    pending: int


@dataclass(frozen=True, kw_only=True)
class GroupFigures:
    """One vendor and severity over its scored runs."""

    vendor: str
    severity: str
    runs: int
    sla_met: int
    simulated: int
    metrics: tuple[MetricFigures, ...]
