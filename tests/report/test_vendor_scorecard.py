"""``supportdrill scorecard --format md|json|html`` over a store of generated drills (the
benchmark's generator: whole timelines stored with real drill files), and its wording."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportdrill.measure.diagnosis import Judgement
from supportdrill.measure.fleet import HeatCell, RunFigures
from supportdrill.measure.stats import separation, wilson_interval
from supportdrill.measure.verdicts import Verdict
from supportdrill.measure.windows import Window
from supportdrill.report.vendor_scorecard import (
    build,
    heat_symbol,
    load,
    load_rescored,
    rate_text,
    render_json,
    render_markdown,
    separation_text,
    spread_text,
)

from .test_html import external_references

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from generate_runs import fill

HARNESS = [sys.executable, "-m", "supportdrill.cli"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fleet") / "runs.db"
    fill(path, 48, seed=3)
    return path


def _cli(store: Path, *args: str) -> str:
    done = subprocess.run(
        [*HARNESS, "--store", str(store), "scorecard", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout


def test_every_vendor_severity_and_window_is_summarised(store: Path) -> None:
    card = load(store)
    assert card.runs == 48
    assert card == load_rescored(store)  # the index's figures are the rescoring path's
    vendors = {group.vendor for group in card.groups}
    assert vendors == {"acme-rtc", "biz-cdn", "cheap-stream", "edge-eu"}
    for group in card.groups:
        assert group.runs >= 1
        assert group.compliance.trials + group.pending <= group.runs
    overall = [g for g in card.groups if g.window == "all" and g.severity == "P0"]
    p1 = [g for g in card.groups if g.window == "all" and g.severity != "P0"]
    assert sum(g.runs for g in overall) == 48 - sum(g.runs for g in p1)
    # Six pairs of four vendors, per severity present.
    assert len([s for sev, s in card.separations if sev == "P0"]) == 6
    assert all(len(cells) == 168 for _vendor, cells in card.heat_maps)
    assert sum(c.runs for _v, cells in card.heat_maps for c in cells) == 48


def test_markdown_and_json_from_the_command(store: Path) -> None:
    text = _cli(store, "--revenue-per-minute", "30000", "--currency", "CNY")
    assert text.startswith("# Vendor scorecard")
    assert "| acme-rtc | all |" in text and "outage cost p50 / total" in text
    assert "30,000 CNY per minute" in text and "### Telling P0 vendors apart" in text
    assert "Mon  " in text and "SLA compliance by hour of the week" in text
    data = json.loads(_cli(store, "--format", "json", "--vendor", "biz-cdn"))
    assert data["schema"] == "supportdrill.scorecard/1" and data["runs"] == 12
    assert {group["vendor"] for group in data["groups"]} == {"biz-cdn"}
    assert data["separations"] == [] and list(data["heat_maps"]) == ["biz-cdn"]


def test_html_is_self_contained_with_its_plots(store: Path) -> None:
    page = _cli(store, "--format", "html", "--severity", "P0")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 1 + 4  # the compliance plot and one heat map per vendor
    assert "How many drills to tell them apart" in page
    assert external_references(page) == []
    assert "data:image" not in page  # every plot is vectors


def test_a_negative_revenue_is_refused(store: Path) -> None:
    done = subprocess.run(
        [*HARNESS, "--store", str(store), "scorecard", "--revenue-per-minute", "-1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "not negative" in done.stderr


def test_no_runs() -> None:
    assert render_markdown(build([])) == "no finished runs to compare"
    assert json.loads(render_json(build([])))["runs"] == 0


def _row(vendor: str, verdict: Verdict) -> RunFigures:
    return RunFigures(
        run_id="r",
        vendor=vendor,
        severity="P0",
        filed_at=datetime(2026, 11, 17, 2, tzinfo=UTC),
        window=Window.BUSINESS,
        hour_of_week=34,
        verdict=verdict,
        acknowledgement_s=None,
        first_human_s=None,
        resolution_s=None,
        diagnosis=Judgement.NOT_APPLICABLE,
        time_to_correct_s=None,
        outage_s=None,
        outage_open=False,
        simulated=True,
    )


def test_wording() -> None:
    assert rate_text(wilson_interval(9, 10)) == "9/10 = 90% (60%–98%)"
    assert rate_text(wilson_interval(0, 0)) == "—"
    card = build([_row("a", Verdict.PENDING), _row("b", Verdict.MET)], simulated_included=True)
    text = render_markdown(card)
    assert "| a (simulated: 1) | all | 1 | —, 1 pending |" in text
    assert spread_text(card.groups[0].first_human) == "— (+1 never)"
    (pair,) = (sep for _sev, sep in card.separations)
    assert separation_text(pair) == "not comparable: one has no judged drill"
    equal = separation("a", wilson_interval(3, 4), "b", wilson_interval(6, 8))
    assert "no number of drills" in separation_text(equal)
    apart = separation("a", wilson_interval(98, 100), "b", wilson_interval(40, 100))
    assert separation_text(apart).startswith("already apart")
    close = separation("a", wilson_interval(9, 10), "b", wilson_interval(7, 10))
    assert separation_text(close) == "62 judged drills each: 52 more for a, 52 more for b"


@pytest.mark.parametrize(
    ("met", "judged", "symbol"),
    [(0, 0, "·"), (9, 10, "█"), (8, 10, "▓"), (5, 10, "▒"), (4, 10, "░")],
)
def test_heat_symbols(met: int, judged: int, symbol: str) -> None:
    assert (
        heat_symbol(HeatCell(runs=judged, met=met, judged=judged, first_human_p50_s=None)) == symbol
    )
