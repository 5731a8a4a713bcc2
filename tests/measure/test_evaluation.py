"""Scorecards of whole timelines: first responses, cadence, resolution, verdicts, notes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from supportdrill.definitions.model import Coverage, Severity, SlaTarget
from supportdrill.measure import (
    Verdict,
    evaluate,
    live_deadlines,
)
from supportdrill.measure.metrics import PAUSED_CATEGORIES
from supportdrill.timeline import (
    DeskGap,
    DrillEnded,
    FaultInjected,
    FaultLifted,
    Outcome,
    ReplyClass,
    ResolutionKind,
    StatusCategory,
    StreamDegraded,
    TicketResolved,
    Timeline,
)
from supportdrill.vocabulary import DeskCapabilities

from .timelines import ALWAYS, COMMON_P0, POLL_S, SHANGHAI_OFFICE, Builder, minutes

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Saturday 03:00 in Shanghai: off-hours, the weekend ahead.
SAT_0300 = datetime(2026, 11, 21, 3, 0, tzinfo=SHANGHAI).astimezone(UTC)
# Tuesday 10:00 in Shanghai: inside business hours.
TUE_1000 = datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)


def card(builder: Builder, coverage: Coverage = ALWAYS, sla: SlaTarget | None = COMMON_P0, **kw):  # type: ignore[no-untyped-def]
    return evaluate(
        Timeline.of(builder.events), severity=Severity.P0, sla=sla, coverage=coverage, **kw
    )


def test_off_hours_p0_business_only_vendor_breaches_calendar_but_not_business() -> None:
    monday_0910 = datetime(2026, 11, 23, 9, 10, tzinfo=SHANGHAI).astimezone(UTC)
    b = Builder(SAT_0300).reply(timedelta(seconds=40), ReplyClass.AUTO)
    b.reply(monday_0910 - SAT_0300)
    result = card(b, SHANGHAI_OFFICE)
    ack = result.metric("acknowledgement")
    human = result.metric("first_human_response")
    assert ack is not None and human is not None
    assert ack.calendar_s == 40 and ack.verdict is Verdict.MET and not ack.judged
    assert "first vendor message was auto" in ack.notes
    assert human.judged and result.first_response_basis == "first_human_response"
    assert human.calendar_s == (monday_0910 - SAT_0300).total_seconds()
    assert human.business_s == 600
    assert human.verdict_calendar is Verdict.BREACHED
    assert human.verdict_business is Verdict.MET
    assert human.deadline_calendar == SAT_0300 + minutes(15)
    assert human.deadline_business == datetime(2026, 11, 23, 9, 15, tzinfo=SHANGHAI)
    assert result.replies.auto == 1 and result.replies.human == 1 and result.replies.total == 2
    assert result.coverage_label == "Mon-Fri 09:00-18:00"


def test_business_time_breach_is_visible_as_such() -> None:
    monday_0920 = datetime(2026, 11, 23, 9, 20, tzinfo=SHANGHAI).astimezone(UTC)
    b = Builder(SAT_0300).reply(minutes(1), ReplyClass.AUTO).reply(monday_0920 - SAT_0300)
    b.status(monday_0920 - SAT_0300 + minutes(30), StatusCategory.SOLVED)
    result = card(b, SHANGHAI_OFFICE)
    human = result.metric("first_human_response")
    assert human is not None and human.business_s == 20 * 60
    assert human.verdict_business is Verdict.BREACHED
    assert result.verdict is Verdict.BREACHED and result.verdict_calendar is Verdict.BREACHED
    assert not result.sla_met


def test_twenty_four_seven_business_equals_calendar() -> None:
    b = Builder(TUE_1000).reply(minutes(2), ReplyClass.AUTO).reply(minutes(9))
    b.reply(minutes(50)).status(minutes(70), StatusCategory.SOLVED)
    result = card(b)
    for metric in result.metrics:
        assert metric.business_s == metric.calendar_s
        assert metric.verdict_business is metric.verdict_calendar
        assert metric.deadline_business == metric.deadline_calendar
    assert result.verdict is Verdict.MET and result.sla_met
    assert [m.name for m in result.judged] == [
        "first_human_response",
        "update_cadence",
        "first_resolution",
    ]


def test_auto_ack_counts_when_the_contract_says_so() -> None:
    b = Builder(TUE_1000).reply(minutes(1), ReplyClass.AUTO).reply(minutes(30))
    contract = replace(COMMON_P0, auto_ack_counts=True)
    result = card(b, sla=contract, as_of=TUE_1000 + minutes(40))
    assert result.first_response_basis == "acknowledgement"
    ack = result.metric("acknowledgement")
    human = result.metric("first_human_response")
    assert ack is not None and ack.judged and ack.verdict is Verdict.MET
    assert human is not None and not human.judged and human.verdict is Verdict.BREACHED
    assert any("contract counts an automatic acknowledgement" in n for n in ack.notes)
    # Both first-response verdicts are reported either way; unresolved keeps the card pending.
    assert result.verdict is Verdict.PENDING and not result.sla_met


def test_no_reply_yet_is_pending_then_breached() -> None:
    b = Builder(TUE_1000)
    early = card(b, as_of=TUE_1000 + minutes(10))
    human = early.metric("first_human_response")
    assert human is not None and human.end is None
    assert human.calendar_s == 600 and human.verdict is Verdict.PENDING
    assert early.verdict is Verdict.PENDING
    late = card(b, as_of=TUE_1000 + minutes(16))
    assert late.metric("first_human_response").verdict is Verdict.BREACHED  # type: ignore[union-attr]
    assert late.verdict is Verdict.BREACHED


def test_live_deadlines_count_down_in_both_clocks() -> None:
    friday_1750 = datetime(2026, 11, 20, 17, 50, tzinfo=SHANGHAI).astimezone(UTC)
    b = Builder(friday_1750)
    now = friday_1750 + minutes(20)  # 18:10: the office closed at 18:00
    deadlines = live_deadlines(
        Timeline.of(b.events),
        severity=Severity.P0,
        sla=COMMON_P0,
        coverage=SHANGHAI_OFFICE,
        now=now,
    )
    by_name = {d.metric: d for d in deadlines}
    assert set(by_name) == {"acknowledgement", "first_human_response", "first_resolution",
                            "full_resolution"}  # fmt: skip
    human = by_name["first_human_response"]
    assert human.judged
    assert human.remaining_calendar_s == -5 * 60
    assert human.remaining_business_s == 5 * 60
    assert not human.business_clock_running
    assert human.deadline_business == datetime(2026, 11, 23, 9, 5, tzinfo=SHANGHAI)


def test_update_cadence_and_its_pausable_variant() -> None:
    b = Builder(TUE_1000).reply(minutes(10)).reply(minutes(40))
    b.status(minutes(50), StatusCategory.PENDING).status(minutes(110), StatusCategory.OPEN)
    b.reply(minutes(120)).status(minutes(150), StatusCategory.SOLVED)
    result = card(b)
    cadence = result.metric("update_cadence")
    pausable = result.metric("update_cadence_pausable")
    assert cadence is not None and pausable is not None
    assert cadence.calendar_s == 80 * 60
    assert cadence.start == TUE_1000 + minutes(40) and cadence.end == TUE_1000 + minutes(120)
    assert cadence.verdict is Verdict.BREACHED and cadence.judged
    assert cadence.deadline_calendar == TUE_1000 + minutes(100)
    assert "3 gap(s) between human updates" in cadence.notes
    # 60 of those 80 minutes the ticket waited on us.
    assert pausable.calendar_s == 30 * 60 and pausable.business_s == 30 * 60
    assert pausable.verdict is Verdict.MET and not pausable.judged
    assert pausable.deadline_calendar is None


def test_hold_can_be_made_to_pause_too() -> None:
    b = Builder(TUE_1000).reply(minutes(10)).status(minutes(20), StatusCategory.HOLD)
    b.reply(minutes(100))
    default = card(b).metric("update_cadence_pausable")
    assert default is not None and default.calendar_s == 90 * 60
    both = card(b, paused_categories=PAUSED_CATEGORIES | {StatusCategory.HOLD})
    # On hold until as_of (the last event): the whole gap after 20 minutes is paused.
    assert both.metric("update_cadence_pausable").calendar_s == 10 * 60  # type: ignore[union-attr]


def test_open_update_gap_runs_until_as_of() -> None:
    b = Builder(TUE_1000).reply(minutes(10)).reply(minutes(20))
    result = card(b, as_of=TUE_1000 + minutes(100))
    cadence = result.metric("update_cadence")
    assert cadence is not None
    assert cadence.end is None and cadence.calendar_s == 80 * 60
    assert cadence.verdict is Verdict.BREACHED
    assert cadence.deadline_calendar == TUE_1000 + minutes(80)
    quiet = card(b, as_of=TUE_1000 + minutes(25)).metric("update_cadence")
    assert quiet is not None and quiet.verdict is Verdict.PENDING
    assert quiet.calendar_s == 10 * 60 and quiet.end is not None
    assert any("no update for 5m so far" in n for n in quiet.notes)


def test_cadence_without_human_updates_is_not_applicable() -> None:
    b = Builder(TUE_1000).reply(minutes(1), ReplyClass.AUTO)
    cadence = card(b).metric("update_cadence")
    assert cadence is not None and cadence.verdict is Verdict.NOT_APPLICABLE
    assert cadence.notes == ("no human update yet: the cadence starts at the first one",)


def test_reopen_restarts_full_resolution_and_auto_close_is_ignored() -> None:
    b = Builder(TUE_1000).reply(minutes(5)).status(minutes(60), StatusCategory.SOLVED)
    b.status(minutes(120), StatusCategory.OPEN).reply(minutes(130))
    b.status(minutes(180), StatusCategory.SOLVED).status(minutes(240), StatusCategory.CLOSED)
    result = card(b)
    first = result.metric("first_resolution")
    full = result.metric("full_resolution")
    assert first is not None and full is not None
    assert first.calendar_s == 3600 and first.judged and first.verdict is Verdict.MET
    assert full.calendar_s == 3 * 3600 and not full.judged
    assert "reopened 1 time(s)" in full.notes
    # The reopen restarted the update clock: 5 → 60 (solve), 120 (reopen) → 130 → 180 (solve).
    cadence = result.metric("update_cadence")
    assert cadence is not None and cadence.calendar_s == 55 * 60
    assert "3 gap(s) between human updates" in cadence.notes


def test_reopened_and_not_resolved_again_leaves_full_resolution_open() -> None:
    b = Builder(TUE_1000).reply(minutes(5)).status(minutes(60), StatusCategory.SOLVED)
    b.status(minutes(90), StatusCategory.OPEN)
    result = card(b, as_of=TUE_1000 + minutes(200))
    full = result.metric("full_resolution")
    assert full is not None and full.end is None and full.verdict is Verdict.PENDING
    assert full.notes == ("reopened and not resolved again",)
    assert result.metric("first_resolution").verdict is Verdict.MET  # type: ignore[union-attr]


def test_ticket_resolved_event_and_direct_close_count_as_resolution() -> None:
    resolved = TicketResolved(
        at=TUE_1000 + minutes(45),
        observed_at=TUE_1000 + minutes(45),
        precision_s=1.0,
        how=ResolutionKind.STREAM_RECOVERED,
    )
    b = Builder(TUE_1000, skew_s=-2.0).reply(minutes(5)).add(resolved)
    first = card(b).metric("first_resolution")
    # T0 is desk time, resolution our time: the skew joins the precision.
    assert first is not None and first.calendar_s == 45 * 60 and first.precision_s == 3.0
    closed = Builder(TUE_1000).reply(minutes(5)).status(minutes(30), StatusCategory.CLOSED)
    assert card(closed).metric("first_resolution").calendar_s == 30 * 60  # type: ignore[union-attr]


def test_reply_and_solve_at_the_same_instant() -> None:
    b = Builder(TUE_1000).reply(minutes(5)).reply(minutes(40))
    b.status(minutes(40), StatusCategory.SOLVED)
    cadence = card(b).metric("update_cadence")
    assert cadence is not None and cadence.calendar_s == 35 * 60
    assert "1 gap(s) between human updates" in cadence.notes


def test_human_reply_after_resolution_starts_no_clock() -> None:
    b = Builder(TUE_1000).reply(minutes(5)).status(minutes(10), StatusCategory.SOLVED)
    b.reply(minutes(20)).reply(minutes(200))
    cadence = card(b).metric("update_cadence")
    assert cadence is not None and cadence.calendar_s == 5 * 60 and cadence.verdict is Verdict.MET


def test_next_reply_waits() -> None:
    b = Builder(TUE_1000).reply(minutes(5)).customer(minutes(20)).customer(minutes(25))
    b.reply(minutes(40), ReplyClass.AUTO).reply(minutes(45)).customer(minutes(50))
    result = card(b, as_of=TUE_1000 + minutes(70))
    first = result.metric("next_reply_1")
    second = result.metric("next_reply_2")
    assert first is not None and second is not None
    assert first.calendar_s == 25 * 60 and first.verdict is Verdict.NO_TARGET
    assert first.precision_s == 0.0
    assert second.end is None and second.calendar_s == 20 * 60
    assert result.metric("next_reply_3") is None


def test_stream_metrics() -> None:
    injected = TUE_1000 - minutes(3)
    b = Builder(TUE_1000).add(
        FaultInjected(at=injected, observed_at=injected, precision_s=0.5, profile="sea-mobile-peak")
    )
    b.add(StreamDegraded(at=injected + timedelta(seconds=4), observed_at=injected, precision_s=1))
    b.add(FaultLifted(at=TUE_1000 + minutes(30), observed_at=TUE_1000 + minutes(30)))
    result = card(b, as_of=TUE_1000 + minutes(31))
    detection = result.metric("detection_latency")
    recovery = result.metric("recovery")
    assert detection is not None and detection.calendar_s == 4 and detection.precision_s == 1.5
    assert recovery is not None and recovery.end is None and recovery.calendar_s == 60
    assert not detection.judged and detection.verdict is Verdict.NO_TARGET


def test_verdict_within_precision_is_flagged() -> None:
    b = Builder(TUE_1000).reply(minutes(15) - timedelta(seconds=2), precision_s=POLL_S)
    human = card(b).metric("first_human_response")
    assert human is not None and human.verdict is Verdict.MET and human.precision_s == POLL_S
    assert any("within ±5s of the target" in n for n in human.notes)


def test_no_ticket_filed() -> None:
    b = Builder(TUE_1000)
    b.events.pop(0)
    b.add(DrillEnded(at=TUE_1000, observed_at=TUE_1000, outcome=Outcome.ABORTED, reason="boom"))
    result = card(b)
    assert all(m.verdict in (Verdict.NOT_APPLICABLE, Verdict.NO_TARGET) for m in result.metrics)
    assert all(m.verdict is Verdict.NOT_APPLICABLE for m in result.metrics if m.judged)
    # Nothing was judged, so nothing was met: an aborted drill before filing never reads "met".
    assert result.verdict is Verdict.NOT_APPLICABLE and not result.sla_met
    assert "no ticket was filed: the support figures are not applicable" in result.notes
    assert "drill ended aborted: boom" in result.notes
    assert result.metric("next_reply_1") is None


def test_empty_timeline() -> None:
    result = evaluate(Timeline(), severity=Severity.P1, sla=None, coverage=ALWAYS)
    assert result.metrics == () and result.as_of is None
    assert "no SLA target for P1: nothing is judged" in result.notes
    assert result.verdict is Verdict.NO_TARGET and not result.sla_met


def test_no_target_for_the_severity_is_never_met() -> None:
    b = Builder(TUE_1000).reply(minutes(1), ReplyClass.AUTO).reply(minutes(3))
    result = evaluate(Timeline.of(b.events), severity=Severity.P1, sla=None, coverage=ALWAYS)
    human = result.metric("first_human_response")
    assert human is not None and human.calendar_s == 3 * 60
    assert human.verdict is Verdict.NO_TARGET and not human.verdict.judged
    assert result.verdict is Verdict.NO_TARGET and not result.sla_met


def test_notes_say_what_the_figures_could_not_see() -> None:
    b = Builder(TUE_1000, skew_s=3.0)
    b.events[0] = replace(b.events[0], recovered=True)  # type: ignore[call-overload]
    b.reply(minutes(3), ReplyClass.UNCLASSIFIED, author_role="")
    b.reply(-minutes(1), ReplyClass.AUTO)
    b.add(DeskGap(at=TUE_1000, observed_at=TUE_1000, until=TUE_1000 + minutes(2), error="429"))
    b.add(DrillEnded(at=TUE_1000 + minutes(9), observed_at=TUE_1000, outcome=Outcome.HALTED))
    b.add(DrillEnded(at=TUE_1000 + minutes(9), observed_at=TUE_1000, outcome=Outcome.COMPLETED))
    caps = DeskCapabilities(notes=("requester view has no via.channel",))
    result = card(b, capabilities=caps)
    notes = "\n".join(result.notes)
    assert "found again on the desk after a restart" in notes
    assert "desk clock 3s ahead of ours" in notes
    assert "1 vendor repl(ies) timestamped before T0 ignored" in notes
    assert "no author role for 1 of 1 vendor replies" in notes
    assert "desk cannot show author roles" in notes
    assert "requester view has no via.channel" in notes
    assert "desk unreachable 1 time(s), 2m in all" in notes
    assert "drill ended" not in notes
    behind = Builder(TUE_1000, skew_s=-3.0)
    halted = behind.add(DrillEnded(at=TUE_1000, observed_at=TUE_1000, outcome=Outcome.HALTED))
    later = "\n".join(card(halted, capabilities=DeskCapabilities(author_roles=True)).notes)
    assert "desk clock 3s behind ours" in later and "drill ended halted" in later
    assert "cannot show author roles" not in later


def test_coverage_without_hours() -> None:
    never = Coverage(timezone="UTC", label="")
    b = Builder(TUE_1000).reply(minutes(30))
    result = card(b, never, as_of=TUE_1000 + minutes(60))
    human = result.metric("first_human_response")
    assert human is not None and human.business_s == 0.0 and human.verdict is Verdict.MET
    assert human.deadline_business is None
    assert result.metric("first_resolution").verdict is Verdict.PENDING  # type: ignore[union-attr]
    assert "coverage has no hours: the business-time clock never runs" in result.notes
    assert result.coverage_label == "UTC"


def test_vendor_reply_classes_are_counted() -> None:
    b = Builder(TUE_1000).reply(minutes(1), ReplyClass.AUTO).reply(minutes(2), ReplyClass.AUTO)
    b.reply(minutes(3), ReplyClass.UNCLASSIFIED)
    counts = card(b).replies
    assert (counts.auto, counts.human, counts.unclassified) == (2, 0, 1)


def test_update_gap_figures_belong_to_the_gap_shown() -> None:
    # Gap A: Tue 17:00 → Wed 10:00, 17 h of calendar time but 2 h of business time.
    # Gap B: Wed 10:00 → Wed 13:30, 3.5 h of both. The contractual (business) figure is B's,
    # and the calendar figure shown must be B's too, or it disagrees with the start and end.
    b = Builder(TUE_1000).reply(minutes(7 * 60)).reply(minutes(24 * 60))
    b.reply(minutes(27 * 60 + 30))
    cadence = card(b, SHANGHAI_OFFICE).metric("update_cadence")
    assert cadence is not None and cadence.start is not None and cadence.end is not None
    assert cadence.start == TUE_1000 + minutes(24 * 60)
    assert cadence.calendar_s == cadence.business_s == 3.5 * 3600
    assert cadence.verdict_business is Verdict.BREACHED
    # The calendar verdict judges the largest calendar gap, which a note names.
    assert cadence.verdict_calendar is Verdict.BREACHED
    assert any("largest gap in calendar time is another: 17h" in n for n in cadence.notes)


def test_metrics_list_the_holidays_and_make_up_days_they_cover() -> None:
    # Filed Fri 13 Feb 2026 17:00 Shanghai; solved Tue 24 Feb: the Spring Festival week off,
    # and Sat 14 Feb worked as a make-up day.
    filed = datetime(2026, 2, 13, 17, 0, tzinfo=SHANGHAI).astimezone(UTC)
    b = Builder(filed).reply(minutes(11 * 24 * 60))
    human = card(b, SHANGHAI_OFFICE).metric("first_human_response")
    assert human is not None
    kinds = [(d.day.isoformat(), d.kind.value) for d in human.special_days]
    assert kinds[0] == ("2026-02-14", "make-up workday")
    assert ("2026-02-17", "holiday") in kinds and ("2026-02-23", "holiday") in kinds
    # Fri 17:00-18:00, Sat 09:00-18:00, Tue 24 Feb 09:00-17:00 (after Feb 16-23 off).
    assert human.business_s == (1 + 9 + 8) * 3600


def test_a_drill_resolved_by_the_stream_does_not_take_the_desk_s_word_for_it() -> None:
    t0 = SAT_0300
    b = Builder(t0).reply(minutes(1)).status(minutes(2), StatusCategory.SOLVED)
    by_desk = card(b)
    assert by_desk.metric("first_resolution").end == t0 + minutes(2)  # type: ignore[union-attr]
    by_stream = card(b, desk_resolves=False, as_of=t0 + minutes(10))
    resolution = by_stream.metric("first_resolution")
    assert resolution is not None and resolution.end is None
    assert resolution.verdict is Verdict.PENDING  # the stream is still down: not resolved
    assert any("the desk marked the ticket solved at 19:02:00Z" in n for n in by_stream.notes)
    b.add(TicketResolved(**b.at(minutes(7)), how=ResolutionKind.STREAM_RECOVERED))
    restored = card(b, desk_resolves=False)
    assert restored.metric("first_resolution").end == t0 + minutes(7)  # type: ignore[union-attr]
    quiet = card(Builder(t0).reply(minutes(1)), desk_resolves=False)
    assert not any("solved" in note for note in quiet.notes)
