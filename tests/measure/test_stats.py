"""Wilson intervals, drills needed to tell two vendors apart, and their separation."""

from __future__ import annotations

import math

import pytest

from supportdrill.measure.stats import (
    drills_needed,
    separation,
    wilson_interval,
)


def test_wilson_matches_the_textbook_figures() -> None:
    # 9 of 10 at 95 %: 0.596 .. 0.982 (Brown, Cai & DasGupta's Wilson interval).
    result = wilson_interval(9, 10)
    assert result.rate == 0.9
    assert result.low == pytest.approx(0.5958, abs=1e-4)
    assert result.high == pytest.approx(0.9821, abs=1e-4)
    half = wilson_interval(50, 100)
    assert half.low == pytest.approx(0.4038, abs=1e-4)
    assert half.high == pytest.approx(0.5962, abs=1e-4)


def test_wilson_at_the_ends_and_with_no_trials() -> None:
    none = wilson_interval(0, 10)
    assert none.low == 0.0 and none.high == pytest.approx(0.2775, abs=1e-4)
    every = wilson_interval(10, 10)
    assert every.high == 1.0 and every.low == pytest.approx(0.7225, abs=1e-4)
    empty = wilson_interval(0, 0)
    assert empty.rate is None and empty.low is None and empty.high is None


def test_wilson_narrows_with_confidence() -> None:
    wide, narrow = wilson_interval(7, 10, 0.99), wilson_interval(7, 10, 0.8)
    assert wide.low is not None and narrow.low is not None and wide.low < narrow.low


@pytest.mark.parametrize(
    ("successes", "trials", "confidence"),
    [(-1, 3, 0.95), (4, 3, 0.95), (1, -1, 0.95), (1, 3, 1.0), (1, 3, 0.0)],
)
def test_wilson_rejects_nonsense(successes: int, trials: int, confidence: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes, trials, confidence)


def test_drills_needed_matches_the_two_proportion_formula() -> None:
    # 0.9 vs 0.7 at alpha 0.05, power 0.8: 62 per group (Fleiss, without continuity correction).
    assert drills_needed(0.9, 0.7) == 62
    assert drills_needed(0.7, 0.9) == 62
    assert drills_needed(0.5, 0.5) is None
    assert drills_needed(0.0, 1.0) == 2
    closer = drills_needed(0.9, 0.85)
    assert closer is not None and closer > 500
    assert drills_needed(0.9, 0.7, power=0.9) > 62  # type: ignore[operator]


@pytest.mark.parametrize(
    ("p1", "p2", "alpha", "power"),
    [(-0.1, 0.5, 0.05, 0.8), (0.5, 1.1, 0.05, 0.8), (0.5, 0.6, 0.0, 0.8), (0.5, 0.6, 0.05, 1.0)],
)
def test_drills_needed_rejects_nonsense(p1: float, p2: float, alpha: float, power: float) -> None:
    with pytest.raises(ValueError):
        drills_needed(p1, p2, alpha=alpha, power=power)


def test_separation_counts_the_drills_still_to_run() -> None:
    result = separation("a", wilson_interval(9, 10), "b", wilson_interval(7, 10))
    assert result.needed_per_vendor == 62
    assert (result.more_first, result.more_second) == (52, 52)
    assert not result.apart


def test_separation_already_apart() -> None:
    result = separation("a", wilson_interval(98, 100), "b", wilson_interval(40, 100))
    assert result.apart and result.more_first == 0 and result.more_second == 0
    flipped = separation("b", wilson_interval(40, 100), "a", wilson_interval(98, 100))
    assert flipped.apart


def test_separation_without_figures_or_with_equal_rates() -> None:
    none = separation("a", wilson_interval(0, 0), "b", wilson_interval(3, 4))
    assert none.needed_per_vendor is None and none.more_first is None and not none.apart
    equal = separation("a", wilson_interval(3, 4), "b", wilson_interval(6, 8))
    assert equal.needed_per_vendor is None and equal.more_second is None
    assert not math.isnan(equal.first_rate.rate or 0.0)
