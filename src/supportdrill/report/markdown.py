"""The Markdown summary of a run: verdicts first, then the figures, then the whole timeline.

Every figure a verdict depends on is written to the second (:func:`format_exact`, rounded away
from its target so a breach never reads as met), every deadline beside its target, and the
headline says "SLA MET" only when at least one figure was judged and every judged one was met.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ..definitions.durations import format_duration, format_exact
from ..measure.evaluation import Evaluation
from ..measure.verdicts import Metric, Verdict
from ..timeline import (
    BaselineHealthy,
    CustomerMessage,
    DeskGap,
    DeskSlaClock,
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
from .figures import FIGURES, figures_line, format_figure
from .journal import RunFacts
from .stream_story import MOS_RANGE, Bucket, StreamStory, stream_story

_MARK = {
    Verdict.MET: "✅ met",
    Verdict.BREACHED: "❌ breached",
    Verdict.PENDING: "⏳ pending",
    Verdict.NOT_APPLICABLE: "— not applicable",
    Verdict.NO_TARGET: "— no target",
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


def _utc(moment: datetime) -> datetime:
    # Events from the store are UTC already; timelines built in memory may carry any zone.
    return moment.astimezone(UTC)


def _duration(seconds: float | None) -> str:
    return "—" if seconds is None else format_duration(seconds)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    return f"{_utc(moment):%Y-%m-%d %H:%M:%S}Z ({local:%a %H:%M %Z})"


def _figure(seconds: float | None, target_s: float | None) -> str:
    """A verdict's figure to the second, rounded away from its target."""
    return "—" if seconds is None else format_exact(seconds, against=target_s)


def _deadlines(metric: Metric, zone: ZoneInfo) -> str:
    """When the target is used up: in business time (the contractual deadline) and in calendar
    time when that differs; why there is none otherwise."""
    if metric.target_s is None:
        return "—"
    if metric.start is None:
        return "— (no start)"
    if metric.deadline_calendar is None:
        return "— (moves with pauses)"
    if metric.deadline_business is None:
        return f"never in business time; calendar {_when(metric.deadline_calendar, zone)}"
    business = _when(metric.deadline_business, zone)
    if metric.deadline_business == metric.deadline_calendar:
        return business
    return f"{business}; calendar {_when(metric.deadline_calendar, zone)}"


def _metric_row(metric: Metric, zone: ZoneInfo) -> str:
    title = METRIC_TITLES.get(metric.name, metric.name.replace("_", " "))
    if metric.judged:
        title = f"**{title}**"
    precision = f"±{format_exact(metric.precision_s)}" if metric.start is not None else "—"
    waiting = " (so far)" if metric.start is not None and metric.end is None else ""
    cells = [
        title,
        f"{_figure(metric.calendar_s, metric.target_s)}{waiting}",
        f"{_figure(metric.business_s, metric.target_s)}{waiting}",
        _figure(metric.target_s, None),
        _deadlines(metric, zone),
        _MARK[metric.verdict_calendar],
        _MARK[metric.verdict_business],
        precision,
    ]
    return "| " + " | ".join(cells) + " |"


def headline(scorecard: Evaluation, severity: str) -> str:
    """``SLA MET`` only when something was judged and met; otherwise what happened."""
    verdict = scorecard.verdict
    if verdict is Verdict.NO_TARGET:
        return f"NOT JUDGED (no SLA target for {severity})"
    if verdict is Verdict.NOT_APPLICABLE:
        return "NOT JUDGED (nothing to measure: no ticket was filed)"
    return f"SLA {verdict.value.upper()}"


def _special_day_lines(scorecard: Evaluation) -> list[str]:
    """The holidays and make-up workdays inside each measured interval."""
    rows = [
        f"| {METRIC_TITLES.get(m.name, m.name)} | {d.day:%a %Y-%m-%d} | {d.kind.value}"
        f" | {_escape(d.name)} |"
        for m in scorecard.metrics
        for d in m.special_days
    ]
    if not rows:
        return []
    return [
        "",
        "## Holidays and make-up workdays inside the measured intervals",
        "",
        "Holidays stop the business-time clock; make-up workdays (a weekend day worked in place"
        " of a bridge holiday) run it with a regular workday's hours.",
        "",
        "| figure | day | kind | name |",
        "|---|---|---|---|",
        *rows,
    ]


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
        case BaselineHealthy():
            return "baseline healthy", figures_line(event.evidence)
        case StreamRecovered():
            return "stream recovered", figures_line(event.evidence)
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
                f"until {_utc(event.until):%H:%M:%S}Z after {event.attempts} tries: {event.error}",
            )
        case DeskSlaClock():
            figures = [
                f"elapsed {_duration(event.elapsed_s)}" if event.elapsed_s is not None else "",
                f"goal {_duration(event.goal_s)}" if event.goal_s is not None else "",
                "breached" if event.breached else "",
            ]
            detail = " ".join(part for part in figures if part)
            return "desk's SLA clock", f"{event.vendor_name} ({event.metric}) {detail}".strip()
        case Note():
            return f"note ({event.level})", event.text
        case DrillEnded():
            return "drill ended", f"{event.outcome.value}: {event.reason}"
    return event.kind, ""


