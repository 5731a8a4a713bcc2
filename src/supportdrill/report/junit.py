"""JUnit XML for CI servers: one test suite per drill run, one test case per thing judged.

A run becomes these test cases, in this order:

* ``drill: completed``: the run's outcome. Timed out is a failure (the runbook or the vendor did
  not resolve in time); aborted or halted is an error (the drill itself could not prove anything).
* ``sla: <metric> within <target>``: one per scorecard metric with an SLA target. The metrics the
  contract judges pass when met and fail when breached or still pending at the end of the run
  (unproven is not passed); the others are reported as skipped, saying why.
* ``stream: detected within <t>`` and ``stream: recovered within <t>``: the drill's own stream
  expectations (:mod:`supportdrill.measure.expectations`), judged the same way.

A failure carries the figure (exact seconds too: nothing rounded reads as met), the target and an
excerpt of the timeline around the interval. :func:`github_annotations` turns the same cases into
GitHub Actions workflow commands (``::error file=...::``). Everything here is a pure function of
stored runs; the command layer writes the file and prints the annotations.
"""

from __future__ import annotations

import enum
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..definitions.durations import format_duration
from ..definitions.model import LiftFault
from ..measure.evaluation import Evaluation
from ..measure.expectations import STREAM_DETECTION, STREAM_RESTORE, stream_expectations
from ..measure.verdicts import Metric, Verdict
from ..timeline import (
    DrillEnded,
    DrillStarted,
    Event,
    Outcome,
    PhaseChanged,
    StreamHealth,
    Timeline,
)
from .journal import RunFacts
from .markdown import METRIC_TITLES
from .markdown import _describe as describe_event

EXCERPT_LINES = 14
"""At most this many timeline lines in a failure (the first few and the last ones)."""
EXCERPT_MARGIN = timedelta(seconds=30)
"""Events this long before an interval starts are shown too (what led up to it)."""

_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_STREAM_TITLES = {STREAM_DETECTION: "detected", STREAM_RESTORE: "recovered"}
_TITLES = {
    **METRIC_TITLES,
    STREAM_DETECTION: "Detection (fault injected → stream degraded)",
    STREAM_RESTORE: "Outage (stream degraded → recovered)",
}


