"""The JSON journal: one versioned, documented record of a run, from which any report is made.

Schema ``supportdrill.journal/1`` (keys are stable; new keys may be added, none removed)::

    schema      "supportdrill.journal/1"
    run         {id, drill, description, vendor, desk, severity, started_at, ended_at,
                 outcome, reason, drill_path, drill_digest, simulated_time}
    sla         {tier_set, source, auto_ack_counts, coverage: {timezone, label, always,
                 holidays}, targets: {first_response_s, update_cadence_s, resolution_s}}
    verdict     {overall, sla_met}
    metrics     [{name, start, end, calendar_s, business_s, precision_s, target_s,
                  verdict_calendar, verdict_business, deadline_calendar, deadline_business,
                  judged, notes, special_days: [{day, kind, name}]}]
    timeline    [event records: {kind, at, observed_at, precision_s, ...}], stream.health excluded
    health      [{at, healthy, metrics}] the stream's samples, if it ran
    stream      null without a stream; else {samples, unhealthy, reconnects,
                 baseline: {at, metrics} | null,
                 episodes: [{degraded_at, reasons, evidence, detection_s,
                             recovered_at, recovery_s}],
                 outages: [{start, end, duration_s, ongoing, reconnected}]}
                (added in 2026-11 without a version change: keys are only ever added)
    diagnosis   {judgement, region, places, kinds, directions, replies, time_to_correct_s,
                 region_named_s, kind_named_s, direction_named_s, wrong_first,
                 claims: [{message_id, at, after_t0_s, right, wrong, quotes}]}
                whether the vendor's replies named the injected fault (added 2026-11)
    notes       [text] what the desk could not show, what limits precision

All times are ISO 8601 UTC; durations are seconds. docs/journal.md describes every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..definitions.model import Drill
from ..measure.diagnosis import Claim, diagnose
from ..measure.evaluation import Evaluation
from ..measure.verdicts import Metric
from ..timeline import DrillEnded, DrillStarted, StreamHealth, Timeline, event_to_record
from .stream_story import stream_story

SCHEMA = "supportdrill.journal/1"


def stream_record(timeline: Timeline) -> dict[str, Any] | None:
    """The condensed story of the run's stream (see :mod:`supportdrill.report.stream_story`)."""
    story = stream_story(timeline)
    if story is None:
        return None
    baseline = story.baseline
    return {
        "samples": story.samples,
        "unhealthy": story.unhealthy,
        "reconnects": story.reconnects,
        "baseline": (
            {"at": _iso(baseline.at), "metrics": dict(baseline.evidence)} if baseline else None
        ),
        "episodes": [
            {
                "degraded_at": _iso(episode.degraded.at),
                "reasons": list(episode.degraded.reasons),
                "evidence": dict(episode.degraded.evidence),
                "detection_s": episode.detection_s,
                "recovered_at": _iso(episode.recovered.at if episode.recovered else None),
                "recovery_s": episode.recovery_s,
            }
            for episode in story.episodes
        ],
        "outages": [
            {
                "start": _iso(outage.start),
                "end": _iso(outage.end),
                "duration_s": outage.duration_s,
                "ongoing": outage.ongoing,
                "reconnected": outage.reconnected,
            }
            for outage in story.outages
        ],
    }


@dataclass(frozen=True)
class RunFacts:
    """What the store knows about a run besides its events."""

    run_id: str
    drill: Drill
    simulated_time: bool = False


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _seconds(value: Any) -> float | None:
    return None if value is None else value.total_seconds()


