"""The HTML report's plots — the one-clock timeline and the stream's health — drawn with
matplotlib and returned as SVG text to inline in the page.

Why matplotlib: it is the maintained default of Python plotting (monthly releases, among the
200 most downloaded packages on PyPI), and it renders in-process to *static* SVG: no JavaScript,
no web fonts, nothing fetched, so the report opens offline and a browser has no script that can
fail. Its one heavy requirement, numpy, the stream already needs. The JavaScript libraries
(Plotly, Bokeh, Vega-Altair) would inline 1–4 MB of script per report and need a browser to
draw anything; pygal's SVG relies on script for its tooltips.

We use ``matplotlib.figure.Figure`` directly, never ``pyplot``: no global state, no GUI backend,
safe to call from the runner's process. Text stays text in the SVG (``svg.fonttype: none``), so
it is small and searchable; the output is stripped of its XML prolog, DOCTYPE (which names a
W3C URL) and metadata, so the page carries no URL at all.

A long drill (a weekend waiting for Monday) squeezes the minutes around the fault into a pixel,
so each plot has the whole run plus zoomed views of its busy moments (:func:`views`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.typing import RcKeyType

from ..definitions.model import Drill
from ..measure.calendar import covered_intervals
from ..measure.evaluation import Evaluation
from ..measure.verdicts import Verdict
from ..timeline import (
    CustomerMessage,
    FaultInjected,
    FaultLifted,
    ReplyClass,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    TicketFiled,
    TicketStatus,
    Timeline,
    VendorProactiveContact,
    VendorReply,
)

FAULT = "#d62728"
HUMAN = "#2ca02c"
AUTO = "#7f7f7f"
UNCLASSIFIED = "#ff7f0e"
COVERED = "#2ca02c"
VERDICT_COLOURS = {
    Verdict.BREACHED: "#d62728",
    Verdict.MET: "#2ca02c",
    Verdict.PENDING: "#ff7f0e",
    Verdict.NOT_APPLICABLE: "#7f7f7f",
    Verdict.NO_TARGET: "#7f7f7f",
}
REPLY_STYLE = {
    ReplyClass.HUMAN: ("o", HUMAN, "vendor message: human"),
    ReplyClass.AUTO: ("s", AUTO, "vendor message: automatic"),
    ReplyClass.UNCLASSIFIED: ("^", UNCLASSIFIED, "vendor message: unclassified"),
}
HEALTH_ROWS = (
    ("fps", "fps"),
    ("latency_ms", "latency (ms)"),
    ("loss_pct", "loss (%)"),
    ("jitter_ms", "jitter (ms)"),
    ("mos", "MOS"),
)
_LONG_RUN = timedelta(hours=2)
_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "supportdrill",  # stable ids: the same run gives the same file
    "font.size": 9,
    "font.family": "sans-serif",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True)
class View:
    """One stretch of the run's clock that a plot panel shows."""

    title: str
    start: datetime
    end: datetime


def _whole(timeline: Timeline) -> View | None:
    moments = [event.at for event in timeline]
    if not moments:
        return None
    first, last = min(moments), max(moments)
    return View("whole run", first, max(last, first + timedelta(seconds=1)))


def _clip(title: str, start: datetime, end: datetime, whole: View) -> View:
    return View(title, max(start, whole.start), min(end, whole.end))


def _human_or_lift(timeline: Timeline) -> datetime | None:
    """The first human reply, or the fault's lifting if that came first (or alone)."""
    moments = [e.at for e in timeline.all(VendorReply) if e.classification is ReplyClass.HUMAN]
    moments += [e.at for e in timeline.all(FaultLifted)]
    return min(moments, default=None)


