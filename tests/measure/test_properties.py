"""Properties of evaluate() over generated timelines, and the quantile rule."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportdrill.definitions.model import Coverage, Severity
from supportdrill.measure import Evaluation, Verdict, evaluate
from supportdrill.measure.quantiles import Ranks, percentile, quantile_of, quantile_ranks
from supportdrill.measure.verdicts import span
from supportdrill.timeline import ReplyClass, StatusCategory, Timeline

from .timelines import ALWAYS, COMMON_P0, SHANGHAI_OFFICE, Builder

ACTIONS = st.one_of(
    st.tuples(st.just("reply"), st.sampled_from(list(ReplyClass))),
    st.tuples(st.just("status"), st.sampled_from(list(StatusCategory))),
    st.tuples(st.just("customer"), st.none()),
)
T0S = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
STEPS = st.lists(
    st.tuples(st.integers(1, 3 * 24 * 60), ACTIONS), max_size=25, unique_by=lambda s: s[0]
)


def build(t0: datetime, steps: list[tuple[int, tuple[str, object]]]) -> Builder:
    b = Builder(t0)
    for offset_min, (kind, arg) in steps:
        offset = timedelta(minutes=offset_min)
        if kind == "reply":
            b.reply(offset, arg)  # type: ignore[arg-type]
        elif kind == "status":
            b.status(offset, arg)  # type: ignore[arg-type]
        else:
            b.customer(offset)
    return b


def score(b: Builder, coverage: Coverage, as_of: datetime | None = None) -> Evaluation:
    return evaluate(
        Timeline.of(b.events), severity=Severity.P0, sla=COMMON_P0, coverage=coverage, as_of=as_of
    )


@settings(max_examples=120, deadline=None)
@given(t0=T0S, steps=STEPS, coverage=st.sampled_from([ALWAYS, SHANGHAI_OFFICE]))
def test_scorecard_invariants(t0: datetime, steps: list, coverage: Coverage) -> None:  # type: ignore[type-arg]
    card = score(build(t0, steps), coverage)
    for m in card.metrics:
        if m.start is None:
            expected = Verdict.NO_TARGET if m.target_s is None else Verdict.NOT_APPLICABLE
            assert m.verdict is expected and m.calendar_s is None
            continue
        assert m.calendar_s is not None and m.business_s is not None
        assert 0 <= m.business_s <= m.calendar_s + 1e-6
        if coverage.always:
            assert m.business_s == m.calendar_s
            assert m.verdict_business is m.verdict_calendar
        if m.verdict in (Verdict.MET,):
            assert m.end is not None or m.name.startswith("update_cadence")
        if m.verdict_calendar is Verdict.MET:
            assert m.verdict_business is Verdict.MET
        if m.target_s is None:
            assert m.verdict is Verdict.NO_TARGET
        if m.name == "update_cadence":
            # The figures shown are those of the interval shown (start → end or as_of).
            until = m.end if m.end is not None else card.as_of
            assert until is not None
            assert (m.calendar_s, m.business_s) == span(coverage, m.start, until)
    ack, human = card.metric("acknowledgement"), card.metric("first_human_response")
    assert ack is not None and human is not None
    if human.end is not None:
        assert ack.end is not None and ack.end <= human.end
    first, full = card.metric("first_resolution"), card.metric("full_resolution")
    assert first is not None and full is not None
    if full.end is not None:
        assert first.end is not None and first.end <= full.end
    assert card.sla_met == (card.verdict is Verdict.MET)
    judged = [m.verdict for m in card.metrics if m.judged]
    clean = Verdict.MET in judged and not {Verdict.BREACHED, Verdict.PENDING} & set(judged)
    assert card.sla_met == clean
    assert card.replies.total == sum(1 for s in steps if s[1][0] == "reply")


@settings(max_examples=60, deadline=None)
@given(t0=T0S, steps=STEPS, seed=st.integers(0, 2**32))
def test_poll_order_does_not_change_the_figures(t0: datetime, steps: list, seed: int) -> None:  # type: ignore[type-arg]
    ordered = build(t0, sorted(steps, key=lambda s: s[0]))
    shuffled = build(t0, steps)
    tail = shuffled.events[1:]
    random.Random(seed).shuffle(tail)
    shuffled.events[1:] = tail
    as_of = t0 + timedelta(days=4)
    assert score(ordered, SHANGHAI_OFFICE, as_of) == score(shuffled, SHANGHAI_OFFICE, as_of)


@settings(max_examples=60, deadline=None)
@given(t0=T0S, steps=STEPS, later=st.integers(0, 10 * 24 * 60))
def test_pending_never_becomes_met_by_waiting(t0: datetime, steps: list, later: int) -> None:  # type: ignore[type-arg]
    b = build(t0, steps)
    now = score(b, SHANGHAI_OFFICE, t0 + timedelta(days=3, minutes=1))
    after = score(b, SHANGHAI_OFFICE, t0 + timedelta(days=3, minutes=1 + later))
    for before, then in zip(now.metrics, after.metrics, strict=True):
        if before.verdict is Verdict.PENDING:
            assert then.verdict in (Verdict.PENDING, Verdict.BREACHED)
        if before.verdict is Verdict.BREACHED:
            assert then.verdict is Verdict.BREACHED


def test_percentile() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.9) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 0.0, 5.0], 1.0) == 10.0
    assert percentile(list(map(float, range(11))), 0.9) == pytest.approx(9.0)
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        percentile([1.0], 1.5)


def test_quantile_ranks_are_the_two_a_percentile_reads() -> None:
    assert quantile_ranks(1, 0.9) == Ranks(low=0, high=0, weight=0.0)
    assert quantile_ranks(11, 0.9).low == 9 and quantile_ranks(11, 1.0).high == 10
    ranks = quantile_ranks(4, 0.5)
    assert (ranks.low, ranks.high, ranks.weight) == (1, 2, 0.5)
    assert ranks.value(2.0, 3.0) == percentile([1.0, 2.0, 3.0, 4.0], 0.5)
    with pytest.raises(ValueError, match="at least one value"):
        quantile_ranks(0, 0.5)
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        quantile_of(0, -0.1, float)  # no values: the fraction is still checked
    assert quantile_of(0, 0.5, float) is None
