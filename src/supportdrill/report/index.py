"""The scorecard index: each finished run scored once, its figures kept in the store.

When a run ends, the session scores it for its reports and hands the same evaluation to
:func:`index_run`, which keeps the run as the vendor scorecard counts it (its
``measure.fleet.RunFigures`` row). Runs that ended without that (a harness killed after the
last event, a store filled by an older supportdrill, runs brought in by ``supportdrill
import``) are scored by :func:`index_missing`, which ``supportdrill scorecard`` calls first, so
the index is never silently short. ``supportdrill reindex`` (:func:`reindex`) throws the index
away and scores every finished run again, e.g. after an upgrade that changes how a figure is
measured.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..definitions.model import Drill
from ..errors import InvalidConfiguration
from ..measure.fleet import CORRECT, RunFigures, group_counts, run_figures
from ..store import IndexedRun, RunFigureRow, RunStore, StoreTarget, parse_store
from ..timeline import DrillStarted, Timeline

if TYPE_CHECKING:
    from ..measure.evaluation import Evaluation
    from .journal import RunFacts

SCORER_VERSION = 3
"""Bump when a figure's meaning changes: rows written by another version are scored again.
2: sla_met needs something judged and met; no_target verdicts; the update gap's figures are the
shown gap's. 3: the index keeps the vendor scorecard's figures (windows, diagnosis, outage)."""

SCHEDULE_LABEL = "schedule"
"""The run label a scheduled run carries its schedule's name in."""

_BATCH = 500


@dataclass(frozen=True)
class IndexResult:
    """What an indexing pass did (``supportdrill reindex`` prints it)."""

    runs: int
    seconds: float
    store: str

    def describe(self) -> str:
        return (
            f"{self.store}: scored and indexed {self.runs} finished run(s) in {self.seconds:.2f} s"
        )


def figure_row(figures: RunFigures) -> RunFigureRow:
    """A run's scorecard row as the index keeps it, its flags counted by the scorecard's own
    rule (:func:`measure.fleet.group_counts` of the one row)."""
    counts = group_counts([figures])
    return RunFigureRow(
        severity=figures.severity,
        filed_at=figures.filed_at,
        window=figures.window.value,
        hour_of_week=figures.hour_of_week,
        verdict=figures.verdict.value,
        diagnosis=figures.diagnosis.value,
        met=bool(counts.met),
        judged=bool(counts.judged),
        pending=bool(counts.pending),
        diagnosable=bool(counts.diagnosable),
        correct=bool(counts.correct),
        wrong_first=bool(counts.wrong_first),
        acknowledgement_s=figures.acknowledgement_s,
        first_human_s=figures.first_human_s,
        resolution_s=figures.resolution_s,
        # The scorecard ranks the time to a correct diagnosis over correct runs only.
        time_to_correct_s=figures.time_to_correct_s if figures.diagnosis in CORRECT else None,
        outage_s=figures.outage_s,
        outage_open=figures.outage_open,
    )


def indexed_run(
    run_id: str,
    drill: Drill,
    timeline: Timeline,
    card: Evaluation,
    *,
    simulated: bool,
    labels: Mapping[str, str],
) -> IndexedRun:
    """What the index keeps of one finished run."""
    from ..measure.diagnosis import diagnose

    figures = run_figures(
        run_id, drill.vendor.name, timeline, card, diagnose(timeline), drill.coverage
    )
    return IndexedRun(
        run_id=run_id,
        schedule=labels.get(SCHEDULE_LABEL, ""),
        simulated=simulated,
        figures=None if figures is None else figure_row(figures),
    )


def index_run(store: RunStore, facts: RunFacts, timeline: Timeline, card: Evaluation) -> None:
    """Keep a just-finished run's figures (its evaluation is already computed)."""
    labels = store.get_run(facts.run_id).labels
    run = indexed_run(
        facts.run_id, facts.drill, timeline, card, simulated=facts.simulated_time, labels=labels
    )
    store.save_index([run], scorer_version=SCORER_VERSION)


def _indexed(store: RunStore, run_ids: Sequence[str]) -> Iterator[IndexedRun]:
    """Score ``run_ids`` from the store, reading their timelines in one query per batch."""
    # Scoring loads the drill loader and the reports' evaluation: only when a run lacks a row.
    from ..definitions.loader import build_drill
    from .build import evaluation_of
    from .journal import RunFacts

    timelines = store.timelines(run_ids)
    drills: dict[tuple[str, str], Drill] = {}
    for run_id in run_ids:
        record = store.get_run(run_id)
        # Thousands of runs share a handful of drill files: parse each once.
        key = (record.drill_path or "", record.drill_text)
        drill = drills.get(key) or drills.setdefault(
            key, build_drill(record.drill_text, record.drill_path or "drill.yaml")
        )
        timeline = timelines.get(run_id, Timeline.of(()))
        started = timeline.first(DrillStarted)
        simulated = bool(started and started.simulated_clock)
        card = evaluation_of(RunFacts(run_id, drill, simulated), timeline)
        yield indexed_run(run_id, drill, timeline, card, simulated=simulated, labels=record.labels)


def index_missing(store: RunStore) -> IndexResult:
    """Score and index every finished run the index lacks (or has from another version)."""
    began = time.perf_counter()
    missing = store.unindexed_runs(SCORER_VERSION)
    for start in range(0, len(missing), _BATCH):
        batch = missing[start : start + _BATCH]
        store.save_index(_indexed(store, batch), scorer_version=SCORER_VERSION)
    if len(missing) >= _BATCH:
        store.analyze_index()
    return IndexResult(len(missing), time.perf_counter() - began, store.where)


def reindex(store: RunStore) -> IndexResult:
    """Rebuild the whole index from the stored runs (``supportdrill reindex``)."""
    store.drop_index()
    return index_missing(store)


def reindex_store(target: StoreTarget) -> IndexResult:
    """``supportdrill reindex``: rebuild the index of the store at ``target``."""
    location = parse_store(target)
    if not location.exists():
        raise InvalidConfiguration(f"no run store at {location.display}")
    with RunStore(target) as store:
        return reindex(store)


def index_store(target: StoreTarget) -> IndexResult:
    """Index what the store at ``target`` lacks (after ``supportdrill import``)."""
    with RunStore(target) as store:
        return index_missing(store)
