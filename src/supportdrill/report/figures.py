"""The health figures people are shown (fps, latency, loss, jitter, bitrate, MOS) and how they
are written, so the Markdown report, the live view and the ticket agree.

Pure formatting over the metrics dicts of ``StreamHealth`` samples and evidence snapshots.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One health figure as people read it."""

    key: str
    """The metric's name in ``HealthSample.as_metrics()``."""
    label: str
    unit: str
    digits: int


FIGURES: tuple[Figure, ...] = (
    Figure("fps", "fps", "", 1),
    Figure("latency_ms", "latency", " ms", 0),
    Figure("loss_pct", "loss", " %", 1),
    Figure("jitter_ms", "jitter", " ms", 0),
    Figure("bitrate_kbps", "bitrate", " kbps", 0),
    Figure("mos", "MOS", "", 2),
)
"""What a support engineer asks for first, in that order."""

_BY_KEY = {figure.key: figure for figure in FIGURES}


def format_figure(key: str, value: float | None) -> str:
    """``value`` with the figure's precision and unit; ``—`` when it was not measured."""
    if value is None or not math.isfinite(value):
        return "—"
    figure = _BY_KEY.get(key)
    if figure is None:
        return f"{value:g}"
    return f"{value:.{figure.digits}f}{figure.unit}"


def figures_line(metrics: Mapping[str, float]) -> str:
    """``fps 30.0 · latency 85 ms · …``: the measured figures on one line."""
    return " · ".join(
        f"{figure.label} {format_figure(figure.key, metrics[figure.key])}"
        for figure in FIGURES
        if figure.key in metrics
    )


def measured_figures(snapshots: Sequence[Mapping[str, float] | None]) -> tuple[Figure, ...]:
    """The figures present in at least one snapshot (audio-only streams have no fps/latency)."""
    return tuple(
        figure
        for figure in FIGURES
        if any(snapshot is not None and figure.key in snapshot for snapshot in snapshots)
    )


def text_table(
    columns: Sequence[tuple[str, Mapping[str, float] | None]], indent: str = "  "
) -> str:
    """A plain-text table, one row per figure, one column per snapshot: for ticket bodies,
    which desks show as plain text (no Markdown)."""
    figures = measured_figures([snapshot for _, snapshot in columns])
    rows = [["", *(title for title, _ in columns)]]
    for figure in figures:
        cells = [
            format_figure(figure.key, None if snapshot is None else snapshot.get(figure.key))
            for _, snapshot in columns
        ]
        rows.append([figure.label, *cells])
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    return "\n".join(
        (indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip()
        for row in rows
    )
