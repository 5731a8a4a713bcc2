"""The drill's own stream expectations, judged from the timeline like the vendor's SLA.

A drill with a fault says how soon the stream must look degraded (``expect_degraded_within``:
our monitoring works) and, optionally, how soon it must be restored (``expect_recovered_within``:
the runbook works). These are not the vendor's promises, so they are kept apart from the
scorecard's SLA verdict; the JUnit report and ``supportdrill ci`` judge them as test cases.

* detection: fault injected → the first stream degraded at or after it;
* restore: that degradation → the first stream recovered at or after it (how long viewers saw
  the outage, whether the fault was lifted or the runbook routed around it).

Stream events are stamped by our own clock, so calendar time is the only time that applies.
"""

from __future__ import annotations

from datetime import datetime

from ..definitions.faults import FaultPlan
from ..definitions.model import Coverage
from ..timeline import FaultInjected, FaultLifted, StreamDegraded, StreamRecovered, Timeline
from .metrics import Events, by_time
from .verdicts import Metric, judge

STREAM_DETECTION = "stream_detection"
STREAM_RESTORE = "stream_restore"

_PHYSICAL = Coverage.twenty_four_seven("UTC")


def stream_expectations(
    timeline: Timeline, plan: FaultPlan | None, *, as_of: datetime, fault_stays: bool = False
) -> tuple[Metric, ...]:
    """Detection and restore, each against the drill's expectation; none without a fault.

    ``fault_stays`` (``lift_fault: never``): only a recovery while the fault is still in place
    is a restore; one after the drill's teardown lifted it is the harness's, not the runbook's.
    """
    events = Events(timeline)
    injected = events.first(FaultInjected)
    if plan is None or injected is None:
        return ()
    degraded = next(iter(by_time(events.all(StreamDegraded), injected.at)), None)
    recovered = (
        None
        if degraded is None
        else next(iter(by_time(events.all(StreamRecovered), degraded.at)), None)
    )
    lifted = events.first(FaultLifted)
    if fault_stays and recovered is not None and lifted is not None and lifted.at <= recovered.at:
        recovered = None
    detection = judge(
        STREAM_DETECTION,
        start=injected.at,
        end=None if degraded is None else degraded.at,
        as_of=as_of,
        coverage=_PHYSICAL,
        target=plan.expect_degraded_within,
        precision_s=injected.precision_s + (0.0 if degraded is None else degraded.precision_s),
        judged=True,
    )
    restore = judge(
        STREAM_RESTORE,
        start=None if degraded is None else degraded.at,
        end=None if recovered is None else recovered.at,
        as_of=as_of,
        coverage=_PHYSICAL,
        target=plan.expect_recovered_within,
        precision_s=0.0
        if degraded is None
        else degraded.precision_s + (0.0 if recovered is None else recovered.precision_s),
        judged=plan.expect_recovered_within is not None,
    )
    return detection, restore


__all__ = ["STREAM_DETECTION", "STREAM_RESTORE", "stream_expectations"]
