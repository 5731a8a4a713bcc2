"""The vendor scorecard as one self-contained HTML page: the per-window tables, a plot of each
vendor's SLA compliance with its 95 % interval per window, how many more drills would tell each
pair of vendors apart, and an hour-of-week heat map per vendor.

Plots are matplotlib to inline SVG, like the run report (:mod:`.plots` says why); the page has no
script and a ``default-src 'none'`` Content-Security-Policy, so it opens offline.
"""

from __future__ import annotations

from html import escape

import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from .. import __version__
from ..measure.fleet import ALL, GroupSummary, HeatCell
from ..measure.windows import WINDOWS
from .html import CSP, PAGE_STYLE
from .plots import new_figure, to_svg
from .vendor_scorecard import (
    DAYS,
    FleetScorecard,
    money,
    rate_text,
    separation_text,
    spread_text,
    window_label,
)

_RED_TO_GREEN = LinearSegmentedColormap.from_list("compliance", ["#d62728", "#f2d13c", "#2ca02c"])
_WINDOW_COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")


def compliance_svg(groups: list[GroupSummary], severity: str) -> str:
    """Each vendor's compliance rate per window, with its Wilson interval as an error bar."""
    vendors = sorted({group.vendor for group in groups})
    windows = [ALL, *WINDOWS]
    figure = new_figure(9, 0.55 * len(vendors) + 1.3)
    axis = figure.subplots()
    step = 0.8 / len(windows)
    for index, (window, colour) in enumerate(zip(windows, _WINDOW_COLOURS, strict=True)):
        ys: list[float] = []
        rates: list[float] = []
        lows: list[float] = []
        highs: list[float] = []
        for row, vendor in enumerate(vendors):
            group = next((g for g in groups if g.vendor == vendor and g.window == window), None)
            if group is None:
                continue
            rate, low, high = group.compliance.rate, group.compliance.low, group.compliance.high
            if rate is None or low is None or high is None:
                continue
            ys.append(row - 0.4 + step * (index + 0.5))
            rates.append(rate)
            lows.append(rate - low)
            highs.append(high - rate)
        if ys:
            axis.errorbar(
                rates,
                ys,
                xerr=[lows, highs],
                fmt="o",
                ms=4,
                capsize=2,
                color=colour,
                label=window_label(window),
            )
    axis.set_yticks(range(len(vendors)), vendors)
    axis.invert_yaxis()
    axis.set_xlim(-0.02, 1.02)
    axis.xaxis.set_major_formatter(lambda value, _pos: f"{value:.0%}")
    axis.set_xlabel(f"{severity}: share of judged drills that met the SLA (95 % Wilson interval)")
    axis.grid(axis="x", alpha=0.3)
    figure.legend(loc="outside lower center", ncols=5, fontsize=7, frameon=False)
    return to_svg(figure)


