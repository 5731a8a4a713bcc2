"""Many runs, side by side: the figures of the vendor scorecard.

:func:`run_figures` condenses one run (its scorecard, its diagnosis, its timeline) into a
:class:`RunFigures` row; :func:`summarise_groups` turns rows into one :class:`GroupSummary`
per vendor, severity and time window (plus an "all" window), :func:`separations` says for each
pair of vendors how many more drills would tell their compliance apart, and :func:`heat_map`
lays the runs out by the local hour of the week they were filed in.

Honest by construction:

* percentiles are over runs in which the figure ended (a pending figure is a lower bound, not a
  value), and ``never`` counts those in which it did not, so a vendor that never answers cannot
  look fast;
* compliance counts only runs with a contractual verdict (met or breached): a run still pending,
  or without a target, is not a success;
* the business cost is the outage's minutes (fault injected → the vendor's first resolution, or
  to the run's end as a lower bound when it never came) times the revenue per minute the user
  entered; it is absent unless a figure was entered.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import TYPE_CHECKING, Literal

from ..definitions.model import Coverage
from ..timeline import FaultInjected, TicketFiled, Timeline
from .diagnosis import Diagnosis, Judgement
from .metrics import ACKNOWLEDGEMENT, FIRST_HUMAN_RESPONSE, FIRST_RESOLUTION
from .quantiles import percentile, quantile_of
from .stats import Proportion, Separation, separation, wilson_interval
from .verdicts import Verdict
from .windows import WINDOWS, Window, hour_of_week, window_of

if TYPE_CHECKING:  # the scorecard read from the index never evaluates a run
    from .evaluation import Evaluation

ALL: Literal["all"] = "all"
CORRECT = frozenset({Judgement.CORRECT, Judgement.CORRECT_AFTER_WRONG})


@dataclass(frozen=True)
class RunFigures:
    """One run as the scorecard counts it."""

    run_id: str
    vendor: str
    severity: str
    filed_at: datetime
    """T0, or the drill's start when no ticket was filed."""
    window: Window
    hour_of_week: int
    verdict: Verdict
    acknowledgement_s: float | None
    first_human_s: float | None
    resolution_s: float | None
    """Calendar seconds from T0; None when it never came in the run."""
    diagnosis: Judgement
    time_to_correct_s: float | None
    outage_s: float | None
    """Fault injected (or T0) → first resolution; to the run's end when never resolved."""
    outage_open: bool
    """The outage had not ended when the run did: ``outage_s`` is a lower bound."""
    simulated: bool = False


def _ended(card: Evaluation, name: str) -> float | None:
    metric = card.metric(name)
    if metric is None or metric.end is None:
        return None
    return metric.calendar_s


def run_figures(
    run_id: str,
    vendor: str,
    timeline: Timeline,
    card: Evaluation,
    diagnosis: Diagnosis,
    coverage: Coverage,
    *,
    simulated: bool = False,
) -> RunFigures | None:
    """The row for one run; None for a run with no events."""
    if not timeline.events:
        return None
    t0 = timeline.first(TicketFiled)
    filed_at = t0.at if t0 is not None else timeline.events[0].at
    fault = timeline.first(FaultInjected)
    outage_from = fault.at if fault is not None else (t0.at if t0 is not None else None)
    resolution = card.metric(FIRST_RESOLUTION)
    outage_s: float | None = None
    open_ = False
    if outage_from is not None and card.as_of is not None:
        ended = resolution.end if resolution is not None else None
        open_ = ended is None
        outage_s = max(0.0, ((ended or card.as_of) - outage_from).total_seconds())
    return RunFigures(
        run_id=run_id,
        vendor=vendor,
        severity=card.severity.value,
        filed_at=filed_at,
        window=window_of(coverage, filed_at),
        hour_of_week=hour_of_week(coverage.timezone, filed_at),
        verdict=card.verdict,
        acknowledgement_s=_ended(card, ACKNOWLEDGEMENT),
        first_human_s=_ended(card, FIRST_HUMAN_RESPONSE),
        resolution_s=_ended(card, FIRST_RESOLUTION),
        diagnosis=diagnosis.judgement,
        time_to_correct_s=diagnosis.time_to_correct_s,
        outage_s=outage_s,
        outage_open=open_,
        simulated=simulated,
    )