def views(timeline: Timeline) -> tuple[View, ...]:
    """For the timeline plot: the whole run; for a run longer than two hours, also a zoom on the
    fault and the filing (to the first-response deadline), and one on the first human response
    and the stream's recovery."""
    whole = _whole(timeline)
    if whole is None:
        return ()
    found = [whole]
    if whole.end - whole.start <= _LONG_RUN:
        return tuple(found)
    t0 = timeline.first(TicketFiled)
    early_end = (t0.at if t0 else whole.start) + timedelta(minutes=20)
    found.append(_clip("zoom: fault, detection and filing", whole.start, early_end, whole))
    answer = _human_or_lift(timeline)
    if answer is not None and answer - whole.start > _LONG_RUN:
        recovered = max((e.at for e in timeline.all(StreamRecovered)), default=answer)
        found.append(
            _clip(
                "zoom: first human response, fault lifted, recovery",
                answer - timedelta(minutes=10),
                max(answer, recovered) + timedelta(minutes=2),
                whole,
            )
        )
    return tuple(found)


def health_views(timeline: Timeline) -> tuple[View, ...]:
    """For the health plot: the whole run; for a run longer than two hours, also the seconds
    around the fault's injection and detection, and those around its lifting and recovery."""
    whole = _whole(timeline)
    if whole is None:
        return ()
    found = [whole]
    if whole.end - whole.start <= _LONG_RUN:
        return tuple(found)
    injected = timeline.first(FaultInjected)
    if injected is not None:
        degraded = next((e.at for e in timeline.all(StreamDegraded) if e.at >= injected.at), None)
        end = max(degraded or injected.at, injected.at) + timedelta(seconds=30)
        found.append(
            _clip(
                "zoom: fault injected, detection", injected.at - timedelta(seconds=15), end, whole
            )
        )
    lifted = timeline.first(FaultLifted)
    if lifted is not None:
        recovered = next((e.at for e in timeline.all(StreamRecovered) if e.at >= lifted.at), None)
        end = max(recovered or lifted.at, lifted.at) + timedelta(seconds=20)
        found.append(
            _clip("zoom: fault lifted, recovery", lifted.at - timedelta(seconds=15), end, whole)
        )
    return tuple(found)


def to_svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element for an HTML page: no prolog, DOCTYPE, metadata or
    namespace URLs (HTML parses inline SVG without them)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", text)
    return text.strip()


def new_figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _time_axis(axis: Axes, view: View, zone: ZoneInfo, *, maxticks: int = 9) -> None:
    axis.set_xlim(mdates.date2num(view.start), mdates.date2num(view.end))  # type: ignore[no-untyped-call]
    locator = mdates.AutoDateLocator(tz=zone, minticks=2, maxticks=maxticks)  # type: ignore[no-untyped-call]
    # More steps than matplotlib's defaults, so a narrow panel always finds one (else it warns).
    locator.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 12, 24]
    locator.intervald[mdates.MINUTELY] = [1, 2, 5, 10, 15, 20, 30, 60]
    locator.intervald[mdates.SECONDLY] = [1, 2, 5, 10, 15, 20, 30, 60]
    axis.xaxis.set_major_locator(locator)
    span = view.end - view.start
    pattern = "%a %H:%M" if span > timedelta(hours=1) else "%H:%M:%S"
    axis.xaxis.set_major_formatter(mdates.DateFormatter(pattern, tz=zone))  # type: ignore[no-untyped-call]


def _shade_coverage(axis: Axes, drill: Drill, view: View) -> None:
    for low, high in covered_intervals(drill.coverage, view.start, view.end):
        axis.axvspan(low, high, color=COVERED, alpha=0.10, lw=0)  # type: ignore[arg-type]


_LANES = ("deadlines", "status", "vendor", "ticket", "stream")


