"""Durations as users write them: ``90s``, ``15m``, ``2h``, ``1h30m``, ``500ms``, ``2d``."""

from __future__ import annotations

import math
import re
from datetime import timedelta

_UNITS: dict[str, float] = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")
MAX_DAYS = 3650
"""Ten years: longer than any drill, short enough that every date arithmetic stays in range."""
MAX_SECONDS = MAX_DAYS * 86400.0
_MAX_TEXT = 64
_WORDS = {
    "millisecond": "ms",
    "second": "s",
    "sec": "s",
    "minute": "m",
    "min": "m",
    "hour": "h",
    "hr": "h",
    "day": "d",
}


class DurationError(ValueError):
    """A duration that does not parse; the message says how to write it."""


def parse_duration(text: object) -> timedelta:
    """Parse ``text`` into a timedelta, or raise :class:`DurationError` with a hint."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise DurationError(f"expected a duration like 90s, 15m or 2h, got {type(text).__name__}")
    if isinstance(text, int | float):
        raise DurationError(f"{text!r} has no unit: write {text}s, {text}m or {text}h")
    compact = text.strip()
    if len(compact) <= _MAX_TEXT and _WHOLE.fullmatch(compact):
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(compact))
        if not seconds <= MAX_SECONDS:
            raise DurationError(
                f"{text!r} is longer than {MAX_DAYS} days: no drill waits that long"
            )
        return timedelta(seconds=seconds)
    if len(compact) > _MAX_TEXT:
        raise DurationError(f"a duration of {len(compact)} characters is not a duration")
    raise DurationError(f"{text!r} is not a duration{_hint(compact)}")


def _hint(text: str) -> str:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]+)", text)
    if match:
        number, word = match.groups()
        unit = _WORDS.get(word.lower().rstrip("s")) or (
            word.lower() if word.lower() in _UNITS else None
        )
        if unit is not None:
            return f": write {number}{unit}"
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return f": add a unit, e.g. {text}s, {text}m or {text}h"
    return ": write it like 90s, 15m, 2h or 1h30m"


def format_duration(delta: timedelta | float) -> str:
    """A short human form: ``14m 5s``, ``2h 3m``, ``850ms``."""
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 1:
        return f"{sign}{round(seconds * 1000)}ms"
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{u}" for n, u in parts if n][:2]
    return sign + " ".join(shown)


def format_exact(delta: timedelta | float, *, against: float | None = None) -> str:
    """Every unit down to the second, zero units left out: ``3h 2m 1s``, ``2d 16h 12m``.

    For the figures a verdict depends on, which :func:`format_duration` would cut to two units.
    A fraction of a second is rounded away from ``against`` (a target, in seconds): up when the
    figure is over it, down when at or under it, so a breach never reads as equal to its target
    and a met figure never reads as over it. Without ``against`` it is rounded to the nearest.
    Under a second the figure is given in milliseconds, rounded the same way.
    """
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    if not math.isfinite(seconds) or seconds == 0:
        return "0s" if seconds == 0 else str(seconds)
    sign = "-" if seconds < 0 else ""
    size, unit = (abs(seconds) * 1000, "ms") if abs(seconds) < 1 else (abs(seconds), "")
    if against is None:
        whole = round(size)
    elif (seconds > against) == (sign == ""):
        whole = math.ceil(size)
    else:
        whole = math.floor(size)
    if unit:
        return f"{sign}{whole}ms"
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    return sign + (" ".join(f"{n}{u}" for n, u in parts if n) or "0s")
