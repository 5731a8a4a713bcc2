"""JUnit XML: test cases per SLA target and stream expectation, valid against the vendored XSD."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import xmlschema

from supportdrill.definitions.loader import build_drill
from supportdrill.report.build import evaluation_of
from supportdrill.report.journal import RunFacts
from supportdrill.report.junit import (
    CaseStatus,
    JunitRun,
    error_suite,
    github_annotations,
    render_junit,
    suites_of,
)
from supportdrill.timeline import (
    DrillEnded,
    DrillStarted,
    Event,
    FaultInjected,
    Note,
    Outcome,
    ReplyClass,
    ResolutionKind,
    StatusCategory,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    TicketFiled,
    TicketResolved,
    TicketStatus,
    Timeline,
    VendorReply,
)

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "schemas" / "junit-10.xsd")
START = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)

DRILL = textwrap.dedent(
    """\
    name: runbook-failover
    vendor:
      name: our-oncall (simulated)
      desk: {kind: simulated, persona: silent}
      timezone: UTC
      coverage: 24x7
      sla:
        P0: {first_response: 2m, resolution: 5m}
    stream: {scenario: voice-room}
    fault:
      toxics: [{type: loss, protocol: udp, attributes: {probability: 0.4}}]
      expect_degraded_within: 10s
      expect_recovered_within: 90s
    ticket: {severity: P0, symptom: audio breaks up, region: EU}
    resolution: {when: stream_recovered, lift_fault: never, timeout: 10m}
    safety: {max_duration: 20m}
    """
)


def at(seconds: float) -> dict[str, datetime]:
    moment = START + timedelta(seconds=seconds)
    return {"at": moment, "observed_at": moment}


def run_of(*events: Event, outcome: Outcome = Outcome.COMPLETED, end: float = 200) -> JunitRun:
    drill = build_drill(DRILL, "drills/runbook-failover.drill.yaml")
    timeline = Timeline.of(
        [
            DrillStarted(
                **at(0), drill=drill.name, vendor="our-oncall", desk="simulated", severity="P0"
            ),
            *events,
            DrillEnded(**at(end), outcome=outcome, reason=f"{outcome.value} for the test"),
        ]
    )
    facts = RunFacts(run_id="20261127T030000Z-abcd", drill=drill)
    return JunitRun(facts, timeline, evaluation_of(facts, timeline))


def human(seconds: float, text: str) -> VendorReply:
    return VendorReply(
        **at(seconds), message_id=f"m{seconds}", classification=ReplyClass.HUMAN, excerpt=text
    )


def good_run() -> JunitRun:
    return run_of(
        FaultInjected(**at(5), profile="custom", region="EU"),
        StreamHealth(**at(6), metrics={"loss_pct": 40.0}, healthy=False),
        StreamDegraded(**at(8), reasons=("loss 40.0 % > 5 %",)),
        TicketFiled(**at(20), ticket_id="7", url="http://127.0.0.1/7"),
        human(50, "Acknowledged: runbook RB-12, failing over to the backup region"),
        StreamRecovered(**at(70)),
        TicketResolved(**at(70), how=ResolutionKind.STREAM_RECOVERED),
        TicketStatus(**at(80), status="solved", category=StatusCategory.SOLVED),
    )


def cases(run: JunitRun) -> dict[str, tuple[CaseStatus, str]]:
    (suite,) = suites_of([run])
    return {case.name: (case.status, case.message) for case in suite.cases}


def test_a_runbook_that_restores_the_stream_in_time_passes_every_case() -> None:
    found = cases(good_run())
    assert found["drill: completed"][0] is CaseStatus.PASSED
    assert found["sla: first_human_response within 2m"][0] is CaseStatus.PASSED
    assert found["sla: first_resolution within 5m"][0] is CaseStatus.PASSED
    assert found["stream: detected within 10s"][0] is CaseStatus.PASSED
    assert found["stream: recovered within 1m 30s"][0] is CaseStatus.PASSED
    assert found["stream: recovered within 1m 30s"][1] == (
        "met: Outage (stream degraded → recovered): 1m 2s (62 s); target 1m 30s (90 s)"
    )
    # Acknowledgement shares the first-response target but the contract judges the human one.
    ack = found["sla: acknowledgement within 2m"]
    assert ack[0] is CaseStatus.SKIPPED and "judges first human response" in ack[1]


def test_a_late_restore_fails_with_the_figure_the_target_and_the_timeline() -> None:
    run = run_of(
        FaultInjected(**at(5), profile="custom"),
        StreamDegraded(**at(8), reasons=("loss 40.0 % > 5 %",)),
        TicketFiled(**at(20), ticket_id="7", url="http://127.0.0.1/7"),
        human(50, "failing over"),
        Note(**at(60), text="runbook: POST /failover {path: backup} → 200"),
        StreamRecovered(**at(110)),
        TicketResolved(**at(110), how=ResolutionKind.STREAM_RECOVERED),
    )
    (suite,) = suites_of([run])
    case = next(c for c in suite.cases if c.name.startswith("stream: recovered"))
    assert case.status is CaseStatus.FAILED
    assert case.message == (
        "breached: Outage (stream degraded → recovered): 1m 42s (102 s); target 1m 30s (90 s)"
    )
    assert "interval: 2026-11-27 03:00:08Z → 2026-11-27 03:01:50Z" in case.detail
    assert "2026-11-27 03:01:00Z  note (info): runbook: POST /failover {path: backup} → 200" in (
        case.detail
    )
    assert "stream recovered" in case.detail


def test_a_timed_out_run_fails_and_unreached_targets_are_not_passed() -> None:
    run = run_of(
        FaultInjected(**at(5), profile="custom"),
        StreamDegraded(**at(8), reasons=("loss",)),
        TicketFiled(**at(20), ticket_id="7", url="http://127.0.0.1/7"),
        outcome=Outcome.TIMED_OUT,
        end=100,
    )
    found = cases(run)
    assert found["drill: completed"] == (
        CaseStatus.FAILED,
        "drill timed_out: timed_out for the test",
    )
    # 80 s after T0 with nobody answering: the 2 min first response is not reached, so not met.
    status, message = found["sla: first_human_response within 2m"]
    assert status is CaseStatus.FAILED
    assert message.startswith("not reached by the end of the run: ")
    assert "1m 20s (80 s) so far" in message
    assert found["stream: recovered within 1m 30s"][0] is CaseStatus.FAILED


def test_an_aborted_run_is_an_error_and_what_it_never_reached_is_skipped() -> None:
    run = run_of(outcome=Outcome.ABORTED, end=12)
    found = cases(run)
    assert found["drill: completed"][0] is CaseStatus.ERROR
    assert found["sla: first_human_response within 2m"][0] is CaseStatus.SKIPPED
    assert not any(name.startswith("stream:") for name in found)  # no fault was injected


@pytest.mark.parametrize("make", [good_run, lambda: run_of(outcome=Outcome.HALTED, end=3)])
def test_the_document_is_valid_against_the_junit_xsd(make: object) -> None:
    assert callable(make)
    document = render_junit(suites_of([make(), good_run()]))
    SCHEMA.validate(document)
    root = ET.fromstring(document)
    suites = root.findall("testsuite")
    assert len(suites) == 2
    total = sum(int(s.get("tests", "0")) for s in suites)
    assert root.get("tests") == str(total) == str(len(root.findall("./testsuite/testcase")))
    props = {p.get("name"): p.get("value") for p in suites[1].iter("property")}
    assert props["run_id"] == "20261127T030000Z-abcd" and props["desk"] == "simulated"


def test_failures_carry_message_and_text_in_the_xml() -> None:
    run = run_of(
        FaultInjected(**at(5), profile="custom"),
        TicketFiled(**at(20), ticket_id="7", url="http://127.0.0.1/7"),
        outcome=Outcome.TIMED_OUT,
        end=30,
    )
    document = render_junit(suites_of([run]))
    SCHEMA.validate(document)
    root = ET.fromstring(document)
    failure = root.find("./testsuite/testcase[@name='stream: detected within 10s']/failure")
    assert failure is not None
    assert failure.get("message") == (
        "breached: Detection (fault injected → stream degraded): 25s (25 s) so far; "
        "target 10s (10 s)"
    )
    assert failure.text is not None and "fault injected" in failure.text


def test_control_characters_from_a_vendor_do_not_break_the_xml() -> None:
    run = run_of(
        FaultInjected(**at(5), profile="custom"),
        TicketFiled(**at(20), ticket_id="7", url="http://127.0.0.1/7"),
        human(30, "bell\x07 and escape\x1b in a reply"),
        outcome=Outcome.TIMED_OUT,
        end=400,
    )
    SCHEMA.validate(render_junit(suites_of([run])))


def test_a_drill_that_could_not_start_is_one_error_case() -> None:
    suite = error_suite("x", "drills/x.yaml", "InvalidConfiguration: ONCALL_PD_TOKEN is not set")
    document = render_junit([suite, *suites_of([good_run()])])
    SCHEMA.validate(document)
    error = ET.fromstring(document).find("./testsuite[@name='x']/testcase/error")
    assert error is not None and "ONCALL_PD_TOKEN" in (error.get("message") or "")


def test_github_annotations_name_the_drill_file_and_escape_newlines() -> None:
    run = run_of(
        FaultInjected(**at(5), profile="custom"),
        StreamDegraded(**at(8), reasons=("loss",)),
        TicketFiled(**at(20), ticket_id="7", url="http://127.0.0.1/7"),
        outcome=Outcome.TIMED_OUT,
        end=400,
    )
    lines = github_annotations(suites_of([run, good_run()]))
    assert lines[0] == (
        "::error file=drills/runbook-failover.drill.yaml,"
        "title=runbook-failover%3A drill%3A completed::drill timed_out: timed_out for the test"
    )
    assert all(line.startswith("::error file=") and "\n" not in line for line in lines)
    assert any("stream%3A recovered within 1m 30s" in line for line in lines)
