"""The toxic types the fault layer knows, their attributes, and how to check them.

One table serves the embedded server (to refuse bad toxics with Toxiproxy's messages), the
backend (to refuse them before they reach a real Toxiproxy, which accepts e.g. a negative
latency silently) and the drill spec (to name the bad field). Pure: no I/O.

TCP types and attribute names are Toxiproxy 2.x's (toxics/*.go). The UDP types are our
extension: Toxiproxy has no UDP (its issue #39).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

AttributeValue = int | float | bool


class Direction(enum.StrEnum):
    """Which way the toxic acts: ``upstream`` is client → server, ``downstream`` the reply."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


class Transport(enum.StrEnum):
    TCP = "tcp"
    UDP = "udp"
    """Ours: a datagram relay for WebRTC media."""


@dataclass(frozen=True)
class AttributeSpec:
    name: str
    kind: type[int] | type[float] | type[bool]
    default: AttributeValue
    minimum: float | None = 0
    maximum: float | None = None
    unit: str = ""


def _a(
    name: str,
    kind: type[int] | type[float] | type[bool] = int,
    default: AttributeValue = 0,
    *,
    maximum: float | None = None,
    unit: str = "",
) -> AttributeSpec:
    return AttributeSpec(name, kind, default, 0, maximum, unit)


TCP_TOXICS: Mapping[str, tuple[AttributeSpec, ...]] = MappingProxyType(
    {
        "latency": (_a("latency", unit="ms"), _a("jitter", unit="ms")),
        "bandwidth": (_a("rate", unit="KB/s"),),
        "slow_close": (_a("delay", unit="ms"),),
        "timeout": (_a("timeout", unit="ms"),),
        "reset_peer": (_a("timeout", unit="ms"),),
        "slicer": (
            _a("average_size", unit="bytes"),
            _a("size_variation", unit="bytes"),
            _a("delay", unit="µs"),
        ),
        "limit_data": (_a("bytes", unit="bytes"),),
        "noop": (),
    }
)

UDP_TOXICS: Mapping[str, tuple[AttributeSpec, ...]] = MappingProxyType(
    {
        "latency": (
            _a("latency", unit="ms"),
            _a("jitter", unit="ms"),
            _a("reorder", bool, False),
        ),
        "loss": (
            _a("probability", float, 0.0, maximum=1.0),
            # Mean burst length in datagrams; above 1 the loss follows a Gilbert-Elliott chain.
            _a("burst", float, 1.0, unit="datagrams"),
        ),
        "bandwidth": (
            _a("rate", float, 0.0, unit="KB/s"),
            _a("queue", default=64, unit="datagrams"),
        ),
        "blackhole": (),
        "duplicate": (_a("probability", float, 0.0, maximum=1.0),),
    }
)


def toxic_types(transport: Transport) -> Mapping[str, tuple[AttributeSpec, ...]]:
    return UDP_TOXICS if transport is Transport.UDP else TCP_TOXICS


class ToxicInvalid(ValueError):
    """A toxic that cannot be applied; ``field`` names the attribute (or ``type``...)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


def check_toxicity(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ToxicInvalid("toxicity", f"must be a number between 0 and 1, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ToxicInvalid("toxicity", f"must be between 0 and 1, got {value}")
    return float(value)


def check_attributes(
    transport: Transport,
    toxic_type: str,
    attributes: Mapping[str, object],
    *,
    base: Mapping[str, AttributeValue] | None = None,
) -> dict[str, AttributeValue]:
    """Every attribute of ``toxic_type``, defaults filled from ``base`` or the table.

    Unknown attribute names are ignored, as Toxiproxy's JSON decoding ignores them.
    """
    specs = toxic_types(transport).get(toxic_type)
    if specs is None:
        known = ", ".join(sorted(toxic_types(transport)))
        raise ToxicInvalid("type", f"unknown {transport} toxic type {toxic_type!r}; known: {known}")
    result: dict[str, AttributeValue] = {}
    for spec in specs:
        if spec.name in attributes:
            result[spec.name] = _check_value(spec, attributes[spec.name])
        elif base is not None and spec.name in base:
            result[spec.name] = base[spec.name]
        else:
            result[spec.name] = spec.default
    return result


def _check_value(spec: AttributeSpec, value: object) -> AttributeValue:
    if spec.kind is bool:
        if not isinstance(value, bool):
            raise ToxicInvalid(spec.name, f"must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ToxicInvalid(spec.name, f"must be a number, got {value!r}")
    if spec.kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ToxicInvalid(spec.name, f"must be a whole number, got {value}")
        value = int(value)
    else:
        value = float(value)
    if spec.minimum is not None and value < spec.minimum:
        raise ToxicInvalid(spec.name, f"must not be negative, got {value}")
    if spec.maximum is not None and value > spec.maximum:
        raise ToxicInvalid(spec.name, f"must be at most {spec.maximum:g}, got {value}")
    return value
