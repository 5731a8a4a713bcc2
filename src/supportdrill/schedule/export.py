"""A drill's schedule for the schedulers teams already run: a Kubernetes CronJob, a systemd
service and timer, a GitHub Actions workflow. Pure: text in, text out, plus warnings.

Each export triggers ``supportdrill schedule fire FILE``, not ``supportdrill run``: ``fire`` finds
the cron time that has just come, applies what the outer scheduler cannot express (the vendor
calendar's windows, the deterministic jitter, ``max_runs``) and claims that time in the store,
so an export and a ``schedule run`` on the same store never both start it.

- Kubernetes reads the cron line in ``timeZone`` itself (batch/v1, Kubernetes 1.27+).
- systemd reads ``OnCalendar=`` in the zone named at its end (systemd 235+).
- GitHub Actions reads cron in UTC only. The line is converted once per UTC offset the zone
  uses in the coming year (Berlin: +01:00 and +02:00), so the workflow triggers at both UTC
  times; ``fire`` starts the drill only at the one that is the right local time. A warning names
  the dates where the offset changes, i.e. where a plain UTC line would drift by an hour.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import yaml

from ..definitions.cron import CronFields
from ..definitions.model import ConcurrencyPolicy, Drill, MissedRuns, Schedule
from .timing import offset_label, transitions_between

DEFAULT_IMAGE = "ghcr.io/supportdrill/supportdrill:latest"
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MARGIN = timedelta(minutes=30)
"""Room past the drill's own safety.max_duration before an outer scheduler kills it."""


@dataclass(frozen=True)
class Export:
    files: dict[str, str]
    """File name → contents."""
    warnings: tuple[str, ...]


def _schedule(drill: Drill) -> tuple[Schedule, CronFields]:
    schedule = drill.schedule
    if schedule is None or schedule.fields is None:
        raise ValueError(f"{drill.source_path or drill.name}: the drill has no schedule: section")
    return schedule, schedule.fields


def _dns_name(name: str) -> str:
    # A CronJob's name is a DNS label of at most 52 characters (its Jobs add 11).
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return (cleaned[:52].rstrip("-")) or "drill"


def _fire_args(path: str) -> list[str]:
    return ["schedule", "fire", path]


def _unexpressed(schedule: Schedule, target: str) -> list[str]:
    notes = []
    if schedule.windows or schedule.jitter or schedule.max_runs:
        notes.append(
            f"{target}: windows, jitter and max_runs are applied by `supportdrill schedule fire`"
            " when the job starts (it exits 0 without running when the time is outside them)"
        )
    return notes


# ---- Kubernetes


def cronjob(drill: Drill, *, drill_path: str, image: str = DEFAULT_IMAGE) -> tuple[str, list[str]]:
    """A batch/v1 CronJob manifest (YAML) and its warnings."""
    schedule, fields = _schedule(drill)
    warnings = _unexpressed(schedule, "CronJob")
    deadline = int((drill.safety.max_duration + _MARGIN).total_seconds())
    spec: dict[str, object] = {
        "schedule": fields.five_fields,
        "timeZone": schedule.timezone,
        "concurrencyPolicy": schedule.concurrency.value,
        "suspend": schedule.suspend,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 5,
        "jobTemplate": {
            "spec": {
                # Never retried blindly: a retry could file a second ticket with the vendor.
                "backoffLimit": 0,
                "activeDeadlineSeconds": deadline,
                "template": {
                    "metadata": {"labels": {"supportdrill/schedule": _dns_name(schedule.name)}},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "drill",
                                "image": image,
                                "args": _fire_args(drill_path),
                                "envFrom": [
                                    {"secretRef": {"name": f"{_dns_name(schedule.name)}-env"}}
                                ],
                            }
                        ],
                    },
                },
            }
        },
    }
    if schedule.starting_deadline is not None:
        spec["startingDeadlineSeconds"] = int(schedule.starting_deadline.total_seconds())
    if schedule.missed is MissedRuns.SKIP and schedule.starting_deadline is None:
        # Kubernetes starts one missed run unless the deadline has passed; a short deadline is
        # how it skips them.
        spec["startingDeadlineSeconds"] = 60
        warnings.append("CronJob: missed: skip becomes startingDeadlineSeconds: 60")
    if schedule.missed is MissedRuns.ALL:
        warnings.append("CronJob: Kubernetes starts at most the latest missed run, not all")
    manifest = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": _dns_name(schedule.name),
            "labels": {"app.kubernetes.io/name": "supportdrill"},
        },
        "spec": spec,
    }
    header = (
        f"# supportdrill schedule export: {schedule.name} ({drill.name} against "
        f"{drill.vendor.name}).\n# Secrets the drill names come from the Secret "
        f"{_dns_name(schedule.name)}-env; mount the drill file at {drill_path}.\n"
    )
    return header + yaml.safe_dump(manifest, sort_keys=False), warnings


