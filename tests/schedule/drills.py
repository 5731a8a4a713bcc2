"""Drill texts for the schedule tests."""

from __future__ import annotations

import textwrap

from supportdrill.definitions.loader import build_drill
from supportdrill.definitions.model import Drill

BASE = textwrap.dedent(
    """\
    name: {name}
    vendor:
      name: acme-rtc
      desk: {{kind: simulated, persona: responsive-24x7}}
      timezone: {timezone}
      coverage: {{P0: 24x7, P1: "Mon-Fri 09:00-18:00", holidays: {country}}}
    ticket: {{severity: P0}}
    schedule:
    """
)


def scheduled(
    schedule: str, *, timezone: str = "Asia/Jakarta", country: str = "ID", name: str = "nightly"
) -> Drill:
    """A drill with ``schedule`` (YAML lines, indented under schedule:)."""
    body = textwrap.indent(textwrap.dedent(schedule), "  ")
    text = BASE.format(name=name, timezone=timezone, country=country) + body
    return build_drill(text, f"{name}.yaml")