class CaseStatus(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class JunitCase:
    """One test case: what was judged, how it came out, and what a reader needs to see why."""

    name: str
    status: CaseStatus
    time_s: float = 0.0
    message: str = ""
    """One line: the figure and the target (the failure's ``message`` attribute)."""
    detail: str = ""
    """The figure, target, notes and the timeline excerpt (the failure's text)."""


@dataclass(frozen=True)
class JunitRun:
    """One stored run, scored, as the report builds it."""

    facts: RunFacts
    timeline: Timeline
    evaluation: Evaluation


@dataclass(frozen=True)
class JunitSuite:
    """One drill's test cases; ``run`` is None when the drill failed before a run existed."""

    name: str
    file: str
    cases: tuple[JunitCase, ...]
    run: JunitRun | None = None

    @property
    def failed(self) -> bool:
        return any(case.status in (CaseStatus.FAILED, CaseStatus.ERROR) for case in self.cases)

    def count(self, status: CaseStatus) -> int:
        return sum(case.status is status for case in self.cases)


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"


def _exact(seconds: float) -> str:
    """``15m 1s (900.6 s)``: the readable form and the unrounded one."""
    return f"{format_duration(seconds)} ({seconds:g} s)"


def _title(metric: Metric) -> str:
    return _TITLES.get(metric.name, metric.name.replace("_", " "))


def excerpt(timeline: Timeline, start: datetime | None, end: datetime | None) -> list[str]:
    """The timeline around ``start → end`` in one line per event, without the sample noise."""
    chosen: list[Event] = [
        event
        for event in timeline
        if not isinstance(event, StreamHealth | PhaseChanged)
        and (start is None or event.at >= start - EXCERPT_MARGIN)
        and (end is None or event.at <= end)
    ]
    chosen.sort(key=lambda event: event.at)
    lines = []
    for event in chosen:
        what, detail = describe_event(event)
        lines.append(f"{_utc(event.at)}  {what}{': ' + detail if detail else ''}")
    if len(lines) > EXCERPT_LINES:
        head = 4
        tail = EXCERPT_LINES - head
        skipped = len(lines) - EXCERPT_LINES
        lines = [*lines[:head], f"… {skipped} more event(s) …", *lines[-tail:]]
    return lines


def _figure(metric: Metric, business: bool) -> str:
    value = metric.business_s if business else metric.calendar_s
    if value is None:
        return "not measured"
    text = _exact(value)
    return f"{text} so far" if metric.end is None else text


def _metric_case(
    name: str, metric: Metric, timeline: Timeline, *, business: bool, not_judged: str
) -> JunitCase:
    verdict = metric.verdict_business if business else metric.verdict_calendar
    clock = "business time" if business and metric.business_s != metric.calendar_s else ""
    figure = _figure(metric, business)
    target = "no target" if metric.target_s is None else _exact(metric.target_s)
    time_s = max(0.0, metric.calendar_s or 0.0)
    if not metric.judged:
        return JunitCase(name, CaseStatus.SKIPPED, time_s, not_judged)
    summary = f"{_title(metric)}: {figure}{f' ({clock})' if clock else ''}; target {target}"
    if verdict is Verdict.MET:
        return JunitCase(name, CaseStatus.PASSED, time_s, f"met: {summary}")
    if verdict in (Verdict.BREACHED, Verdict.PENDING):
        how = "breached" if verdict is Verdict.BREACHED else "not reached by the end of the run"
        lines = [f"{how}: {summary}"]
        if metric.start is not None:
            end = _utc(metric.end) if metric.end is not None else "— (had not happened)"
            lines.append(f"interval: {_utc(metric.start)} → {end}")
        if metric.precision_s:
            lines.append(f"precision: ±{format_duration(metric.precision_s)}")
        lines.extend(f"note: {note}" for note in metric.notes)
        lines.append("timeline:")
        until = metric.end if metric.end is not None else None
        lines.extend(f"  {line}" for line in excerpt(timeline, metric.start, until))
        return JunitCase(name, CaseStatus.FAILED, time_s, f"{how}: {summary}", "\n".join(lines))
    # Not applicable, no target, or a verdict kind added later: nothing was judged.
    reason = "; ".join(metric.notes) or "nothing to measure in this run"
    return JunitCase(name, CaseStatus.SKIPPED, time_s, f"{verdict.value}: {reason}")


def _outcome_case(run: JunitRun) -> JunitCase:
    ended = run.timeline.last(DrillEnded)
    started = run.timeline.first(DrillStarted)
    time_s = (ended.at - started.at).total_seconds() if ended and started else 0.0
    name = "drill: completed"
    if ended is None:
        return JunitCase(name, CaseStatus.ERROR, 0.0, "the run has no end in the store")
    if ended.outcome is Outcome.COMPLETED:
        return JunitCase(name, CaseStatus.PASSED, time_s, ended.reason)
    message = f"drill {ended.outcome.value}: {ended.reason}"
    tail = excerpt(run.timeline, None, ended.at)  # the run's last events: where it stopped
    detail = "\n".join([message, "timeline:", *(f"  {line}" for line in tail)])
    status = CaseStatus.FAILED if ended.outcome is Outcome.TIMED_OUT else CaseStatus.ERROR
    return JunitCase(name, status, time_s, message, detail)


def run_cases(run: JunitRun) -> tuple[JunitCase, ...]:
    """Every test case of one run (see the module docstring for which and in what order)."""
    card = run.evaluation
    cases = [_outcome_case(run)]
    basis = card.first_response_basis.replace("_", " ")
    for metric in card.metrics:
        if metric.target_s is None:
            continue
        cases.append(
            _metric_case(
                f"sla: {metric.name} within {format_duration(metric.target_s)}",
                metric,
                run.timeline,
                business=True,
                not_judged=f"reported alongside, not judged: the contract judges {basis}"
                if metric.name in ("acknowledgement", "first_human_response")
                else "reported alongside, not judged by the contract",
            )
        )
    as_of = card.as_of or datetime.now(UTC)
    drill = run.facts.drill
    kept = drill.resolution.lift_fault is LiftFault.NEVER
    for metric in stream_expectations(run.timeline, drill.fault, as_of=as_of, fault_stays=kept):
        target = "(no target)" if metric.target_s is None else format_duration(metric.target_s)
        cases.append(
            _metric_case(
                f"stream: {_STREAM_TITLES[metric.name]} within {target}",
                metric,
                run.timeline,
                business=False,
                not_judged="no expectation set (fault.expect_recovered_within)",
            )
        )
    return tuple(cases)


def suite_of(run: JunitRun) -> JunitSuite:
    drill = run.facts.drill
    return JunitSuite(drill.name, drill.source_path, run_cases(run), run)


def suites_of(runs: Iterable[JunitRun]) -> tuple[JunitSuite, ...]:
    return tuple(suite_of(run) for run in runs)


def error_suite(name: str, file: str, error: str) -> JunitSuite:
    """A drill that could not run at all (its desk unreachable, a secret missing): one error."""
    case = JunitCase("drill: completed", CaseStatus.ERROR, 0.0, error, error)
    return JunitSuite(name, file, (case,))


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _run_properties(element: ET.Element, run: JunitRun) -> None:
    drill = run.facts.drill
    started = run.timeline.first(DrillStarted)
    element.set("id", run.facts.run_id)
    if started is not None:
        element.set("timestamp", started.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    properties = ET.SubElement(element, "properties")
    ended = run.timeline.last(DrillEnded)
    for key, value in (
        ("run_id", run.facts.run_id),
        ("drill", drill.name),
        ("vendor", drill.vendor.name),
        ("desk", drill.vendor.desk.kind.value),
        ("severity", drill.severity.value),
        ("drill_digest", drill.digest),
        ("outcome", ended.outcome.value if ended else "unknown"),
        ("sla_verdict", run.evaluation.verdict.value),
        ("simulated_time", str(run.facts.simulated_time).lower()),
    ):
        ET.SubElement(properties, "property", {"name": key, "value": _clean(value)})


def _suite_element(suite: JunitSuite) -> ET.Element:
    element = ET.Element(
        "testsuite",
        {
            "name": _clean(suite.name),
            "tests": str(len(suite.cases)),
            "failures": str(suite.count(CaseStatus.FAILED)),
            "errors": str(suite.count(CaseStatus.ERROR)),
            "skipped": str(suite.count(CaseStatus.SKIPPED)),
            "time": f"{suite.cases[0].time_s:.3f}",
            "package": "supportdrill",
            "file": _clean(suite.file),
        },
    )
    if suite.run is not None:
        _run_properties(element, suite.run)
    for case in suite.cases:
        item = ET.SubElement(
            element,
            "testcase",
            {
                "name": _clean(case.name),
                "classname": f"supportdrill.{_clean(suite.name)}",
                "time": f"{case.time_s:.3f}",
                "file": _clean(suite.file),
            },
        )
        if case.status is CaseStatus.PASSED:
            if case.message:
                ET.SubElement(item, "system-out").text = _clean(case.message)
            continue
        tag = {
            CaseStatus.FAILED: "failure",
            CaseStatus.ERROR: "error",
            CaseStatus.SKIPPED: "skipped",
        }[case.status]
        child = ET.SubElement(item, tag, {"message": _clean(case.message)})
        if case.status is not CaseStatus.SKIPPED:
            child.set("type", "supportdrill." + tag)
            child.text = _clean(case.detail or case.message)
    if suite.run is not None and suite.run.evaluation.notes:
        out = ET.SubElement(element, "system-out")
        out.text = _clean("\n".join(f"note: {note}" for note in suite.run.evaluation.notes))
    return element


def render_junit(suites: Sequence[JunitSuite], *, name: str = "supportdrill") -> str:
    """The JUnit XML document (``<testsuites>``) for ``suites``."""
    root = ET.Element(
        "testsuites",
        {
            "name": name,
            "tests": str(sum(len(suite.cases) for suite in suites)),
            "failures": str(sum(suite.count(CaseStatus.FAILED) for suite in suites)),
            "errors": str(sum(suite.count(CaseStatus.ERROR) for suite in suites)),
            "time": f"{sum(suite.cases[0].time_s for suite in suites):.3f}",
        },
    )
    root.extend(_suite_element(suite) for suite in suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping (actions/toolkit, command.ts).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(suites: Sequence[JunitSuite]) -> tuple[str, ...]:
    """``::error file=DRILL,title=...::message`` for each failed case (GitHub Actions)."""
    lines = []
    for suite in suites:
        path = suite.file
        for case in suite.cases:
            if case.status not in (CaseStatus.FAILED, CaseStatus.ERROR):
                continue
            title = f"{suite.name}: {case.name}"
            lines.append(
                f"::error file={_escape_property(path)},title={_escape_property(title)}::"
                f"{_escape_data(case.message)}"
            )
    return tuple(lines)


__all__ = [
    "CaseStatus",
    "JunitCase",
    "JunitRun",
    "JunitSuite",
    "error_suite",
    "excerpt",
    "github_annotations",
    "render_junit",
    "run_cases",
    "suite_of",
    "suites_of",
]
