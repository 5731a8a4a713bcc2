"""The drill's stream expectations: detected within, restored within."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportdrill.definitions.faults import FaultPlan
from supportdrill.measure.expectations import (
    STREAM_DETECTION,
    STREAM_RESTORE,
    stream_expectations,
)
from supportdrill.measure.verdicts import Verdict
from supportdrill.timeline import (
    Event,
    FaultInjected,
    FaultLifted,
    StreamDegraded,
    StreamRecovered,
    Timeline,
)

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
PLAN = FaultPlan(
    "edge-loss",
    expect_degraded_within=timedelta(seconds=10),
    expect_recovered_within=timedelta(seconds=60),
)


def at(seconds: float) -> dict[str, datetime]:
    moment = T0 + timedelta(seconds=seconds)
    return {"at": moment, "observed_at": moment}


def judged(*events: Event, plan: FaultPlan | None = PLAN, as_of: float = 300) -> dict[str, object]:
    metrics = stream_expectations(Timeline(list(events)), plan, as_of=T0 + timedelta(seconds=as_of))
    return {m.name: (m.verdict, m.calendar_s, m.target_s, m.judged) for m in metrics}


INJECTED = FaultInjected(**at(0), profile="edge-loss")


def test_no_fault_no_expectations() -> None:
    assert judged(plan=None) == {}
    assert judged() == {}  # a fault planned but never injected (aborted before)


def test_detected_and_restored_in_time() -> None:
    found = judged(INJECTED, StreamDegraded(**at(4)), StreamRecovered(**at(50)))
    assert found[STREAM_DETECTION] == (Verdict.MET, 4.0, 10.0, True)
    assert found[STREAM_RESTORE] == (Verdict.MET, 46.0, 60.0, True)


def test_a_late_restore_is_breached_with_its_figure() -> None:
    found = judged(INJECTED, StreamDegraded(**at(4)), StreamRecovered(**at(70)))
    assert found[STREAM_RESTORE] == (Verdict.BREACHED, 66.0, 60.0, True)


def test_never_restored_is_pending_then_breached() -> None:
    events = (INJECTED, StreamDegraded(**at(4)))
    assert judged(*events, as_of=30)[STREAM_RESTORE] == (Verdict.PENDING, 26.0, 60.0, True)
    assert judged(*events, as_of=300)[STREAM_RESTORE] == (Verdict.BREACHED, 296.0, 60.0, True)


def test_never_degraded_leaves_restore_not_applicable() -> None:
    found = judged(INJECTED, as_of=30)
    assert found[STREAM_DETECTION] == (Verdict.BREACHED, 30.0, 10.0, True)
    assert found[STREAM_RESTORE] == (Verdict.NOT_APPLICABLE, None, 60.0, True)


def test_without_a_restore_target_it_is_reported_not_judged() -> None:
    plan = FaultPlan("edge-loss")
    found = judged(INJECTED, StreamDegraded(**at(4)), StreamRecovered(**at(9)), plan=plan)
    assert found[STREAM_RESTORE] == (Verdict.NO_TARGET, 5.0, None, False)


def test_a_recovery_before_the_degradation_is_not_the_restore() -> None:
    events = (INJECTED, StreamRecovered(**at(2)), StreamDegraded(**at(4)))
    assert judged(*events, as_of=30)[STREAM_RESTORE][0] is Verdict.PENDING


def test_with_the_fault_kept_only_a_recovery_before_the_teardown_lift_counts() -> None:
    events = (
        INJECTED,
        StreamDegraded(**at(4)),
        FaultLifted(**at(100), reason="drill timed_out"),
        StreamRecovered(**at(103)),
    )
    metrics = stream_expectations(
        Timeline(list(events)), PLAN, as_of=T0 + timedelta(seconds=104), fault_stays=True
    )
    restore = next(m for m in metrics if m.name == STREAM_RESTORE)
    assert (restore.verdict, restore.end, restore.calendar_s) == (Verdict.BREACHED, None, 100.0)
    # A lift policy that removes the fault (the vendor's fix): the recovery after it counts.
    assert judged(*events, as_of=104)[STREAM_RESTORE][0] is Verdict.BREACHED  # 99 s > 60 s
    runbook = (INJECTED, StreamDegraded(**at(4)), StreamRecovered(**at(30)))
    kept = stream_expectations(
        Timeline([*runbook, FaultLifted(**at(40), reason="x")]),
        PLAN,
        as_of=T0 + timedelta(seconds=41),
        fault_stays=True,
    )
    assert kept[1].verdict is Verdict.MET and kept[1].calendar_s == 26.0