# The desk's clock names ours as: which of our figures it should agree with.
_OURS_FOR_DESK_CLOCK = {
    "first_response": ("first_response", "first_human_response"),
    "next_reply": ("next_reply",),
    "periodic_update": ("update_cadence",),
    "resolution": ("first_resolution",),
}


def _desk_clock_lines(timeline: Timeline, scorecard: Evaluation) -> list[str]:
    """The desk's own SLA clocks beside our figure for the same thing (the latest reading)."""
    latest: dict[tuple[str, str, bool | None], DeskSlaClock] = {}
    for clock in timeline.all(DeskSlaClock):
        latest[(clock.metric, clock.vendor_name, clock.business_hours)] = clock
    if not latest:
        return []
    ours = {metric.name: metric for metric in scorecard.metrics}
    lines = [
        "",
        "## The desk's own SLA clocks (cross-check)",
        "",
        "What the desk itself reported, read with agent access; our figures come from the desk's "
        "timestamps, so a disagreement means the two count differently (business hours, pauses, "
        "what counts as a reply).",
        "",
        "| clock | desk's name | hours | goal | elapsed | breach at | completed | desk says"
        " | ours |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for clock in latest.values():
        hours = {True: "business", False: "calendar", None: "—"}[clock.business_hours]
        says = {True: "breached", False: "not breached", None: "—"}[clock.breached]
        if clock.paused:
            says += " (paused)"
        candidates = _OURS_FOR_DESK_CLOCK.get(clock.metric, ())
        mine = next((ours[name] for name in candidates if name in ours), None)
        if mine is None:
            our_cell = "—"
        else:
            figure = mine.business_s if clock.business_hours else mine.calendar_s
            verdict = mine.verdict_business if clock.business_hours else mine.verdict_calendar
            our_cell = f"{_figure(figure, mine.target_s)} {_MARK[verdict]}"
        cells = [
            clock.metric.replace("_", " "),
            f"`{clock.vendor_name}`",
            hours,
            _duration(clock.goal_s),
            _duration(clock.elapsed_s),
            f"{_utc(clock.breach_at):%Y-%m-%d %H:%M}Z" if clock.breach_at else "—",
            f"{_utc(clock.completed_at):%Y-%m-%d %H:%M}Z" if clock.completed_at else "—",
            says,
            our_cell,
        ]
        lines.append("| " + " | ".join(_escape(cell) for cell in cells) + " |")
    return lines


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _clock(moment: datetime) -> str:
    return f"{_utc(moment):%Y-%m-%d %H:%M:%S}Z"


def _snapshot_row(title: str, moment: datetime | None, metrics: Mapping[str, float]) -> str:
    when = f"{_utc(moment):%H:%M:%S}Z" if moment else "—"
    cells = [title, when, *(format_figure(f.key, metrics.get(f.key)) for f in FIGURES)]
    return "| " + " | ".join(cells) + " |"


def _episode_lines(story: StreamStory) -> list[str]:
    lines = []
    for number, episode in enumerate(story.episodes, 1):
        degraded = episode.degraded
        prefix = f"Degradation {number}: " if len(story.episodes) > 1 else "Degraded "
        detected = (
            f", detected {_duration(episode.detection_s)} after the fault was injected"
            if episode.detection_s is not None
            else ""
        )
        lines.append(f"- {prefix}at {_clock(degraded.at)}{detected}.")
        if degraded.reasons:
            lines.append(f"  Reasons: {_escape('; '.join(degraded.reasons))}.")
        if episode.recovered is None:
            lines.append("  Not recovered by the end of the run.")
            continue
        after = (
            f", {_duration(episode.recovery_s)} after the fault was lifted"
            if episode.recovery_s is not None
            else " (with the fault still active)"
        )
        lines.append(f"  Recovered at {_clock(episode.recovered.at)}{after}.")
    return lines


def _outage_lines(story: StreamStory) -> list[str]:
    if not story.outages:
        return ["- Outages (no media at all): none."]
    lines = [f"- Outages (no media at all): {len(story.outages)}"]
    for outage in story.outages:
        how = " — still going on at the last sample" if outage.ongoing else ""
        if outage.reconnected:
            how += " — ended by rebuilding the connection"
        lines.append(
            f"  - {_clock(outage.start)} → {_utc(outage.end):%H:%M:%S}Z"
            f" ({_duration(outage.duration_s)}){how}"
        )
    return lines


def _bucket_row(bucket: Bucket, origin: datetime | None, stamp: str) -> str:
    offset = "—"
    if origin is not None:
        seconds = (bucket.start - origin).total_seconds()
        offset = ("+" if seconds >= 0 else "-") + format_duration(abs(seconds))
    cells = [
        f"{_utc(bucket.start):{stamp}}",
        offset,
        str(bucket.samples),
        "on" if bucket.fault else "",
        " → ".join(bucket.states) + (", no media" if bucket.no_media else ""),
        format_figure("fps", bucket.min_fps),
        format_figure("latency_ms", bucket.max_latency_ms),
        format_figure("loss_pct", bucket.max_loss_pct),
        format_figure("mos", bucket.min_mos),
    ]
    return "| " + " | ".join(cells) + " |"


def _stream_section(timeline: Timeline) -> list[str]:
    story = stream_story(timeline)
    if story is None:
        return []
    lines = ["", "## Stream health", ""]
    fault = story.fault
    if fault is not None:
        where = f" in {fault.region}" if fault.region else ""
        what = f": {fault.symptom}" if fault.symptom else ""
        lines.append(f"- Fault `{fault.profile}` injected{where} at {_clock(fault.at)}{what}.")
    lines.extend(_episode_lines(story))
    if story.lifted is not None:
        lines.append(f"- Fault lifted at {_clock(story.lifted.at)}: {story.lifted.reason}.")
    lines.extend(_outage_lines(story))
    if story.reconnects:
        lines.append(f"- The stream's connection was rebuilt {story.reconnects} time(s).")
    lines.append(f"- {story.samples} samples, {story.unhealthy} of them unhealthy.")
    snapshots = [
        ("baseline", story.baseline.at, story.baseline.evidence) if story.baseline else None,
        *(("degraded", e.degraded.at, e.degraded.evidence) for e in story.episodes),
        *(
            ("recovered", e.recovered.at, e.recovered.evidence)
            for e in story.episodes
            if e.recovered
        ),
    ]
    shown = sorted((s for s in snapshots if s is not None), key=lambda item: item[1])
    if shown:
        header = ["", "at", *(f.label for f in FIGURES)]
        lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines.extend(_snapshot_row(title, at, metrics) for title, at, metrics in shown)
    if story.sparkline:
        low, high = MOS_RANGE
        lines += [
            "",
            f"MOS over the run ({low:g} … {high:g}, worst per slice; ━ fault active):",
            "",
            "```",
            f"MOS   {story.sparkline}",
            f"fault {story.fault_line}",
            "```",
        ]
    if story.buckets:
        width = _duration(story.bucket_s) if story.bucket_s else "one sample"
        origin = story.fault.at if story.fault else story.first_at
        since = "fault injected" if story.fault else "first sample"
        lines += [
            "",
            f"Worst figures per {width} (time from {since}):",
            "",
            "| from (UTC) | t | samples | fault | state | min fps | max latency | max loss"
            " | min MOS |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        # Runs longer than a day (scheduled drills waiting for Monday) need the date too.
        long_run = (story.buckets[-1].start - story.buckets[0].start) >= timedelta(hours=20)
        stamp = "%m-%d %H:%M" if long_run else "%H:%M:%S"
        lines.extend(_bucket_row(bucket, origin, stamp) for bucket in story.buckets)
    return lines


def render_markdown(facts: RunFacts, timeline: Timeline, scorecard: Evaluation) -> str:
    drill = facts.drill
    zone = ZoneInfo(drill.vendor.timezone)
    ended = timeline.last(DrillEnded)
    started = timeline.first(DrillStarted)
    filed = timeline.first(TicketFiled)
    coverage = drill.coverage
    verdict = headline(scorecard, drill.severity.value)
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
        "| figure | calendar | business | target | deadline (business; calendar)"
        " | calendar verdict | business verdict | precision |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines.extend(_metric_row(metric, zone) for metric in scorecard.metrics)
    lines += _special_day_lines(scorecard)
    notes = [
        *scorecard.notes,
        *(f"{m.name}: {note}" for m in scorecard.metrics for note in m.notes),
    ]
    if notes:
        lines += ["", "## Notes", ""]
        lines.extend(f"- {note}" for note in notes)
    lines += _desk_clock_lines(timeline, scorecard)
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
            f"| {_utc(event.at):%Y-%m-%d %H:%M:%S} | {local:%a %H:%M:%S}"
            f" | {_duration(event.precision_s)} | {title} | {_escape(details)} |"
        )
    lines += _stream_section(timeline)
    return "\n".join(lines) + "\n"
