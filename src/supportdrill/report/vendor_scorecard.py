"""``supportdrill scorecard``: vendors side by side, per severity and per time window, with how
sure the figures are — the Markdown and JSON forms (the HTML form is :mod:`.scorecard_html`).

For each vendor, severity and window (all, business hours, off-hours, weekend, holiday): p50 /
p90 / max of acknowledgement, first human response and resolution; the SLA compliance rate with
its 95 % Wilson interval; the diagnosis accuracy; optionally the outage's business cost. Then,
for each pair of vendors, how many more drills would tell their compliance apart, and an
hour-of-week heat map per vendor. The statistics are pure functions in
:mod:`supportdrill.measure.fleet` and :mod:`supportdrill.measure.stats`; this module loads the
store and writes the figures down.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..definitions.durations import format_duration
from ..measure.fleet import (
    ALL,
    GroupSummary,
    HeatCell,
    RunFigures,
    Spread,
    heat_map,
    run_figures,
    separations,
    summarise_groups,
)
from ..measure.stats import Proportion, Separation
from ..measure.windows import WINDOW_LABELS, Window
from ..store import StoreTarget
from .index import SCHEDULE_LABEL

SCHEMA = "supportdrill.scorecard/1"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_RULER = "0     6     12    18    "


@dataclass(frozen=True)
class FleetScorecard:
    """Everything the scorecard shows."""

    runs: int
    """Finished runs counted (those with events)."""
    groups: tuple[GroupSummary, ...]
    separations: tuple[tuple[str, Separation], ...]
    heat_maps: tuple[tuple[str, tuple[HeatCell, ...]], ...]
    """Per vendor (all severities): 168 cells, Monday 00:00 vendor-local first."""
    revenue_per_minute: float | None
    currency: str
    simulated_included: bool

    @property
    def severities(self) -> tuple[str, ...]:
        return tuple(sorted({group.severity for group in self.groups}))


def build(
    rows: Sequence[RunFigures],
    *,
    revenue_per_minute: float | None = None,
    currency: str = "",
    simulated_included: bool = False,
) -> FleetScorecard:
    groups = summarise_groups(rows, revenue_per_minute=revenue_per_minute)
    vendors = sorted({row.vendor for row in rows})
    return FleetScorecard(
        runs=len(rows),
        groups=groups,
        separations=separations(groups),
        heat_maps=tuple(
            (vendor, heat_map(row for row in rows if row.vendor == vendor)) for vendor in vendors
        ),
        revenue_per_minute=revenue_per_minute,
        currency=currency,
        simulated_included=simulated_included,
    )


def load(
    store_path: StoreTarget,
    *,
    vendors: Sequence[str] = (),
    severity: str | None = None,
    include_simulated: bool = False,
    revenue_per_minute: float | None = None,
    currency: str = "",
    group: str = "vendor",
) -> FleetScorecard:
    """Every finished run in the store, as the scorecard counts it, from the store's index
    (runs not indexed yet are scored and indexed first); ``group="schedule"`` makes each
    vendor's scheduled series (its ``schedule`` label) rows and heat maps of their own."""
    from .fleet_index import read_scorecard

    return read_scorecard(
        store_path,
        vendors=vendors,
        severity=severity,
        include_simulated=include_simulated,
        revenue_per_minute=revenue_per_minute,
        currency=currency,
        by_schedule=group == "schedule",
    )


def series_label(vendor: str, schedule: str | None) -> str:
    """A row's name: the vendor, or with ``--group schedule`` the vendor and its schedule."""
    if schedule is None:
        return vendor
    return f"{vendor} · schedule {schedule or '(unscheduled)'}"


def load_rescored(
    store_path: StoreTarget,
    *,
    vendors: Sequence[str] = (),
    severity: str | None = None,
    include_simulated: bool = False,
    revenue_per_minute: float | None = None,
    currency: str = "",
    group: str = "vendor",
) -> FleetScorecard:
    """:func:`load` the slow way: every finished run's timeline scored again (the index's
    oracle in tests, and the benchmark's baseline)."""
    from ..measure.diagnosis import diagnose
    from .rescoring import scored_runs

    rows = []
    for run in scored_runs(
        store_path, vendors=vendors, severity=severity, include_simulated=include_simulated
    ):
        schedule = run.labels.get(SCHEDULE_LABEL, "") if group == "schedule" else None
        figures = run_figures(
            run.run_id,
            series_label(run.vendor, schedule),
            run.timeline,
            run.card,
            diagnose(run.timeline),
            run.drill.coverage,
            simulated=run.simulated,
        )
        if figures is not None:
            rows.append(figures)
    return build(
        rows,
        revenue_per_minute=revenue_per_minute,
        currency=currency,
        simulated_included=include_simulated,
    )


# -- words -------------------------------------------------------------------------------------


def window_label(window: Window | str) -> str:
    return "all" if window == ALL else WINDOW_LABELS[Window(window)]


def rate_text(rate: Proportion) -> str:
    """``9/10 = 90 % (60–98 %)``; ``—`` with nothing judged."""
    if rate.rate is None or rate.low is None or rate.high is None:
        return "—"
    return f"{rate.successes}/{rate.trials} = {rate.rate:.0%} ({rate.low:.0%}–{rate.high:.0%})"


