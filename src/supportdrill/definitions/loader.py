"""Load a drill file: YAML text → a :class:`~supportdrill.definitions.model.Drill`, or one clear
error.

Loading (:func:`load_drill`, which reads the file) is separate from building (:func:`build_drill`,
pure). Every error is an :class:`~supportdrill.errors.InvalidDrill` naming ``file:line``, the
dotted field and what is wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import string
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import InvalidDrill
from .cron import CronFields, parse_cron
from .desk_settings import SettingsError, StatuspageSettings, parse_desk_settings
from .faults import FaultPlan, parse_fault_section
from .load import LoadPlan, parse_load_section
from .model import (
    AlertFormat,
    AlertSpec,
    ConcurrencyPolicy,
    Coverage,
    DeskConfig,
    DeskKind,
    Drill,
    EmailAlert,
    LiftFault,
    MissedRuns,
    ResolutionSpec,
    ResolutionWhen,
    SafetySpec,
    Schedule,
    ScheduleWindow,
    Severity,
    SlaTarget,
    TicketSpec,
    TierSet,
    Vendor,
    WebhookAlert,
)
from .reader import MAX_TEXT, Section, read_document, suggest
from .runbook import Runbook, RunbookSpec, StepKind, parse_runbook, parse_runbook_section
from .scenarios import MediaPath, StreamPlan, StreamTarget, parse_stream_section
from .tiers import ALWAYS_WORDS, BUILTIN_TIERS, parse_coverage

TEMPLATE_FIELDS: frozenset[str] = frozenset(
    {
        "drill",
        "description",
        "vendor",
        "severity",
        "region",
        "symptom",
        "fault_profile",
        "started_at",
        "degraded_at",
        "detected_after",
        "evidence",
        "stats_before",
        "stats_after",
        "run_id",
        "stream_scenario",
        "vendor_local_time",
    }
)
"""Placeholders a ticket subject or body may use; the runner fills every one."""

DEFAULT_SUBJECT = "[{severity}][DRILL] {drill}: {symptom}"
DEFAULT_BODY = """\
Severity: {severity}
What we see: {symptom} (region: {region})
Since: {degraded_at} (vendor local time {vendor_local_time})

{description}

Evidence:
{evidence}

Stream health before the problem:
{stats_before}

Stream health now:
{stats_after}

