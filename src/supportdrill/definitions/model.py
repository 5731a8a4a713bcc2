"""The validated drill: frozen objects the runner, the measurements and the reports share.

Nothing here reads files or the network; :mod:`supportdrill.definitions.loader` builds these
from YAML.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from .cron import CronFields

if TYPE_CHECKING:
    from .faults import FaultPlan
    from .load import LoadPlan
    from .runbook import RunbookSpec
    from .scenarios import StreamPlan


class Severity(enum.StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class Weekday(enum.IntEnum):
    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6


@dataclass(frozen=True)
class WeeklyInterval:
    """Covered time on one weekday, ``start`` ≤ t < ``end`` in the schedule's zone.

    ``end`` of ``time(0)`` means midnight at the end of the day (a full ``00:00-24:00`` day).
    """

    weekday: Weekday
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end != time(0) and self.end <= self.start:
            raise ValueError(f"interval ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class Coverage:
    """When a support team works: 24x7, or weekly hours in a zone minus holidays."""

    timezone: str
    always: bool = False
    """7x24: every moment counts, holidays included."""
    weekly: tuple[WeeklyInterval, ...] = ()
    holiday_country: str | None = None
    """ISO country code for the ``holidays`` package, e.g. ``CN``, ``US``."""
    holiday_subdivision: str | None = None
    extra_holidays: tuple[date, ...] = ()
    label: str = ""
    """As the user wrote it, e.g. ``Mon-Fri 09:00-18:00``."""

    @classmethod
    def twenty_four_seven(cls, timezone: str = "UTC") -> Coverage:
        return cls(timezone=timezone, always=True, label="24x7")


@dataclass(frozen=True)
class SlaTarget:
    """What the vendor promises for one severity."""

    first_response: timedelta | None = None
    update_cadence: timedelta | None = None
    """The longest allowed gap between human updates while unresolved."""
    resolution: timedelta | None = None
    auto_ack_counts: bool = False
    """The contract says an automatic acknowledgement meets the first-response target."""


@dataclass(frozen=True)
class TierSet:
    """A vendor's SLA tiers: one target per severity."""

    name: str
    targets: Mapping[Severity, SlaTarget]
    source: str = ""
    """Where these numbers come from."""

    def target(self, severity: Severity) -> SlaTarget | None:
        return self.targets.get(severity)


class DeskKind(enum.StrEnum):
    SIMULATED = "simulated"
    ZENDESK = "zendesk"
    JSM = "jsm"
    FRESHDESK = "freshdesk"
    EMAIL = "email"
    GITHUB = "github"
    PAGERDUTY = "pagerduty"


@dataclass(frozen=True)
class DeskConfig:
    """Which desk, and how to reach it.

    ``settings`` holds plain values (subdomain, persona, project key). ``secrets`` maps a
    setting to the *name* of the environment variable (or ``file:`` path) that holds it: the
    value itself is never part of a drill object, so it cannot leak into reports or the store.
    """

    kind: DeskKind
    settings: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Vendor:
    name: str
    desk: DeskConfig
    timezone: str
    coverage: Mapping[Severity, Coverage]
    tiers: TierSet
    consent: str = ""
    """The recorded consent/disclosure for drilling this vendor's desk."""
    ack_templates: tuple[str, ...] = ()
    """Regular expressions that match the vendor's automatic acknowledgement."""
    agents: tuple[str, ...] = ()
    """Names or ids known to be the vendor's human agents."""
    bots: tuple[str, ...] = ()
    """Names or ids known to be the vendor's automations."""
    statuspage: str | None = None
    """Base URL of the vendor's public Statuspage, if watched."""

    def coverage_for(self, severity: Severity) -> Coverage:
        return self.coverage.get(severity) or Coverage.twenty_four_seven(self.timezone)


@dataclass(frozen=True)
class TicketSpec:
    severity: Severity
    subject: str
    body: str
    file_after: timedelta = timedelta(0)
    """Grace window after degradation: did the vendor notice first?"""
    disclosure: str = ""
    """Appended to every ticket: says this is a drill."""
    tags: tuple[str, ...] = ()
    symptom: str = ""
    """What the customer sees, for ticket-only drills (a fault's own symptom wins)."""
    region: str = ""
    """Where the customer sees it, for ticket-only drills (a fault's own region wins)."""


class ResolutionWhen(enum.StrEnum):
    TICKET_SOLVED = "ticket_solved"
    STREAM_RECOVERED = "stream_recovered"
    REPLY_MATCHES = "reply_matches"


class LiftFault(enum.StrEnum):
    """When the injected fault is removed."""

    ON_FILE = "on_file"
    ON_FIRST_RESPONSE = "on_first_response"
    ON_FIRST_HUMAN_RESPONSE = "on_first_human_response"
    ON_RESOLUTION = "on_resolution"
    AFTER = "after"
    NEVER = "never"
    """The fault stays until the drill ends: whoever answers must restore the stream around it
    (a runbook's failover), and only the drill's teardown removes it."""