def heat_svg(vendor: str, cells: tuple[HeatCell, ...]) -> str:
    """Hours of the week (vendor local) coloured by the share of judged drills that met the
    SLA; each cell shows its number of drills; grey: none judged."""
    rates = np.full((7, 24), np.nan)
    for index, cell in enumerate(cells):
        if cell.judged:
            rates[index // 24, index % 24] = cell.met / cell.judged
    figure = new_figure(9, 2.6)
    axis = figure.subplots()
    colours = _RED_TO_GREEN.with_extremes(bad="#e8e8e8")
    # pcolormesh, not imshow: vector cells, where imshow would embed a raster image.
    image = axis.pcolormesh(
        np.ma.masked_invalid(rates), cmap=colours, vmin=0, vmax=1, edgecolors="white", lw=0.5
    )
    for index, cell in enumerate(cells):
        if cell.runs:
            axis.text(
                index % 24 + 0.5,
                index // 24 + 0.5,
                str(cell.runs),
                ha="center",
                va="center",
                fontsize=6,
            )
    axis.invert_yaxis()
    axis.set_yticks([day + 0.5 for day in range(7)], DAYS)
    axis.set_xticks(
        [hour + 0.5 for hour in range(24)], [f"{hour:02d}" for hour in range(24)], fontsize=7
    )
    axis.set_xlabel("hour the ticket was filed (vendor local time); number: drills in that hour")
    axis.set_title(vendor, fontsize=9, loc="left")
    # In 10 % steps: fewer than 50 solids, so matplotlib draws the bar as vectors, not an image.
    colourbar = figure.colorbar(image, ax=axis, fraction=0.03, boundaries=np.linspace(0, 1, 11))
    colourbar.ax.yaxis.set_major_formatter(lambda value, _pos: f"{value:.0%}")
    colourbar.set_label("SLA met", fontsize=7)
    return to_svg(figure)


def _table(card: FleetScorecard, severity: str) -> str:
    header = [
        "vendor",
        "window",
        "runs",
        "SLA met (95 % CI)",
        "acknowledgement<br>p50 / p90 / max",
        "first human response<br>p50 / p90 / max",
        "resolution<br>p50 / p90 / max",
        "diagnosed correctly (95 % CI)",
        "wrong first",
        "time to correct diagnosis<br>p50 / p90 / max",
    ]
    if card.revenue_per_minute is not None:
        header.append("outage cost<br>p50 / total")
    rows = []
    for group in (g for g in card.groups if g.severity == severity):
        vendor = escape(group.vendor)
        if group.simulated:
            vendor += f" <small>(simulated: {group.simulated})</small>"
        cells = [
            vendor if group.window == ALL else "",
            window_label(group.window),
            str(group.runs),
            rate_text(group.compliance) + (f", {group.pending} pending" if group.pending else ""),
            spread_text(group.acknowledgement),
            spread_text(group.first_human),
            spread_text(group.resolution),
            rate_text(group.diagnosed),
            str(group.wrong_first),
            spread_text(group.time_to_correct),
        ]
        if card.revenue_per_minute is not None and group.cost is not None:
            lower = " <small>(lower bound)</small>" if group.cost.lower_bound_runs else ""
            cells.append(
                f"{money(group.cost.cost_p50, card.currency)} / "
                f"{money(group.cost.cost_total, card.currency)}{lower}"
            )
        style = ' class="overall"' if group.window == ALL else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join(rows)
    return f'<table class="scorecard"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_html(card: FleetScorecard) -> str:
    """The whole page."""
    sections = []
    for severity in card.severities:
        groups = [g for g in card.groups if g.severity == severity]
        pairs = [sep for sev, sep in card.separations if sev == severity]
        apart = "".join(
            f"<li><strong>{escape(s.first)}</strong> vs <strong>{escape(s.second)}</strong>: "
            f"{escape(separation_text(s))}</li>"
            for s in pairs
        )
        sections.append(
            f"<h2>{escape(severity)}</h2>{_table(card, severity)}"
            f'<figure class="compliance">{compliance_svg(groups, severity)}</figure>'
            + (
                f"<h3>How many drills to tell them apart</h3><ul>{apart}</ul>"
                '<p class="note">Drills per vendor for a two-sided two-proportion test at 5 % '
                "significance and 80 % power, taking the observed compliance rates as the true "
                "ones: a planning figure.</p>"
                if pairs
                else ""
            )
        )
    heat = "".join(
        f'<figure class="heat">{heat_svg(vendor, cells)}</figure>'
        for vendor, cells in card.heat_maps
    )
    cost = (
        f"<p>Outage cost: minutes from the fault to the vendor's first resolution × "
        f"{escape(money(card.revenue_per_minute, card.currency))} per minute, as entered; "
        "runs never resolved count to their end (a lower bound).</p>"
        if card.revenue_per_minute is not None
        else ""
    )
    simulated = (
        '<p class="simulated">Runs on <strong>simulated time</strong> are included: they '
        "describe a persona's script, not a vendor.</p>"
        if card.simulated_included
        else ""
    )
    extra_style = "tr.overall td { border-top: 2px solid #999; font-weight: 600; }"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vendor scorecard — {card.runs} drills</title>
<style>{PAGE_STYLE}{extra_style}</style>
</head>
<body>
<h1>Vendor scorecard</h1>
<p>{card.runs} finished drills. Times are calendar time from the ticket's filing;
percentiles are over the drills in which the figure came (<em>+N never</em>: it did not). SLA met
is the contractual verdict over drills with one (met or breached), with its 95 % Wilson interval.
Windows are the filing time in the vendor's own zone: business hours, off-hours, weekend,
public holiday.</p>
{simulated}{cost}
{"".join(sections)}
<h2>SLA compliance by hour of the week</h2>
{heat}
<footer>supportdrill {escape(__version__)} · this file needs no network: no scripts, no external
resources.</footer>
</body>
</html>
"""
