"""The drill loader: good files load; each kind of bad file is one line naming file:line: field."""

from __future__ import annotations

import textwrap
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from supportdrill.definitions.loader import build_drill, load_drill
from supportdrill.definitions.model import DeskKind, LiftFault, ResolutionWhen, Severity, Weekday
from supportdrill.errors import InvalidDrill

GOOD = textwrap.dedent(
    """\
    name: jakarta-showroom-p0-offhours
    description: Showroom stream from Jakarta loses bandwidth at peak.
    vendor:
      name: acme-rtc
      desk: {kind: simulated, persona: business-hours-only}
      timezone: Asia/Jakarta
      coverage: {P0: 24x7, P1: "Mon-Fri 09:00-18:00", holidays: ID, extra_holidays: [2026-12-24]}
      sla: common-vendor
      consent: "Trial agreement 2026-11, section 4"
    ticket:
      severity: P0
      subject: "[P0][DRILL] Stream degraded from {region}: {symptom}"
      file_after: 60s
      symptom: viewers see a frozen picture
      region: Jakarta
    resolution: {when: ticket_solved, timeout: 8h}
    safety: {max_duration: 9h}
    schedule: {cron: "0 3 * * 6", timezone: Asia/Jakarta}
    labels: {team: live-ops}
    """
)


def load(text: str) -> object:
    return build_drill(text, "drill.yaml")


def error_of(text: str | bytes) -> InvalidDrill:
    with pytest.raises(InvalidDrill) as caught:
        build_drill(text, "drill.yaml")
    return caught.value


def test_good_drill_loads_every_section() -> None:
    drill = build_drill(GOOD, "drill.yaml")
    assert drill.name == "jakarta-showroom-p0-offhours"
    assert drill.vendor.desk.kind is DeskKind.SIMULATED
    assert drill.vendor.desk.settings["persona"] == "business-hours-only"
    assert drill.severity is Severity.P0
    assert drill.sla is not None and drill.sla.first_response == timedelta(minutes=15)
    assert drill.coverage.always
    p1 = drill.vendor.coverage_for(Severity.P1)
    assert not p1.always and p1.holiday_country == "ID"
    assert p1.extra_holidays == (date(2026, 12, 24),)
    assert [interval.weekday for interval in p1.weekly] == list(Weekday)[:5]
    assert p1.weekly[0].start == time(9) and p1.weekly[0].end == time(18)
    assert drill.vendor.coverage_for(Severity.P3).always  # default for unnamed severities
    assert drill.ticket.file_after == timedelta(seconds=60)
    assert drill.resolution.when is ResolutionWhen.TICKET_SOLVED
    assert drill.resolution.lift_fault is LiftFault.ON_RESOLUTION
    assert drill.safety.max_duration == timedelta(hours=9)
    assert drill.schedule is not None and drill.schedule.cron == "0 3 * * 6"
    assert drill.labels == {"team": "live-ops"}
    assert len(drill.digest) == 64
    assert "[DRILL]" in drill.ticket.disclosure


def test_minimal_drill_gets_defaults() -> None:
    drill = build_drill(
        "name: x\nvendor: {name: v, desk: {kind: simulated}, timezone: UTC}\nticket: {severity: P2}\n",
        "d.yaml",
    )
    assert drill.vendor.tiers.name == "common-vendor"
    assert drill.coverage.always
    assert drill.resolution.timeout == timedelta(hours=8)
    assert drill.schedule is None and drill.fault is None and drill.stream is None
    assert "{severity}" in drill.ticket.subject