Reference: {run_id}
"""
DEFAULT_DISCLOSURE = (
    "[DRILL] This ticket is part of a support drill agreed with you in advance; "
    "the fault is real on our side and will be removed when the drill ends."
)

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_SECRET_KEYS = frozenset(
    {"token", "password", "api_key", "apikey", "secret", "routing_key", "webhook_secret"}
)
_ENV_ANYWHERE = re.compile(r"\$\{[^}]*\}")


def load_drill(path: str | Path) -> Drill:
    """Read and validate the drill file at ``path`` (and the runbook file it names, if any).

    Only a regular file is read, and at most :data:`MAX_TEXT` bytes of it: a named pipe, a
    device or a socket is refused without blocking (it is opened non-blocking and checked before
    any read).
    """
    where = str(path)
    drill = build_drill(_read_file(where, "a drill file"), where)
    if drill.runbook is not None and drill.runbook.file is not None:
        drill = replace(drill, runbook=_read_runbook(drill.runbook, Path(path).parent))
    return drill


def _read_file(where: str, what: str) -> bytes:
    try:
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError as exc:
        raise InvalidDrill(where, None, "", "no such file") from exc
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise InvalidDrill(where, None, "", f"cannot read: {reason}") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise InvalidDrill(where, None, "", f"is a directory, not {what}")
        raise InvalidDrill(
            where, None, "", "not a regular file (a pipe, device or socket): refused"
        )
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_TEXT + 1)
        except OSError as exc:  # e.g. /proc/self/mem: "regular", but not readable from 0
            raise InvalidDrill(where, None, "", f"cannot read: {exc.strerror}") from exc
    if len(data) > MAX_TEXT:
        raise InvalidDrill(where, None, "", f"larger than {MAX_TEXT} bytes: not {what}")
    return data


def _read_runbook(spec: RunbookSpec, folder: Path) -> RunbookSpec:
    """Read the runbook file a drill names (relative to the drill file's folder)."""
    assert spec.file is not None
    where = str(folder / spec.file)
    paths = spec.failover.paths if spec.failover is not None else None
    script = parse_runbook(_read_file(where, "a runbook file"), where, paths=paths)
    _check_failover_steps(script, spec, where)
    return replace(spec, script=script)


def _check_failover_steps(script: Runbook, spec: RunbookSpec, where: str) -> None:
    if spec.failover is not None:
        return
    for step in script.steps:
        if step.kind is StepKind.FAILOVER:
            raise InvalidDrill(
                where,
                step.line,
                "steps.do",
                "a failover step needs the drill's runbook.failover (the stream's backup path)",
            )


def build_drill(data: str | bytes, path: str) -> Drill:
    """Validate drill text; ``path`` only names it in errors and in the result."""
    document = read_document(data, path)
    root = Section(document, path)
    root.only(
        {
            "name",
            "description",
            "vendor",
            "ticket",
            "resolution",
            "safety",
            "stream",
            "fault",
            "schedule",
            "labels",
            "load",
            "runbook",
        }
    )
    name = root.string("name")
    if not _NAME.match(name):
        root.fail("use lower-case letters, digits, '.', '_' or '-' (at most 80)", "name")
    vendor = _vendor(root.section("vendor"))
    fault = _optional(root, "fault", parse_fault_section)
    stream = _optional(root, "stream", parse_stream_section)
    load = _optional(root, "load", parse_load_section)
    ticket = _ticket(root.section("ticket", None), root)
    resolution = _resolution(root.section("resolution", None), root)
    safety = _safety(root.section("safety", None), root)
    if fault is not None and stream is None:
        root.fail("a fault needs a stream: section (its toxics act on the stream's media)", "fault")
    if load is not None:
        _check_load(root, load, stream)
    if resolution.when is ResolutionWhen.STREAM_RECOVERED and stream is None:
        root.fail("resolution by stream recovery needs a stream: section", "resolution.when")
    runbook = _runbook(root, stream)
    if ticket.file_after >= safety.max_duration:
        root.fail(
            f"ticket.file_after ({ticket.file_after}) does not fit inside safety.max_duration "
            f"({safety.max_duration}): the ticket would be filed after the drill's safety limit",
            "ticket",
        )
    if resolution.timeout > safety.max_duration:
        root.fail(
            f"resolution.timeout ({resolution.timeout}) is longer than safety.max_duration "
            f"({safety.max_duration})",
            "safety",
        )
    encoded = data.encode("utf-8") if isinstance(data, str) else data
    return Drill(
        name=name,
        description=root.string("description", ""),
        vendor=vendor,
        ticket=ticket,
        resolution=resolution,
        safety=safety,
        source_path=path,
        digest=hashlib.sha256(encoded).hexdigest(),
        fault=fault,
        stream=stream,
        schedule=_schedule(root.section("schedule", None), name, vendor, ticket.severity),
        labels=_labels(root),
        load=load,
        runbook=runbook,
    )


def _check_load(root: Section, load: LoadPlan, stream: StreamPlan | None) -> None:
    """A surge is aimed at the stream's viewing side: there must be one to aim at."""
    line = root.node("load").line
    if stream is None:
        root.fail(
            "a load needs a stream: section (the surge is judged with its probe)", "load", line
        )
    if load.url is None and stream.whep_url is None:
        root.fail(
            f"mode {load.mode} without a url watches the stream's whep_url, and the stream "
            "has none (use target: whip, or give load.url)",
            "load.url",
            line,
        )


def _optional(
    root: Section, key: str, parse: Callable[[Section], FaultPlan | StreamPlan | LoadPlan]
) -> Any:
    section = root.section(key, None)
    return None if section is None else parse(section)


def _runbook(root: Section, stream: StreamPlan | None) -> RunbookSpec | None:
    section = root.section("runbook", None)
    if section is None:
        return None
    spec = parse_runbook_section(section)
    if spec.failover is not None and (
        stream is None
        or stream.target is not StreamTarget.LOOPBACK
        or stream.path is not MediaPath.UDP
    ):
        root.fail(
            "a failover needs the loopback stream on path udp (its media crosses our proxies)",
            "runbook.failover",
        )
    if spec.script is not None:
        _check_failover_steps(spec.script, spec, root.path)
    return spec


def _labels(root: Section) -> Mapping[str, str]:
    section = root.section("labels", None)
    if section is None:
        return MappingProxyType({})
    labels: dict[str, str] = {}
    for key in section.names():
        value = section.raw(key, None)
        if isinstance(value, dict | list) or value is None:
            section.fail("a label is a single value (text, a number or true/false)", key)
        labels[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return MappingProxyType(labels)


# -- vendor ---------------------------------------------------------------------------------


def _vendor(section: Section) -> Vendor:
    section.only(
        {
            "name",
            "desk",
            "timezone",
            "coverage",
            "sla",
            "consent",
            "ack_templates",
            "agents",
            "bots",
            "statuspage",
        }
    )
    timezone = section.timezone("timezone")
    desk = _desk(section.section("desk"))
    consent = section.string("consent", "")
    if desk.kind is not DeskKind.SIMULATED and not consent.strip():
        section.fail(
            "a drill against a real desk needs the vendor's recorded consent "
            "(e.g. 'Trial agreement 2026-11, section 4: drills allowed')",
            "consent",
            line=section.line,
        )
    templates = section.strings("ack_templates", ())
    for index, template in enumerate(templates):
        try:
            re.compile(template)
        except re.error as exc:
            section.fail(f"item {index} is not a regular expression: {exc}", "ack_templates")
    return Vendor(
        name=section.string("name"),
        desk=desk,
        timezone=timezone,
        coverage=_coverage(section, timezone),
        tiers=_tiers(section),
        consent=consent,
        ack_templates=templates,
        agents=section.strings("agents", ()),
        bots=section.strings("bots", ()),
        statuspage=_statuspage(section),
    )


def _statuspage(section: Section) -> str | None:
    url = section.string("statuspage", None)
    if url is None:
        return None
    try:
        return StatuspageSettings.from_url(url).url
    except SettingsError as exc:
        section.fail(exc.message, "statuspage")


def _desk(section: Section) -> DeskConfig:
    kind = section.choice("kind", DeskKind)
    settings: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for key in section.names():
        if key == "kind":
            continue
        value = section.raw(key, None)
        if isinstance(value, dict | list) or value is None:
            section.fail("must be a single value", key)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        reference = _ENV_REF.match(text)
        if reference:
            secrets[key] = reference.group(1)
        elif key.endswith("_file"):
            secrets[key.removesuffix("_file")] = f"file:{text}"
        elif key in _SECRET_KEYS:
            section.fail(
                "put the secret in an environment variable and write ${VARIABLE_NAME} here, "
                "or name a file with " + key + "_file",
                key,
            )
        elif _ENV_ANYWHERE.search(text):
            section.fail("write an environment reference alone, like ${ACME_TOKEN}", key)
        else:
            settings[key] = text
    config = DeskConfig(
        kind=kind, settings=MappingProxyType(settings), secrets=MappingProxyType(secrets)
    )
    try:
        parse_desk_settings(config)
    except SettingsError as exc:
        # The error names the setting; a secret may be spelt ``key_file`` in the drill.
        spelt = f"{exc.key}_file"
        section.fail(exc.message, spelt if spelt in section and exc.key not in section else exc.key)
    return config


def _severity_key(section: Section, key: str) -> Severity:
    if key not in {severity.value for severity in Severity}:
        section.fail(f"unknown severity{suggest(key, [s.value for s in Severity])}", key)
    return Severity(key)


def _coverage(vendor: Section, timezone: str) -> Mapping[Severity, Coverage]:
    raw = vendor.raw("coverage", "24x7")
    if isinstance(raw, str):
        coverage = vendor.parsed(
            "coverage", lambda text: parse_coverage(text, timezone=timezone), None
        ) or parse_coverage(raw, timezone=timezone)
        return MappingProxyType({severity: coverage for severity in Severity})
    section = vendor.section("coverage")
    country = section.string("holidays", None)
    subdivision = section.string("holiday_subdivision", None)
    extra = _dates(section)
    default = section.parsed(
        "default", lambda value: _coverage_text(value, timezone), None
    ) or parse_coverage("24x7", timezone=timezone)
    result: dict[Severity, Coverage] = {}
    for key in section.names():
        if key in {"holidays", "holiday_subdivision", "extra_holidays", "default"}:
            continue
        severity = _severity_key(section, key)
        result[severity] = _one_coverage(section, key, timezone, country, subdivision, extra)
    for severity in Severity:
        if severity not in result:
            result[severity] = _with_holidays(default, country, subdivision, extra)
    return MappingProxyType(result)


def _one_coverage(
    section: Section,
    key: str,
    timezone: str,
    country: str | None,
    subdivision: str | None,
    extra: tuple[date, ...],
) -> Coverage:
    coverage: Coverage = section.parsed(key, lambda text: _coverage_text(text, timezone))
    return _with_holidays(coverage, country, subdivision, extra)


def _coverage_text(value: object, timezone: str) -> Coverage:
    if not isinstance(value, str):
        raise ValueError("must be text like 24x7 or 'Mon-Fri 09:00-18:00'")
    return parse_coverage(value, timezone=timezone)


def _with_holidays(
    coverage: Coverage, country: str | None, subdivision: str | None, extra: tuple[date, ...]
) -> Coverage:
    if coverage.always:
        return coverage
    return Coverage(
        timezone=coverage.timezone,
        weekly=coverage.weekly,
        holiday_country=country,
        holiday_subdivision=subdivision,
        extra_holidays=extra,
        label=coverage.label,
    )


def _dates(section: Section) -> tuple[date, ...]:
    result: list[date] = []
    for field, item in section.items("extra_holidays", []):
        value = item.value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value)
        if not isinstance(value, date):
            raise InvalidDrill(section.path, item.line, field, "must be a date like 2026-12-25")
        result.append(value)
    return tuple(result)


def _tiers(vendor: Section) -> TierSet:
    raw = vendor.raw("sla", "common-vendor")
    if isinstance(raw, str):
        if raw not in BUILTIN_TIERS:
            vendor.fail(f"unknown SLA tier set {raw!r}{suggest(raw, sorted(BUILTIN_TIERS))}", "sla")
        return BUILTIN_TIERS[raw]
    section = vendor.section("sla")
    base_name = section.string("base", None)
    base = BUILTIN_TIERS.get(base_name) if base_name else None
    if base_name and base is None:
        section.fail(f"unknown SLA tier set{suggest(base_name, sorted(BUILTIN_TIERS))}", "base")
    targets: dict[Severity, SlaTarget] = dict(base.targets) if base else {}
    for key in section.names():
        if key == "base":
            continue
        severity = _severity_key(section, key)
        target = section.section(key)
        target.only({"first_response", "update_cadence", "resolution", "auto_ack_counts"})
        targets[severity] = SlaTarget(
            first_response=target.duration("first_response", None),
            update_cadence=target.duration("update_cadence", None),
            resolution=target.duration("resolution", None),
            auto_ack_counts=target.boolean("auto_ack_counts", False),
        )
    if not targets:
        section.fail("names no severity targets (e.g. P0: {first_response: 15m})")
    overridden = [key for key in section.names() if key != "base"]
    if base is None:
        return TierSet(name="custom", targets=MappingProxyType(targets), source="drill file")
    if not overridden:
        return base
    # Changed targets are not the built-in set's any more: the name must not claim they are.
    return TierSet(
        name=f"{base_name} (changed: {', '.join(overridden)})",
        targets=MappingProxyType(targets),
        source=f"{base.source} Changed in the drill file: {', '.join(overridden)}.",
    )


# -- ticket, resolution, safety, schedule ------------------------------------------------------


def _template(section: Section, key: str, default: str) -> str:
    text: str = section.string(key, default)
    try:
        parts = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError as exc:
        section.fail(f"bad template: {exc} (write {{{{ and }}}} for literal braces)", key)
    for name, spec, conversion in parts:
        if spec or conversion:
            # Every placeholder is filled with text; a format spec or a conversion would fail
            # (or mean nothing) only when the ticket is filed, mid-drill.
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            section.fail(
                f"placeholder {{{shown}}}: write {{{name}}} alone (no format spec or conversion)",
                key,
            )
        if name not in TEMPLATE_FIELDS:
            section.fail(
                f"unknown placeholder {{{name}}}{suggest(name, sorted(TEMPLATE_FIELDS))}", key
            )
    return text


def _ticket(section: Section | None, root: Section) -> TicketSpec:
    if section is None:
        root.fail("is required (at least ticket: {severity: P0})", "ticket")
    section.only(
        {"severity", "subject", "body", "file_after", "disclosure", "tags", "symptom", "region"}
    )
    return TicketSpec(
        severity=section.choice("severity", Severity),
        subject=_template(section, "subject", DEFAULT_SUBJECT),
        body=_template(section, "body", DEFAULT_BODY),
        file_after=section.duration("file_after", timedelta(0), positive=False),
        disclosure=section.string("disclosure", DEFAULT_DISCLOSURE),
        tags=section.strings("tags", ()),
        symptom=section.string("symptom", ""),
        region=section.string("region", ""),
    )


def _resolution(section: Section | None, root: Section) -> ResolutionSpec:
    if section is None:
        return ResolutionSpec()
    section.only(
        {"when", "pattern", "timeout", "lift_fault", "lift_after", "poll_interval", "followup"}
    )
    when = section.choice("when", ResolutionWhen, ResolutionWhen.TICKET_SOLVED)
    pattern = section.string("pattern", None)
    if when is ResolutionWhen.REPLY_MATCHES and pattern is None:
        section.fail(
            "is required when resolution.when is reply_matches", "pattern", line=section.line
        )
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            section.fail(f"not a regular expression: {exc}", "pattern")
    lift = section.choice("lift_fault", LiftFault, LiftFault.ON_RESOLUTION)
    lift_after = section.duration("lift_after", None)
    if lift is LiftFault.AFTER and lift_after is None:
        section.fail("is required when lift_fault is 'after'", "lift_after", line=section.line)
    poll = section.duration("poll_interval", timedelta(seconds=30))
    if poll < timedelta(seconds=1):
        section.fail("must be at least 1s: desks rate-limit fast pollers", "poll_interval")
    return ResolutionSpec(
        when=when,
        pattern=pattern,
        timeout=section.duration("timeout", timedelta(hours=8)),
        lift_fault=lift,
        lift_after=lift_after,
        poll_interval=poll,
        followup=section.string("followup", None),
    )


def _safety(section: Section | None, root: Section) -> SafetySpec:
    if section is None:
        return SafetySpec()
    section.only({"max_duration"})
    return SafetySpec(max_duration=section.duration("max_duration", timedelta(hours=9)))


def _secret_ref(section: Section, key: str) -> str | None:
    """``${VARIABLE}`` → its name, ``key_file: path`` → ``file:path``; a literal is refused."""
    file_key = f"{key}_file"
    if file_key in section:
        return f"file:{section.string(file_key)}"
    text = section.string(key, None)
    if text is None:
        return None
    reference = _ENV_REF.match(text)
    if reference is None:
        section.fail(
            "put the secret in an environment variable and write ${VARIABLE_NAME} here, "
            f"or name a file with {file_key}",
            key,
        )
    return reference.group(1)


def _webhook(section: Section) -> WebhookAlert:
    section.only({"url", "format", "secret", "secret_file"})
    url = section.string("url")
    reference = _ENV_REF.match(url)
    if reference is None and not re.match(r"^https?://[^\s/]+", url):
        section.fail("must be an http(s) URL or ${VARIABLE} holding one", "url")
    return WebhookAlert(
        url="" if reference else url,
        url_secret=reference.group(1) if reference else None,
        format=section.choice("format", AlertFormat, AlertFormat.JSON),
        secret=_secret_ref(section, "secret"),
    )


def _email(section: Section) -> EmailAlert:
    section.only(
        {
            "smtp_host",
            "smtp_port",
            "starttls",
            "from",
            "to",
            "user",
            "password",
            "password_file",
            "secret",
            "secret_file",
        }
    )
    recipients = section.strings("to")
    if not recipients:
        section.fail("names no recipient", "to")
    port = section.integer("smtp_port", 587, minimum=1)
    if port > 65535:
        section.fail(f"must be a port number (1-65535), got {port}", "smtp_port")
    return EmailAlert(
        smtp_host=section.string("smtp_host"),
        smtp_port=port,
        starttls=section.boolean("starttls", True),
        sender=section.string("from"),
        to=recipients,
        user=section.string("user", None),
        password=_secret_ref(section, "password"),
        secret=_secret_ref(section, "secret"),
    )


def _alerts(section: Section | None) -> AlertSpec:
    if section is None:
        return AlertSpec()
    section.only({"webhooks", "emails", "retries", "backoff"})
    retries = section.integer("retries", 4, minimum=0)
    if retries > 20:
        section.fail(f"must be at most 20, got {retries}", "retries")
    return AlertSpec(
        webhooks=tuple(_webhook(item) for item in section.sections("webhooks", [])),
        emails=tuple(_email(item) for item in section.sections("emails", [])),
        retries=retries,
        backoff=section.duration("backoff", timedelta(seconds=2)),
    )


def _windows(section: Section) -> tuple[ScheduleWindow, ...]:
    windows: list[ScheduleWindow] = []
    allowed = [window.value for window in ScheduleWindow]
    for field, item in section.items("windows", []):
        if not isinstance(item.value, str) or item.value not in allowed:
            raise InvalidDrill(
                section.path,
                item.line,
                field,
                f"{item.value!r} is not one of {', '.join(allowed)}"
                f"{suggest(str(item.value), allowed)}",
            )
        windows.append(ScheduleWindow(item.value))
    return tuple(dict.fromkeys(windows))


def _schedule(
    section: Section | None, name: str, vendor: Vendor, severity: Severity
) -> Schedule | None:
    if section is None:
        return None
    section.only(
        {
            "name",
            "cron",
            "timezone",
            "jitter",
            "seed",
            "windows",
            "calendar",
            "holidays",
            "max_runs",
            "concurrency",
            "missed",
            "starting_deadline",
            "suspend",
            "alerts",
        }
    )
    cron = section.parsed("cron", _cron)
    series = section.string("name", name)
    if not _NAME.match(series):
        section.fail("use lower-case letters, digits, '.', '_' or '-' (at most 80)", "name")
    jitter = section.duration("jitter", timedelta(0), positive=False)
    if jitter > timedelta(days=1):
        section.fail(f"must be at most 1d, got {jitter}", "jitter")
    calendar = section.choice("calendar", Severity, None)
    windows = _windows(section)
    coverage = vendor.coverage_for(calendar or severity)
    # A 24x7 coverage keeps no holidays (every moment counts), but the vendor's calendar still
    # has them: take the country the coverage section names for any severity.
    named = [item.holiday_country for item in vendor.coverage.values() if item.holiday_country]
    country = (
        section.string("holidays", None) or coverage.holiday_country or next(iter(named), None)
    )
    if ScheduleWindow.HOLIDAY in windows and country is None and not coverage.extra_holidays:
        section.fail(
            "the holiday window needs a holiday calendar: set schedule.holidays (e.g. ID) or "
            "vendor.coverage.holidays",
            "windows",
        )
    if coverage.always:
        for window in (ScheduleWindow.OUTSIDE_COVERAGE, ScheduleWindow.FIRST_HOUR):
            if window in windows:
                section.fail(
                    f"{window.value} never happens: the vendor's "
                    f"{(calendar or severity).value} coverage is 24x7 (set schedule.calendar "
                    "to a severity with business hours)",
                    "windows",
                )
    return Schedule(
        cron=cron.text,
        fields=cron,
        timezone=section.timezone("timezone", vendor.timezone),
        name=series,
        jitter=jitter,
        seed=section.string("seed", series),
        windows=windows,
        calendar=calendar,
        holidays=country,
        max_runs=section.integer("max_runs", None, minimum=1),
        concurrency=section.choice("concurrency", ConcurrencyPolicy, ConcurrencyPolicy.FORBID),
        missed=section.choice("missed", MissedRuns, MissedRuns.LATEST),
        starting_deadline=section.duration("starting_deadline", None),
        suspend=section.boolean("suspend", False),
        alerts=_alerts(section.section("alerts", None)),
    )


def _cron(value: object) -> CronFields:
    if not isinstance(value, str):
        raise ValueError(f'must be a cron line in quotes, like "0 3 * * 6", got {value!r}')
    return parse_cron(value)


__all__ = ["ALWAYS_WORDS", "TEMPLATE_FIELDS", "build_drill", "load_drill"]
