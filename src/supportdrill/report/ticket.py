"""The ticket a drill files: its templates filled from what the drill saw so far.

A support engineer reading it at 3 a.m. needs region, symptom, timestamps and the stream's health
before and after; the disclosure line says it is a drill. Pure: the runner passes the timeline.
The session hands :func:`render_ticket` to the runner (its ``compose_ticket`` port), so the runner
never imports the reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ..definitions.durations import format_duration
from ..definitions.model import Drill
from ..measure.load import surge_summary
from ..run.ports import idempotency_key
from ..timeline import (
    BaselineHealthy,
    FaultInjected,
    StreamDegraded,
    StreamHealth,
    Timeline,
)
from ..vocabulary import TicketDraft
from .figures import text_table
from .stream_story import StreamStory, stream_story

NO_STREAM_STATS = "  (no stream measured in this drill)"
NO_STREAM_EVIDENCE = "  (ticket-only drill: no stream evidence attached)"
_STREAM_PLACEHOLDERS = ("{evidence}", "{stats_before}", "{stats_after}")


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _stamp(moment: datetime | None, zone: str) -> tuple[str, str]:
    if moment is None:
        return "n/a", "n/a"
    local = moment.astimezone(ZoneInfo(zone))
    return _utc(moment), local.strftime("%Y-%m-%d %H:%M %Z (%a)")


def _stats_before(baseline: BaselineHealthy | None) -> str:
    if baseline is None or not baseline.evidence:
        return NO_STREAM_STATS
    return text_table([(f"healthy, {baseline.at.astimezone(UTC):%H:%M:%S} UTC", baseline.evidence)])


def _stats_after(
    baseline: BaselineHealthy | None, degraded: StreamDegraded | None, latest: StreamHealth | None
) -> str:
    """Before, at detection and now side by side: the change is what the engineer looks for."""
    before: list[tuple[str, Mapping[str, float] | None]] = []
    if baseline is not None and baseline.evidence:
        before.append((f"before {baseline.at.astimezone(UTC):%H:%M:%S}", baseline.evidence))
    columns: list[tuple[str, Mapping[str, float] | None]] = []
    if degraded is not None and degraded.evidence:
        columns.append((f"detected {degraded.at.astimezone(UTC):%H:%M:%S}", degraded.evidence))
    if latest is not None and (degraded is None or latest.at > degraded.at):
        columns.append((f"now {latest.at.astimezone(UTC):%H:%M:%S}", latest.metrics))
    if not columns:
        return NO_STREAM_STATS
    return text_table([*before, *columns]) + "\n  (times UTC)"


def _evidence(
    fault: FaultInjected | None,
    degraded: StreamDegraded | None,
    story: StreamStory | None,
    surge: list[str] | None = None,
) -> str:
    lines: list[str] = []
    if fault is not None:
        lines.append(f"  problem started (fault injected): {_utc(fault.at)}")
    if degraded is not None:
        after = f", {format_duration(degraded.at - fault.at)} later" if fault else ""
        lines.append(f"  degradation detected by our monitoring: {_utc(degraded.at)}{after}")
        lines.extend(f"    - {reason}" for reason in degraded.reasons)
    if story is not None and story.outages:
        total = format_duration(sum(outage.duration_s for outage in story.outages))
        lines.append(f"  outages with no media at all: {len(story.outages)} ({total} in total)")
    if surge:
        # The viewers' side of the problem: how many tried to watch and what they got.
        lines.extend(f"  {line}" for line in surge)
    return "\n".join(lines) or NO_STREAM_EVIDENCE


def _surge_lines(drill: Drill, timeline: Timeline) -> list[str] | None:
    if drill.load is None:
        return None
    figures = surge_summary(
        timeline, mode=str(drill.load.mode), planned_viewers=drill.load.peak_viewers
    )
    return figures.lines() if figures is not None else None


def render_ticket(drill: Drill, timeline: Timeline, *, run_id: str, now: datetime) -> TicketDraft:
    """Fill the drill's subject and body templates from ``timeline``.

    With a stream in the timeline, a body template that uses none of the evidence placeholders
    gets the evidence appended anyway: a P0 without it costs the vendor a round trip.
    """
    fault = timeline.first(FaultInjected)
    degraded = timeline.first(StreamDegraded)
    baseline = timeline.first(BaselineHealthy)
    latest = timeline.last(StreamHealth)
    story = stream_story(timeline)
    region = (fault.region if fault and fault.region else drill.ticket.region) or "unspecified"
    symptom = (
        (fault.symptom if fault and fault.symptom else drill.ticket.symptom)
        or drill.description
        or "service degraded for our viewers"
    )
    since = degraded.at if degraded else (fault.at if fault else now)
    since_text, since_local = _stamp(since, drill.vendor.timezone)
    values = {
        "drill": drill.name,
        "description": drill.description,
        "vendor": drill.vendor.name,
        "severity": drill.severity.value,
        "region": region,
        "symptom": symptom,
        "fault_profile": fault.profile if fault else "none",
        "started_at": _utc(timeline.events[0].at) if timeline else "",
        "degraded_at": since_text,
        "detected_after": (
            format_duration(degraded.at - fault.at) if degraded and fault else "n/a"
        ),
        "evidence": _evidence(fault, degraded, story, _surge_lines(drill, timeline)),
        "stats_before": _stats_before(baseline),
        "stats_after": _stats_after(baseline, degraded, latest),
        "run_id": run_id,
        "stream_scenario": drill.stream.scenario if drill.stream else "none",
        "vendor_local_time": since_local,
    }
    body = drill.ticket.body.format(**values).rstrip()
    template = drill.ticket.body
    if story is not None and not any(name in template for name in _STREAM_PLACEHOLDERS):
        body += (
            f"\n\nRegion: {region}. Symptom: {symptom}.\nEvidence:\n{values['evidence']}"
            f"\n\nStream health before and after:\n{values['stats_after']}"
        )
    if drill.ticket.disclosure:
        body = f"{body}\n\n{drill.ticket.disclosure}"
    return TicketDraft(
        subject=drill.ticket.subject.format(**values),
        body=body,
        severity=drill.severity.value,
        tags=(*drill.ticket.tags, "drill", idempotency_key(run_id)),
    )
