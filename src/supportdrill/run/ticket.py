"""The ticket a drill files: its templates filled from what the drill saw so far.

A support engineer reading it at 3 a.m. needs region, symptom, timestamps and the stream's health
before and after; the disclosure line says it is a drill. Pure: the runner passes the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from ..desks.model import TicketDraft
from ..spec.durations import format_duration
from ..spec.model import Drill
from ..timeline import BaselineHealthy, FaultInjected, StreamDegraded, Timeline


def idempotency_key(run_id: str) -> str:
    """The tag that marks this run's ticket on the desk; the same across crash and resume."""
    return f"supportdrill-{run_id.lower()}"


def _stats(metrics: Mapping[str, float] | None) -> str:
    if not metrics:
        return "  (no stream measured in this drill)"
    return "\n".join(f"  {name}: {value:g}" for name, value in sorted(metrics.items()))


def _stamp(moment: datetime | None, zone: str) -> tuple[str, str]:
    if moment is None:
        return "n/a", "n/a"
    local = moment.astimezone(ZoneInfo(zone))
    return moment.isoformat(timespec="seconds"), local.strftime("%Y-%m-%d %H:%M %Z (%a)")


def render_ticket(drill: Drill, timeline: Timeline, *, run_id: str, now: datetime) -> TicketDraft:
    """Fill the drill's subject and body templates from ``timeline``."""
    fault = timeline.first(FaultInjected)
    degraded = timeline.first(StreamDegraded)
    baseline = timeline.first(BaselineHealthy)
    region = (fault.region if fault and fault.region else drill.ticket.region) or "unspecified"
    symptom = (
        (fault.symptom if fault and fault.symptom else drill.ticket.symptom)
        or drill.description
        or "service degraded for our viewers"
    )
    since = degraded.at if degraded else (fault.at if fault else now)
    since_text, since_local = _stamp(since, drill.vendor.timezone)
    evidence_lines: list[str] = []
    if fault is not None:
        evidence_lines.append(f"  first seen: {fault.at.isoformat(timespec='seconds')}")
    if degraded is not None:
        evidence_lines.extend(f"  {reason}" for reason in degraded.reasons)
    evidence = "\n".join(evidence_lines) or "  (ticket-only drill: no stream evidence attached)"
    values = {
        "drill": drill.name,
        "description": drill.description,
        "vendor": drill.vendor.name,
        "severity": drill.severity.value,
        "region": region,
        "symptom": symptom,
        "fault_profile": fault.profile if fault else "none",
        "started_at": timeline.events[0].at.isoformat(timespec="seconds") if timeline else "",
        "degraded_at": since_text,
        "detected_after": (
            format_duration(degraded.at - fault.at) if degraded and fault else "n/a"
        ),
        "evidence": evidence,
        "stats_before": _stats(baseline.evidence if baseline else None),
        "stats_after": _stats(degraded.evidence if degraded else None),
        "run_id": run_id,
        "stream_scenario": drill.stream.scenario if drill.stream else "none",
        "vendor_local_time": since_local,
    }
    body = drill.ticket.body.format(**values).rstrip()
    if drill.ticket.disclosure:
        body = f"{body}\n\n{drill.ticket.disclosure}"
    return TicketDraft(
        subject=drill.ticket.subject.format(**values),
        body=body,
        severity=drill.severity.value,
        tags=(*drill.ticket.tags, "drill", idempotency_key(run_id)),
    )
