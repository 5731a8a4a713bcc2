"""The Markdown summary of a run: verdicts first, then the figures, then the whole timeline."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..measure.scorecard import Scorecard
from ..measure.verdicts import Metric, Verdict
from ..spec.durations import format_duration
from ..timeline import (
    CustomerMessage,
    DeskGap,
    DrillEnded,
    DrillStarted,
    Event,
    FaultInjected,
    FaultLifted,
    Note,
    PhaseChanged,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    TicketFiled,
    TicketFiling,
    TicketResolved,
    TicketStatus,
    Timeline,
    VendorProactiveContact,
    VendorReply,
)
from .journal import RunFacts

_MARK = {
    Verdict.MET: "✅ met",
    Verdict.BREACHED: "❌ breached",
    Verdict.PENDING: "⏳ pending",
    Verdict.NOT_APPLICABLE: "—",
}

METRIC_TITLES = {
    "acknowledgement": "Time to acknowledge (any reply, automatic included)",
    "first_human_response": "Time to first human response",
    "first_response": "First response (SLA)",
    "update_cadence": "Largest gap between human updates",
    "update_cadence_pausable": "Largest update gap (pending/on-hold paused)",
    "first_resolution": "Time to resolution (first solve)",
    "next_reply": "Next reply after our message",
    "full_resolution": "Time to full resolution (last solve)",
    "detection_latency": "Detection latency (fault → degraded)",
    "recovery": "Recovery (fault lifted → stream recovered)",
}


def _duration(seconds: float | None) -> str:
    return "—" if seconds is None else format_duration(seconds)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    return f"{moment:%Y-%m-%d %H:%M:%S}Z ({local:%a %H:%M %Z})"


def _metric_row(metric: Metric) -> str:
    title = METRIC_TITLES.get(metric.name, metric.name.replace("_", " "))
    if metric.judged:
        title = f"**{title}**"
    precision = f"±{_duration(metric.precision_s)}" if metric.start is not None else "—"
    waiting = " (so far)" if metric.start is not None and metric.end is None else ""
    cells = [
        title,
        f"{_duration(metric.calendar_s)}{waiting}",
        f"{_duration(metric.business_s)}{waiting}",
        _duration(metric.target_s),
        _MARK[metric.verdict_calendar],
        _MARK[metric.verdict_business],
        precision,
    ]
    return "| " + " | ".join(cells) + " |"


def _describe(event: Event) -> tuple[str, str]:
    match event:
        case DrillStarted():
            return (
                "drill started",
                f"{event.drill} → {event.vendor} ({event.desk}, {event.severity})",
            )
        case PhaseChanged():
            return "phase", event.phase.value
        case FaultInjected():
            toxics = ", ".join(event.toxics)
            return "fault injected", f"{event.profile} {event.region} {toxics}".strip()
        case StreamDegraded():
            return "stream degraded", "; ".join(event.reasons)
        case StreamRecovered():
            return "stream recovered", ""
        case VendorProactiveContact():
            return "vendor proactive contact", f"{event.source}: {event.title}"
        case TicketFiling():
            return "filing ticket", f"idempotency key {event.idempotency_key}"
        case TicketFiled():
            note = " (found on the desk after a restart)" if event.recovered else ""
            return "ticket filed (T0)", f"#{event.ticket_id} {event.url}{note}".strip()
        case VendorReply():
            who = f"{event.author or '?'} ({event.author_role or 'role unknown'})"
            why = "; ".join(event.reasons)
            return f"vendor reply: {event.classification.value}", (
                f"{who}: “{event.excerpt[:120]}” — {why}"
            )
        case CustomerMessage():
            return "our message", event.excerpt[:120]
        case TicketStatus():
            return "ticket status", f"{event.status} ({event.category.value})"
        case TicketResolved():
            return "resolved", f"{event.how.value} {event.detail}".strip()
        case FaultLifted():
            return "fault lifted", event.reason
        case DeskGap():
            return (
                "desk not visible",
                f"until {event.until:%H:%M:%S}Z after {event.attempts} tries: {event.error}",
            )
        case Note():
            return f"note ({event.level})", event.text
        case DrillEnded():
            return "drill ended", f"{event.outcome.value}: {event.reason}"
    return event.kind, ""


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _health_summary(timeline: Timeline) -> list[str]:
    samples = timeline.all(StreamHealth)
    if not samples:
        return []
    names = sorted({name for sample in samples for name in sample.metrics})
    lines = [
        "",
        "## Stream health over time",
        "",
        f"{len(samples)} samples, {sum(1 for s in samples if not s.healthy)} unhealthy.",
        "",
        "| metric | min | median | max |",
        "|---|---|---|---|",
    ]
    for name in names:
        values = sorted(sample.metrics[name] for sample in samples if name in sample.metrics)
        lines.append(
            f"| {name} | {values[0]:.4g} | {values[len(values) // 2]:.4g} | {values[-1]:.4g} |"
        )
    return lines


def render_markdown(facts: RunFacts, timeline: Timeline, scorecard: Scorecard) -> str:
    drill = facts.drill
    zone = ZoneInfo(drill.vendor.timezone)
    ended = timeline.last(DrillEnded)
    started = timeline.first(DrillStarted)
    filed = timeline.first(TicketFiled)
    coverage = drill.coverage
    verdict = "SLA MET" if scorecard.sla_met else f"SLA {scorecard.verdict.value.upper()}"
    outcome, reason = (ended.outcome.value, ended.reason) if ended else ("running", "")
    simulated = " — **simulated time** (a persona's script, not a vendor)"
    label = coverage.label or ("24x7" if coverage.always else "weekly hours")
    holidays = f", holidays {coverage.holiday_country}" if coverage.holiday_country else ""
    desk = drill.vendor.desk.kind.value
    lines = [
        f"# Support drill {drill.name} — {verdict}",
        "",
        f"- Run: `{facts.run_id}`" + (simulated if facts.simulated_time else ""),
        f"- Vendor: {drill.vendor.name} via {desk}; support time zone {drill.vendor.timezone}",
        f"- Severity {drill.severity.value}, tiers `{drill.vendor.tiers.name}`; "
        f"coverage for {drill.severity.value}: {label}{holidays}",
        f"- Started {_when(started.at if started else None, zone)}; "
        f"ticket filed {_when(filed.at if filed else None, zone)}",
        f"- Outcome: **{outcome}** — {reason}",
        "",
        "## Verdicts",
        "",
        "Business time counts only the vendor's covered hours; "
        "for 7x24 tiers it equals calendar time.",
        "",
        "| figure | calendar | business | target | calendar verdict | business verdict"
        " | precision |",
        "|---|---|---|---|---|---|---|",
    ]
    lines.extend(_metric_row(metric) for metric in scorecard.metrics)
    notes = [
        *scorecard.notes,
        *(f"{m.name}: {note}" for m in scorecard.metrics for note in m.notes),
    ]
    if notes:
        lines += ["", "## Notes", ""]
        lines.extend(f"- {note}" for note in notes)
    lines += [
        "",
        "## Timeline",
        "",
        "| at (UTC) | vendor local | ± | event | details |",
        "|---|---|---|---|---|",
    ]
    for event in timeline:
        if isinstance(event, StreamHealth | PhaseChanged):
            continue
        title, details = _describe(event)
        local = event.at.astimezone(zone)
        lines.append(
            f"| {event.at:%Y-%m-%d %H:%M:%S} | {local:%a %H:%M:%S} | {_duration(event.precision_s)}"
            f" | {title} | {_escape(details)} |"
        )
    lines += _health_summary(timeline)
    return "\n".join(lines) + "\n"