@dataclass(frozen=True)
class ResolutionSpec:
    when: ResolutionWhen = ResolutionWhen.TICKET_SOLVED
    pattern: str | None = None
    timeout: timedelta = timedelta(hours=8)
    lift_fault: LiftFault = LiftFault.ON_RESOLUTION
    lift_after: timedelta | None = None
    poll_interval: timedelta = timedelta(seconds=30)
    followup: str | None = None
    """A customer update we post if the vendor has asked for information (e.g. logs)."""


@dataclass(frozen=True)
class SafetySpec:
    max_duration: timedelta = timedelta(hours=9)


class ScheduleWindow(enum.StrEnum):
    """When, on the vendor's calendar, a scheduled run may start (any one listed suffices)."""

    OUTSIDE_COVERAGE = "outside_coverage"
    """The vendor's coverage for the calendar severity is closed (nights, weekends, holidays)."""
    HOLIDAY = "holiday"
    """A public holiday (or listed extra holiday) in the vendor's zone."""
    FIRST_HOUR = "first_hour"
    """Inside coverage, within an hour of it opening (the morning queue)."""


class ConcurrencyPolicy(enum.StrEnum):
    """What to do when a run is due while the schedule's previous run is still going
    (Kubernetes CronJob's ``concurrencyPolicy``)."""

    ALLOW = "Allow"
    FORBID = "Forbid"
    REPLACE = "Replace"


class MissedRuns(enum.StrEnum):
    """What to do with runs that fell due while no scheduler was running."""

    SKIP = "skip"
    """Record them as missed; start nothing until the next time comes."""
    LATEST = "latest"
    """Start the most recent one (Kubernetes' behaviour), record the others as missed."""
    ALL = "all"
    """Start each one, oldest first (subject to the concurrency policy)."""


class AlertFormat(enum.StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    JSON = "json"


@dataclass(frozen=True)
class WebhookAlert:
    """A JSON POST on breach, abort or cannot-start, HMAC-signed with ``secret``."""

    url: str
    """The URL, or the name of the environment variable holding it (``url_env``)."""
    format: AlertFormat = AlertFormat.JSON
    secret: str | None = None
    """Environment variable name (or ``file:`` path) of the signing key."""
    url_secret: str | None = None
    """Environment variable holding the URL itself (Slack and Teams URLs are credentials)."""


@dataclass(frozen=True)
class EmailAlert:
    """A signed alert mail over SMTP."""

    smtp_host: str
    sender: str
    to: tuple[str, ...]
    smtp_port: int = 587
    starttls: bool = True
    user: str | None = None
    password: str | None = None
    """Environment variable name (or ``file:`` path)."""
    secret: str | None = None
    """Environment variable name (or ``file:`` path) of the signing key."""


@dataclass(frozen=True)
class AlertSpec:
    webhooks: tuple[WebhookAlert, ...] = ()
    emails: tuple[EmailAlert, ...] = ()
    retries: int = 4
    """Attempts after the first, each after a doubling delay."""
    backoff: timedelta = timedelta(seconds=2)


@dataclass(frozen=True)
class Schedule:
    """When a drill runs unattended: a cron line in a zone, filtered by the vendor's calendar."""

    cron: str
    timezone: str
    """The zone the cron line is read in; the vendor's unless the drill says otherwise."""
    name: str = ""
    """The series name (default: the drill's name)."""
    jitter: timedelta = timedelta(0)
    """Each run starts up to this much after its cron time (deterministic per seed)."""
    seed: str = ""
    """Seeds the jitter; default the series name."""
    windows: tuple[ScheduleWindow, ...] = ()
    """Start only at times inside one of these (empty: any time)."""
    calendar: Severity | None = None
    """Whose coverage the windows are judged against (default: the drill's severity)."""
    holidays: str | None = None
    """Holiday country for the holiday window (default: the calendar coverage's)."""
    max_runs: int | None = None
    concurrency: ConcurrencyPolicy = ConcurrencyPolicy.FORBID
    missed: MissedRuns = MissedRuns.LATEST
    starting_deadline: timedelta | None = None
    """A run that cannot start this long after its time is missed (default: no limit)."""
    suspend: bool = False
    alerts: AlertSpec = field(default_factory=AlertSpec)
    fields: CronFields | None = None
    """The parsed cron line (set by the loader)."""


@dataclass(frozen=True)
class Drill:
    """One validated drill definition."""

    name: str
    description: str
    vendor: Vendor
    ticket: TicketSpec
    resolution: ResolutionSpec
    safety: SafetySpec
    source_path: str = ""
    digest: str = ""
    """SHA-256 of the file it was loaded from, so a report says exactly what ran."""
    fault: FaultPlan | None = None
    stream: StreamPlan | None = None
    schedule: Schedule | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    load: LoadPlan | None = None
    """A surge of viewers on the stream's viewing side (played by Locust)."""
    runbook: RunbookSpec | None = None
    """The incident runbook the drill proves: who follows it, and the failover it may take."""

    @property
    def severity(self) -> Severity:
        return self.ticket.severity

    @property
    def sla(self) -> SlaTarget | None:
        return self.vendor.tiers.target(self.ticket.severity)

    @property
    def coverage(self) -> Coverage:
        return self.vendor.coverage_for(self.ticket.severity)
