"""The vendor scorecard read from the store's index, not by scoring every run again.

The store keeps, for every finished run, the row ``measure.fleet`` counts (see
:mod:`.index`): running totals give every count, and each percentile is the value at one or
two ranks, which the store reads with one short index walk each. This module decides which
ranks each figure needs (``measure.quantiles.quantile_ranks``), asks for them all at once, and
builds the same :class:`~.vendor_scorecard.FleetScorecard` that scoring every run would — the
tests hold the two equal, field for field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..measure.fleet import (
    ALL,
    SPREAD_FRACTIONS,
    GroupCounts,
    GroupSpreads,
    GroupSummary,
    HeatCell,
    Spread,
    cost_from,
    group_summary,
    separations,
    spread_of,
)
from ..measure.quantiles import quantile_of, quantile_ranks
from ..measure.windows import WINDOWS, Window
from ..store import FigureTally, RankQuery, RunStore, StoreTarget
from .index import index_missing
from .vendor_scorecard import FleetScorecard, series_label

_SPREADS = ("acknowledgement", "first_human", "resolution", "time_to_correct")
_Scope = tuple[str, str, str | None, str | None]
"""figure, vendor, schedule (None: all of the vendor's), window (None: every window)."""


@dataclass
class _Tally:
    """Counts added up over the totals rows of one group (or one hour of the week)."""

    vendor: str
    schedule: str | None
    runs: int = 0
    simulated: int = 0
    met: int = 0
    judged: int = 0
    pending: int = 0
    diagnosable: int = 0
    correct: int = 0
    wrong_first: int = 0
    outage_open: int = 0
    outage_us: int = 0
    ended: dict[str, int] = field(default_factory=dict)

    def add(self, row: FigureTally) -> None:
        for name in (
            "runs",
            "simulated",
            "met",
            "judged",
            "pending",
            "diagnosable",
            "correct",
            "wrong_first",
            "outage_open",
            "outage_us",
        ):
            setattr(self, name, getattr(self, name) + getattr(row, name))
        for name in (*_SPREADS, "outage"):
            self.ended[name] = self.ended.get(name, 0) + getattr(row, name)

    def counts(self) -> GroupCounts:
        return GroupCounts(
            runs=self.runs,
            simulated=self.simulated,
            met=self.met,
            judged=self.judged,
            pending=self.pending,
            diagnosable=self.diagnosable,
            correct=self.correct,
            wrong_first=self.wrong_first,
        )

    def never(self, figure: str) -> int:
        """Runs the figure could have come in but did not (a time to a correct diagnosis
        only counts over the runs diagnosed correctly)."""
        within = self.correct if figure == "time_to_correct" else self.runs
        return within - self.ended.get(figure, 0)


class _Ranks:
    """The ranks every figure needs, gathered, asked of the store in one go, then read."""

    def __init__(self, severity: str | None) -> None:
        self._severity = severity
        self._queries: list[RankQuery] = []
        self._values: dict[tuple[RankQuery, int], float] = {}

    def want(
        self,
        scope: _Scope,
        severity: str | None,
        hour: int | None,
        count: int,
        fractions: Iterable[float],
    ) -> None:
        figure, vendor, schedule, window = scope
        for fraction in fractions if count else ():
            ranks = quantile_ranks(count, fraction)
            self._queries.append(
                RankQuery(
                    figure,
                    vendor,
                    severity,
                    window,
                    schedule,
                    hour,
                    ranks.low,
                    ranks.high - ranks.low + 1,
                )
            )

    def fetch(self, store: RunStore, include_simulated: bool) -> None:
        queries = list(dict.fromkeys(self._queries))  # p90 and max can share a rank
        answers = store.figure_values(queries, include_simulated=include_simulated)
        for query, values in zip(queries, answers, strict=True):
            for offset, value in enumerate(values):
                self._values[(_key(query), query.rank + offset)] = value

    def value_at(
        self, scope: _Scope, severity: str | None, hour: int | None
    ) -> Callable[[int], float]:
        figure, vendor, schedule, window = scope
        probe = RankQuery(figure, vendor, severity, window, schedule, hour, 0, 0)
        return lambda rank: self._values[(_key(probe), rank)]


def _key(query: RankQuery) -> RankQuery:
    return RankQuery(
        query.figure,
        query.vendor,
        query.severity,
        query.window,
        query.schedule,
        query.hour_of_week,
        0,
        0,
    )


def read_scorecard(
    store_path: StoreTarget,
    *,
    vendors: Sequence[str] = (),
    severity: str | None = None,
    include_simulated: bool = False,
    revenue_per_minute: float | None = None,
    currency: str = "",
    by_schedule: bool = False,
) -> FleetScorecard:
    """The vendor scorecard of the store at ``store_path`` (see the module's docstring)."""
    with RunStore(store_path) as store:
        index_missing(store)
        with store.backend.snapshot():  # totals and walks: one state of the store
            tallies = store.figure_tallies(
                vendors=vendors, severity=severity, include_simulated=include_simulated
            )
            groups, hours = _gather(tallies, by_schedule)
            ranks = _Ranks(severity)
            costed = revenue_per_minute is not None
            for (sev, _, window), tally in groups.items():
                scope_window = None if window == ALL else window.value
                for figure in _SPREADS:
                    scope = (figure, tally.vendor, tally.schedule, scope_window)
                    ranks.want(scope, sev, None, tally.ended.get(figure, 0), SPREAD_FRACTIONS)
                if costed:
                    scope = ("outage", tally.vendor, tally.schedule, scope_window)
                    ranks.want(scope, sev, None, tally.ended.get("outage", 0), (0.5,))
            for (_, hour), tally in hours.items():
                scope = ("first_human", tally.vendor, tally.schedule, None)
                ranks.want(scope, severity, hour, tally.ended.get("first_human", 0), (0.5,))
            ranks.fetch(store, include_simulated)
    summaries = [
        _summary(label, sev, window, tally, ranks, revenue_per_minute)
        for (sev, label, window), tally in groups.items()
    ]
    heat_maps = [
        (
            label,
            tuple(
                _heat_cell(hours.get((label, hour)), ranks, severity, hour) for hour in range(168)
            ),
        )
        for label in sorted({label for _, label, _ in groups})
    ]
    found = tuple(summaries)
    return FleetScorecard(
        runs=sum(tally.runs for (_, _, window), tally in groups.items() if window == ALL),
        groups=found,
        separations=separations(found),
        heat_maps=tuple(heat_maps),
        revenue_per_minute=revenue_per_minute,
        currency=currency,
        simulated_included=include_simulated,
    )


def _summary(
    label: str,
    severity: str,
    window: Window | Literal["all"],
    tally: _Tally,
    ranks: _Ranks,
    revenue_per_minute: float | None,
) -> GroupSummary:
    scope_window = None if window == ALL else window.value

    def spread(figure: str) -> Spread:
        value_at = ranks.value_at(
            (figure, tally.vendor, tally.schedule, scope_window), severity, None
        )
        return spread_of(tally.ended.get(figure, 0), tally.never(figure), value_at)

    cost = None
    if revenue_per_minute is not None:
        outage_at = ranks.value_at(
            ("outage", tally.vendor, tally.schedule, scope_window), severity, None
        )
        cost = cost_from(
            outage_us=tally.outage_us,
            # The scorecard's median outage is over minutes: each value divided before mixing.
            outage_minutes_p50=quantile_of(
                tally.ended.get("outage", 0), 0.5, lambda rank: outage_at(rank) / 60
            ),
            lower_bound_runs=tally.outage_open,
            revenue=revenue_per_minute,
        )
    spreads = GroupSpreads(*(spread(figure) for figure in _SPREADS))
    return group_summary(label, severity, window, tally.counts(), spreads, cost=cost)


def _heat_cell(tally: _Tally | None, ranks: _Ranks, severity: str | None, hour: int) -> HeatCell:
    if tally is None:
        return HeatCell(runs=0, met=0, judged=0, first_human_p50_s=None)
    value_at = ranks.value_at(("first_human", tally.vendor, tally.schedule, None), severity, hour)
    return HeatCell(
        runs=tally.runs,
        met=tally.met,
        judged=tally.judged,
        first_human_p50_s=quantile_of(tally.ended.get("first_human", 0), 0.5, value_at),
    )


def _gather(
    tallies: Sequence[FigureTally], by_schedule: bool
) -> tuple[dict[tuple[str, str, Window | Literal["all"]], _Tally], dict[tuple[str, int], _Tally]]:
    """The totals added up per group (severity, row label, window; the "all" window first,
    then each window with runs, in the scorecard's order) and per label and hour of week."""
    by_group: dict[tuple[str, str, Window | Literal["all"]], _Tally] = {}
    by_hour: dict[tuple[str, int], _Tally] = {}
    for row in tallies:
        schedule = row.schedule if by_schedule else None
        label = series_label(row.vendor, schedule)
        for window in (ALL, Window(row.window)):
            key = (row.severity, label, window)
            by_group.setdefault(key, _Tally(row.vendor, schedule)).add(row)
        by_hour.setdefault((label, row.hour_of_week), _Tally(row.vendor, schedule)).add(row)
    order: dict[Window | Literal["all"], int] = {
        ALL: 0,
        **{w: i + 1 for i, w in enumerate(WINDOWS)},
    }
    ordered = sorted(by_group.items(), key=lambda item: (item[0][0], item[0][1], order[item[0][2]]))
    return dict(ordered), by_hour
