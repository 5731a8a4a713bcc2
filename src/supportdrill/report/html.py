"""The HTML report of one run: one self-contained file that opens offline.

It holds the verdict, the one-clock timeline plot (vendor coverage shaded; fault, detection,
filing, each vendor message marked automatic or human, each status change, each SLA deadline),
the stream's health over time with the fault window marked, the verdict table to the second, the
diagnosis accuracy with the vendor's words quoted, the evidence sent in the ticket, and every
event of the timeline with its UTC and vendor-local time.

Self-contained by construction: the plots are inline SVG (:mod:`.plots`), the style is an inline
``<style>``, there is no script, and a Content-Security-Policy of ``default-src 'none'`` tells the
browser to fetch nothing even if something slipped in. The ticket's URL is shown as text, not a
link. Durations are written to the second and never rounded down (:func:`exact_duration`), so a
breach by half a second cannot read as met.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo

from .. import __version__
from ..measure.diagnosis import Diagnosis, Judgement, diagnose
from ..measure.evaluation import Evaluation
from ..measure.verdicts import Metric, Verdict
from ..timeline import (
    BaselineHealthy,
    DrillEnded,
    DrillStarted,
    PhaseChanged,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    TicketFiled,
    TicketFiling,
    Timeline,
)
from .figures import FIGURES, format_figure
from .journal import RunFacts
from .markdown import METRIC_TITLES, _describe, headline
from .plots import health_svg, timeline_svg

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

PAGE_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin-top: 32px;
     border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.banner { display: inline-block; padding: 4px 12px; border-radius: 4px; font-weight: 600;
          color: #fff; }
.met { background: #2ca02c; } .breached { background: #d62728; }
.pending { background: #ff7f0e; } .not_applicable { background: #7f7f7f; }
.v-met { color: #1a7f1a; font-weight: 600; } .v-breached { color: #c11; font-weight: 600; }
.v-pending { color: #c60; font-weight: 600; } .v-not_applicable { color: #777; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.judged td:first-child { font-weight: 600; }
.facts td:first-child { color: #555; white-space: nowrap; }
.note { color: #555; } .simulated { background: #fff3cd; padding: 6px 10px; border-radius: 4px; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 10px; overflow-x: auto;
      font-size: 12px; white-space: pre-wrap; }
blockquote { margin: 4px 0; padding: 2px 10px; border-left: 3px solid #bbb; color: #333; }
figure { margin: 8px 0; } figure svg { max-width: 100%; height: auto; }
.right { color: #1a7f1a; } .wrong { color: #c11; }
footer { margin-top: 40px; color: #777; font-size: 12px; }
"""

JUDGEMENT_TEXT = {
    Judgement.CORRECT: "correct: the vendor named the fault's region and kind",
    Judgement.CORRECT_AFTER_WRONG: "correct, after a wrong diagnosis first",
    Judgement.PARTIAL: "partial: the vendor named part of it (region or kind), never both",
    Judgement.WRONG: "wrong: the vendor named something we did not inject, and never corrected it",
    Judgement.NOT_NAMED: "not named: no reply said where or what the fault was",
    Judgement.NO_REPLY: "no reply to judge",
    Judgement.NOT_APPLICABLE: "not applicable: no fault injected or no ticket filed",
}


def exact_duration(seconds: float | None) -> str:
    """``2d 6h 15m 14s``: every unit to the second; a fraction of a second is kept (to the
    millisecond, rounded up) so a figure just over a target never reads as equal to it."""
    if seconds is None:
        return "—"
    sign = "−" if seconds < 0 else ""
    millis = math.ceil(round(abs(seconds) * 1000, 6))
    whole, fraction = divmod(millis, 1000)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    parts.append(f"{secs}.{fraction:03d}s".replace(".000s", "s") if fraction else f"{secs}s")
    return sign + " ".join(parts)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z ({local:%a %H:%M:%S %Z})"


