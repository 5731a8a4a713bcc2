"""The drill's ``fault:`` section (placeholder until the fault layer lands)."""

from __future__ import annotations

from dataclasses import dataclass

from .reader import Section


@dataclass(frozen=True)
class FaultPlan:
    profile: str


def parse_fault_section(section: Section) -> FaultPlan:
    section.fail("fault injection is not supported yet", line=section.line)