def test_inline_sla_and_real_desk_secrets() -> None:
    text = textwrap.dedent(
        """\
        name: zd
        vendor:
          name: acme
          desk: {kind: zendesk, subdomain: acme, email: "${ACME_EMAIL}", token: "${ACME_TOKEN}",
                 oauth_token_file: /run/secrets/pw, mode: agent}
          timezone: Asia/Shanghai
          coverage: "Mon-Fri 09:00-18:00, Sat 10:00-14:00"
          sla:
            base: common-vendor
            P0: {first_response: 10m, update_cadence: 30m, resolution: 4h, auto_ack_counts: true}
          consent: "Trial agreement, section 4"
          ack_templates: ["we have received your request"]
          agents: [Li Wei]
          bots: [Answer Bot]
          statuspage: https://status.example.com
        ticket: {severity: P0, tags: [drill-team]}
        resolution: {when: reply_matches, pattern: "(?i)fixed", lift_fault: after, lift_after: 10m,
                     poll_interval: 15s, followup: "Logs attached."}
        """
    )
    drill = build_drill(text, "zd.yaml")
    desk = drill.vendor.desk
    assert desk.secrets == {
        "email": "ACME_EMAIL",
        "token": "ACME_TOKEN",
        "oauth_token": "file:/run/secrets/pw",
    }
    assert desk.settings == {"subdomain": "acme", "mode": "agent"}
    assert drill.sla is not None and drill.sla.auto_ack_counts
    assert drill.vendor.tiers.target(Severity.P1) is not None  # from the base set
    coverage = drill.coverage
    assert {interval.weekday for interval in coverage.weekly} == set(list(Weekday)[:6])
    assert drill.resolution.pattern == "(?i)fixed"
    assert drill.resolution.lift_after == timedelta(minutes=10)
    assert drill.vendor.statuspage == "https://status.example.com"


def test_custom_sla_without_base() -> None:
    text = GOOD.replace("sla: common-vendor", "sla: {P0: {first_response: 5m}}")
    drill = build_drill(text, "d.yaml")
    assert drill.vendor.tiers.name == "custom"
    assert drill.vendor.tiers.target(Severity.P1) is None


