"""The typed YAML accessor: every getter's happy path, default and error, with its line."""

from __future__ import annotations

import enum
from datetime import timedelta

import pytest
import yaml

from supportdrill.definitions import reader
from supportdrill.definitions.reader import Located, Section, read_document, suggest
from supportdrill.errors import InvalidDrill

DOC = """\
count: 3
ratio: 0.5
flag: true
wait: 90s
negative: -5s
zone: Europe/Berlin
bad_zone: Mars/Base
color: red
items: [a, b]
maps: [{x: 1}]
child: {a: 1}
text: hello
nothing:
blank: "  "
"""


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@pytest.fixture
def section() -> Section:
    return Section(read_document(DOC, "t.yaml"), "t.yaml", "root")


def fails(call: object, fragment: str, line: int | None = None) -> None:
    with pytest.raises(InvalidDrill) as caught:
        call()  # type: ignore[operator]
    assert fragment in str(caught.value), str(caught.value)
    if line is not None:
        assert caught.value.line == line


def test_getters(section: Section) -> None:
    assert section.integer("count", minimum=1) == 3
    assert section.integer("missing", 7) == 7
    fails(lambda: section.integer("count", minimum=5), "at least 5", 1)
    fails(lambda: section.integer("ratio"), "whole number", 2)
    assert section.number("ratio", minimum=0, maximum=1) == 0.5
    assert section.number("missing", 1.5) == 1.5
    fails(lambda: section.number("ratio", minimum=1), "at least 1", 2)
    fails(lambda: section.number("count", maximum=1), "at most 1", 1)
    fails(lambda: section.number("flag"), "got the boolean true", 3)
    assert section.boolean("flag") is True
    assert section.boolean("missing", False) is False
    assert section.duration("wait") == timedelta(seconds=90)
    assert section.duration("missing", None) is None
    fails(lambda: section.duration("text"), "is not a duration", 12)
    assert section.timezone("zone") == "Europe/Berlin"
    assert section.timezone("missing", "UTC") == "UTC"
    fails(lambda: section.timezone("bad_zone"), "unknown time zone", 7)
    assert section.choice("color", Color) is Color.RED
    assert section.choice("missing", Color, Color.BLUE) is Color.BLUE
    fails(lambda: section.choice("text", Color), "is not one of red, blue", 12)
    assert section.strings("items") == ("a", "b")
    assert section.strings("missing", ()) == ()
    assert section.sections("maps")[0].integer("x") == 1
    assert section.sections("missing", []) == []
    fails(lambda: section.items("text"), "must be a list", 12)
    assert section.items("missing", None) is None
    assert section.section("child").integer("a") == 1
    assert section.section("nothing", None) is None
    fails(lambda: section.section("missing"), "root.missing: is required", 1)
    fails(lambda: section.string("blank"), "must not be empty", 14)
    assert section.string("missing", "x") == "x"
    assert section.raw("count") == 3
    assert section.parsed("count", lambda value: value * 2) == 6
    assert section.parsed("missing", int, 0) == 0
    fails(lambda: section.parsed("text", int), "invalid literal", 12)
    assert "count" in section and "missing" not in section
    assert section.node("count").line == 1
    fails(lambda: section.node("missing"), "is required")
    assert "count" in section.names()
    fails(lambda: section.fail("boom"), "t.yaml:1: root: boom")


def test_negative_duration_is_refused_even_when_zero_is_allowed(section: Section) -> None:
    fails(lambda: section.duration("negative", positive=False), "is not a duration")


def test_type_names() -> None:
    assert reader._type_name(None) == "nothing"
    assert reader._type_name([1]) == "a list"
    assert reader._type_name({}) == "a mapping"
    assert reader._type_name(2) == "the number 2"
    assert reader._type_name("x") == "str 'x'"


def test_suggest() -> None:
    assert suggest("colour", ["color", "size"]) == "; did you mean 'color'?"
    assert suggest("zzz", ["a", "b"]) == "; known: a, b"


def test_section_of_a_scalar_fails_at_its_line() -> None:
    fails(lambda: Section(Located(3, 4), "t.yaml", "x"), "x must be a mapping", 4)
    fails(lambda: Section(Located(3, 4), "t.yaml"), "the drill must be a mapping", 4)


def test_yaml_errors_become_one_line() -> None:
    fails(lambda: read_document("a: !!int x\n", "t.yaml"), "not valid YAML")
    fails(lambda: read_document("a: [b\n", "t.yaml"), "not valid YAML", 2)
    fails(lambda: read_document("key: *missing\n", "t.yaml"), "not valid YAML")
    fails(lambda: read_document(b"a: \xc3\x28\n", "t.yaml"), "not UTF-8")


def test_yaml_error_without_a_mark(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> list[object]:
        raise yaml.YAMLError("unmarked")

    monkeypatch.setattr(reader.yaml, "compose_all", broken)
    fails(lambda: read_document("a: 1\n", "t.yaml"), "not valid YAML: unmarked")

    def marked(*args: object, **kwargs: object) -> list[object]:
        raise yaml.MarkedYAMLError(problem=None, problem_mark=None)

    monkeypatch.setattr(reader.yaml, "compose_all", marked)
    fails(lambda: read_document("a: 1\n", "t.yaml"), "not valid YAML")
