"""How sure the vendor scorecard can be: confidence intervals for rates, and how many more
drills would tell two vendors apart.

* :func:`wilson_interval`: the Wilson score interval for k successes in n trials. Unlike the
  normal ("Wald") interval it stays inside 0..1 and is honest at the small n a drill programme
  has (10 drills, 9 met: 60 %–98 %, not 81 %–119 %). Wilson, *Probable inference, the law of
  succession, and statistical inference*, JASA 22 (1927); recommended for small n by Brown, Cai
  & DasGupta, *Interval Estimation for a Binomial Proportion*, Statistical Science 16 (2001).
* :func:`drills_needed`: the drills per vendor a two-sided two-proportion z-test needs to tell
  rates ``p1`` and ``p2`` apart at significance ``alpha`` with ``power`` (Fleiss, *Statistical
  Methods for Rates and Proportions*, the unpooled/pooled formula without continuity correction).
  The observed rates stand in for the true ones, so it is a planning figure, not a proof.

Pure: standard library only (``statistics.NormalDist`` for the normal quantiles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()


@dataclass(frozen=True)
class Proportion:
    """``successes`` of ``trials`` with its Wilson interval (None when there were no trials)."""

    successes: int
    trials: int
    rate: float | None
    low: float | None
    high: float | None
    confidence: float


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> Proportion:
    """The Wilson score interval of ``successes``/``trials`` at ``confidence``."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 ≤ successes ≤ trials, got {successes}/{trials}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    if trials == 0:
        return Proportion(0, 0, None, None, None, confidence)
    z = _NORMAL.inv_cdf(0.5 + confidence / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # Exact at the ends: 0 of n cannot have a low above 0, n of n a high below 1.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Proportion(successes, trials, p, low, high, confidence)


def drills_needed(p1: float, p2: float, *, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Drills per vendor for a two-sided test at ``alpha`` to detect ``p1`` ≠ ``p2`` with
    ``power``; None when the rates are equal (no number of drills tells them apart)."""
    for name, value in (("p1", p1), ("p2", p2)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must be within 0..1, got {value}")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must be within (0, 1)")
    if p1 == p2:
        return None
    z_alpha = _NORMAL.inv_cdf(1 - alpha / 2)
    z_power = _NORMAL.inv_cdf(power)
    mean = (p1 + p2) / 2
    pooled = math.sqrt(2 * mean * (1 - mean))
    unpooled = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    n = (z_alpha * pooled + z_power * unpooled) ** 2 / (p1 - p2) ** 2
    return max(1, math.ceil(n))


@dataclass(frozen=True)
class Separation:
    """Whether two vendors' compliance rates can be told apart yet, and if not, how many more
    drills it would take."""

    first: str
    second: str
    first_rate: Proportion
    second_rate: Proportion
    needed_per_vendor: int | None
    """Drills each vendor needs (None: the observed rates are equal, or one has no drills)."""
    more_first: int | None
    more_second: int | None
    """Drills still to run for each (0: enough already)."""
    apart: bool
    """The two Wilson intervals do not overlap: told apart already at this confidence."""


def separation(
    first: str,
    first_rate: Proportion,
    second: str,
    second_rate: Proportion,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Separation:
    """How far two vendors' compliance rates are from being told apart."""
    needed = more_first = more_second = None
    apart = False
    if first_rate.rate is not None and second_rate.rate is not None:
        needed = drills_needed(first_rate.rate, second_rate.rate, alpha=alpha, power=power)
        assert first_rate.low is not None and first_rate.high is not None  # rate is set
        assert second_rate.low is not None and second_rate.high is not None
        apart = first_rate.high < second_rate.low or second_rate.high < first_rate.low
    if needed is not None:
        more_first = max(0, needed - first_rate.trials)
        more_second = max(0, needed - second_rate.trials)
    return Separation(
        first, second, first_rate, second_rate, needed, more_first, more_second, apart
    )