def spread_text(spread: Spread) -> str:
    """``4m / 12m / 1h 5m``, with ``+2 never`` for runs in which it never came."""
    if spread.ended == 0:
        shown = "—"
    else:
        shown = " / ".join(
            format_duration(value) if value is not None else "—"
            for value in (spread.p50_s, spread.p90_s, spread.max_s)
        )
    return shown + (f" (+{spread.never} never)" if spread.never else "")


def money(value: float | None, currency: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} {currency}".strip()


def separation_text(sep: Separation) -> str:
    if sep.apart:
        return "already apart: their 95 % intervals do not overlap"
    if sep.needed_per_vendor is None:
        if sep.first_rate.rate is None or sep.second_rate.rate is None:
            return "not comparable: one has no judged drill"
        return "the observed rates are equal: no number of drills tells them apart"
    return (
        f"{sep.needed_per_vendor} judged drills each: {sep.more_first} more for "
        f"{sep.first}, {sep.more_second} more for {sep.second}"
    )


def heat_symbol(cell: HeatCell) -> str:
    """One character per hour: ``·`` no judged run; ``█`` ≥ 90 % met, ``▓`` ≥ 75 %, ``▒`` ≥ 50 %,
    ``░`` below."""
    if cell.judged == 0:
        return "·"
    rate = cell.met / cell.judged
    return "█" if rate >= 0.9 else "▓" if rate >= 0.75 else "▒" if rate >= 0.5 else "░"


# -- Markdown ----------------------------------------------------------------------------------


def _group_row(group: GroupSummary, card: FleetScorecard) -> str:
    diagnosis = rate_text(group.diagnosed)
    if group.wrong_first:
        diagnosis += f"; wrong first {group.wrong_first}"
    cells = [
        group.vendor.replace("|", "\\|")
        + (f" (simulated: {group.simulated})" if group.simulated else ""),
        window_label(group.window),
        str(group.runs),
        rate_text(group.compliance) + (f", {group.pending} pending" if group.pending else ""),
        spread_text(group.acknowledgement),
        spread_text(group.first_human),
        spread_text(group.resolution),
        diagnosis,
        spread_text(group.time_to_correct),
    ]
    if card.revenue_per_minute is not None and group.cost is not None:
        lower = " (lower bound)" if group.cost.lower_bound_runs else ""
        cells.append(
            f"{money(group.cost.cost_p50, card.currency)} / "
            f"{money(group.cost.cost_total, card.currency)}{lower}"
        )
    return "| " + " | ".join(cells) + " |"


def render_markdown(card: FleetScorecard) -> str:
    if not card.runs:
        return "no finished runs to compare"
    header = [
        "vendor",
        "window",
        "runs",
        "SLA met (95 % CI)",
        "acknowledgement p50 / p90 / max",
        "first human p50 / p90 / max",
        "resolution p50 / p90 / max",
        "diagnosed correctly (95 % CI)",
        "time to correct diagnosis p50 / p90 / max",
    ]
    if card.revenue_per_minute is not None:
        header.append("outage cost p50 / total")
    lines = [
        "# Vendor scorecard",
        "",
        f"{card.runs} finished runs. Times are calendar time from the ticket's filing; "
        "percentiles are over the runs in which the figure came (`+N never`: it did not). SLA "
        "met is the contractual verdict over runs with one (met or breached), with its 95 % "
        "Wilson interval. Windows are the filing time in the vendor's zone.",
    ]
    if card.revenue_per_minute is not None:
        lines.append(
            f"Outage cost: minutes from the fault to the vendor's first resolution × "
            f"{money(card.revenue_per_minute, card.currency)} per minute (as entered)."
        )
    for severity in card.severities:
        lines += [
            "",
            f"## {severity}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
        ]
        lines += [_group_row(g, card) for g in card.groups if g.severity == severity]
        pairs = [sep for sev, sep in card.separations if sev == severity]
        if pairs:
            lines += ["", f"### Telling {severity} vendors apart (SLA compliance)", ""]
            lines += [f"- {s.first} vs {s.second}: {separation_text(s)}" for s in pairs]
    lines += [
        "",
        "## SLA compliance by hour of the week (vendor local time)",
        "",
        "`█` ≥ 90 % met, `▓` ≥ 75 %, `▒` ≥ 50 %, `░` below, `·` no judged drill; columns are "
        "hours 00–23.",
    ]
    for vendor, cells in card.heat_maps:
        lines += ["", f"{vendor}:", "", "```", "     " + HOURS_RULER]
        for day, name in enumerate(DAYS):
            hours = cells[day * 24 : day * 24 + 24]
            lines.append(f"{name}  " + "".join(heat_symbol(cell) for cell in hours))
        lines.append("```")
    return "\n".join(lines) + "\n"


# -- JSON --------------------------------------------------------------------------------------


def render_json(card: FleetScorecard) -> str:
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "runs": card.runs,
        "simulated_included": card.simulated_included,
        "revenue_per_minute": card.revenue_per_minute,
        "currency": card.currency,
        "groups": [asdict(group) for group in card.groups],
        "separations": [
            {"severity": severity, **asdict(sep)} for severity, sep in card.separations
        ],
        "heat_maps": {vendor: [asdict(cell) for cell in cells] for vendor, cells in card.heat_maps},
    }
    return json.dumps(data, indent=2, default=str)
