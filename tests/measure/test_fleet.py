"""The vendor scorecard's figures over many runs: rows, groups, separations, heat map, cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdrill.definitions.model import Severity
from supportdrill.measure.diagnosis import Judgement, diagnose
from supportdrill.measure.evaluation import evaluate
from supportdrill.measure.fleet import (
    ALL,
    cost_of,
    heat_map,
    run_figures,
    separations,
    spread,
    summarise_groups,
)
from supportdrill.measure.verdicts import Verdict
from supportdrill.measure.windows import Window
from supportdrill.timeline import (
    DrillEnded,
    DrillStarted,
    FaultInjected,
    Outcome,
    ReplyClass,
    StatusCategory,
    Timeline,
)

from .timelines import ALWAYS, COMMON_P0, SHANGHAI_OFFICE, Builder, minutes

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUE_1000 = datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
SAT_0300 = datetime(2026, 11, 21, 3, 0, tzinfo=SHANGHAI).astimezone(UTC)


def fault(t0: datetime) -> FaultInjected:
    return FaultInjected(
        at=t0 - minutes(2),
        observed_at=t0 - minutes(2),
        profile="p",
        region="Shanghai",
        toxics=("hold: udp loss probability=0.1 (upstream,downstream)",),
    )


def row(
    t0: datetime,
    *,
    human_after: float | None,
    solved_after: float | None,
    coverage=ALWAYS,
    vendor="acme",
    with_fault=True,
    end_after: float = 600,
):  # type: ignore[no-untyped-def]
    b = Builder(t0).reply(timedelta(seconds=30), ReplyClass.AUTO, excerpt="Received.")
    if human_after is not None:
        b.reply(minutes(human_after), excerpt="Packet loss in Shanghai, fixing.")
    if solved_after is not None:
        b.status(minutes(solved_after), StatusCategory.SOLVED)
    events = [fault(t0), *b.events] if with_fault else list(b.events)
    end = t0 + minutes(end_after)
    events.append(DrillEnded(at=end, observed_at=end, outcome=Outcome.COMPLETED))
    timeline = Timeline.of(events)
    card = evaluate(timeline, severity=Severity.P0, sla=COMMON_P0, coverage=coverage)
    figures = run_figures(f"r{t0:%d%H%M}", vendor, timeline, card, diagnose(timeline), coverage)
    assert figures is not None
    return figures


def test_one_run_as_a_row() -> None:
    figures = row(TUE_1000, human_after=10, solved_after=65)
    assert figures.window is Window.BUSINESS and figures.hour_of_week == 24 + 10
    assert figures.verdict is Verdict.MET
    assert figures.acknowledgement_s == 30 and figures.first_human_s == 600
    assert figures.resolution_s == 3900
    assert figures.diagnosis is Judgement.CORRECT and figures.time_to_correct_s == 600
    assert figures.outage_s == 3900 + 120 and not figures.outage_open


def test_a_run_never_answered_has_an_open_outage_to_its_end() -> None:
    figures = row(SAT_0300, human_after=None, solved_after=None, end_after=300)
    assert figures.first_human_s is None and figures.resolution_s is None
    assert figures.verdict is Verdict.BREACHED
    assert figures.outage_open and figures.outage_s == 300 * 60 + 120
    assert figures.window is Window.WEEKEND


def test_rows_without_a_fault_without_a_ticket_and_without_events() -> None:
    no_fault = row(TUE_1000, human_after=5, solved_after=None, with_fault=False)
    assert no_fault.outage_s == 600 * 60 and no_fault.outage_open
    assert no_fault.diagnosis is Judgement.NOT_APPLICABLE
    started = DrillStarted(
        at=TUE_1000, observed_at=TUE_1000, drill="d", vendor="v", desk="s", severity="P0"
    )
    bare = Timeline.of([started])
    card = evaluate(bare, severity=Severity.P0, sla=COMMON_P0, coverage=ALWAYS)
    figures = run_figures("x", "v", bare, card, diagnose(bare), ALWAYS, simulated=True)
    assert figures is not None and figures.outage_s is None and figures.simulated
    assert figures.filed_at == TUE_1000 and figures.verdict is Verdict.NOT_APPLICABLE
    empty = Timeline()
    empty_card = evaluate(empty, severity=Severity.P0, sla=COMMON_P0, coverage=ALWAYS)
    assert run_figures("y", "v", empty, empty_card, diagnose(empty), ALWAYS) is None


def test_groups_per_window_with_compliance_and_diagnosis() -> None:
    rows = [
        row(TUE_1000 + timedelta(days=7 * i), human_after=10, solved_after=60) for i in range(4)
    ]
    rows += [
        row(SAT_0300 + timedelta(days=7 * i), human_after=None, solved_after=None) for i in range(2)
    ]
    rows.append(row(SAT_0300, human_after=10, solved_after=60, vendor="zeta"))
    groups = summarise_groups(rows, revenue_per_minute=100.0)
    acme_all = groups[0]
    assert (acme_all.vendor, acme_all.window, acme_all.runs) == ("acme", ALL, 6)
    assert acme_all.compliance.successes == 4 and acme_all.compliance.trials == 6
    assert acme_all.first_human.ended == 4 and acme_all.first_human.never == 2
    assert acme_all.first_human.p50_s == 600
    assert acme_all.diagnosed.successes == 4 and acme_all.diagnosed.trials == 6
    assert acme_all.time_to_correct.p50_s == 600
    assert acme_all.cost is not None and acme_all.cost.lower_bound_runs == 2
    assert [g.window for g in groups if g.vendor == "acme"] == [
        ALL,
        Window.BUSINESS,
        Window.WEEKEND,
    ]
    weekend = next(g for g in groups if g.vendor == "acme" and g.window is Window.WEEKEND)
    assert weekend.compliance.successes == 0 and weekend.pending == 0
    assert summarise_groups(rows)[0].cost is None
    (pair,) = separations(groups)
    assert pair[0] == "P0" and pair[1].first == "acme" and pair[1].second == "zeta"


def test_wrong_first_is_counted() -> None:
    t0 = TUE_1000
    b = Builder(t0).reply(minutes(3), excerpt="A bandwidth problem in Tokyo.")
    end = t0 + minutes(60)
    timeline = Timeline.of(
        [fault(t0), *b.events, DrillEnded(at=end, observed_at=end, outcome=Outcome.COMPLETED)]
    )
    card = evaluate(timeline, severity=Severity.P0, sla=COMMON_P0, coverage=SHANGHAI_OFFICE)
    figures = run_figures("w", "v", timeline, card, diagnose(timeline), SHANGHAI_OFFICE)
    assert figures is not None and figures.diagnosis is Judgement.WRONG
    (group, _window) = summarise_groups([figures])
    assert group.wrong_first == 1 and group.diagnosed.successes == 0


def test_heat_map_has_168_cells_in_local_time() -> None:
    rows = [
        row(TUE_1000, human_after=10, solved_after=60),
        row(TUE_1000 + timedelta(days=7), human_after=30, solved_after=60),
        row(SAT_0300, human_after=None, solved_after=None),
    ]
    cells = heat_map(rows)
    assert len(cells) == 168
    tuesday_10 = cells[24 + 10]
    assert (tuesday_10.runs, tuesday_10.met, tuesday_10.judged) == (2, 1, 2)
    assert tuesday_10.first_human_p50_s == 1200
    saturday_3 = cells[5 * 24 + 3]
    assert saturday_3.runs == 1 and saturday_3.first_human_p50_s is None
    assert cells[0].runs == 0


def test_spread_and_cost_of_nothing() -> None:
    assert spread([]).p50_s is None and spread([None]).never == 1
    cost = cost_of([], 30000.0)
    assert cost.cost_total == 0 and cost.cost_p50 is None


def test_cost_is_minutes_times_revenue() -> None:
    figures = row(TUE_1000, human_after=10, solved_after=28)  # outage 30 min
    cost = cost_of([figures], 30000.0)
    assert cost.outage_minutes_total == pytest.approx(30)
    assert cost.cost_total == pytest.approx(900000)