def metric_record(metric: Metric) -> dict[str, Any]:
    return {
        "name": metric.name,
        "start": _iso(metric.start),
        "end": _iso(metric.end),
        "calendar_s": metric.calendar_s,
        "business_s": metric.business_s,
        "precision_s": metric.precision_s,
        "target_s": metric.target_s,
        "verdict_calendar": metric.verdict_calendar.value,
        "verdict_business": metric.verdict_business.value,
        "deadline_calendar": _iso(metric.deadline_calendar),
        "deadline_business": _iso(metric.deadline_business),
        "judged": metric.judged,
        "notes": list(metric.notes),
        "special_days": [
            {"day": day.day.isoformat(), "kind": day.kind.value, "name": day.name}
            for day in metric.special_days
        ],
    }


def _claim(claim: Claim) -> dict[str, Any]:
    return {
        "message_id": claim.message_id,
        "at": _iso(claim.at),
        "after_t0_s": claim.after_t0_s,
        "right": list(claim.right),
        "wrong": list(claim.wrong),
        "quotes": list(claim.quotes),
    }


def diagnosis_record(timeline: Timeline) -> dict[str, Any]:
    """The diagnosis accuracy (:mod:`supportdrill.measure.diagnosis`) as plain data."""
    found = diagnose(timeline)
    truth = found.truth
    return {
        "judgement": found.judgement.value,
        "region": truth.region if truth else None,
        "places": list(truth.places) if truth else [],
        "kinds": sorted(truth.kinds) if truth else [],
        "directions": sorted(truth.directions) if truth else [],
        "replies": found.replies,
        "time_to_correct_s": found.time_to_correct_s,
        "region_named_s": found.region_named_s,
        "kind_named_s": found.kind_named_s,
        "direction_named_s": found.direction_named_s,
        "wrong_first": _claim(found.wrong_first) if found.wrong_first else None,
        "claims": [_claim(claim) for claim in found.claims],
    }


def build_journal(facts: RunFacts, timeline: Timeline, scorecard: Evaluation) -> dict[str, Any]:
    drill = facts.drill
    started = timeline.first(DrillStarted)
    ended = timeline.last(DrillEnded)
    target = drill.sla
    coverage = drill.coverage
    return {
        "schema": SCHEMA,
        "run": {
            "id": facts.run_id,
            "drill": drill.name,
            "description": drill.description,
            "vendor": drill.vendor.name,
            "desk": drill.vendor.desk.kind.value,
            "severity": drill.severity.value,
            "started_at": _iso(started.at if started else None),
            "ended_at": _iso(ended.at if ended else None),
            "outcome": ended.outcome.value if ended else "running",
            "reason": ended.reason if ended else "",
            "drill_path": drill.source_path,
            "drill_digest": drill.digest,
            "simulated_time": facts.simulated_time,
        },
        "sla": {
            "tier_set": drill.vendor.tiers.name,
            "source": drill.vendor.tiers.source,
            "auto_ack_counts": bool(target and target.auto_ack_counts),
            "coverage": {
                "timezone": coverage.timezone,
                "label": coverage.label,
                "always": coverage.always,
                "holidays": coverage.holiday_country,
            },
            "targets": {
                "first_response_s": _seconds(target.first_response if target else None),
                "update_cadence_s": _seconds(target.update_cadence if target else None),
                "resolution_s": _seconds(target.resolution if target else None),
            },
        },
        "verdict": {"overall": scorecard.verdict.value, "sla_met": scorecard.sla_met},
        "metrics": [metric_record(metric) for metric in scorecard.metrics],
        "timeline": [
            event_to_record(event) for event in timeline if not isinstance(event, StreamHealth)
        ],
        "health": [
            {"at": _iso(sample.at), "healthy": sample.healthy, "metrics": dict(sample.metrics)}
            for sample in timeline.all(StreamHealth)
        ],
        "stream": stream_record(timeline),
        "diagnosis": diagnosis_record(timeline),
        "notes": list(scorecard.notes),
    }


def summary_line(journal: Mapping[str, Any]) -> str:
    run = journal["run"]
    verdict = journal["verdict"]["overall"]
    return f"{run['id']}  {run['drill']}  {run['vendor']}  {run['outcome']}  {verdict}"
