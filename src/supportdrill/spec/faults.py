"""The drill's ``fault:`` section (placeholder until the fault layer lands)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultPlan:
    profile: str
