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


@dataclass(frozen=True, kw_only=True, slots=True)
class RunFigureRow:
    """One run as the vendor scorecard counts it, as the index keeps it. The flags are the
    scorer's reading of the verdict and diagnosis, so the store counts without knowing what
    they mean."""

    severity: str
    filed_at: datetime
    window: str
    hour_of_week: int
    verdict: str
    diagnosis: str
    met: bool
    judged: bool
    """Met or breached: a contractual verdict."""
    pending: bool
    diagnosable: bool
    correct: bool
    wrong_first: bool
    acknowledgement_s: float | None
    first_human_s: float | None
    resolution_s: float | None
    time_to_correct_s: float | None
    """Only for a run correctly diagnosed."""
    outage_s: float | None
    outage_open: bool


@dataclass(frozen=True, kw_only=True)
class IndexedRun:
    """What a finished run adds to the scorecard index: written when the run ends."""

    run_id: str
    schedule: str
    """Its ``schedule`` label; empty when it was not a scheduled run."""
    simulated: bool
    figures: RunFigureRow | None
    """None for a run with no events: indexed (so not scored again), never counted."""


FIGURES = ("acknowledgement", "first_human", "resolution", "time_to_correct", "outage")
"""The figures the index ranks, each the ``…_s`` field of :class:`RunFigureRow`."""


TALLY_COUNTS = (
    "runs",
    "met",
    "judged",
    "pending",
    "diagnosable",
    "correct",
    "wrong_first",
    *FIGURES,
    "outage_open",
    "outage_us",
)
"""The counts a :class:`FigureTally` carries after ``simulated``, in its fields' order."""


@dataclass(frozen=True, slots=True)
class FigureTally:
    """Running totals for one vendor, schedule, severity, window and hour of the week."""

    vendor: str
    schedule: str
    severity: str
    window: str
    hour_of_week: int
    simulated: int
    runs: int
    met: int
    judged: int
    pending: int
    diagnosable: int
    correct: int
    wrong_first: int
    acknowledgement: int
    first_human: int
    resolution: int
    time_to_correct: int
    outage: int
    """Runs with each figure (the ranks a percentile walks run 0 … count − 1)."""
    outage_open: int
    outage_us: int


@dataclass(frozen=True, slots=True)
class RankQuery:
    """The values at ranks ``rank`` … ``rank + count − 1`` (0 = the smallest) of one figure
    over one group of runs; None in a field means every value of it."""

    figure: str
    vendor: str
    severity: str | None
    window: str | None
    schedule: str | None
    hour_of_week: int | None
    rank: int
    count: int
