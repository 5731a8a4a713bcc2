"""Figures across many runs, for the vendor scorecard: p50/p90/max and verdict counts per metric.

Percentiles use only runs where the metric ended (a pending figure is a lower bound, not a
value); runs where it never ended still count in ``breached``/``pending``, so a vendor that
never answers cannot look fast. ``next_reply_1``, ``next_reply_2``... are pooled as
``next_reply``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .evaluation import Evaluation
from .verdicts import Metric, Verdict

_NUMBERED = re.compile(r"_\d+$")


@dataclass(frozen=True)
class MetricSummary:
    """One metric over many runs."""

    name: str
    runs: int
    """Runs in which the metric started (e.g. a ticket was filed)."""
    ended: int
    """Of those, runs in which it also ended: the percentiles are over these."""
    p50_calendar_s: float | None
    p90_calendar_s: float | None
    max_calendar_s: float | None
    p50_business_s: float | None
    p90_business_s: float | None
    max_business_s: float | None
    met: int
    breached: int
    pending: int
    """Counts of the contractual (business-time) verdict."""


def pooled_name(name: str) -> str:
    """The name a metric is summarised under: ``next_reply_2`` → ``next_reply``."""
    return _NUMBERED.sub("", name)


@dataclass(frozen=True)
class Ranks:
    """Where the ``fraction`` quantile of ``count`` sorted values lies: between the values at
    ranks ``low`` and ``high`` (0-based), ``weight`` of the way from the first to the second."""

    low: int
    high: int
    weight: float

    def value(self, low_value: float, high_value: float) -> float:
        """The quantile, given the values at ``low`` and ``high``."""
        return low_value + (high_value - low_value) * self.weight


def quantile_ranks(count: int, fraction: float) -> Ranks:
    """The ranks :func:`percentile` reads, for ``count`` (at least one) values: an index that
    keeps values sorted answers a percentile by fetching just these two."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be within 0..1, got {fraction}")
    if count < 1:
        raise ValueError(f"a quantile needs at least one value, got {count}")
    position = fraction * (count - 1)
    low = math.floor(position)
    return Ranks(low=low, high=min(low + 1, count - 1), weight=position - low)


def quantile_of(count: int, fraction: float, value_at: Callable[[int], float]) -> float | None:
    """The ``fraction`` quantile of ``count`` sorted values, given the value at each rank (from
    a list, or from an index that keeps them sorted); None when there are none."""
    if count == 0:
        quantile_ranks(1, fraction)  # the fraction is still checked
        return None
    ranks = quantile_ranks(count, fraction)
    return ranks.value(value_at(ranks.low), value_at(ranks.high))


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile of ``values`` by linear interpolation; None when empty."""
    ordered = sorted(values)
    return quantile_of(len(ordered), fraction, ordered.__getitem__)


def _summary(name: str, metrics: list[Metric]) -> MetricSummary:
    done = [metric for metric in metrics if metric.end is not None]
    calendar = [metric.calendar_s for metric in done if metric.calendar_s is not None]
    business = [metric.business_s for metric in done if metric.business_s is not None]
    verdicts = [metric.verdict for metric in metrics]
    return MetricSummary(
        name=name,
        runs=len(metrics),
        ended=len(done),
        p50_calendar_s=percentile(calendar, 0.5),
        p90_calendar_s=percentile(calendar, 0.9),
        max_calendar_s=max(calendar, default=None),
        p50_business_s=percentile(business, 0.5),
        p90_business_s=percentile(business, 0.9),
        max_business_s=max(business, default=None),
        met=verdicts.count(Verdict.MET),
        breached=verdicts.count(Verdict.BREACHED),
        pending=verdicts.count(Verdict.PENDING),
    )


def aggregate(scorecards: Iterable[Evaluation]) -> tuple[MetricSummary, ...]:
    """A summary per metric name, in the order names first appear."""
    grouped: dict[str, list[Metric]] = {}
    for card in scorecards:
        for metric in card.metrics:
            if metric.start is not None:
                grouped.setdefault(pooled_name(metric.name), []).append(metric)
    return tuple(_summary(name, metrics) for name, metrics in grouped.items())
