"""No package cycle between ``definitions/`` and ``faults/``: an import scan of the source.

Every ``import`` and ``from ... import`` in every module (function-level ones included, which
a runtime check would miss) is resolved to the top-level subpackage it names; the edges between
subpackages then must not form a cycle through ``faults`` or ``definitions``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import supportdrill

ROOT = Path(supportdrill.__file__).parent


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "supportdrill" or len(parts) < 2:
        return None
    return parts[1].removesuffix(".py")


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(relative.parts)
        here = _package_of(module)
        if here is None:
            continue
        package = module.split(".")[:-1]  # what a relative import's first dot means
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    targets = [".".join([*base, node.module] if node.module else base)]
                else:
                    targets = [node.module or ""]
            for target in targets:
                there = _package_of(target)
                if there is not None and there != here:
                    edges.setdefault(here, set()).add(there)
    return edges


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for nxt in edges.get(node, ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def test_the_scan_sees_the_known_edges() -> None:
    edges = _edges()
    # faults builds on definitions (its plans and toxic table); the scan must see that.
    assert "definitions" in edges["faults"]
    assert "faults" in edges["run"]


def test_definitions_and_faults_have_no_cycle() -> None:
    edges = _edges()
    assert "faults" not in edges.get("definitions", set())
    assert not _reaches(edges, "definitions", "faults")
    assert not _reaches(edges, "faults", "faults")
    assert not _reaches(edges, "definitions", "definitions")
