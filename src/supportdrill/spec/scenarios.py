"""The drill's ``stream:`` section (placeholder until the media layer lands)."""

from __future__ import annotations

from dataclasses import dataclass

from .reader import Section


@dataclass(frozen=True)
class StreamPlan:
    scenario: str


def parse_stream_section(section: Section) -> StreamPlan:
    section.fail("the test stream is not supported yet", line=section.line)
