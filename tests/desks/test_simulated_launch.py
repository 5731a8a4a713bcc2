"""The simulated desk is started in one place with one set of defaults: ``run`` and ``desk check``
start the same desk from a drill, ``desk serve`` from its options."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from supportdrill.clock import AcceleratedClock, RealClock
from supportdrill.definitions.loader import build_drill
from supportdrill.desks.simulated.hours import HolidayRules
from supportdrill.desks.simulated.launch import (
    DEFAULT_PERSONA,
    DEFAULT_TIMEZONE,
    DeskLaunch,
    check_embedded,
    check_listen,
    filing_lead,
    parse_start,
)
from supportdrill.errors import InvalidConfiguration

DRILL = textwrap.dedent(
    """\
    name: launch
    vendor:
      name: acme
      desk:
        kind: simulated
        persona: business-hours-only
        delay_first_human: 20m
        simulated_start: "2026-02-13T17:00:00+08:00"
        rate: 500
      timezone: Asia/Shanghai
      coverage: {P0: "Mon-Fri 09:00-18:00", holidays: CN}
    ticket: {severity: P0, file_after: 90s}
    """
)


def test_a_drills_desk_takes_the_vendors_zone_and_calendar() -> None:
    spec = DeskLaunch.for_drill(build_drill(DRILL, "d.yaml"))
    assert spec.persona == "business-hours-only"
    assert spec.timezone == "Asia/Shanghai"  # not Asia/Jakarta, as desk check once used
    assert spec.holidays == HolidayRules(country="CN")
    assert dict(spec.delays) == {"first_human": 1200.0}
    assert spec.start == datetime(2026, 2, 13, 9, 0, tzinfo=UTC)
    assert spec.rate == 500


def test_the_defaults_are_one_set() -> None:
    plain = build_drill(
        "name: p\nvendor: {name: v, desk: {kind: simulated}, timezone: Europe/Berlin}\n"
        "ticket: {severity: P0}\n",
        "p.yaml",
    )
    spec = DeskLaunch.for_drill(plain)
    assert spec.persona == DEFAULT_PERSONA == DeskLaunch().persona
    assert spec.timezone == "Europe/Berlin" and DeskLaunch().timezone == DEFAULT_TIMEZONE
    assert spec.hours == DeskLaunch().hours and spec.rate == DeskLaunch().rate
    assert isinstance(spec.clock(), RealClock)


def test_the_clock_files_at_the_start() -> None:
    spec = DeskLaunch.for_drill(build_drill(DRILL, "d.yaml"))
    lead = filing_lead(build_drill(DRILL, "d.yaml"))
    assert lead == timedelta(seconds=95)  # file_after and the slack of a drill without a stream
    running = spec.clock(lead=lead)
    assert isinstance(running, AcceleratedClock) and running.rate == 1.0
    assert timedelta(0) <= running.now() - (spec.start - lead) < timedelta(seconds=30)
    served = spec.clock()
    assert isinstance(served, AcceleratedClock) and served.rate == 500


async def test_desk_check_starts_the_desk_run_would() -> None:
    lines = await check_embedded(DeskLaunch.for_drill(build_drill(DRILL, "d.yaml")))
    assert "persona business-hours-only, Asia/Shanghai, hours Mon-Fri 09:00-18:00" in lines[0]
    assert "holidays CN" in lines[0] and "nothing was filed" in lines[0]
    assert "filing at 2026-02-13T17:00:00+08:00" in lines[0]
    assert any("persona business-hours-only" in line for line in lines[1:])


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"persona": "nobody"}, "unknown persona"),
        ({"rate": float("nan")}, "rate"),
        ({"rate": 0.0}, "rate"),
        ({"rate": 1e9}, "rate"),
        ({"scale": float("inf")}, "scale"),
        ({"timezone": "Mars/Base"}, "unknown time zone"),
        ({"hours": "whenever"}, "not a coverage schedule"),
        ({"delays": {"frist_human": 1.0}}, "no step 'frist_human'"),
        ({"start": datetime(2026, 1, 1)}, "UTC offset"),
    ],
)
def test_bad_settings_are_refused_before_anything_starts(
    settings: dict[str, object], fragment: str
) -> None:
    with pytest.raises(InvalidConfiguration, match=fragment):
        DeskLaunch(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("tomorrow", "not an ISO time"),
        ("2026-11-20T17:55", "needs a UTC offset"),
        ("0001-01-01T00:00+00:00", "from 1971 to 9000"),
        ("9999-12-31T23:59+00:00", "from 1971 to 9000"),
    ],
)
def test_bad_starts(text: str, fragment: str) -> None:
    with pytest.raises(InvalidConfiguration, match=fragment):
        parse_start(text)


@pytest.mark.parametrize(
    ("host", "port", "ok"),
    [
        ("127.0.0.1", 0, True),
        ("::1", 8480, True),
        ("localhost", 65535, True),
        ("127.0.0.2", 1, True),
        ("0.0.0.0", 8480, False),
        ("192.168.1.5", 8480, False),
        ("example.com", 8480, False),
        ("127.0.0.1", 65536, False),
        ("127.0.0.1", -1, False),
    ],
)
def test_only_loopback_and_real_ports(host: str, port: int, ok: bool) -> None:
    if ok:
        check_listen(host, port)
    else:
        with pytest.raises(InvalidConfiguration):
            check_listen(host, port)
