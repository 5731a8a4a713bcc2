"""From stored runs to the JUnit file CI servers read, and the GitHub Actions annotations.

The JUnit document itself is a pure function (:mod:`supportdrill.report.junit`); this module reads
the runs from the store and writes the file, for ``supportdrill run --junit`` and
``supportdrill ci``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..store import StoreTarget, open_store
from .build import evaluation_of, load_run
from .junit import JunitRun, JunitSuite, github_annotations, render_junit, suite_of


def stored_suite(store_path: StoreTarget, run_id: str) -> JunitSuite:
    """The test cases of a stored run, scored from its timeline as every report is."""
    store = open_store(store_path)
    try:
        facts, timeline = load_run(store, run_id)
    finally:
        store.close()
    return suite_of(JunitRun(facts, timeline, evaluation_of(facts, timeline)))


def write_junit(path: Path, suites: Sequence[JunitSuite]) -> Path:
    """Write the JUnit XML document for ``suites`` to ``path`` (its folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(render_junit(suites), encoding="utf-8")
    os.replace(temporary, path)  # a CI step reading it never sees half a file
    return path


def on_github_actions(env: Mapping[str, str] | None = None) -> bool:
    """GitHub sets ``GITHUB_ACTIONS=true`` in every step of a workflow run."""
    return (os.environ if env is None else env).get("GITHUB_ACTIONS") == "true"


def annotations_for(
    suites: Sequence[JunitSuite], env: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The workflow commands to print, when running on GitHub Actions (else none)."""
    return github_annotations(suites) if on_github_actions(env) else ()


__all__ = ["annotations_for", "on_github_actions", "stored_suite", "write_junit"]