# ---- systemd


def _values(values: frozenset[int] | set[int], width: int = 2) -> str:
    return ",".join(f"{value:0{width}d}" for value in sorted(values))


def on_calendar(fields: CronFields, timezone: str) -> list[str]:
    """``OnCalendar=`` expressions for a cron line (two when day and weekday are OR-ed)."""
    time_part = f"{_values(fields.hours)}:{_values(fields.minutes)}:00"
    months = "*" if len(fields.months) == 12 else _values(fields.months)
    days = "*" if not fields.days_restricted else _values(fields.days)
    weekdays = ",".join(_DAY_NAMES[day] for day in sorted(fields.weekdays))
    if fields.days_restricted and fields.weekdays_restricted:
        return [
            f"*-{months}-{days} {time_part} {timezone}",
            f"{weekdays} *-{months}-* {time_part} {timezone}",
        ]
    prefix = f"{weekdays} " if fields.weekdays_restricted else ""
    return [f"{prefix}*-{months}-{days} {time_part} {timezone}"]


def systemd_units(
    drill: Drill, *, drill_path: str, executable: str = "/usr/local/bin/supportdrill"
) -> tuple[str, str, list[str]]:
    """A oneshot service and its timer, and warnings."""
    schedule, fields = _schedule(drill)
    warnings = _unexpressed(schedule, "systemd")
    name = _dns_name(schedule.name)
    if schedule.concurrency is not ConcurrencyPolicy.FORBID:
        warnings.append(
            f"systemd: a oneshot service never runs twice at once: concurrency "
            f"{schedule.concurrency.value} acts as Forbid"
        )
    timeout = int((drill.safety.max_duration + _MARGIN).total_seconds())
    service = (
        f"# supportdrill schedule export: {schedule.name} ({drill.name} against "
        f"{drill.vendor.name})\n"
        "[Unit]\n"
        f"Description=supportdrill scheduled drill {schedule.name}\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart={executable} {' '.join(_fire_args(drill_path))}\n"
        f"EnvironmentFile=-/etc/supportdrill/{name}.env\n"
        f"TimeoutStartSec={timeout}\n"
        # SIGTERM ends a drill as halted: it removes its fault and writes its report.
        "KillSignal=SIGTERM\n"
        "TimeoutStopSec=120\n"
    )
    persistent = "false" if schedule.missed is MissedRuns.SKIP else "true"
    if schedule.missed is MissedRuns.ALL:
        warnings.append("systemd: Persistent=true starts one run after downtime, not every one")
    calendars = "".join(f"OnCalendar={line}\n" for line in on_calendar(fields, schedule.timezone))
    timer = (
        "[Unit]\n"
        f"Description=supportdrill schedule {schedule.name} ({fields.text} {schedule.timezone})\n\n"
        "[Timer]\n"
        f"{calendars}"
        "AccuracySec=1s\n"
        f"Persistent={persistent}\n"
        f"Unit={name}.service\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return service, timer, warnings


# ---- GitHub Actions


def _utc_lines(fields: CronFields, offset: timedelta) -> tuple[list[str], bool]:
    """Cron lines in UTC for a zone at ``offset``; True if days had to be widened to ``*``."""
    by_shift: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    offset_minutes = int(offset.total_seconds()) // 60
    for hour in fields.hours:
        for minute in fields.minutes:
            total = hour * 60 + minute - offset_minutes
            shift, in_day = divmod(total, 1440)
            by_shift[shift][in_day % 60].add(in_day // 60)
    lines: list[str] = []
    widened = False
    for shift, minutes in sorted(by_shift.items()):
        groups: dict[frozenset[int], set[int]] = defaultdict(set)
        for minute, hours in minutes.items():
            groups[frozenset(hours)].add(minute)
        days, months = (
            "*" if not fields.days_restricted else _values(fields.days, 1),
            "*" if len(fields.months) == 12 else _values(fields.months, 1),
        )
        weekdays = "*"
        if fields.weekdays_restricted:
            weekdays = ",".join(str((day + 1 + shift) % 7) for day in sorted(fields.weekdays))
        if shift and (days != "*" or months != "*"):
            # The 1st at 01:00 in Tokyo is the last day of the month before in UTC: trigger
            # every day and let `schedule fire` pick the right ones.
            days, months, weekdays, widened = "*", "*", "*", True
        for hour_set, minute_set in sorted(groups.items(), key=lambda item: sorted(item[0])):
            minutes_text = _values(frozenset(minute_set), 1)
            lines.append(f"{minutes_text} {_values(hour_set, 1)} {days} {months} {weekdays}")
    return lines, widened


def github_workflow(
    drill: Drill, *, drill_path: str, now: datetime, tolerance: timedelta = timedelta(minutes=45)
) -> tuple[str, list[str]]:
    """A workflow whose UTC cron lines cover every offset of the zone in the next year."""
    schedule, fields = _schedule(drill)
    warnings = _unexpressed(schedule, "GitHub Actions")
    zone = ZoneInfo(schedule.timezone)
    changes = transitions_between(zone, now, now + timedelta(days=366))
    offsets = sorted(
        {now.astimezone(zone).utcoffset() or timedelta(0)} | {c.after for c in changes}
    )
    lines: list[str] = []
    widened = False
    for offset in offsets:
        converted, wide = _utc_lines(fields, offset)
        widened = widened or wide
        lines.extend(line for line in converted if line not in lines)
    if len(offsets) > 1:
        dates = ", ".join(f"{c.at.astimezone(zone):%Y-%m-%d}" for c in changes)
        warnings.append(
            f"GitHub Actions: cron is UTC and {schedule.timezone} moves between "
            f"{' and '.join('UTC' + offset_label(o) for o in offsets)} (changes on {dates}); "
            f"a single UTC line would drift by an hour, so the workflow triggers at each UTC "
            f"time and `schedule fire` runs only the one that is {fields.text!r} local"
        )
    if widened:
        warnings.append(
            "GitHub Actions: the day-of-month/month fields cross midnight in UTC, so the "
            "workflow triggers daily and `schedule fire` picks the right days"
        )
    warnings.append(
        f"GitHub Actions: scheduled workflows often start late; `schedule fire` accepts a "
        f"trigger up to {int(tolerance.total_seconds() // 60)} min after the cron time"
    )
    workflow = {
        "name": f"supportdrill {schedule.name}",
        "on": {"schedule": [{"cron": line} for line in lines], "workflow_dispatch": {}},
        "concurrency": {
            "group": f"supportdrill-{_dns_name(schedule.name)}",
            "cancel-in-progress": schedule.concurrency is ConcurrencyPolicy.REPLACE,
        },
        "jobs": {
            "drill": {
                "runs-on": "ubuntu-latest",
                "timeout-minutes": int((drill.safety.max_duration + _MARGIN).total_seconds() // 60),
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"uses": "actions/setup-python@v5", "with": {"python-version": "3.12"}},
                    {"run": "pip install supportdrill"},
                    {
                        "run": " ".join(
                            [
                                "supportdrill",
                                *_fire_args(drill_path),
                                "--tolerance",
                                f"{int(tolerance.total_seconds() // 60)}m",
                            ]
                        ),
                        "env": {"SUPPORTDRILL_STORE": "${{ vars.SUPPORTDRILL_STORE }}"},
                    },
                ],
            }
        },
    }
    header = (
        f"# supportdrill schedule export: {schedule.name}: {fields.text!r} in "
        f"{schedule.timezone}, as UTC cron lines (generated {now.astimezone(UTC):%Y-%m-%d}).\n"
    )
    return header + yaml.safe_dump(workflow, sort_keys=False), warnings


def export_all(
    drill: Drill, *, drill_path: str, now: datetime, image: str = DEFAULT_IMAGE
) -> Export:
    schedule, _ = _schedule(drill)
    name = _dns_name(schedule.name)
    manifest, k8s = cronjob(drill, drill_path=drill_path, image=image)
    service, timer, systemd = systemd_units(drill, drill_path=drill_path)
    workflow, github = github_workflow(drill, drill_path=drill_path, now=now)
    return Export(
        files={
            f"{name}.cronjob.yaml": manifest,
            f"{name}.service": service,
            f"{name}.timer": timer,
            f"{name}.github-workflow.yml": workflow,
        },
        warnings=(*k8s, *systemd, *github),
    )


__all__ = [
    "DEFAULT_IMAGE",
    "Export",
    "cronjob",
    "export_all",
    "github_workflow",
    "on_calendar",
    "systemd_units",
]
