"""The drill's schedule: section: typed, defaulted from the vendor, every mistake at file:line."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from supportdrill.definitions.loader import build_drill
from supportdrill.definitions.model import (
    AlertFormat,
    ConcurrencyPolicy,
    MissedRuns,
    ScheduleWindow,
    Severity,
)
from supportdrill.errors import InvalidDrill

BASE = textwrap.dedent(
    """\
    name: jakarta-offhours
    vendor:
      name: acme-rtc
      desk: {kind: simulated, persona: business-hours-only}
      timezone: Asia/Jakarta
      coverage: {P0: 24x7, P1: "Mon-Fri 09:00-18:00", holidays: ID}
    ticket: {severity: P0}
    """
)


def drill_with(schedule: str) -> object:
    return build_drill(BASE + textwrap.dedent(schedule), "drill.yaml")


def error_of(schedule: str) -> InvalidDrill:
    with pytest.raises(InvalidDrill) as caught:
        drill_with(schedule)
    return caught.value


def test_defaults_come_from_the_drill_and_the_vendor() -> None:
    drill = build_drill(BASE + 'schedule: {cron: "0 3 * * 6"}\n', "drill.yaml")
    schedule = drill.schedule
    assert schedule is not None
    assert schedule.timezone == "Asia/Jakarta"
    assert schedule.name == schedule.seed == "jakarta-offhours"
    assert schedule.jitter == timedelta(0) and schedule.windows == ()
    assert schedule.concurrency is ConcurrencyPolicy.FORBID
    assert schedule.missed is MissedRuns.LATEST
    assert schedule.max_runs is None and schedule.starting_deadline is None
    assert not schedule.suspend and schedule.alerts.webhooks == ()
    assert schedule.fields is not None and schedule.fields.hours == {3}


def test_every_field() -> None:
    drill = drill_with(
        """\
        schedule:
          name: jakarta-nights
          cron: "30 2 * * sat,sun"
          timezone: Asia/Makassar
          jitter: 20m
          seed: s1
          windows: [outside_coverage, holiday, outside_coverage]
          calendar: P1
          max_runs: 12
          concurrency: Replace
          missed: all
          starting_deadline: 10m
          suspend: true
          alerts:
            retries: 2
            backoff: 5s
            webhooks:
              - {url: "${SLACK_URL}", format: slack, secret: "${ALERT_KEY}"}
              - {url: "http://127.0.0.1:9000/hook", format: teams, secret_file: /run/key}
            emails:
              - smtp_host: 127.0.0.1
                smtp_port: 2525
                starttls: false
                from: drills@example.com
                to: [oncall@example.com]
                user: drills
                password: ${SMTP_PASSWORD}
                secret: ${ALERT_KEY}
        """
    )
    schedule = drill.schedule  # type: ignore[attr-defined]
    assert schedule.name == "jakarta-nights" and schedule.seed == "s1"
    assert schedule.timezone == "Asia/Makassar" and schedule.jitter == timedelta(minutes=20)
    assert schedule.windows == (ScheduleWindow.OUTSIDE_COVERAGE, ScheduleWindow.HOLIDAY)
    assert schedule.calendar is Severity.P1 and schedule.holidays == "ID"
    assert schedule.max_runs == 12 and schedule.concurrency is ConcurrencyPolicy.REPLACE
    assert schedule.missed is MissedRuns.ALL and schedule.suspend
    assert schedule.starting_deadline == timedelta(minutes=10)
    slack, teams = schedule.alerts.webhooks
    assert slack.url == "" and slack.url_secret == "SLACK_URL" and slack.secret == "ALERT_KEY"
    assert slack.format is AlertFormat.SLACK
    assert teams.url == "http://127.0.0.1:9000/hook" and teams.secret == "file:/run/key"
    (mail,) = schedule.alerts.emails
    assert mail.smtp_port == 2525 and not mail.starttls and mail.password == "SMTP_PASSWORD"
    assert mail.to == ("oncall@example.com",) and mail.sender == "drills@example.com"
    assert schedule.alerts.retries == 2 and schedule.alerts.backoff == timedelta(seconds=5)


def test_a_holiday_country_of_its_own() -> None:
    text = BASE.replace(", holidays: ID", "") + (
        'schedule: {cron: "0 3 * * *", windows: [holiday], holidays: ID}\n'
    )
    schedule = build_drill(text, "drill.yaml").schedule
    assert schedule is not None and schedule.holidays == "ID"


@pytest.mark.parametrize(
    ("schedule", "line", "field", "message"),
    [
        ('schedule: {cron: "0 25 * * 6"}\n', 8, "schedule.cron", "hour: 25 is out of range"),
        ("schedule: {cron: 5}\n", 8, "schedule.cron", "must be a cron line in quotes"),
        ('schedule:\n  cron: "0 3 * * 6"\n  jitter: 2d\n', 10, "schedule.jitter", "at most 1d"),
        (
            'schedule:\n  cron: "0 3 * * 6"\n  windows: [weekend]\n',
            10,
            "schedule.windows[0]",
            "'weekend' is not one of",
        ),
        (
            'schedule:\n  cron: "0 3 * * 6"\n  windows: [first_hour]\n',
            10,
            "schedule.windows",
            "first_hour never happens: the vendor's P0 coverage is 24x7",
        ),
        (
            'schedule:\n  cron: "0 3 * * 6"\n  concurrency: forbid\n',
            10,
            "schedule.concurrency",
            "'forbid' is not one of Allow, Forbid, Replace",
        ),
        ('schedule:\n  cron: "0 3 * * 6"\n  max_runs: 0\n', 10, "schedule.max_runs", "at least 1"),
        (
            'schedule:\n  cron: "0 3 * * 6"\n  timezone: Asia/Jakata\n',
            10,
            "schedule.timezone",
            "unknown time zone",
        ),
        ('schedule:\n  cron: "0 3 * * 6"\n  name: Bad Name\n', 10, "schedule.name", "lower-case"),
        ('schedule:\n  cron: "0 3 * * 6"\n  every: 1h\n', 10, "schedule.every", "unknown key"),
        (
            'schedule:\n  cron: "0 3 * * 6"\n  alerts:\n    webhooks: [{url: "${X}", secret: hunter22}]\n',
            11,
            "schedule.alerts.webhooks[0].secret",
            "environment variable",
        ),
        (
            'schedule:\n  cron: "0 3 * * 6"\n  alerts:\n    webhooks: [{url: "ftp://x"}]\n',
            11,
            "schedule.alerts.webhooks[0].url",
            "http(s) URL",
        ),
        (
            'schedule:\n  cron: "0 3 * * 6"\n  alerts:\n    retries: 50\n',
            11,
            "schedule.alerts.retries",
            "at most 20",
        ),
        (
            'schedule:\n  cron: "0 3 * * 6"\n  alerts:\n    emails: [{smtp_host: h, from: a@b, to: []}]\n',
            11,
            "schedule.alerts.emails[0].to",
            "no recipient",
        ),
        (
            'schedule:\n  cron: "0 3 * * 6"\n  alerts:\n    emails: [{smtp_host: h, smtp_port: 70000, from: a@b, to: [c@d]}]\n',
            11,
            "schedule.alerts.emails[0].smtp_port",
            "port number",
        ),
    ],
)
def test_mistakes_name_file_line_and_field(
    schedule: str, line: int, field: str, message: str
) -> None:
    error = error_of(schedule)
    assert (error.path, error.line, error.field) == ("drill.yaml", line, field)
    assert message in error.message


def test_the_holiday_window_needs_a_calendar() -> None:
    text = BASE.replace(", holidays: ID", "") + (
        'schedule: {cron: "0 3 * * *", windows: [holiday], calendar: P1}\n'
    )
    with pytest.raises(InvalidDrill, match="holiday window needs a holiday calendar"):
        build_drill(text, "drill.yaml")


def test_a_24x7_severity_takes_the_vendors_holiday_country() -> None:
    schedule = drill_with('schedule: {cron: "0 3 * * *", windows: [holiday]}\n').schedule  # type: ignore[attr-defined]
    assert schedule.holidays == "ID"


def test_an_email_alert_without_login_or_signature() -> None:
    drill = drill_with(
        """\
        schedule:
          cron: "0 3 * * 6"
          alerts: {emails: [{smtp_host: 127.0.0.1, from: a@example.com, to: [b@example.com]}]}
        """
    )
    (mail,) = drill.schedule.alerts.emails  # type: ignore[attr-defined]
    assert mail.user is None and mail.password is None and mail.secret is None
    assert mail.smtp_port == 587 and mail.starttls
