"""From a stored run to its scorecard and report files."""

from __future__ import annotations

import json
from pathlib import Path

from ..definitions.loader import build_drill
from ..definitions.model import ResolutionWhen
from ..measure.evaluation import Evaluation, evaluate
from ..store import RunStore
from ..timeline import DrillEnded, DrillStarted, Timeline
from .journal import RunFacts, build_journal
from .markdown import render_markdown


def load_run(store: RunStore, run_id: str) -> tuple[RunFacts, Timeline]:
    """The run's drill (as it was when it ran) and its timeline."""
    record = store.get_run(run_id)
    drill = build_drill(record.drill_text, record.drill_path)
    timeline = store.events(run_id)
    started = timeline.first(DrillStarted)
    facts = RunFacts(
        run_id=run_id,
        drill=drill,
        simulated_time=bool(started and started.simulated_clock),
    )
    return facts, timeline


def evaluation_of(facts: RunFacts, timeline: Timeline) -> Evaluation:
    drill = facts.drill
    ended = timeline.last(DrillEnded)
    as_of = ended.at if ended else (timeline.events[-1].at if timeline else None)
    return evaluate(
        timeline,
        severity=drill.severity,
        sla=drill.sla,
        coverage=drill.coverage,
        as_of=as_of,
        # A drill resolved by the stream's recovery is not resolved by the desk saying so.
        desk_resolves=drill.resolution.when is not ResolutionWhen.STREAM_RECOVERED,
    )


def evaluation_for(store: RunStore, run_id: str) -> Evaluation:
    return evaluation_of(*load_run(store, run_id))


def write_reports(store: RunStore, run_id: str, out_dir: Path) -> dict[str, Path]:
    """Write the journal, the Markdown summary and the HTML report; return their paths by
    kind."""
    facts, timeline = load_run(store, run_id)
    return write_report_files(facts, timeline, evaluation_of(facts, timeline), out_dir)


def write_report_files(
    facts: RunFacts, timeline: Timeline, scorecard: Evaluation, out_dir: Path
) -> dict[str, Path]:
    """:func:`write_reports` for a run already loaded and scored."""
    run_id = facts.run_id
    out_dir.mkdir(parents=True, exist_ok=True)
    journal_path = out_dir / f"{run_id}.json"
    markdown_path = out_dir / f"{run_id}.md"
    journal = build_journal(facts, timeline, scorecard)
    journal_path.write_text(
        json.dumps(journal, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    markdown_path.write_text(render_markdown(facts, timeline, scorecard), encoding="utf-8")
    # matplotlib loads only when a report is drawn, not with every command.
    from .html import render_html

    html_path = out_dir / f"{run_id}.html"
    html_path.write_text(render_html(facts, timeline, scorecard), encoding="utf-8")
    return {"journal": journal_path, "markdown": markdown_path, "html": html_path}
