"""The layering, checked from the source: data flows definitions → run → timeline → store →
measure → report, and no package imports one above it.

Every ``import`` and ``from … import`` in ``src/supportdrill`` (relative or absolute, at module
level or inside a function) is read with :mod:`ast`; each edge is between top-level packages.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import supportdrill

SRC = Path(supportdrill.__file__).resolve().parent


def _package_of(path: Path) -> str:
    relative = path.relative_to(SRC)
    return relative.parts[0].removesuffix(".py")


def _imports() -> dict[str, set[tuple[str, str]]]:
    """package → {(imported package, importing file)}"""
    edges: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        here = path.relative_to(SRC).with_suffix("").parts
        package = _package_of(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[tuple[str, ...]] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - node.level]
                    parts = (*base, *(node.module.split(".") if node.module else ()))
                    if node.module is None:
                        targets += [(*parts, alias.name) for alias in node.names]
                    else:
                        targets.append(parts)
                elif node.module and node.module.startswith("supportdrill"):
                    targets.append(tuple(node.module.split(".")[1:]))
            elif isinstance(node, ast.Import):
                targets += [
                    tuple(alias.name.split(".")[1:])
                    for alias in node.names
                    if alias.name.startswith("supportdrill.")
                ]
            for target in targets:
                if target and target[0] != package:
                    edges[package].add((target[0], str(path.relative_to(SRC))))
    return edges


EDGES = _imports()


def _imported_by(package: str) -> set[str]:
    return {target for target, _ in EDGES.get(package, set())}


def test_the_runner_never_imports_the_reports() -> None:
    assert "report" not in _imported_by("run"), sorted(EDGES["run"])


@pytest.mark.parametrize(
    "package", ["definitions", "timeline", "measure", "vocabulary", "clock", "secrets", "store"]
)
def test_nothing_below_the_reports_imports_them(package: str) -> None:
    assert "report" not in _imported_by(package)


@pytest.mark.parametrize("package", ["definitions", "timeline", "measure", "vocabulary"])
def test_the_pure_core_imports_no_adapter(package: str) -> None:
    adapters = {"desks", "faults", "media", "load", "run", "store", "session", "cli", "schedule"}
    assert not (_imported_by(package) & adapters), sorted(EDGES[package])


def test_no_package_cycles() -> None:
    graph = {package: _imported_by(package) for package in EDGES}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph.get(start, set()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    cycles = sorted(
        (a, b) for a in graph for b in graph[a] if a < b and b in graph and reaches(b, a, {b})
    )
    # The command layer, the library entry and the session sit on top: only edges among the
    # seams below them must not loop.
    top = {"cli", "session", "library", "__init__", "__main__", "pytest_plugin"}
    assert [pair for pair in cycles if not set(pair) & top] == []
