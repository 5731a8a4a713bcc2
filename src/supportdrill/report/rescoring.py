"""Every finished run scored again from its timeline: the slow path the scorecard index
replaces, kept as its oracle (tests hold the index's figures equal to these) and as the
benchmark's baseline. Runs on simulated time describe a persona's script, not a vendor: they
are left out unless asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..definitions.loader import build_drill
from ..definitions.model import Drill
from ..measure.evaluation import Evaluation
from ..store import RunStore, StoreTarget
from ..store.model import RunStatus
from ..timeline import DrillStarted, Timeline
from .build import evaluation_of
from .journal import RunFacts


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
