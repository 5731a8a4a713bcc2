"""Bad drill input that used to hang, overflow or give a traceback: each is now one clear
``file:line: field: message``, in bounded time and memory."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from supportdrill.definitions.loader import build_drill, load_drill
from supportdrill.definitions.model import Severity
from supportdrill.errors import InvalidDrill

from .test_loader import GOOD


def error_of(text: str | bytes) -> str:
    with pytest.raises(InvalidDrill) as caught:
        build_drill(text, "drill.yaml")
    rendered = str(caught.value)
    assert rendered.startswith("drill.yaml") and "\n" not in rendered
    return rendered


ALIAS_BOMB = textwrap.dedent(
    """\
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    """
)


def test_an_alias_bomb_is_refused() -> None:
    assert len(ALIAS_BOMB) < 700
    assert "alias bomb" in error_of(ALIAS_BOMB)
    nested = GOOD + "stream:\n" + textwrap.indent(ALIAS_BOMB, "  ")
    assert "alias bomb" in error_of(nested)


@pytest.mark.parametrize(
    "text",
    [
        "&a [*a]",
        "a: &a {b: *a}",
        "name: x\nvendor: &v {name: v, desk: {kind: simulated}, timezone: UTC, x: *v}\n",
    ],
)
def test_recursive_aliases_are_refused(text: str) -> None:
    assert "nested more than" in error_of(text)


@pytest.mark.parametrize(
    "text",
    ["[" * 3000 + "]" * 3000, "a: " + "{b: " * 3000 + "1" + "}" * 3000, "- " * 3000 + "x"],
)
def test_deep_nesting_is_refused(text: str) -> None:
    assert "nested" in error_of(text)


def test_a_huge_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 2_000_001)
    with pytest.raises(InvalidDrill, match="larger than"):
        load_drill(big)
    assert "characters" in error_of("# " + "x" * 1_000_001)


def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "drill.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InvalidDrill, match="not a regular file"):
        load_drill(fifo)


def test_a_device_and_a_bad_name_are_refused() -> None:
    with pytest.raises(InvalidDrill, match="not a regular file"):
        load_drill("/dev/null")
    with pytest.raises(InvalidDrill, match="cannot read"):
        load_drill("bad\0name.yaml")


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("file_after: 60s", "file_after: 99999999999999999999d", "ticket.file_after"),
        ("timeout: 8h", "timeout: " + "9" * 30 + "h", "resolution.timeout"),
        ("max_duration: 9h", "max_duration: 4000d", "safety.max_duration"),
    ],
)
def test_huge_durations_are_refused(old: str, new: str, fragment: str) -> None:
    assert fragment in error_of(GOOD.replace(old, new))


def test_file_after_must_fit_inside_max_duration() -> None:
    text = GOOD.replace("file_after: 60s", "file_after: 10h").replace("timeout: 8h", "timeout: 2h")
    assert "does not fit inside safety.max_duration" in error_of(text)


@pytest.mark.parametrize(
    ("coverage", "fragment"),
    [
        ("{default: weekdays}", "vendor.coverage.default"),
        ("{default: [1]}", "vendor.coverage.default"),
        ("{P1: weekdays}", "vendor.coverage.P1"),
    ],
)
def test_bad_coverage_default_is_a_field_error(coverage: str, fragment: str) -> None:
    text = GOOD.replace(
        'coverage: {P0: 24x7, P1: "Mon-Fri 09:00-18:00", holidays: ID, extra_holidays: [2026-12-24]}',
        f"coverage: {coverage}",
    )
    assert fragment in error_of(text)


def test_coverage_default_applies_to_unnamed_severities() -> None:
    text = GOOD.replace(
        'coverage: {P0: 24x7, P1: "Mon-Fri 09:00-18:00", holidays: ID, extra_holidays: [2026-12-24]}',
        'coverage: {P0: 24x7, default: "Mon-Fri 09:00-17:00", holidays: CN}',
    )
    p2 = build_drill(text, "d.yaml").vendor.coverage_for(Severity.P2)
    assert p2.label == "Mon-Fri 09:00-17:00" and p2.holiday_country == "CN"


@pytest.mark.parametrize("subject", ["{region:%Y}", "{region!z}", "{region!r}", "{symptom:>10}"])
def test_subject_placeholders_with_specs_or_conversions_are_refused(subject: str) -> None:
    text = GOOD.replace(
        'subject: "[P0][DRILL] Stream degraded from {region}: {symptom}"', f'subject: "{subject}"'
    )
    assert "no format spec or conversion" in error_of(text)


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1.0e+400", "1" + "0" * 400])
def test_non_finite_numbers_are_refused(value: str) -> None:
    text = (
        GOOD
        + f"stream: {{scenario: showroom}}\nfault:\n  toxics:\n    - {{type: loss, toxicity: {value}}}\n"
    )
    assert "finite" in error_of(text) or "too large a number" in error_of(text)


@pytest.mark.parametrize(
    ("cron", "fragment"),
    [
        ("99 99 * * *", "minute: 99 is out of range 0-59"),
        ("0 24 * * *", "hour: 24 is out of range 0-23"),
        ("0 3 0 * *", "day of month: 0 is out of range 1-31"),
        ("0 3 * 13 *", "month: 13 is out of range 1-12"),
        ("0 3 * * 8", "weekday: 8 is out of range 0-7"),
        ("0 3 * * mon-fri/0", "step '0' must be a whole number above 0"),
        ("*/99 3 * * *", "step 99 is larger than"),
        ("0 3 * * fri-mon", "runs backwards"),
        ("0 3 * * x?", "'x?' is not a number"),
        ("0 3 * jan mon", "day of month: 'jan' is not a number"),
    ],
)
def test_out_of_range_cron_fields_are_refused(cron: str, fragment: str) -> None:
    text = GOOD.replace('cron: "0 3 * * 6"', f'cron: "{cron}"')
    if cron == "0 3 * jan mon":
        text = GOOD.replace('cron: "0 3 * * 6"', 'cron: "0 3 jan jan mon"')
    assert fragment in error_of(text)


@pytest.mark.parametrize("cron", ["*/15 9-17 * * mon-fri", "0 3 1,15 jan-mar 0", "0 0 31 dec 7"])
def test_good_cron_lines_pass(cron: str) -> None:
    text = GOOD.replace('cron: "0 3 * * 6"', f'cron: "{cron}"')
    drill = build_drill(text, "d.yaml")
    assert drill.schedule is not None and drill.schedule.cron == cron


@pytest.mark.parametrize("labels", ["{team: {a: 1}}", "{team: [1, 2]}", "{team: null}"])
def test_nested_labels_are_refused(labels: str) -> None:
    assert "labels.team" in error_of(GOOD.replace("labels: {team: live-ops}", f"labels: {labels}"))


def test_scalar_labels_are_text() -> None:
    drill = build_drill(GOOD.replace("labels: {team: live-ops}", "labels: {a: 1, b: true}"), "d")
    assert dict(drill.labels) == {"a": "1", "b": "true"}


def test_overridden_tiers_do_not_keep_the_builtin_name() -> None:
    text = GOOD.replace(
        "sla: common-vendor", "sla: {base: common-vendor, P0: {first_response: 5m}}"
    )
    tiers = build_drill(text, "d.yaml").vendor.tiers
    assert tiers.name == "common-vendor (changed: P0)"
    assert "Changed in the drill file: P0." in tiers.source
    plain = GOOD.replace("sla: common-vendor", "sla: {base: common-vendor}")
    assert build_drill(plain, "d.yaml").vendor.tiers.name == "common-vendor"


def test_a_regular_file_that_cannot_be_read_is_refused() -> None:
    # /proc/self/mem is a "regular file" whose first bytes cannot be read.
    with pytest.raises(InvalidDrill, match="cannot read"):
        load_drill("/proc/self/mem")
