"""The toxic table's checks, which the drill reader, the backend and our server all use."""

from __future__ import annotations

import pytest

from supportdrill.definitions.toxics import (
    ToxicInvalid,
    Transport,
    check_attributes,
    check_toxicity,
    toxic_types,
)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", "toxicity: must be a number between 0 and 1, got 'x'"),
        (True, "toxicity: must be a number between 0 and 1, got True"),
        (float("nan"), "toxicity: must be a number between 0 and 1, got nan"),
        (1.5, "toxicity: must be between 0 and 1, got 1.5"),
    ],
)
def test_toxicity_outside_0_to_1_is_refused(value: object, message: str) -> None:
    with pytest.raises(ToxicInvalid) as refused:
        check_toxicity(value)
    assert str(refused.value) == message


def test_toxicity_in_range_is_a_float() -> None:
    assert check_toxicity(1) == 1.0 and isinstance(check_toxicity(1), float)


@pytest.mark.parametrize(
    ("transport", "kind", "attributes", "message"),
    [
        (Transport.TCP, "latency", {"latency": "x"}, "latency: must be a number, got 'x'"),
        (Transport.TCP, "latency", {"jitter": 1.5}, "jitter: must be a whole number, got 1.5"),
        (Transport.TCP, "latency", {"latency": -1}, "latency: must not be negative, got -1"),
        (Transport.UDP, "latency", {"reorder": 1}, "reorder: must be true or false, got 1"),
        (Transport.UDP, "loss", {"probability": 2}, "probability: must be at most 1, got 2.0"),
        (Transport.UDP, "timeout", {}, "type: unknown udp toxic type 'timeout'"),
    ],
)
def test_bad_attributes_name_their_field(
    transport: Transport, kind: str, attributes: dict[str, object], message: str
) -> None:
    with pytest.raises(ToxicInvalid) as refused:
        check_attributes(transport, kind, attributes)
    assert str(refused.value).startswith(message)


def test_attributes_are_filled_from_the_base_then_the_table() -> None:
    base = {"latency": 100, "jitter": 10}
    assert check_attributes(Transport.TCP, "latency", {"latency": 5.0}, base=base) == {
        "latency": 5,
        "jitter": 10,
    }
    assert check_attributes(Transport.TCP, "noop", {"ignored": 1}) == {}
    assert "noop" in toxic_types(Transport.TCP) and "noop" not in toxic_types(Transport.UDP)
