"""Request bodies read the way Toxiproxy's Go ``encoding/json`` reads them, errors included.

A client sees the same ``bad request body: ...`` texts from us as from toxiproxy-server: Go's
syntax errors (``unexpected EOF``, ``invalid character 'x' looking for beginning of value``)
and type errors (``json: cannot unmarshal string into Go struct field Proxy.enabled of type
bool``). Like Go's ``json.Decoder``, only the first value of a body is read; what follows it
is ignored. ``null`` for a field leaves its default, as in Go.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .answers import BAD_REQUEST_BODY, ApiError

_DECODER = json.JSONDecoder()

GO_TOXICS: Mapping[str, tuple[str, Mapping[str, str]]] = {
    # type: (Go struct, its attributes' Go types), from toxics/*.go
    "noop": ("NoopToxic", {}),
    "latency": ("LatencyToxic", {"latency": "int64", "jitter": "int64"}),
    "bandwidth": ("BandwidthToxic", {"rate": "int64"}),
    "slow_close": ("SlowCloseToxic", {"delay": "int64"}),
    "timeout": ("TimeoutToxic", {"timeout": "int64"}),
    "reset_peer": ("ResetToxic", {"timeout": "int64"}),
    "slicer": ("SlicerToxic", {"average_size": "int", "size_variation": "int", "delay": "int"}),
    "limit_data": ("LimitDataToxic", {"bytes": "int64"}),
}


def _quote(char: str) -> str:
    if char == "'":
        return "'\\''"
    return f"'{char}'" if char.isprintable() else f"'\\x{ord(char):02x}'"


def _container_at(text: str, pos: int) -> str:
    """``{`` or ``[``: the innermost container open at ``pos`` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _syntax_error(text: str, exc: json.JSONDecodeError) -> str:
    if not text[exc.pos :].strip():
        return "unexpected EOF"
    char = _quote(text[exc.pos])
    if exc.msg.startswith("Expecting property name"):
        return f"invalid character {char} looking for beginning of object key string"
    if exc.msg.startswith("Expecting ':'"):
        return f"invalid character {char} after object key"
    if exc.msg.startswith("Expecting ','"):
        after = "object key:value pair" if _container_at(text, exc.pos) == "{" else "array element"
        return f"invalid character {char} after {after}"
    if "string" in exc.msg or "escape" in exc.msg or "control character" in exc.msg:
        return f"invalid character {char} in string literal"
    return f"invalid character {char} looking for beginning of value"


def decode(text: str) -> Any:
    """The body's first JSON value, or :class:`ApiError` 400 with Go's words."""
    start = len(text) - len(text.lstrip())
    if start == len(text):
        raise BAD_REQUEST_BODY.joined("EOF")
    try:
        value, _ = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise BAD_REQUEST_BODY.joined(_syntax_error(text, exc)) from exc
    return value


def kind_of(value: object) -> str:
    """What Go's type error calls a JSON value: ``string``, ``number 1.5``, ``object``..."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, float):
        return f"number {value:g}" if not value.is_integer() else f"number {value!r}"
    if isinstance(value, int):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "null"


def value_error(value: object, go_type: str) -> ApiError:
    """A whole body of the wrong JSON type."""
    return BAD_REQUEST_BODY.joined(
        f"json: cannot unmarshal {kind_of(value)} into Go value of type {go_type}"
    )


def field_error(value: object, field: str, go_type: str) -> ApiError:
    return BAD_REQUEST_BODY.joined(
        f"json: cannot unmarshal {kind_of(value)} into Go struct field {field} of type {go_type}"
    )


def string_field(body: Mapping[str, Any], key: str, struct: str, default: str = "") -> str:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise field_error(value, f"{struct}.{key}", "string")
    return value


def bool_field(body: Mapping[str, Any], key: str, struct: str, default: bool) -> bool:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise field_error(value, f"{struct}.{key}", "bool")
    return value


def float32_field(body: Mapping[str, Any], key: str, struct: str, default: float) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise field_error(value, f"{struct}.{key}", "float32")
    return float(value)


def go_attributes(toxic_type: str, attributes: object, struct: str) -> dict[str, Any]:
    """A TCP toxic's attributes, type-checked as Go decodes them into its struct; unknown
    names are dropped. ``struct`` names the holder in errors (``ToxicWrapper`` or "")."""
    go_struct, types = GO_TOXICS.get(toxic_type, ("NoopToxic", {}))
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise field_error(attributes, f"{struct}.attributes", f"toxics.{go_struct}")
    checked: dict[str, Any] = {}
    for name, go_type in types.items():
        value = attributes.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise field_error(value, f"{go_struct}.attributes.{name}", go_type)
        checked[name] = value
    return checked