@dataclass(frozen=True)
class Spread:
    """p50 / p90 / max of a figure over the runs in which it ended; ``never``: it did not."""

    ended: int
    never: int
    p50_s: float | None
    p90_s: float | None
    max_s: float | None


SPREAD_FRACTIONS = (0.5, 0.9, 1.0)
"""p50, p90 and the maximum: the quantiles a :class:`Spread` shows."""


def spread_of(ended: int, never: int, value_at: Callable[[int], float]) -> Spread:
    """The spread of ``ended`` values, given the value at each rank (0 = the smallest) — from
    a sorted list, or from an index that keeps them sorted: one rule for both."""
    p50, p90, top = (quantile_of(ended, fraction, value_at) for fraction in SPREAD_FRACTIONS)
    return Spread(ended=ended, never=never, p50_s=p50, p90_s=p90, max_s=top)


def spread(values: Sequence[float | None]) -> Spread:
    done = sorted(value for value in values if value is not None)
    return spread_of(len(done), len(values) - len(done), done.__getitem__)


@dataclass(frozen=True)
class Cost:
    """What the outages cost at the user's revenue per minute."""

    revenue_per_minute: float
    outage_minutes_total: float
    outage_minutes_p50: float | None
    cost_total: float
    cost_p50: float | None
    lower_bound_runs: int
    """Runs whose outage had not ended: their minutes (and so the totals) are lower bounds."""


def microseconds(seconds: float) -> int:
    """A duration measured between two timestamps, as the whole microseconds it is: sums of
    these are exact, whichever order (or store) adds them."""
    return round(seconds * 1_000_000)


def cost_from(
    *, outage_us: int, outage_minutes_p50: float | None, lower_bound_runs: int, revenue: float
) -> Cost:
    """The cost, from the outages' exact total (microseconds) and their median in minutes."""
    total_minutes = outage_us / 60_000_000
    return Cost(
        revenue_per_minute=revenue,
        outage_minutes_total=total_minutes,
        outage_minutes_p50=outage_minutes_p50,
        cost_total=total_minutes * revenue,
        cost_p50=None if outage_minutes_p50 is None else outage_minutes_p50 * revenue,
        lower_bound_runs=lower_bound_runs,
    )


def cost_of(rows: Sequence[RunFigures], revenue_per_minute: float) -> Cost:
    outages = [row.outage_s for row in rows if row.outage_s is not None]
    return cost_from(
        outage_us=sum(microseconds(seconds) for seconds in outages),
        outage_minutes_p50=percentile([seconds / 60 for seconds in outages], 0.5),
        lower_bound_runs=sum(1 for row in rows if row.outage_s is not None and row.outage_open),
        revenue=revenue_per_minute,
    )


@dataclass(frozen=True)
class GroupSummary:
    vendor: str
    severity: str
    window: Window | Literal["all"]
    runs: int
    simulated: int
    compliance: Proportion
    """Runs met / runs judged (met or breached), with its Wilson interval."""
    pending: int
    acknowledgement: Spread
    first_human: Spread
    resolution: Spread
    diagnosed: Proportion
    """Runs with a correct diagnosis / runs where one applied (a fault and a ticket)."""
    wrong_first: int
    time_to_correct: Spread
    cost: Cost | None


@dataclass(frozen=True)
class GroupCounts:
    """What a group's summary counts, rather than ranks: the same whether counted from rows
    or read from an index's running totals."""

    runs: int
    simulated: int
    met: int
    judged: int
    """Runs with a contractual verdict: met or breached."""
    pending: int
    diagnosable: int
    correct: int
    wrong_first: int


def group_counts(rows: Sequence[RunFigures]) -> GroupCounts:
    diagnosable = [row for row in rows if row.diagnosis is not Judgement.NOT_APPLICABLE]
    return GroupCounts(
        runs=len(rows),
        simulated=sum(1 for row in rows if row.simulated),
        met=sum(1 for row in rows if row.verdict is Verdict.MET),
        judged=sum(1 for row in rows if row.verdict in (Verdict.MET, Verdict.BREACHED)),
        pending=sum(1 for row in rows if row.verdict is Verdict.PENDING),
        diagnosable=len(diagnosable),
        correct=sum(1 for row in diagnosable if row.diagnosis in CORRECT),
        wrong_first=sum(
            1
            for row in diagnosable
            if row.diagnosis in (Judgement.WRONG, Judgement.CORRECT_AFTER_WRONG)
        ),
    )


