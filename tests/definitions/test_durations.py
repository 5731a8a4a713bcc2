"""Durations as users write them, and the hints when they do not parse."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdrill.definitions.durations import (
    DurationError,
    format_duration,
    format_exact,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("1h30m", 5400),
        ("500ms", 0.5),
        ("2d", 172800),
        ("1.5h", 5400),
    ],
)
def test_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("15 minutes", "write 15m"),
        ("2 hours", "write 2h"),
        ("3 secs", "write 3s"),
        ("10 ms", "write 10ms"),
        ("5 fortnights", "write it like 90s"),
        ("90", "add a unit"),
        ("soon", "write it like 90s"),
        (90, "has no unit"),
        (True, "got bool"),
        ([1], "got list"),
    ],
)
def test_bad_durations_hint(value: object, hint: str) -> None:
    with pytest.raises(DurationError, match=hint):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.25, "250ms"),
        (59, "59s"),
        (3600 + 5, "1h 5s"),
        (timedelta(days=2, hours=6, minutes=3), "2d 6h"),
        (-90, "-1m 30s"),
    ],
)
def test_format(value: float | timedelta, text: str) -> None:
    assert format_duration(value) == text


@pytest.mark.parametrize(
    "text", ["99999999999999999999d", "3651d", "9" * 60 + "h", "1" * 400 + "s", "1s" * 100]
)
def test_huge_durations_are_refused_not_overflowed(text: str) -> None:
    with pytest.raises(DurationError, match=r"days|characters"):
        parse_duration(text)


def test_ten_years_is_the_longest_duration() -> None:
    assert parse_duration("3650d") == timedelta(days=3650)


@pytest.mark.parametrize(
    ("value", "against", "text"),
    [
        # 10,921 s beside a 3h 2m target: the extra second shows.
        (10_921, 10_920.0, "3h 2m 1s"),
        (2 * 86400 + 16 * 3600 + 12 * 60, None, "2d 16h 12m"),
        (0, None, "0s"),
        (0.4, None, "400ms"),
        (3600, None, "1h"),
        (-61, None, "-1m 1s"),
        # A fraction over the target rounds up, at or under it rounds down: never equal.
        (900.2, 900.0, "15m 1s"),
        (899.8, 900.0, "14m 59s"),
        (900.0, 900.0, "15m"),
        (0.0004, 0.0, "1ms"),
        (-0.5, 0.0, "-500ms"),
        (-1.5, -1.0, "-2s"),
        (-1.5, -2.0, "-1s"),
        (float("inf"), None, "inf"),
    ],
)
def test_format_exact(value: float, against: float | None, text: str) -> None:
    assert format_exact(value, against=against) == text


def test_format_exact_takes_a_timedelta() -> None:
    assert format_exact(timedelta(hours=3, minutes=2, seconds=1)) == "3h 2m 1s"
