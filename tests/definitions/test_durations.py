"""Durations as users write them, and the hints when they do not parse."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdrill.definitions.durations import DurationError, format_duration, parse_duration


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