def _timeline_panel(
    axis: Axes, view: View, timeline: Timeline, card: Evaluation, drill: Drill
) -> None:
    zone = ZoneInfo(drill.vendor.timezone)
    lane = {name: index for index, name in enumerate(_LANES)}
    _shade_coverage(axis, drill, view)
    axis.set_ylim(-1.1, len(_LANES) - 0.4)
    axis.set_yticks(range(len(_LANES)), [name.replace("_", " ") for name in _LANES])
    axis.grid(axis="x", alpha=0.3)
    windows: list[tuple[datetime, datetime | None]] = []
    for event in timeline:
        if isinstance(event, FaultInjected):
            windows.append((event.at, None))
        elif isinstance(event, FaultLifted) and windows and windows[-1][1] is None:
            windows[-1] = (windows[-1][0], event.at)
    for low, high in windows:
        axis.barh(
            lane["stream"],
            mdates.date2num(high or view.end) - mdates.date2num(low),  # type: ignore[no-untyped-call]
            left=mdates.date2num(low),  # type: ignore[no-untyped-call]
            height=0.35,
            color=FAULT,
            alpha=0.35,
        )
    for event in timeline:
        at = mdates.date2num(event.at)  # type: ignore[no-untyped-call]
        match event:
            case StreamDegraded():
                axis.plot(at, lane["stream"], "v", color=FAULT, ms=8)
            case StreamRecovered():
                axis.plot(at, lane["stream"], "^", color=HUMAN, ms=8)
            case TicketFiled():
                axis.plot(at, lane["ticket"], "D", color="#1f77b4", ms=8)
            case CustomerMessage():
                axis.plot(at, lane["ticket"], "d", color="#9467bd", ms=6)
            case VendorReply():
                marker, colour, _ = REPLY_STYLE[event.classification]
                axis.plot(at, lane["vendor"], marker, color=colour, ms=8, mec="black", mew=0.5)
            case VendorProactiveContact():
                axis.plot(at, lane["vendor"], "*", color="#1f77b4", ms=10)
            case TicketStatus():
                axis.plot(at, lane["status"], "|", color="black", ms=12)
                if view.start <= event.at <= view.end:
                    axis.annotate(
                        event.status,
                        (at, lane["status"]),
                        xytext=(3, 6),
                        textcoords="offset points",
                        fontsize=7,
                        rotation=25,
                    )
    seen: dict[datetime, list[str]] = {}
    for metric in card.metrics:
        if metric.target_s is None or metric.start is None:
            continue
        for deadline, basis in (
            (metric.deadline_calendar, "calendar"),
            (metric.deadline_business, "business"),
        ):
            if deadline is None:
                continue
            verdict = metric.verdict_calendar if basis == "calendar" else metric.verdict_business
            label = f"{metric.name.replace('_', ' ')} ({basis})"
            seen.setdefault(deadline, []).append(label)
            style = "--" if basis == "calendar" else "-"
            axis.axvline(deadline, color=VERDICT_COLOURS[verdict], ls=style, lw=1.2, alpha=0.9)  # type: ignore[arg-type]
    inside = sorted(d for d in seen if view.start <= d <= view.end)
    for index, deadline in enumerate(inside):
        # Deadlines close together would print over each other: step each label down.
        axis.annotate(
            "\n".join(seen[deadline]),
            (mdates.date2num(deadline), lane["deadlines"]),  # type: ignore[no-untyped-call]
            xytext=(3, 8 - 14 * (index % 3)),
            textcoords="offset points",
            fontsize=6.5,
            va="top",
        )
    _time_axis(axis, view, zone)
    axis.set_title(view.title, fontsize=9, loc="left")


def _legend(figure: Figure, drill: Drill) -> None:
    coverage = drill.coverage
    label = coverage.label or ("24x7" if coverage.always else "weekly hours")
    handles = [
        Patch(color=COVERED, alpha=0.2, label=f"vendor's covered hours ({label})"),
        Patch(color=FAULT, alpha=0.35, label="fault active"),
        Line2D([], [], marker="v", ls="", color=FAULT, label="stream degraded"),
        Line2D([], [], marker="^", ls="", color=HUMAN, label="stream recovered"),
        Line2D([], [], marker="D", ls="", color="#1f77b4", label="ticket filed (T0)"),
        *(
            Line2D([], [], marker=m, ls="", color=c, mec="black", mew=0.5, label=text)
            for m, c, text in REPLY_STYLE.values()
        ),
        Line2D([], [], color="black", ls="--", label="SLA deadline, calendar time"),
        Line2D([], [], color="black", ls="-", label="SLA deadline, business time"),
        *(
            Patch(color=VERDICT_COLOURS[v], label=f"deadline {v.value.replace('_', ' ')}")
            for v in (Verdict.MET, Verdict.BREACHED, Verdict.PENDING)
        ),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=7, frameon=False)


