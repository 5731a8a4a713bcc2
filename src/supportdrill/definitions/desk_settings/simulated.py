"""The simulated desk: ``persona`` and its timing, the desk's zone and hours, the simulated clock;
``url`` (+ ``token``) to talk to one already running (``supportdrill desk serve``).

The persona names and each persona's step names (:mod:`supportdrill.definitions.personas`, in
the pure layer) are checked here, so that ``validate`` can refuse ``persnoa:`` or
``delay_frist_human:``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..durations import DurationError, parse_duration
from ..personas import DEFAULT_PERSONA, PERSONA_NAMES, PERSONA_STEPS
from ..tiers import parse_hours
from .base import DeskSettings, Fields, SecretRef, SettingsError

DELAY_PREFIX = "delay_"
_KNOWN = {"url", "persona", "token", "timezone", "hours", "simulated_start", "rate", "scale"}


@dataclass(frozen=True)
class SimulatedSettings(DeskSettings):
    persona: str | None = None
    """None: the desk's default persona (:data:`DEFAULT_PERSONA` for an embedded desk)."""
    url: str | None = None
    """A desk already running; without it the runner starts an embedded one."""
    token: SecretRef | None = None
    timezone: str | None = None
    """The desk's zone; None means the vendor's."""
    hours: str | None = None
    """The ``business-hours-only`` persona's hours; None means its default."""
    simulated_start: datetime | None = None
    """Where the simulated clock starts (with a UTC offset); None means real time."""
    rate: float | None = None
    """Simulated seconds per wall second; None means the runner's default."""
    scale: float | None = None
    """Every delay of the persona's script times this (0.01: a script of hours in minutes)."""
    delays: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    """Step name → seconds, from ``delay_<step>: 20m``."""

    kind = "simulated"
    adapter = "supportdrill.desks.simulated.client:SimulatedDesk"

    @classmethod
    def parse(cls, settings: Mapping[str, str], secrets: Mapping[str, str]) -> Self:
        fields = Fields(settings, secrets, _KNOWN, prefixes=(DELAY_PREFIX,))
        persona = fields.choice("persona", PERSONA_NAMES) if "persona" in settings else None
        timezone = fields.optional("timezone")
        if timezone is not None:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise SettingsError(
                    "timezone", f"unknown time zone {timezone!r} (use an IANA name)"
                ) from exc
        hours = fields.optional("hours")
        if hours is not None:
            try:
                parse_hours(hours)
            except ValueError as exc:
                raise SettingsError("hours", str(exc)) from exc
        return cls(
            persona=persona,
            url=fields.url("url") if "url" in settings else None,
            token=fields.optional_secret("token"),
            timezone=timezone,
            hours=hours,
            simulated_start=_start(fields.optional("simulated_start")),
            rate=fields.number("rate", 1.0) if "rate" in settings else None,
            scale=fields.number("scale", 1.0) if "scale" in settings else None,
            delays=MappingProxyType(_delays(settings, persona or DEFAULT_PERSONA)),
        )


def _start(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        start = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SettingsError(
            "simulated_start", f"{text!r} is not an ISO time like 2026-11-24T02:00:00+01:00"
        ) from exc
    if start.tzinfo is None:
        raise SettingsError("simulated_start", f"{text!r} needs a UTC offset, e.g. +07:00")
    return start


def _delays(settings: Mapping[str, str], persona: str) -> dict[str, float]:
    steps = PERSONA_STEPS[persona]
    delays: dict[str, float] = {}
    for key, value in settings.items():
        if not key.startswith(DELAY_PREFIX):
            continue
        step = key.removeprefix(DELAY_PREFIX)
        if step not in steps:
            close = difflib.get_close_matches(step, steps, n=1)
            hint = (
                f"did you mean {DELAY_PREFIX + close[0]!r}?"
                if close
                else f"its delays: {', '.join(DELAY_PREFIX + name for name in steps) or 'none'}"
            )
            raise SettingsError(key, f"persona {persona!r} has no step {step!r}; {hint}")
        try:
            delay = parse_duration(value)
        except DurationError as exc:
            raise SettingsError(key, str(exc)) from exc
        delays[step] = delay.total_seconds()
    return delays


SETTINGS = SimulatedSettings
