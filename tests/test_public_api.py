"""The public names of ``import supportdrill`` are pinned, sorted and complete (like httpx's)."""

from __future__ import annotations

from pathlib import Path

import pytest

import supportdrill
from supportdrill.definitions.packaged import demo_drill_path


def test_all_is_sorted_and_complete() -> None:
    assert supportdrill.__all__ == sorted(supportdrill.__all__)
    exported = {
        name
        for name in dir(supportdrill)
        if not name.startswith("_")
        and type(getattr(supportdrill, name)).__name__ != "module"
        and name not in ("annotations", "TYPE_CHECKING", "Any")
    }
    assert exported == set(supportdrill.__all__) - {"__version__"}
    for name in supportdrill.__all__:
        assert getattr(supportdrill, name) is not None
    with pytest.raises(AttributeError):
        _ = supportdrill.no_such_name  # type: ignore[attr-defined]


def test_the_pinned_names() -> None:
    assert supportdrill.__all__ == [
        "DeskError",
        "Drill",
        "DrillFailed",
        "DrillRun",
        "Evaluation",
        "FaultError",
        "InvalidConfiguration",
        "InvalidDrill",
        "InvalidInput",
        "Outcome",
        "StoreError",
        "StreamError",
        "SupportdrillError",
        "Timeline",
        "__version__",
        "aresume_run",
        "arun_drill",
        "build_drill",
        "load_drill",
        "run_drill",
    ]


def test_run_a_drill_from_python(tmp_path: Path) -> None:
    """A simulated drill with no stream, run as a library call: the result object, no printing."""
    progress: list[str] = []
    run = supportdrill.run_drill(
        demo_drill_path("responsive-24x7"),
        store=tmp_path / "runs.db",
        reports=tmp_path / "reports",
        simulated_rate=20_000,
        on_progress=progress.append,
    )
    assert isinstance(run, supportdrill.DrillRun)
    assert run.outcome is supportdrill.Outcome.COMPLETED
    assert run.reports["markdown"].is_file() and run.reports["journal"].is_file()
    assert run.run_id in run.reports["journal"].name
    assert any(run.run_id in line for line in progress)
