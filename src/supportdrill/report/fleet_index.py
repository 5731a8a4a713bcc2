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
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Literal

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
from ..store.model import TALLY_COUNTS
from .index import index_missing
from .vendor_scorecard import FleetScorecard, series_label

_SPREADS = ("acknowledgement", "first_human", "resolution", "time_to_correct")
_Scope = tuple[str, str, str | None, str | None]
"""figure, vendor, schedule (None: all of the vendor's), window (None: every window)."""


_COUNTED = ("simulated", *TALLY_COUNTS)
_PLACE = {name: place for place, name in enumerate(_COUNTED)}
_read_counts = attrgetter(*_COUNTED)


@dataclass(frozen=True)
class _Tally:
    """Counts added up over the totals rows of one group (or one hour of the week)."""

    vendor: str
    schedule: str | None
    sums: tuple[int, ...]
    """In the order of ``_COUNTED``."""

    def __getitem__(self, name: str) -> int:
        return self.sums[_PLACE[name]]

    def counts(self) -> GroupCounts:
        names = ("runs", "simulated", "met", "judged", "pending", "diagnosable", "correct")
        return GroupCounts(**{name: self[name] for name in (*names, "wrong_first")})

    def never(self, figure: str) -> int:
        """Runs the figure could have come in but did not (a time to a correct diagnosis
        only counts over the runs diagnosed correctly)."""
        within = self["correct"] if figure == "time_to_correct" else self["runs"]
        return within - self[figure]


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
                    ranks.want(scope, sev, None, tally[figure], SPREAD_FRACTIONS)
                if costed:
                    scope = ("outage", tally.vendor, tally.schedule, scope_window)
                    ranks.want(scope, sev, None, tally["outage"], (0.5,))
            for (_, hour), tally in hours.items():
                scope = ("first_human", tally.vendor, tally.schedule, None)
                ranks.want(scope, severity, hour, tally["first_human"], (0.5,))
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
        runs=sum(tally["runs"] for (_, _, window), tally in groups.items() if window == ALL),
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
        return spread_of(tally[figure], tally.never(figure), value_at)

    cost = None
    if revenue_per_minute is not None:
        outage_at = ranks.value_at(
            ("outage", tally.vendor, tally.schedule, scope_window), severity, None
        )
        cost = cost_from(
            outage_us=tally["outage_us"],
            # The scorecard's median outage is over minutes: each value divided before mixing.
            outage_minutes_p50=quantile_of(tally["outage"], 0.5, lambda rank: outage_at(rank) / 60),
            lower_bound_runs=tally["outage_open"],
            revenue=revenue_per_minute,
        )
    spreads = GroupSpreads(*(spread(figure) for figure in _SPREADS))
    return group_summary(label, severity, window, tally.counts(), spreads, cost=cost)


def _heat_cell(tally: _Tally | None, ranks: _Ranks, severity: str | None, hour: int) -> HeatCell:
    if tally is None:
        return HeatCell(runs=0, met=0, judged=0, first_human_p50_s=None)
    value_at = ranks.value_at(("first_human", tally.vendor, tally.schedule, None), severity, hour)
    return HeatCell(
        runs=tally["runs"],
        met=tally["met"],
        judged=tally["judged"],
        first_human_p50_s=quantile_of(tally["first_human"], 0.5, value_at),
    )


def _gather(
    tallies: Sequence[FigureTally], by_schedule: bool
) -> tuple[dict[tuple[str, str, Window | Literal["all"]], _Tally], dict[tuple[str, int], _Tally]]:
    """The totals added up per group (severity, row label, window; the "all" window first,
    then each window with runs, in the scorecard's order) and per label and hour of week."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    owners: dict[tuple[Any, ...], tuple[str, str | None]] = {}
    for row in tallies:
        schedule = row.schedule if by_schedule else None
        label = series_label(row.vendor, schedule)
        counts = _read_counts(row)
        for key in (
            (row.severity, label, ALL),
            (row.severity, label, Window(row.window)),
            (label, row.hour_of_week),
        ):
            found = sums.get(key)
            if found is None:
                sums[key] = list(counts)
                owners[key] = (row.vendor, schedule)
            else:
                for place, value in enumerate(counts):
                    found[place] += value
    order: dict[Window | Literal["all"], int] = {ALL: 0}
    order.update({window: place + 1 for place, window in enumerate(WINDOWS)})
    groups = sorted(
        (key for key in sums if len(key) == 3), key=lambda key: (key[0], key[1], order[key[2]])
    )
    by_group = {key: _Tally(*owners[key], tuple(sums[key])) for key in groups}
    by_hour = {key: _Tally(*owners[key], tuple(sums[key])) for key in sums if len(key) == 2}
    return by_group, by_hour