@dataclass(frozen=True)
class GroupSpreads:
    acknowledgement: Spread
    first_human: Spread
    resolution: Spread
    time_to_correct: Spread
    """Over the runs correctly diagnosed."""


def group_summary(
    vendor: str,
    severity: str,
    window: Window | Literal["all"],
    counts: GroupCounts,
    spreads: GroupSpreads,
    *,
    cost: Cost | None,
    confidence: float = 0.95,
) -> GroupSummary:
    return GroupSummary(
        vendor=vendor,
        severity=severity,
        window=window,
        runs=counts.runs,
        simulated=counts.simulated,
        compliance=wilson_interval(counts.met, counts.judged, confidence),
        pending=counts.pending,
        acknowledgement=spreads.acknowledgement,
        first_human=spreads.first_human,
        resolution=spreads.resolution,
        diagnosed=wilson_interval(counts.correct, counts.diagnosable, confidence),
        wrong_first=counts.wrong_first,
        time_to_correct=spreads.time_to_correct,
        cost=cost,
    )


def summarise(
    vendor: str,
    severity: str,
    window: Window | Literal["all"],
    rows: Sequence[RunFigures],
    *,
    confidence: float = 0.95,
    revenue_per_minute: float | None = None,
) -> GroupSummary:
    spreads = GroupSpreads(
        acknowledgement=spread([row.acknowledgement_s for row in rows]),
        first_human=spread([row.first_human_s for row in rows]),
        resolution=spread([row.resolution_s for row in rows]),
        time_to_correct=spread([row.time_to_correct_s for row in rows if row.diagnosis in CORRECT]),
    )
    return group_summary(
        vendor,
        severity,
        window,
        group_counts(rows),
        spreads,
        cost=None if revenue_per_minute is None else cost_of(rows, revenue_per_minute),
        confidence=confidence,
    )


def summarise_groups(
    rows: Iterable[RunFigures],
    *,
    confidence: float = 0.95,
    revenue_per_minute: float | None = None,
) -> tuple[GroupSummary, ...]:
    """Per severity, per vendor: the "all" window first, then each window that has runs."""
    grouped: dict[tuple[str, str], list[RunFigures]] = {}
    for row in rows:
        grouped.setdefault((row.severity, row.vendor), []).append(row)
    found: list[GroupSummary] = []
    for (severity, vendor), members in sorted(grouped.items()):
        windows: list[tuple[Window | Literal["all"], list[RunFigures]]] = [(ALL, members)]
        windows += [(w, [r for r in members if r.window is w]) for w in WINDOWS]
        found.extend(
            summarise(
                vendor,
                severity,
                window,
                chosen,
                confidence=confidence,
                revenue_per_minute=revenue_per_minute,
            )
            for window, chosen in windows
            if chosen
        )
    return tuple(found)


def separations(
    groups: Sequence[GroupSummary], *, alpha: float = 0.05, power: float = 0.8
) -> tuple[tuple[str, Separation], ...]:
    """For each severity, each pair of vendors' overall compliance: ``(severity, separation)``."""
    overall: dict[str, list[GroupSummary]] = {}
    for group in groups:
        if group.window == ALL:
            overall.setdefault(group.severity, []).append(group)
    return tuple(
        (
            severity,
            separation(a.vendor, a.compliance, b.vendor, b.compliance, alpha=alpha, power=power),
        )
        for severity, members in sorted(overall.items())
        for a, b in combinations(members, 2)
    )


@dataclass(frozen=True)
class HeatCell:
    runs: int
    met: int
    judged: int
    first_human_p50_s: float | None


def heat_map(rows: Iterable[RunFigures]) -> tuple[HeatCell, ...]:
    """168 cells, Monday 00:00 local first: runs filed in that hour, how many of the judged
    ones met the SLA, and their median first human response."""
    cells: list[list[RunFigures]] = [[] for _ in range(168)]
    for row in rows:
        cells[row.hour_of_week].append(row)
    return tuple(
        HeatCell(
            runs=len(members),
            met=sum(1 for row in members if row.verdict is Verdict.MET),
            judged=sum(1 for row in members if row.verdict in (Verdict.MET, Verdict.BREACHED)),
            first_human_p50_s=percentile(
                [r.first_human_s for r in members if r.first_human_s is not None], 0.5
            ),
        )
        for members in cells
    )
