"""The Markdown report's verdicts: figures to the second, deadlines beside targets, honest
headlines, and the holidays and make-up days inside each measured interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from supportdrill.definitions.loader import build_drill
from supportdrill.report.build import evaluation_of
from supportdrill.report.journal import RunFacts, build_journal
from supportdrill.report.markdown import render_markdown
from supportdrill.timeline import (
    DrillEnded,
    DrillStarted,
    Event,
    Outcome,
    ReplyClass,
    TicketFiled,
    Timeline,
    VendorReply,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def drill_text(*, sla: str = "common-vendor", severity: str = "P0", coverage: str = "24x7") -> str:
    return f"""\
name: verdicts
description: verdict rendering
vendor:
  name: acme-rtc
  desk: {{kind: simulated, persona: responsive-24x7}}
  timezone: Asia/Shanghai
  coverage: {{{severity}: "{coverage}", holidays: CN}}
  sla: {sla}
ticket: {{severity: {severity}}}
resolution: {{when: ticket_solved, timeout: 8h}}
safety: {{max_duration: 9h}}
"""


def run(text: str, t0: datetime, replies: list[tuple[float, ReplyClass]], *, end_s: float) -> str:
    events: list[Event] = [
        DrillStarted(
            at=t0, observed_at=t0, drill="verdicts", vendor="acme", desk="simulated", severity="P0"
        ),
        TicketFiled(at=t0, observed_at=t0, ticket_id="1"),
    ]
    for index, (offset, cls) in enumerate(replies):
        at = t0 + timedelta(seconds=offset)
        events.append(
            VendorReply(
                at=at,
                observed_at=at,
                message_id=f"m{index}",
                classification=cls,
                author_role="agent",
            )
        )
    end = t0 + timedelta(seconds=end_s)
    events.append(DrillEnded(at=end, observed_at=end, outcome=Outcome.COMPLETED))
    drill = build_drill(text, "verdicts.yaml")
    facts = RunFacts(run_id="run-1", drill=drill)
    timeline = Timeline.of(events)
    return render_markdown(facts, timeline, evaluation_of(facts, timeline))


def row(report: str, title: str) -> list[str]:
    line = next(line for line in report.splitlines() if line.startswith(f"| {title}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


T0 = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)  # Tue 10:00 Shanghai


def test_a_breach_by_one_second_reads_as_a_breach() -> None:
    # Inline target 3h 2m; the human answers at 10,921 s, one second over.
    sla = "{P0: {first_response: 3h2m}}"
    report = run(drill_text(sla=sla), T0, [(10_921, ReplyClass.HUMAN)], end_s=11_000)
    cells = row(report, "**Time to first human response")
    assert cells[1:4] == ["3h 2m 1s", "3h 2m 1s", "3h 2m"]
    assert "breached" in cells[6]
    assert report.splitlines()[0].endswith("SLA BREACHED")


def test_a_fraction_over_the_target_rounds_up_never_to_equal() -> None:
    report = run(drill_text(), T0, [(900.2, ReplyClass.HUMAN)], end_s=1000)
    cells = row(report, "**Time to first human response")
    assert cells[1] == "15m 1s" and cells[3] == "15m" and "breached" in cells[6]


def test_every_deadline_is_printed_beside_its_target() -> None:
    report = run(drill_text(), T0, [(300, ReplyClass.HUMAN)], end_s=400)
    cells = row(report, "**Time to first human response")
    assert cells[3] == "15m"
    assert cells[4] == "2026-11-17 02:15:00Z (Tue 10:15 CST)"
    # Business hours: the business deadline first, then the calendar one.
    office = drill_text(coverage="Mon-Fri 09:00-18:00")
    evening = datetime(2026, 11, 17, 9, 55, tzinfo=UTC)  # Tue 17:55 Shanghai
    report = run(office, evening, [(3600, ReplyClass.HUMAN)], end_s=4000)
    cells = row(report, "**Time to first human response")
    assert cells[4] == (
        "2026-11-18 01:10:00Z (Wed 09:10 CST); calendar 2026-11-17 10:10:00Z (Tue 18:10 CST)"
    )


def test_two_day_figures_keep_their_minutes() -> None:
    # 2d 16h 12m of calendar time: "2d 16h" would hide twelve minutes.
    seconds = 2 * 86400 + 16 * 3600 + 12 * 60
    report = run(drill_text(), T0, [(seconds, ReplyClass.HUMAN)], end_s=seconds + 10)
    assert row(report, "**Time to first human response")[1] == "2d 16h 12m"


def test_no_target_for_the_severity_is_not_a_pass() -> None:
    sla = "{P1: {first_response: 30m}}"
    report = run(drill_text(sla=sla), T0, [(60, ReplyClass.HUMAN)], end_s=100)
    assert report.splitlines()[0].endswith("NOT JUDGED (no SLA target for P0)")
    assert "SLA MET" not in report
    assert "no target" in row(report, "**Time to first human response")[6]


def test_a_run_that_never_filed_is_not_judged() -> None:
    drill = build_drill(drill_text(), "verdicts.yaml")
    facts = RunFacts(run_id="run-1", drill=drill)
    end = T0 + timedelta(seconds=5)
    timeline = Timeline.of(
        [
            DrillStarted(
                at=T0, observed_at=T0, drill="v", vendor="a", desk="simulated", severity="P0"
            ),
            DrillEnded(at=end, observed_at=end, outcome=Outcome.ABORTED, reason="no degradation"),
        ]
    )
    card = evaluation_of(facts, timeline)
    report = render_markdown(facts, timeline, card)
    assert report.splitlines()[0].endswith("NOT JUDGED (nothing to measure: no ticket was filed)")
    journal = build_journal(facts, timeline, card)
    assert journal["verdict"] == {"overall": "not_applicable", "sla_met": False}


def test_holidays_and_make_up_days_inside_the_interval_are_listed() -> None:
    office = drill_text(coverage="Mon-Fri 09:00-18:00", sla="{P0: {first_response: 4h}}")
    filed = datetime(2026, 2, 13, 17, 0, tzinfo=SHANGHAI).astimezone(UTC)
    # Answered Tue 24 Feb 10:00: 1 h Friday + 9 h on the make-up Saturday + 1 h = 11 h.
    answer = (datetime(2026, 2, 24, 10, 0, tzinfo=SHANGHAI).astimezone(UTC) - filed).seconds
    days = (datetime(2026, 2, 24, 10, 0, tzinfo=SHANGHAI).astimezone(UTC) - filed).days
    report = run(office, filed, [(days * 86400 + answer, ReplyClass.HUMAN)], end_s=11 * 86400)
    assert row(report, "**Time to first human response")[2] == "11h"
    section = report.split("## Holidays and make-up workdays", 1)[1]
    assert "| Time to first human response | Sat 2026-02-14 | make-up workday |" in section
    assert "| Time to first human response | Tue 2026-02-17 | holiday |" in section
    drill = build_drill(office, "x.yaml")
    facts = RunFacts(run_id="r", drill=drill)
    timeline = Timeline.of(
        [
            TicketFiled(at=filed, observed_at=filed, ticket_id="1"),
            VendorReply(
                at=filed + timedelta(days=days, seconds=answer),
                observed_at=filed + timedelta(days=days, seconds=answer),
                message_id="m",
                classification=ReplyClass.HUMAN,
                author_role="agent",
            ),
        ]
    )
    journal = build_journal(facts, timeline, evaluation_of(facts, timeline))
    human = next(m for m in journal["metrics"] if m["name"] == "first_human_response")
    assert human["special_days"][0] == {
        "day": "2026-02-14",
        "kind": "make-up workday",
        "name": "make-up workday",
    }
