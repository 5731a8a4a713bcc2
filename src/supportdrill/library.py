"""The library entry point: run a drill from Python and get its result object.

The same operation as ``supportdrill run``, without the terminal::

    import supportdrill

    run = supportdrill.run_drill("drills/simulated-slow.yaml", store="runs.db")
    run.outcome, run.evaluation.verdict, run.reports["markdown"]

Inside a running event loop, ``await supportdrill.arun_drill(...)`` does the same.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from .session import DrillRun, Say, quiet, resume_run, run_drill_file
from .store.location import StoreTarget, parse_store

PathLike = str | os.PathLike[str]


def _paths(store: PathLike | None, reports: PathLike | None) -> tuple[StoreTarget, Path]:
    """The store (a file or a PostgreSQL URL) and the reports folder, by the command line's
    rules (:mod:`supportdrill.store.location`)."""
    location = parse_store(os.fspath(store) if store is not None else None)
    return location.target, Path(reports) if reports is not None else location.reports_dir()


async def arun_drill(
    drill_file: PathLike,
    *,
    store: PathLike | None = None,
    reports: PathLike | None = None,
    simulated_start: str | None = None,
    simulated_rate: float | None = None,
    on_progress: Say | None = None,
) -> DrillRun:
    """Run the drill in ``drill_file`` to its end; its events go to ``store`` (the default
    store when omitted) and its reports to ``reports`` (beside the store when omitted)."""
    store_path, reports_dir = _paths(store, reports)
    return await run_drill_file(
        Path(drill_file),
        store_path=store_path,
        reports_dir=reports_dir,
        simulated_start=simulated_start,
        simulated_rate=simulated_rate,
        say=on_progress or quiet,
    )


def run_drill(
    drill_file: PathLike,
    *,
    store: PathLike | None = None,
    reports: PathLike | None = None,
    simulated_start: str | None = None,
    simulated_rate: float | None = None,
    on_progress: Say | None = None,
) -> DrillRun:
    """:func:`arun_drill` for code without an event loop of its own."""
    return asyncio.run(
        arun_drill(
            drill_file,
            store=store,
            reports=reports,
            simulated_start=simulated_start,
            simulated_rate=simulated_rate,
            on_progress=on_progress,
        )
    )


async def aresume_run(
    run_id: str, *, store: PathLike | None = None, reports: PathLike | None = None
) -> DrillRun:
    """Continue a run a crash interrupted, from its stored timeline: same ticket, same figures."""
    store_path, reports_dir = _paths(store, reports)
    return await resume_run(run_id, store_path=store_path, reports_dir=reports_dir)
