"""The drill's ``stream:`` section (placeholder until the media layer lands)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamPlan:
    scenario: str
