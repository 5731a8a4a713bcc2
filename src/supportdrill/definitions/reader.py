"""Reading YAML with line numbers, so every error names ``file:line: field: message``.

:func:`read_document` turns text into a tree of :class:`Located` values (scalars, lists, mappings,
each with its line). :class:`Section` is the typed accessor the spec parsers use: each getter
checks the type, and every failure is an :class:`~supportdrill.errors.InvalidDrill` that names
the file, the line and the dotted field path.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..errors import InvalidDrill
from .durations import DurationError, parse_duration

T = TypeVar("T")
EnumT = TypeVar("EnumT", bound=Enum)


@dataclass(frozen=True)
class Located:
    """A YAML value and the (1-based) line it starts on."""

    value: Any
    """A scalar, a ``list[Located]`` or a ``dict[str, Located]``."""
    line: int


_MISSING: Any = object()

MAX_NODES = 10_000
"""Values a drill may hold, counting every use of an alias: a real drill has a few hundred.
A "billion laughs" alias bomb is refused here, in bounded time and memory."""
MAX_DEPTH = 40
"""Nesting a drill may use (real drills nest four or five deep). A recursive alias nests for
ever and is refused at this depth, never by a RecursionError."""
MAX_TEXT = 1_000_000
"""Characters a drill file may have; real drills are a few kilobytes."""


_MAX_FLOW_DEPTH = 200
"""Open brackets a file may have at once. Checked on the raw text before YAML parses it:
PyYAML nests a Python call per level, and a few thousand levels take it minutes to fail."""
_BRACKETS = re.compile(r"[^\[\]{}]+")


def _flow_depth(text: str) -> int:
    """The deepest bracket nesting in ``text``, quotes not considered (an over-estimate only
    for text with hundreds of unbalanced brackets in strings)."""
    depth = deepest = 0
    for char in _BRACKETS.sub("", text):
        depth = depth + 1 if char in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


class _Budget:
    """The nodes a conversion may still visit, and the one constructor it builds scalars with
    (making one per scalar costs more than the rest of the conversion)."""

    def __init__(self) -> None:
        self.left = MAX_NODES
        self.constructor = yaml.SafeLoader("")

    def spend(self, path: str, node: yaml.Node, field: str) -> None:
        self.left -= 1
        if self.left < 0:
            raise InvalidDrill(
                path,
                node.start_mark.line + 1,
                field,
                f"more than {MAX_NODES} values (aliases counted each time they are used): "
                "refused, as a YAML alias bomb would be",
            )


def _construct_scalar(node: yaml.ScalarNode, constructor: yaml.SafeLoader) -> Any:
    return constructor.construct_object(node, deep=True)


def _convert(node: yaml.Node, path: str, field: str, budget: _Budget, depth: int = 0) -> Located:
    line = node.start_mark.line + 1
    budget.spend(path, node, field)
    if depth > MAX_DEPTH:
        raise InvalidDrill(
            path,
            line,
            field,
            f"nested more than {MAX_DEPTH} deep (or an alias that contains itself)",
        )
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Located] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise InvalidDrill(
                    path, key_node.start_mark.line + 1, field, "keys must be plain words"
                )
            if key_node.value == "<<":
                raise InvalidDrill(
                    path,
                    key_node.start_mark.line + 1,
                    field,
                    "YAML merge keys (<<) are not supported",
                )
            key = str(_construct_scalar(key_node, budget.constructor))
            child_field = f"{field}.{key}" if field else key
            if key in result:
                raise InvalidDrill(
                    path,
                    key_node.start_mark.line + 1,
                    child_field,
                    f"duplicate key (first on line {result[key].line})",
                )
            result[key] = _convert(value_node, path, child_field, budget, depth + 1)
        return Located(result, line)
    if isinstance(node, yaml.SequenceNode):
        return Located(
            [
                _convert(item, path, f"{field}[{index}]", budget, depth + 1)
                for index, item in enumerate(node.value)
            ],
            line,
        )
    assert isinstance(node, yaml.ScalarNode)
    return Located(_construct_scalar(node, budget.constructor), line)


def read_document(text: str | bytes, path: str) -> Located:
    """Parse one YAML document into a :class:`Located` tree, or raise :class:`InvalidDrill`."""
    if isinstance(text, bytes):
        if b"\x00" in text:
            raise InvalidDrill(path, None, "", "this is a binary file, not a YAML drill definition")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidDrill(path, None, "", f"not UTF-8 text ({exc.reason})") from exc
    if len(text) > MAX_TEXT:
        raise InvalidDrill(
            path, None, "", f"{len(text)} characters: a drill file has at most {MAX_TEXT}"
        )
    for number, raw_line in enumerate(text.splitlines(), start=1):
        indent = re.match(r"[ \t]*", raw_line)
        if indent and "\t" in indent.group(0):
            raise InvalidDrill(path, number, "", "tab used for indentation; YAML needs spaces")
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise InvalidDrill(path, None, "", "the file is empty")
    if _flow_depth(text) > _MAX_FLOW_DEPTH:
        raise InvalidDrill(path, None, "", f"nested more than {_MAX_FLOW_DEPTH} brackets deep")
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise InvalidDrill(path, line, "", f"not valid YAML: {problem}") from exc
    except yaml.reader.ReaderError as exc:  # a control character, e.g. a terminal colour code
        line = text.count("\n", 0, exc.position) + 1
        # For text input PyYAML reports the character as its code point.
        problem = f"character U+{exc.character:04X}: {exc.reason}"
        raise InvalidDrill(path, line, "", f"not valid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise InvalidDrill(path, None, "", f"not valid YAML: {exc}") from exc
    except RecursionError as exc:  # PyYAML's composer recurses once per nesting level
        raise InvalidDrill(path, None, "", "not valid YAML: nested too deeply") from exc
    if not documents:  # e.g. nothing but a byte-order mark, which str.strip() keeps
        raise InvalidDrill(path, None, "", "the file is empty")
    if len(documents) > 1:
        raise InvalidDrill(
            path,
            documents[1].start_mark.line + 1,
            "",
            "one drill per file (found a second document)",
        )
    try:
        return _convert(documents[0], path, "", _Budget())
    except (
        yaml.YAMLError,
        ValueError,
        OverflowError,
    ) as exc:  # a tag that does not construct: !!int x
        raise InvalidDrill(
            path, documents[0].start_mark.line + 1, "", f"not valid YAML: {exc}"
        ) from exc


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"{type(value).__name__} {value!r}"


class Section:
    """A mapping in a drill file, with typed getters that report ``file:line: field: message``."""

    def __init__(self, node: Located, path: str, field: str = "") -> None:
        self.path = path
        self.field = field
        self.line = node.line
        if not isinstance(node.value, dict):
            where = field or "the drill"
            self.fail(f"{where} must be a mapping of keys to values, got {_type_name(node.value)}")
        self._items: dict[str, Located] = node.value

    # -- errors ----------------------------------------------------------------------------

    def child_field(self, key: str) -> str:
        return f"{self.field}.{key}" if self.field else key

    def fail(self, message: str, key: str | None = None, line: int | None = None) -> NoReturn:
        field = self.child_field(key) if key is not None else self.field
        if line is None:
            items: dict[str, Located] = getattr(self, "_items", {})
            line = items[key].line if key is not None and key in items else self.line
        raise InvalidDrill(self.path, line, field, message)

    def only(self, allowed: Iterable[str]) -> None:
        """Refuse keys outside ``allowed``, suggesting the nearest known one."""
        known = sorted(allowed)
        for key, node in self._items.items():
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f"; known keys: {', '.join(known)}"
                )
                raise InvalidDrill(
                    self.path, node.line, self.child_field(key), f"unknown key{hint}"
                )

    # -- access ----------------------------------------------------------------------------

    def names(self) -> list[str]:
        return list(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def node(self, key: str) -> Located:
        if key not in self._items:
            self.fail("is required", key, line=self.line)
        return self._items[key]

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        if self._absent(key, default):
            return default
        return self._items[key].value

    def _absent(self, key: str, default: Any) -> bool:
        """True when ``key`` is missing or null and ``default`` applies; fails if required."""
        if key in self._items and self._items[key].value is not None:
            return False
        if default is _MISSING:
            self.fail("is required", key, line=self.line)
        return True

    def _typed(self, key: str, kinds: tuple[type, ...], what: str) -> Any:
        value = self._items[key].value
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            self.fail(f"must be {what}, got {_type_name(value)}", key)
        return value

    def string(self, key: str, default: Any = _MISSING) -> Any:
        if self._absent(key, default):
            return default
        value = self._typed(key, (str,), "text")
        if not value.strip():
            self.fail("must not be empty", key)
        return value

    def integer(self, key: str, default: Any = _MISSING, *, minimum: int | None = None) -> Any:
        if self._absent(key, default):
            return default
        value = self._typed(key, (int,), "a whole number")
        if minimum is not None and value < minimum:
            self.fail(f"must be at least {minimum}, got {value}", key)
        return value

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> Any:
        if self._absent(key, default):
            return default
        try:
            value = float(self._typed(key, (int, float), "a number"))
        except OverflowError:
            self.fail("is too large a number", key)
        if not math.isfinite(value):
            self.fail(f"must be a finite number, got {value}", key)
        if minimum is not None and value < minimum:
            self.fail(f"must be at least {minimum:g}, got {value:g}", key)
        if maximum is not None and value > maximum:
            self.fail(f"must be at most {maximum:g}, got {value:g}", key)
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        if self._absent(key, default):
            return default
        return self._typed(key, (bool,), "true or false")

    def duration(self, key: str, default: Any = _MISSING, *, positive: bool = True) -> Any:
        if self._absent(key, default):
            return default
        try:
            delta = parse_duration(self._items[key].value)
        except DurationError as exc:
            self.fail(str(exc), key)
        if positive and delta <= timedelta(0):
            self.fail("must be longer than zero", key)
        return delta

    def choice(self, key: str, enum_type: type[EnumT], default: Any = _MISSING) -> Any:
        if self._absent(key, default):
            return default
        value = self._items[key].value
        allowed = [str(member.value) for member in enum_type]
        if not isinstance(value, str) or value not in allowed:
            self.fail(
                f"{value!r} is not one of {', '.join(allowed)}{suggest(str(value), allowed)}", key
            )
        return enum_type(value)

    def timezone(self, key: str, default: Any = _MISSING) -> Any:
        if self._absent(key, default):
            return default
        value = self.string(key)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(f"unknown time zone {value!r}; use an IANA name like Asia/Shanghai", key)
        return value

    def section(self, key: str, default: Any = _MISSING) -> Any:
        if self._absent(key, default):
            return default
        return Section(self._items[key], self.path, self.child_field(key))

    def items(self, key: str, default: Any = _MISSING) -> Any:
        """A list under ``key``, as ``(field, Located)`` pairs."""
        if self._absent(key, default):
            return default
        value = self._items[key].value
        if not isinstance(value, list):
            self.fail(f"must be a list, got {_type_name(value)}", key)
        return [(f"{self.child_field(key)}[{index}]", item) for index, item in enumerate(value)]

    def sections(self, key: str, default: Any = _MISSING) -> Any:
        """A list of mappings under ``key``."""
        if self._absent(key, default):
            return default
        return [Section(item, self.path, field) for field, item in self.items(key)]

    def strings(self, key: str, default: Any = _MISSING) -> Any:
        if self._absent(key, default):
            return default
        result: list[str] = []
        for field, item in self.items(key):
            if not isinstance(item.value, str):
                raise InvalidDrill(
                    self.path, item.line, field, f"must be text, got {_type_name(item.value)}"
                )
            result.append(item.value)
        return tuple(result)

    def parsed(self, key: str, parse: Callable[[Any], T], default: Any = _MISSING) -> Any:
        """``parse(value)``; a ``ValueError`` from it becomes this field's error."""
        if self._absent(key, default):
            return default
        try:
            return parse(self._items[key].value)
        except ValueError as exc:
            self.fail(str(exc), key)


def suggest(value: str, known: Sequence[str]) -> str:
    """``; did you mean 'x'?`` or the list of known names."""
    close = difflib.get_close_matches(value, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
