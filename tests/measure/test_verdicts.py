"""judge() and combine() on their own: pausable spans, missing targets, verdict ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportdrill.definitions.model import Severity, SlaTarget
from supportdrill.measure import evaluate
from supportdrill.measure.verdicts import Verdict, combine, judge, span
from supportdrill.timeline import Timeline

from .timelines import ALWAYS, SHANGHAI_OFFICE, Builder, minutes

T = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


def test_pausable_judge_subtracts_paused_time_and_gives_no_deadline() -> None:
    paused = [(T + minutes(10), T + minutes(40)), (T + minutes(90), T + minutes(200))]
    metric = judge(
        "gap",
        start=T,
        end=T + minutes(100),
        as_of=T + minutes(300),
        coverage=SHANGHAI_OFFICE,
        target=timedelta(hours=1),
        paused=paused,
    )
    assert metric.calendar_s == metric.business_s == 60 * 60
    assert metric.verdict is Verdict.MET
    assert metric.deadline_calendar is None and metric.deadline_business is None


def test_span_outside_hours_and_backwards() -> None:
    night = T + timedelta(hours=10)  # 20:00 in Shanghai
    assert span(SHANGHAI_OFFICE, night, night + minutes(60)) == (3600.0, 0.0)
    assert span(ALWAYS, night, night - minutes(1)) == (-60.0, 0.0)


def test_combine_ranks_breached_over_pending_over_met() -> None:
    assert combine([]) is Verdict.NO_TARGET
    assert combine([Verdict.MET, Verdict.NOT_APPLICABLE]) is Verdict.MET
    assert combine([Verdict.NO_TARGET, Verdict.NOT_APPLICABLE]) is Verdict.NOT_APPLICABLE
    assert combine([Verdict.NO_TARGET, Verdict.MET]) is Verdict.MET
    assert combine([Verdict.MET, Verdict.PENDING]) is Verdict.PENDING
    assert combine([Verdict.PENDING, Verdict.BREACHED, Verdict.MET]) is Verdict.BREACHED


def test_cadence_without_a_target_is_measured_but_not_judged() -> None:
    b = Builder(T).reply(minutes(5)).reply(minutes(95))
    sla = SlaTarget(first_response=timedelta(minutes=15))
    card = evaluate(Timeline.of(b.events), severity=Severity.P1, sla=sla, coverage=ALWAYS)
    cadence = card.metric("update_cadence")
    assert cadence is not None and cadence.calendar_s == 90 * 60
    assert cadence.verdict is Verdict.NO_TARGET and cadence.target_s is None
