"""Quantiles by linear interpolation between ranks, the one rule for every percentile the
harness shows: over a list in memory, or over an index that keeps values sorted and answers
the value at a rank (the store's scorecard index), with the same arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


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
