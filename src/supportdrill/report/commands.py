"""``supportdrill runs`` and ``supportdrill report``: reading the store back."""

from __future__ import annotations

import json
from pathlib import Path

from ..definitions.durations import format_exact
from ..errors import InvalidConfiguration
from ..measure.verdicts import Metric
from ..store import RunStore, StoreTarget, parse_store
from .build import evaluation_of, load_run, write_reports
from .journal import build_journal
from .markdown import render_markdown


def _open(store_path: StoreTarget) -> RunStore:
    location = parse_store(store_path)
    if not location.exists():
        raise InvalidConfiguration(
            f"no run store at {location.display} (run a drill first, or pass --store)"
        )
    return RunStore(store_path)


def list_runs(store_path: StoreTarget, *, limit: int = 20, vendor: str | None = None) -> str:
    store = _open(store_path)
    try:
        runs = store.runs(limit=limit, vendor=vendor)
        if not runs:
            return "no runs"
        header = f"{'run id':<30} {'drill':<34} {'vendor':<14} {'outcome':<10} {'verdict':<9}"
        lines = [f"{header} first human"]
        for run in runs:
            facts, timeline = load_run(store, run.run_id)
            card = evaluation_of(facts, timeline)
            human = next((m for m in card.metrics if m.name == "first_human_response"), None)
            figure = _first_human(human)
            lines.append(
                f"{run.run_id:<30} {facts.drill.name[:34]:<34} {facts.drill.vendor.name[:14]:<14} "
                f"{(run.outcome or 'running'):<10} {card.verdict.value:<9} {figure}"
            )
        return "\n".join(lines)
    finally:
        store.close()


def _first_human(metric: Metric | None) -> str:
    """The first human response, to the second; a desk that never answered shows how long it
    was waited for, never as if that were its answer time."""
    if metric is None or metric.calendar_s is None:
        return "—"
    if metric.end is None:
        return f"none after {format_exact(metric.calendar_s)}"
    return format_exact(metric.calendar_s, against=metric.target_s)


def render_report(store_path: StoreTarget, run_id: str, *, fmt: str, out_dir: Path) -> str:
    store = _open(store_path)
    try:
        facts, timeline = load_run(store, run_id)
        card = evaluation_of(facts, timeline)
        if fmt == "json":
            return json.dumps(build_journal(facts, timeline, card), indent=2, ensure_ascii=False)
        if fmt == "html":
            from .html import render_html  # matplotlib: only when drawn

            return render_html(facts, timeline, card)
        if fmt == "paths":
            paths = write_reports(store, run_id, out_dir)
            return "\n".join(f"{kind} report: {path}" for kind, path in paths.items())
        return render_markdown(facts, timeline, card)
    finally:
        store.close()