def timeline_svg(timeline: Timeline, card: Evaluation, drill: Drill) -> str:
    """The one-clock timeline: coverage shaded, fault, detection, filing, each vendor message
    (auto/human/unclassified), each status change and each SLA deadline, in the vendor's
    local time; the whole run and zooms on its busy moments."""
    shown = views(timeline)
    if not shown:
        return ""
    figure = new_figure(11, 2.3 * len(shown) + 1.1)
    axes = figure.subplots(len(shown), 1, squeeze=False)[:, 0]
    for axis, view in zip(axes, shown, strict=True):
        _timeline_panel(axis, view, timeline, card, drill)
    axes[-1].set_xlabel(f"vendor local time ({drill.vendor.timezone})")
    _legend(figure, drill)
    return to_svg(figure)


def _health_series(
    samples: Sequence[StreamHealth], key: str, view: View
) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for sample in samples:
        if view.start <= sample.at <= view.end and key in sample.metrics:
            xs.append(mdates.date2num(sample.at))  # type: ignore[no-untyped-call]
            ys.append(sample.metrics[key])
    return xs, ys


def health_svg(timeline: Timeline, drill: Drill) -> str:
    """The stream's fps, latency, loss, jitter and MOS over time, the fault window shaded and
    detection/recovery marked; one column per view (the whole run and its zooms)."""
    samples = timeline.all(StreamHealth)
    if not samples:
        return ""
    zone = ZoneInfo(drill.vendor.timezone)
    shown = [
        view
        for view in health_views(timeline)
        if any(view.start <= sample.at <= view.end for sample in samples)
    ]
    rows = [(key, label) for key, label in HEALTH_ROWS if any(key in s.metrics for s in samples)]
    figure = new_figure(3.9 * len(shown) + 0.8, 1.35 * len(rows) + 0.9)
    grid = figure.subplots(len(rows), len(shown), squeeze=False, sharey="row")
    injected = timeline.first(FaultInjected)
    lifted = timeline.first(FaultLifted)
    degraded = timeline.all(StreamDegraded)
    recovered = timeline.all(StreamRecovered)
    for column, view in enumerate(shown):
        for row, (key, label) in enumerate(rows):
            axis: Axes = grid[row][column]
            if injected is not None:
                end = lifted.at if lifted is not None else view.end
                axis.axvspan(injected.at, end, color=FAULT, alpha=0.12, lw=0)  # type: ignore[arg-type]
            for moment in (e.at for e in degraded):
                axis.axvline(moment, color=FAULT, lw=0.9, ls=":")  # type: ignore[arg-type]
            for moment in (e.at for e in recovered):
                axis.axvline(moment, color=HUMAN, lw=0.9, ls=":")  # type: ignore[arg-type]
            xs, ys = _health_series(samples, key, view)
            axis.plot(xs, ys, ".-", ms=2.5, lw=0.9, color="#1f77b4")
            axis.grid(alpha=0.3)
            # A health column is a third of the timeline's width: fewer labels, or they collide.
            _time_axis(axis, view, zone, maxticks=4)
            if column == 0:
                axis.set_ylabel(label)
            if row == 0:
                axis.set_title(view.title, fontsize=9, loc="left")
            if row != len(rows) - 1:
                axis.tick_params(labelbottom=False)
    figure.legend(
        handles=[
            Patch(color=FAULT, alpha=0.25, label="fault active"),
            Line2D([], [], color=FAULT, ls=":", label="stream judged degraded"),
            Line2D([], [], color=HUMAN, ls=":", label="stream judged recovered"),
        ],
        loc="outside lower center",
        ncols=3,
        fontsize=7,
        frameon=False,
    )
    return to_svg(figure)