def test_load_drill_reads_files(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(GOOD)
    assert load_drill(path).source_path == str(path)
    with pytest.raises(InvalidDrill, match="no such file"):
        load_drill(tmp_path / "missing.yaml")
    with pytest.raises(InvalidDrill, match="is a directory"):
        load_drill(tmp_path)
    # A drill file's name used as a folder: neither missing nor a directory.
    with pytest.raises(InvalidDrill) as caught:
        load_drill(path / "d.yaml")
    assert str(caught.value) == f"{path / 'd.yaml'}: cannot read: Not a directory"
    locked = tmp_path / "locked.yaml"
    locked.write_text(GOOD)
    locked.chmod(0)
    try:
        if not Path("/proc/self").exists() or __import__("os").geteuid() != 0:
            with pytest.raises(InvalidDrill, match="cannot read"):
                load_drill(locked)
    finally:
        locked.chmod(0o644)


BAD_FILES = [
    # (what, text, line, message fragment)
    ("wrong type", GOOD.replace("file_after: 60s", "file_after: [60]"), 13, "ticket.file_after"),
    (
        "unknown key",
        GOOD.replace("safety: {max_duration: 9h}", "safty: {max_duration: 9h}"),
        17,
        "did you mean 'safety'",
    ),
    (
        "bad duration words",
        GOOD.replace("file_after: 60s", "file_after: 15 minutes"),
        13,
        "write 15m",
    ),
    ("bare number duration", GOOD.replace("file_after: 60s", "file_after: 60"), 13, "no unit"),
    (
        "unknown time zone",
        GOOD.replace("timezone: Asia/Jakarta\n  coverage", "timezone: Asia/Jakartaa\n  coverage"),
        6,
        "unknown time zone",
    ),
    ("missing vendor", "name: x\nticket: {severity: P0}\n", 1, "vendor: is required"),
    ("tab indentation", GOOD.replace("  name: acme-rtc", "\tname: acme-rtc"), 4, "tab"),
    ("empty file", "", None, "empty"),
    ("comments only", "# nothing\n", None, "empty"),
    ("binary file", b"\x89PNG\r\n\x1a\n\x00\x00", None, "binary"),
    ("list at the top", "- name: x\n", 1, "must be a mapping"),
    ("duplicate keys", GOOD + "name: again\n", 20, "duplicate key (first on line 1)"),
    ("unknown severity", GOOD.replace("severity: P0", "severity: P5"), 11, "'P5' is not one of"),
    (
        "unknown placeholder",
        GOOD.replace("{symptom}", "{symptoms}"),
        12,
        "unknown placeholder {symptoms}",
    ),
    ("bad template", GOOD.replace("{symptom}", "{symptom"), 12, "bad template"),
    (
        "unknown sla",
        GOOD.replace("sla: common-vendor", "sla: commn-vendor"),
        8,
        "did you mean 'common-vendor'",
    ),
    (
        "bad coverage",
        GOOD.replace('P1: "Mon-Fri 09:00-18:00"', 'P1: "weekdays 9-6"'),
        7,
        "not a coverage schedule",
    ),
    (
        "bad weekday",
        GOOD.replace('P1: "Mon-Fri 09:00-18:00"', 'P1: "Mon-Fry 09:00-18:00"'),
        7,
        "not a weekday",
    ),
    (
        "bad clock",
        GOOD.replace('P1: "Mon-Fri 09:00-18:00"', 'P1: "Mon-Fri 09:00-25:00"'),
        7,
        "not a time of day",
    ),
    (
        "24:00 starts no day",
        GOOD.replace('P1: "Mon-Fri 09:00-18:00"', 'P1: "Mon-Fri 24:00-18:00"'),
        7,
        "vendor.coverage.P1: '24:00' can only end an interval; a day starts at 00:00",
    ),
    (
        "interval backwards",
        GOOD.replace('P1: "Mon-Fri 09:00-18:00"', 'P1: "Mon-Fri 18:00-09:00"'),
        7,
        "before it starts",
    ),
    ("coverage not text", GOOD.replace('P1: "Mon-Fri 09:00-18:00"', "P1: 5"), 7, "must be text"),
    ("coverage unknown severity", GOOD.replace('P1: "Mon', 'P9: "Mon'), 7, "unknown severity"),
    ("bad holiday date", GOOD.replace("[2026-12-24]", "[christmas]"), 7, "must be a date"),
    ("not yaml", "name: [unclosed\n", 2, "not valid YAML"),
    ("two documents", GOOD + "---\nname: y\n", 21, "one drill per file"),
    (
        "literal secret",
        GOOD.replace("persona: business-hours-only", "token: hunter2"),
        5,
        "environment variable",
    ),
    (
        "literal webhook secret",
        GOOD.replace("persona: business-hours-only", "webhook_secret: s3cr3t-value"),
        5,
        "environment variable",
    ),
    (
        "embedded env",
        GOOD.replace("persona: business-hours-only", "url: 'http://${HOST}/x'"),
        5,
        "alone",
    ),
    (
        "nested desk value",
        GOOD.replace("persona: business-hours-only", "persona: [a]"),
        5,
        "single value",
    ),
    (
        "unknown desk kind",
        GOOD.replace("kind: simulated", "kind: zendsk"),
        5,
        "did you mean 'zendesk'",
    ),
    (
        "real desk without consent",
        GOOD.replace(
            "kind: simulated, persona: business-hours-only",
            'kind: zendesk, subdomain: acme, email: a@acme.test, token: "${T}"',
        ).replace('  consent: "Trial agreement 2026-11, section 4"\n', ""),
        4,
        "consent",
    ),
    (
        "bad name",
        GOOD.replace("name: jakarta-showroom-p0-offhours", "name: Jakarta Showroom"),
        1,
        "lower-case",
    ),
    (
        "empty name",
        GOOD.replace("name: jakarta-showroom-p0-offhours", 'name: ""'),
        1,
        "must not be empty",
    ),
    ("no ticket", GOOD.split("ticket:")[0], 1, "ticket: is required"),
    (
        "pattern required",
        GOOD.replace("when: ticket_solved", "when: reply_matches"),
        16,
        "pattern: is required",
    ),
    (
        "bad pattern",
        GOOD.replace("when: ticket_solved", "when: reply_matches, pattern: '(('"),
        16,
        "not a regular expression",
    ),
    (
        "lift_after required",
        GOOD.replace("when: ticket_solved", "lift_fault: after"),
        16,
        "lift_after: is required",
    ),
    (
        "poll too fast",
        GOOD.replace("timeout: 8h", "timeout: 8h, poll_interval: 500ms"),
        16,
        "at least 1s",
    ),
    ("zero timeout", GOOD.replace("timeout: 8h", "timeout: 0s"), 16, "longer than zero"),
    (
        "timeout beyond max",
        GOOD.replace("timeout: 8h", "timeout: 10h"),
        17,
        "longer than safety.max_duration",
    ),
    (
        "fault without stream",
        GOOD + "fault: {profile: blackout}\n",
        GOOD.count("\n") + 1,
        "fault: a fault needs a stream",
    ),
    (
        "stream recovery without stream",
        GOOD.replace("when: ticket_solved", "when: stream_recovered"),
        1,
        "needs a stream",
    ),
    ("bad cron", GOOD.replace('cron: "0 3 * * 6"', 'cron: "0 3 * *"'), 18, "5 fields"),
    (
        "bad ack template",
        GOOD.replace("  sla: common-vendor", "  sla: common-vendor\n  ack_templates: ['(']"),
        9,
        "not a regular expression",
    ),
    (
        "ack template not text",
        GOOD.replace("  sla: common-vendor", "  sla: common-vendor\n  ack_templates: [1]"),
        9,
        "must be text",
    ),
    (
        "ack templates not a list",
        GOOD.replace("  sla: common-vendor", "  sla: common-vendor\n  ack_templates: x"),
        9,
        "must be a list",
    ),
    (
        "boolean where text",
        GOOD.replace("name: acme-rtc", "name: yes"),
        4,
        "must be text, got the boolean true",
    ),
    (
        "inline sla unknown key",
        GOOD.replace("sla: common-vendor", "sla: {P0: {first_reply: 5m}}"),
        8,
        "did you mean 'first_response'",
    ),
    (
        "inline sla unknown base",
        GOOD.replace("sla: common-vendor", "sla: {base: nope, P0: {first_response: 5m}}"),
        8,
        "unknown SLA tier set",
    ),
    ("inline sla empty", GOOD.replace("sla: common-vendor", "sla: {}"), 8, "names no severity"),
    (
        "inline sla bad severity",
        GOOD.replace("sla: common-vendor", "sla: {PO: {first_response: 5m}}"),
        8,
        "vendor.sla.PO: unknown severity; known: P0",
    ),
    (
        "auto ack not bool",
        GOOD.replace("sla: common-vendor", "sla: {P0: {first_response: 5m, auto_ack_counts: 1}}"),
        8,
        "true or false",
    ),
    ("merge key", GOOD + "x: &a {b: 1}\ny:\n  <<: *a\n", 22, "merge keys"),
    ("complex key", GOOD + "? [a]\n: b\n", 20, "plain words"),
    ("not utf-8", b"name: \xff\xfe\n", None, "not UTF-8"),
    # Notepad's "empty" UTF-8 file: a byte-order mark and nothing else.
    ("byte-order mark only", b"\xef\xbb\xbf\r\n", None, "drill.yaml: the file is empty"),
    ("byte-order mark and comments", b"\xef\xbb\xbf# todo\n", None, "the file is empty"),
    (
        "terminal colour code pasted in",
        GOOD.replace("symptom: viewers", "symptom: \x1b[31mviewers"),
        14,
        "drill.yaml:14: not valid YAML: character U+001B: special characters are not allowed",
    ),
    (
        "vendor not a mapping",
        "name: x\nvendor: acme\nticket: {severity: P0}\n",
        2,
        "vendor must be a mapping",
    ),
]


@pytest.mark.parametrize(
    ("what", "text", "line", "fragment"), BAD_FILES, ids=[case[0] for case in BAD_FILES]
)
def test_bad_files_name_file_line_and_field(
    what: str, text: str | bytes, line: int | None, fragment: str
) -> None:
    error = error_of(text)
    rendered = str(error)
    assert fragment in rendered, rendered
    assert rendered.startswith("drill.yaml"), rendered
    assert error.line == line, rendered
    assert "\n" not in rendered
