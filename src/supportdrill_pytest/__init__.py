"""A pytest plugin: ``pytest drills/`` runs drill files as tests (entry point ``pytest11``).

It lives outside the ``supportdrill`` package and imports it only inside its hooks: pytest loads
entry-point plugins before coverage starts, and importing the harness then would leave its
module-level lines unmeasured in every project that has supportdrill installed.

Which files: every ``.yaml``/``.yml`` file pytest is pointed at (or finds in a folder it is
pointed at) whose top level has both ``name:`` and ``vendor:`` keys — what a drill has and a
runbook file, a CI workflow or a compose file has not. A file that looks like a drill but is not
valid is a collection error carrying the validator's ``file:line: field: message``. Switch
collection off with ``-p no:supportdrill`` or the ini option ``supportdrill_collect = false``.

Each drill is one test item named after the drill (``-k jakarta`` selects by name), marked
``drill``, ``desk_<kind>`` (``desk_simulated``, ``desk_pagerduty``...), ``stream`` and ``runbook``
where they apply, plus any names in the drill's ``labels: {markers: "nightly, eu"}`` — so
``-m "drill and not desk_pagerduty"`` works. The test passes when every JUnit case of the run
(:mod:`supportdrill.report.junit`) passes: the drill completed, every SLA target and stream
expectation met. Its report carries the drill's: ``user_properties`` (run id, outcome, each case,
the report files; pytest's own ``--junitxml`` writes them as properties) and a "drill report"
section with the Markdown report.

Options: ``--drill-store`` (default: a fresh SQLite store for the session), ``--drill-reports``
(default: next to the store) and ``--drill-rate`` (simulated desks: simulated seconds per second).
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from supportdrill.definitions.model import Drill
    from supportdrill.report.junit import JunitSuite

_TOP_LEVEL = {key: re.compile(rf"(?m)^{key}:") for key in ("name", "vendor")}
MAX_SNIFF = 1_000_000
"""Larger YAML files are not drills (the loader refuses them too): not read to sniff."""

MARKERS = {
    "drill": "a supportdrill drill file run as a test",
    "stream": "a drill with a test stream (real media: CPU-heavy)",
    "runbook": "a drill that proves an incident runbook",
}


def looks_like_drill(path: Path) -> bool:
    """A YAML file whose top level has ``name:`` and ``vendor:`` (read at most 1 MB)."""
    if path.suffix not in (".yaml", ".yml"):
        return False
    try:
        if path.stat().st_size > MAX_SNIFF:
            return False
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return all(pattern.search(text) for pattern in _TOP_LEVEL.values())


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("supportdrill", "supportdrill drills as tests")
    group.addoption("--drill-store", help="run store for the drills (default: a temporary one)")
    group.addoption("--drill-reports", help="where drill reports go (default: next to the store)")
    group.addoption(
        "--drill-rate", type=float, help="simulated desks: simulated seconds per wall second"
    )
    parser.addini(
        "supportdrill_collect", "collect drill YAML files as tests", type="bool", default=True
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    from supportdrill.definitions.model import DeskKind

    for kind in DeskKind:
        config.addinivalue_line("markers", f"desk_{kind.value}: a drill against a {kind} desk")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not parent.config.getini("supportdrill_collect") or not looks_like_drill(file_path):
        return None
    collected: DrillFile = DrillFile.from_parent(parent, path=file_path)
    return collected


class DrillFile(pytest.File):
    """One drill file: one item, or a collection error naming file:line: field."""

    def collect(self) -> Iterator[pytest.Item]:
        from supportdrill.definitions.loader import load_drill
        from supportdrill.errors import InvalidDrill

        try:
            drill = load_drill(self.path)
        except InvalidDrill as exc:
            raise self.CollectError(str(exc)) from exc
        yield DrillItem.from_parent(self, name=drill.name, drill=drill)


def _label_markers(drill: Drill) -> list[str]:
    text = drill.labels.get("markers", "")
    return [name.strip() for name in re.split(r"[,\s]+", text) if name.strip()]


class DrillFailed(Exception):
    """The drill ran and some of its test cases failed."""

    def __init__(self, suite: JunitSuite) -> None:
        super().__init__(suite.name)
        self.suite = suite


class DrillItem(pytest.Item):
    def __init__(self, *, drill: Drill, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drill = drill
        names = ["drill", f"desk_{drill.vendor.desk.kind.value}"]
        if drill.stream is not None:
            names.append("stream")
        if drill.runbook is not None:
            names.append("runbook")
        for name in _label_markers(drill):
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                continue  # not a marker name pytest can select by
            self.config.addinivalue_line("markers", f"{name}: from the drill's labels")
            names.append(name)
        for name in names:
            self.add_marker(name)

    def _drill_paths(self) -> tuple[Path, Path]:
        config = self.config
        stash_key = _STORE_KEY
        if stash_key not in config.stash:
            given = config.getoption("--drill-store")
            store = (
                Path(given) if given else Path(tempfile.mkdtemp(prefix="supportdrill-")) / "runs.db"
            )
            config.stash[stash_key] = store
        store = config.stash[stash_key]
        reports = config.getoption("--drill-reports")
        return store, Path(reports) if reports else store.parent / "reports"

    def runtest(self) -> None:
        from supportdrill.report.junit_output import stored_suite
        from supportdrill.session import run_drill_file

        store, reports = self._drill_paths()
        run = asyncio.run(
            run_drill_file(
                self.path,
                store_path=store,
                reports_dir=reports,
                simulated_rate=self.config.getoption("--drill-rate"),
            )
        )
        suite = stored_suite(store, run.run_id)
        self.user_properties.append(("run_id", run.run_id))
        self.user_properties.append(("outcome", run.outcome.value))
        for case in suite.cases:
            self.user_properties.append((case.name, f"{case.status.value}: {case.message}"))
        for kind, path in run.reports.items():
            self.user_properties.append((f"{kind}_report", str(path)))
        markdown = run.reports.get("markdown")
        if markdown is not None and markdown.is_file():
            self.add_report_section("call", "drill report", markdown.read_text(encoding="utf-8"))
        if suite.failed:
            raise DrillFailed(suite)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        from supportdrill.report.junit import CaseStatus

        if not isinstance(excinfo.value, DrillFailed):
            return str(super().repr_failure(excinfo))
        lines = [f"drill {self.drill.name} failed:"]
        for case in excinfo.value.suite.cases:
            if case.status in (CaseStatus.FAILED, CaseStatus.ERROR):
                lines.append(f"  {case.name}: {case.message}")
                lines.extend(f"    {line}" for line in case.detail.splitlines()[1:])
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"drill {self.drill.name} ({self.drill.vendor.name})"


_STORE_KEY = pytest.StashKey[Path]()
