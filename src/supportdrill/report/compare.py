"""Vendors side by side over many runs: ``supportdrill scorecard``.

One row per vendor (and severity, since targets differ by severity) with the figures that decide
a support contract: how many drills, how many met the SLA, and first human response, update gap
and resolution as p50/p90/max in calendar and business time, with their verdict counts. Runs on
simulated time describe a persona's script, not a vendor: they are left out unless asked for,
and marked when included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..definitions.durations import format_duration
from ..definitions.loader import build_drill
from ..definitions.model import Drill
from ..measure.aggregate import MetricSummary, aggregate
from ..measure.evaluation import Evaluation
from ..store import RunStore, StoreTarget
from ..store.model import RunStatus
from ..timeline import DrillStarted, Timeline
from .build import evaluation_of
from .index import index_missing
from .journal import RunFacts

HEADLINE_METRICS = ("first_human_response", "acknowledgement", "update_cadence", "first_resolution")
"""The figures the comparison shows, in this order (every other figure is in the JSON)."""


@dataclass(frozen=True)
class VendorSummary:
    vendor: str
    severity: str
    runs: int
    sla_met: int
    simulated: int
    """Of ``runs``, those on simulated time (a persona's script)."""
    metrics: tuple[MetricSummary, ...]

    def metric(self, name: str) -> MetricSummary | None:
        return next((m for m in self.metrics if m.name == name), None)


def summarise(
    scorecards: Iterable[tuple[str, str, bool, Evaluation]],
) -> tuple[VendorSummary, ...]:
    """``(vendor, severity, simulated, scorecard)`` per run → one summary per vendor and
    severity, vendors in name order."""
    grouped: dict[tuple[str, str], list[tuple[bool, Evaluation]]] = {}
    for vendor, severity, simulated, card in scorecards:
        grouped.setdefault((vendor, severity), []).append((simulated, card))
    summaries: list[VendorSummary] = []
    for (vendor, severity), cards in sorted(grouped.items()):
        summaries.append(
            VendorSummary(
                vendor=vendor,
                severity=severity,
                runs=len(cards),
                sla_met=sum(1 for _, card in cards if card.sla_met),
                simulated=sum(1 for simulated, _ in cards if simulated),
                metrics=aggregate(card for _, card in cards),
            )
        )
    return tuple(summaries)


def _cell(summary: MetricSummary | None, business: bool) -> str:
    if summary is None or summary.runs == 0:
        return "—"
    figures = (
        (summary.p50_business_s, summary.p90_business_s, summary.max_business_s)
        if business
        else (summary.p50_calendar_s, summary.p90_calendar_s, summary.max_calendar_s)
    )
    shown = " / ".join("—" if value is None else format_duration(value) for value in figures)
    unended = summary.runs - summary.ended
    waiting = f", {unended} never" if unended else ""
    return f"{shown} ({summary.breached}/{summary.runs} breached{waiting})"


def render_comparison(summaries: Sequence[VendorSummary]) -> str:
    if not summaries:
        return "no finished runs to compare"
    lines = [
        "# Vendors compared",
        "",
        "Figures are p50 / p90 / max over the runs in which they ended; breaches count the "
        "contractual (business-time) verdict, and runs that never got the answer count as "
        "`never`.",
        "",
    ]
    for business in (False, True):
        lines += [
            f"## {'Business' if business else 'Calendar'} time",
            "",
            "| vendor | severity | runs | SLA met | "
            + " | ".join(name.replace("_", " ") for name in HEADLINE_METRICS)
            + " |",
            "|---|---|---|---|" + "---|" * len(HEADLINE_METRICS),
        ]
        for summary in summaries:
            vendor = summary.vendor
            if summary.simulated:
                vendor += f" (simulated: {summary.simulated})"
            cells = [
                vendor.replace("|", "\\|"),
                summary.severity,
                str(summary.runs),
                f"{summary.sla_met}/{summary.runs}",
                *(_cell(summary.metric(name), business) for name in HEADLINE_METRICS),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def comparison_json(summaries: Sequence[VendorSummary]) -> str:
    data: list[dict[str, Any]] = [asdict(summary) for summary in summaries]
    return json.dumps({"schema": "supportdrill.compare/1", "vendors": data}, indent=2)


@dataclass(frozen=True)
class ScoredRun:
    """One finished run, scored with the drill it ran."""

    run_id: str
    vendor: str
    severity: str
    simulated: bool
    drill: Drill
    timeline: Timeline
    card: Evaluation
    labels: Mapping[str, str] = field(default_factory=dict)
    """The run's labels (a scheduled run's ``schedule`` among them)."""


def scored_runs(
    store_path: StoreTarget,
    *,
    vendors: Sequence[str] = (),
    severity: str | None = None,
    include_simulated: bool = False,
) -> Iterator[ScoredRun]:
    """Every finished run in the store (of these vendors, this severity), scored."""
    store = RunStore(store_path)
    try:
        finished = [
            run
            for run in store.runs(limit=None, status=RunStatus.FINISHED)
            if (not vendors or run.vendor in vendors)
            and (severity is None or run.severity == severity)
        ]
        timelines = store.timelines([run.run_id for run in finished])
        drills: dict[tuple[str, str], Drill] = {}
        for run in finished:
            timeline = timelines.get(run.run_id)
            if timeline is None:
                continue
            started = timeline.first(DrillStarted)
            simulated = bool(started and started.simulated_clock)
            if simulated and not include_simulated:
                continue
            record = store.get_run(run.run_id)
            # Thousands of runs share a handful of drill files: parse each once.
            key = (record.drill_path or "", record.drill_text)
            drill = drills.get(key) or drills.setdefault(
                key, build_drill(record.drill_text, record.drill_path or "drill.yaml")
            )
            card = evaluation_of(RunFacts(run.run_id, drill, simulated), timeline)
            yield ScoredRun(
                run.run_id,
                run.vendor,
                run.severity,
                simulated,
                drill,
                timeline,
                card,
                record.labels,
            )
    finally:
        store.close()


def compare_store(
    store_path: StoreTarget,
    *,
    vendors: Sequence[str] = (),
    severity: str | None = None,
    include_simulated: bool = False,
) -> tuple[VendorSummary, ...]:
    """Every finished run in the store, summarised per vendor from the scorecard index (runs
    not indexed yet are scored and indexed first), aggregated in SQL."""
    store = RunStore(store_path)
    try:
        index_missing(store)
        groups = store.score_figures(
            vendors=vendors, severity=severity, include_simulated=include_simulated
        )
    finally:
        store.close()
    return tuple(
        VendorSummary(
            vendor=group.vendor,
            severity=group.severity,
            runs=group.runs,
            sla_met=group.sla_met,
            simulated=group.simulated,
            metrics=tuple(MetricSummary(**asdict(figures)) for figures in group.metrics),
        )
        for group in groups
    )


def compare_store_rescored(
    store_path: StoreTarget,
    *,
    vendors: Sequence[str] = (),
    severity: str | None = None,
    include_simulated: bool = False,
) -> tuple[VendorSummary, ...]:
    """:func:`compare_store` the slow way, without the index: every finished run's timeline
    loaded and scored again. The benchmark's baseline, and the index's test oracle."""
    return summarise(
        (run.vendor, run.severity, run.simulated, run.card)
        for run in scored_runs(
            store_path, vendors=vendors, severity=severity, include_simulated=include_simulated
        )
    )
