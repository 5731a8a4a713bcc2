"""The loader's input contract, as a property: any drill text gives a drill or one
:class:`InvalidDrill` naming the file, in bounded time and memory, never another exception.

Inputs are structure-aware mutations of the example drills: a value anywhere in the tree
replaced by a hostile one (huge or non-finite numbers, absurd durations, deep nesting, wrong
types, format specs, cron junk, control characters), keys dropped, renamed or added, then the
tree written back as YAML; and text-level mutations of the same files (truncation, an alias bomb,
a stray tab, bytes that are not UTF-8). Each example must finish within hypothesis' deadline and
allocate less than :data:`MEMORY_BOUND` bytes at its peak.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdrill.definitions.loader import build_drill
from supportdrill.definitions.model import Drill
from supportdrill.errors import InvalidDrill

EXAMPLES = sorted(
    (Path(__file__).parents[2] / "src" / "supportdrill" / "definitions" / "examples").glob("*.yaml")
)
TEXTS = [path.read_text(encoding="utf-8") for path in EXAMPLES]
TREES = [yaml.safe_load(text) for text in TEXTS]
MEMORY_BOUND = 64 * 1024 * 1024

HOSTILE: list[Any] = [
    None,
    "",
    " ",
    0,
    -1,
    2**64,
    10**400,
    float("nan"),
    float("inf"),
    -float("inf"),
    1e308,
    True,
    [],
    {},
    [[[[[[[[[[1]]]]]]]]]],
    {"a": {"b": {"c": {"d": {"e": {}}}}}},
    "99999999999999999999d",
    "1" * 300 + "s",
    "-5m",
    "0s",
    "1h30",
    "{region:%Y}",
    "{region!z}",
    "{nope}",
    "{",
    "}",
    "${UNSET_VAR_FOR_FUZZ}",
    "99 99 * * *",
    "*/0 * * * *",
    "Mars/Base",
    "Mon-Fri 25:00-26:00",
    "Mon-Fri 18:00-09:00",
    "\x1b[31mred\x1b[0m",
    "\u202e\u0000",
    "a" * 5000,
    "2026-13-45",
    "P9",
    "((((",
    "weekdays",
]
KEYS = ["", "P0", "unknown_key", "<<", "default", "holidays", "x" * 200, "1", "true"]


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node in ``tree`` (keys and indexes)."""
    found = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _copy(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {key: _copy(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_copy(value) for value in tree]
    return tree


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    node = tree
    for step in path[:-1]:
        node = node[step]
    return node


@st.composite
def mutated_trees(draw: st.DrawFn) -> Any:
    tree = _copy(draw(st.sampled_from(TREES)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(tree) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(tree, path)
        action = draw(st.sampled_from(["replace", "delete", "rename", "add", "wrap"]))
        if action == "replace":
            parent[path[-1]] = draw(st.sampled_from(HOSTILE))
        elif action == "delete":
            del parent[path[-1]]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = parent.pop(path[-1])
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = draw(st.sampled_from(HOSTILE))
        elif action == "wrap":
            parent[path[-1]] = [parent[path[-1]]]
    return tree


def _dump(tree: Any) -> str:
    try:
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, OverflowError):
        return "name: [unrepresentable"


BOMB = 'z0: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"z{n}: &{chr(97 + n)} [" + ",".join([f"*{chr(96 + n)}"] * 9) + "]\n" for n in range(1, 9)
)


@st.composite
def mutated_texts(draw: st.DrawFn) -> str | bytes:
    text = draw(st.sampled_from(TEXTS))
    action = draw(st.sampled_from(["truncate", "bomb", "tab", "bytes", "nest", "splice"]))
    if action == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if action == "bomb":
        return text + BOMB
    if action == "tab":
        at = draw(st.integers(0, len(text)))
        return text[:at] + "\t" + text[at:]
    if action == "bytes":
        at = draw(st.integers(0, len(text)))
        return text.encode()[:at] + draw(st.binary(min_size=1, max_size=8)) + text.encode()[at:]
    if action == "nest":
        depth = draw(st.integers(30, 3000))
        return text + "labels: " + "[" * depth + "]" * depth + "\n"
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(max_size=40)) + text[at:]


def _holds_the_contract(data: str | bytes) -> None:
    tracemalloc.start()
    try:
        try:
            drill = build_drill(data, "fuzz.yaml")
        except InvalidDrill as exc:
            message = str(exc)
            assert message.startswith("fuzz.yaml"), message
            assert "\n" not in message
        else:
            assert isinstance(drill, Drill)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"peak {peak} bytes"


FUZZ = settings(
    max_examples=120,
    deadline=3000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


@FUZZ
@given(mutated_trees())
def test_mutated_drills_load_or_fail_cleanly(tree: Any) -> None:
    _holds_the_contract(_dump(tree))


@FUZZ
@given(mutated_texts())
def test_mutated_drill_texts_load_or_fail_cleanly(text: str | bytes) -> None:
    _holds_the_contract(text)


def test_every_example_drill_loads() -> None:
    assert len(EXAMPLES) >= 10
    for path, text in zip(EXAMPLES, TEXTS, strict=True):
        assert build_drill(text, str(path)).name