def _verdict(verdict: Verdict) -> str:
    return f'<span class="v-{verdict.value}">{verdict.value.replace("_", " ")}</span>'


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], classes: str = "") -> str:
    """A table; with an all-blank ``header`` (a list of facts) it has no header row."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    thead = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    body = "".join(f"<tr>{''.join(f'<td>{cell}</td>' for cell in row)}</tr>" for row in rows)
    return f'<table class="{classes}">{thead}<tbody>{body}</tbody></table>'


def _metric_row(metric: Metric, zone: ZoneInfo) -> str:
    title = escape(METRIC_TITLES.get(metric.name, metric.name.replace("_", " ")))
    so_far = " (so far)" if metric.start is not None and metric.end is None else ""
    cells = [
        (title + (" <small>(decides the SLA)</small>" if metric.judged else ""), False),
        (_when(metric.start, zone), False),
        (_when(metric.end, zone), False),
        (exact_duration(metric.calendar_s) + so_far, True),
        (exact_duration(metric.business_s) + so_far, True),
        (exact_duration(metric.target_s), True),
        (_verdict(metric.verdict_calendar), False),
        (_verdict(metric.verdict_business), False),
        (_when(metric.deadline_calendar, zone), False),
        (_when(metric.deadline_business, zone), False),
        ("±" + exact_duration(metric.precision_s), True),
    ]
    tds = "".join(
        f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>" for text, numeric in cells
    )
    return f'<tr class="{"judged" if metric.judged else ""}">{tds}</tr>'


def _verdicts(card: Evaluation, zone: ZoneInfo) -> str:
    header = [
        "figure",
        "start",
        "end",
        "calendar",
        "business",
        "target",
        "calendar verdict",
        "business verdict",
        "calendar deadline",
        "business deadline",
        "precision",
    ]
    head = "".join(f"<th>{cell}</th>" for cell in header)
    rows = "".join(_metric_row(metric, zone) for metric in card.metrics)
    notes = [*card.notes, *(f"{m.name}: {note}" for m in card.metrics for note in m.notes)]
    listed = "".join(f"<li>{escape(note)}</li>" for note in notes)
    return (
        "<h2>Verdicts</h2>"
        '<p class="note">Times are exact to the second (never rounded down). Business time '
        "counts only the vendor's covered hours; for 7x24 tiers it equals calendar time. The "
        "contractual verdict is the business one.</p>"
        f'<table id="verdicts"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        + (f"<h3>Notes</h3><ul>{listed}</ul>" if notes else "")
    )


def _diagnosis(result: Diagnosis) -> str:
    parts = [
        "<h2>Diagnosis accuracy</h2>",
        f"<p><strong>{escape(JUDGEMENT_TEXT[result.judgement])}</strong></p>",
    ]
    truth = result.truth
    if truth is not None:
        facts = [
            ("we injected, region", escape(truth.region) or "—"),
            ("names that count as the region", escape(", ".join(truth.places)) or "—"),
            ("kind", escape(", ".join(sorted(truth.kinds))) or "—"),
            ("direction", escape(", ".join(sorted(truth.directions))) or "—"),
            ("vendor replies read", str(result.replies)),
            ("time to a correct diagnosis", exact_duration(result.time_to_correct_s)),
            ("region first named after", exact_duration(result.region_named_s)),
            ("kind first named after", exact_duration(result.kind_named_s)),
            ("direction first named after", exact_duration(result.direction_named_s)),
            ("something wrong named first", "yes" if result.wrong_before_correct else "no"),
        ]
        parts.append(_table(["", ""], facts, "facts"))
    if result.claims:
        rows = [
            [
                exact_duration(claim.after_t0_s),
                '<span class="right">' + escape(", ".join(claim.right) or "—") + "</span>",
                '<span class="wrong">' + escape(", ".join(claim.wrong) or "—") + "</span>",
                "".join(f"<blockquote>{escape(q)}</blockquote>" for q in claim.quotes),
            ]
            for claim in result.claims
        ]
        parts.append(_table(["after T0", "right", "wrong", "the vendor's words"], rows))
    parts.append(
        '<p class="note">Judged on words in the stored reply excerpts (quoted customer text '
        'skipped): a reply must say where (a place, not "that region") and what (loss, '
        "latency, bandwidth, blackout).</p>"
    )
    return "".join(parts)


def _events(timeline: Timeline, zone: ZoneInfo) -> str:
    rows = []
    for event in timeline:
        if isinstance(event, StreamHealth | PhaseChanged):
            continue
        title, details = _describe(event)
        local = event.at.astimezone(zone)
        rows.append(
            [
                f"{event.at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
                f"{local:%a %H:%M:%S}",
                exact_duration(event.precision_s),
                escape(title),
                escape(details),
            ]
        )
    return _table(["at (UTC)", "vendor local", "±", "event", "details"], rows)


def _snapshots(timeline: Timeline) -> str:
    snapshots: list[tuple[str, BaselineHealthy | StreamDegraded | StreamRecovered]] = [
        *(("baseline", e) for e in timeline.all(BaselineHealthy)),
        *(("degraded", e) for e in timeline.all(StreamDegraded)),
        *(("recovered", e) for e in timeline.all(StreamRecovered)),
    ]
    shown = [(title, event.at, event.evidence) for title, event in snapshots if event.evidence]
    if not shown:
        return ""
    rows = [
        [title, f"{at.astimezone(UTC):%H:%M:%S}Z"]
        + [format_figure(f.key, metrics.get(f.key)) for f in FIGURES]
        for title, at, metrics in sorted(shown, key=lambda item: item[1])
    ]
    return _table(["", "at", *(f.label for f in FIGURES)], rows)


def _evidence(timeline: Timeline) -> str:
    filing = timeline.last(TicketFiling)
    filed = timeline.first(TicketFiled)
    if filing is None:
        return "<h2>Evidence sent in the ticket</h2><p>No ticket was filed.</p>"
    where = (
        f"<p>Ticket #{escape(filed.ticket_id)} <code>{escape(filed.url)}</code></p>"
        if filed is not None
        else ""
    )
    body = (
        f'<pre id="ticket-body">{escape(filing.body)}</pre>'
        if filing.body
        else '<p class="note">The body was not recorded for this run (recorded from 2026-11 '
        "on).</p>"
    )
    return (
        "<h2>Evidence sent in the ticket</h2>"
        f"<p>Subject: <strong>{escape(filing.subject) or '—'}</strong></p>{where}{body}"
    )


def render_html(facts: RunFacts, timeline: Timeline, card: Evaluation) -> str:
    """The whole page."""
    drill = facts.drill
    zone = ZoneInfo(drill.vendor.timezone)
    started = timeline.first(DrillStarted)
    filed = timeline.first(TicketFiled)
    ended = timeline.last(DrillEnded)
    # The same headline as the Markdown report: never "met" when nothing was judged.
    verdict = headline(card, drill.severity.value)
    banner_class = "met" if card.sla_met else card.verdict.value
    coverage = drill.coverage
    label = coverage.label or ("24x7" if coverage.always else "weekly hours")
    holidays = f", holidays {coverage.holiday_country}" if coverage.holiday_country else ""
    outcome = f"{ended.outcome.value}: {ended.reason}" if ended else "running"
    facts_rows = [
        ("run", f"<code>{escape(facts.run_id)}</code>"),
        ("vendor", f"{escape(drill.vendor.name)} via {escape(drill.vendor.desk.kind.value)}"),
        ("support time zone", escape(drill.vendor.timezone)),
        (
            "severity",
            f"{drill.severity.value}, tiers <code>{escape(drill.vendor.tiers.name)}</code>",
        ),
        ("coverage", escape(f"{label}{holidays}")),
        ("started", _when(started.at if started else None, zone)),
        ("ticket filed (T0)", _when(filed.at if filed else None, zone)),
        ("outcome", escape(outcome)),
    ]
    simulated = (
        '<p class="simulated"><strong>Simulated time</strong>: the figures describe a '
        "persona's script, not a vendor.</p>"
        if facts.simulated_time
        else ""
    )
    timeline_plot = timeline_svg(timeline, card, drill)
    health_plot = health_svg(timeline, drill)
    health = (
        "<h2>Stream health</h2>"
        '<p class="note">fps, latency, loss, jitter and MOS of the test stream as our viewer '
        "measured them; the fault's window is shaded red.</p>"
        f'<figure id="health-plot">{health_plot}</figure>{_snapshots(timeline)}'
        if health_plot
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Support drill {escape(drill.name)} — {escape(verdict)}</title>
<style>{PAGE_STYLE}</style>
</head>
<body>
<h1>Support drill {escape(drill.name)}</h1>
<p><span class="banner {banner_class}" id="verdict">{escape(verdict.upper())}</span></p>
{simulated}
{_table(["", ""], facts_rows, "facts")}
<h2>Timeline</h2>
<p class="note">One clock for every event: the desk's own timestamps for vendor-side events,
shown in the vendor's local time. Green bands are the vendor's covered hours; vertical lines
are SLA deadlines (dashed: calendar time, solid: business time), coloured by their verdict.</p>
<figure id="timeline-plot">{timeline_plot}</figure>
{_verdicts(card, zone)}
{health}
{_diagnosis(diagnose(timeline))}
{_evidence(timeline)}
<h2>Every event</h2>
{_events(timeline, zone)}
<footer>supportdrill {escape(__version__)} · generated from the run's timeline · this file
needs no network: no scripts, no external resources.</footer>
</body>
</html>
"""
