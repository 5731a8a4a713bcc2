"""The scorecard index: each finished run scored once, its figures kept in the store.

When a run ends, the session scores it for its reports and hands the same scorecard to
:func:`index_run`. Runs that ended without that (a harness killed after the last event, a store
filled by an older supportdrill, runs brought in by ``supportdrill import``) are scored by
:func:`index_missing`, which ``supportdrill scorecard`` calls first, so the index is never
silently short. ``supportdrill reindex`` (:func:`reindex`) throws the index away and scores
every finished run again, e.g. after an upgrade that changes how a figure is measured.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..definitions.loader import build_drill
from ..definitions.model import Drill
from ..errors import InvalidConfiguration
from ..measure.aggregate import pooled_name
from ..measure.evaluation import Evaluation
from ..store import RunScore, RunStore, StoredMetric, StoreTarget, parse_store
from ..timeline import DrillStarted, Timeline
from .build import evaluation_of
from .journal import RunFacts

SCORER_VERSION = 2
"""Bump when a figure's meaning changes: rows written by another version are scored again.
2: sla_met needs something judged and met; no_target verdicts; the update gap's figures are the
shown gap's."""

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


def run_score(run_id: str, simulated: bool, card: Evaluation) -> RunScore:
    """A scorecard as the index keeps it: the metrics that started, names pooled, in order."""
    return RunScore(
        run_id=run_id,
        simulated=simulated,
        sla_met=card.sla_met,
        metrics=tuple(
            StoredMetric(
                position=position,
                name=pooled_name(metric.name),
                ended=metric.end is not None,
                calendar_s=metric.calendar_s,
                business_s=metric.business_s,
                verdict=metric.verdict.value,
            )
            for position, metric in enumerate(card.metrics)
            if metric.start is not None
        ),
    )


def index_run(store: RunStore, facts: RunFacts, card: Evaluation) -> None:
    """Keep a just-finished run's figures (its scorecard is already computed)."""
    store.save_scores(
        [run_score(facts.run_id, facts.simulated_time, card)], scorer_version=SCORER_VERSION
    )


def _scored(store: RunStore, run_ids: Sequence[str]) -> Iterator[RunScore]:
    """Score ``run_ids`` from the store, reading their timelines in one query per batch."""
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
        yield run_score(run_id, simulated, card)


def index_missing(store: RunStore) -> IndexResult:
    """Score and index every finished run the index lacks (or has from another version)."""
    began = time.perf_counter()
    missing = store.unscored_runs(SCORER_VERSION)
    for start in range(0, len(missing), _BATCH):
        batch = missing[start : start + _BATCH]
        store.save_scores(_scored(store, batch), scorer_version=SCORER_VERSION)
    if len(missing) >= _BATCH:
        store.analyze_scores()
    return IndexResult(len(missing), time.perf_counter() - began, store.where)


def reindex(store: RunStore) -> IndexResult:
    """Rebuild the whole index from the stored runs (``supportdrill reindex``)."""
    store.drop_scores()
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
