"""Personas and their coverage hours, as pure functions; and the accelerated clock."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdrill.clock import AcceleratedClock
from supportdrill.definitions.model import Coverage
from supportdrill.definitions.tiers import parse_coverage
from supportdrill.desks.simulated import builtin_persona
from supportdrill.desks.simulated.hours import HolidayRules, business_add, is_covered
from supportdrill.desks.simulated.personas import PERSONA_NAMES, play
from supportdrill.errors import InvalidConfiguration

JAKARTA = ZoneInfo("Asia/Jakarta")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = parse_coverage("Mon-Fri 09:00-18:00", timezone="Asia/Jakarta")


def local(*args: int, zone: ZoneInfo = JAKARTA) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        # Saturday 03:00 → Monday's opening plus 12 minutes.
        (local(2026, 1, 3, 3, 0), 12 * 60, local(2026, 1, 5, 9, 12)),
        # Inside hours: plain addition.
        (local(2026, 1, 5, 10, 0), 30 * 60, local(2026, 1, 5, 10, 30)),
        # Across Friday's close: ten minutes Friday, ten Monday.
        (local(2026, 1, 9, 17, 50), 20 * 60, local(2026, 1, 12, 9, 10)),
        # Zero from outside hours is the next opening; from inside, the instant itself.
        (local(2026, 1, 5, 18, 0), 0, local(2026, 1, 6, 9, 0)),
        (local(2026, 1, 5, 9, 0), 0, local(2026, 1, 5, 9, 0)),
        # Two business days = two 9-hour days.
        (local(2026, 1, 5, 9, 0), 18 * 3600, local(2026, 1, 6, 18, 0)),
    ],
)
def test_business_add(start: datetime, seconds: float, expected: datetime) -> None:
    assert business_add(WEEKDAYS, start, seconds) == expected


def test_business_add_skips_holidays() -> None:
    coverage = parse_coverage("Mon-Fri 09:00-18:00", timezone="Asia/Jakarta", holiday_country="ID")
    # Thursday 2026-01-01 is New Year's Day in Indonesia.
    assert business_add(coverage, local(2025, 12, 31, 17, 55), 10 * 60) == local(2026, 1, 2, 9, 5)


def test_business_add_over_a_dst_change() -> None:
    coverage = parse_coverage("Mon-Fri 09:00-18:00", timezone="Europe/Berlin")
    # Berlin springs forward on Sunday 2026-03-29; Monday 09:00 is then 07:00 UTC, not 08:00.
    result = business_add(coverage, local(2026, 3, 27, 18, 30, zone=BERLIN), 60)
    assert result == datetime(2026, 3, 30, 7, 1, tzinfo=UTC)


def test_is_covered_and_bad_input() -> None:
    assert is_covered(WEEKDAYS, local(2026, 1, 5, 12, 0))
    assert not is_covered(WEEKDAYS, local(2026, 1, 4, 12, 0))
    with pytest.raises(ValueError, match="negative"):
        business_add(WEEKDAYS, local(2026, 1, 5, 12, 0), -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_add(WEEKDAYS, datetime(2026, 1, 5, 12, 0), 1)
    never = Coverage(timezone="UTC", weekly=(), label="nothing")
    with pytest.raises(ValueError, match="no opening"):
        business_add(never, local(2026, 1, 5, 12, 0), 1)


def test_business_hours_persona_waits_for_monday() -> None:
    persona = builtin_persona("business-hours-only", timezone="Asia/Jakarta")
    script = play(persona, local(2026, 1, 3, 3, 0))
    at = {entry.step.name: entry.at.astimezone(JAKARTA) for entry in script}
    assert at["ack"] == local(2026, 1, 3, 3, 0, 5)  # the automation answers at once
    assert at["first_human"] == local(2026, 1, 5, 9, 12)
    assert at["update"] == local(2026, 1, 5, 9, 57)
    assert at["solve"] == local(2026, 1, 5, 11, 57)


def test_responsive_persona_runs_on_calendar_time() -> None:
    persona = builtin_persona("responsive-24x7")
    filed = local(2026, 1, 3, 3, 0)
    script = play(persona, filed)
    assert [(e.step.name, e.at - filed) for e in script] == [
        ("ack", timedelta(seconds=20)),
        ("first_human", timedelta(minutes=6, seconds=20)),
        ("update", timedelta(minutes=26, seconds=20)),
        ("solve", timedelta(minutes=51, seconds=20)),
    ]


def test_asks_for_logs_waits_for_the_customer() -> None:
    persona = builtin_persona("asks-for-logs")
    filed = local(2026, 1, 3, 3, 0)
    waiting = play(persona, filed)
    assert [e.step.name for e in waiting] == ["ack", "ask"]
    ask = waiting[-1].at
    # A comment before the question is not an answer to it.
    assert [e.step.name for e in play(persona, filed, [ask - timedelta(minutes=1)])] == [
        "ack",
        "ask",
    ]
    answered = play(persona, filed, [ask + timedelta(hours=5)])
    assert [e.step.name for e in answered] == ["ack", "ask", "first_human_after_logs", "solve"]
    assert answered[2].at == ask + timedelta(hours=5, minutes=10)


def test_quiet_personas() -> None:
    filed = local(2026, 1, 3, 3, 0)
    assert [e.step.name for e in play(builtin_persona("auto-ack-only"), filed)] == ["ack"]
    assert play(builtin_persona("silent"), filed) == ()
    slow = {e.step.name: e.at - filed for e in play(builtin_persona("slow"), filed)}
    assert slow["first_human"] == timedelta(hours=3, minutes=2)


def test_scale_and_delays() -> None:
    persona = builtin_persona("responsive-24x7", scale=0.01, delays={"first_human": 3})
    delays = {step.name: step.delay_s for step in persona.steps}
    assert delays == {"ack": pytest.approx(0.2), "first_human": 3, "update": 12, "solve": 15}
    # Times are whole seconds, rounded up, as the desk shows them.
    filed = local(2026, 1, 3, 3, 0)
    assert play(persona, filed)[0].at == filed + timedelta(seconds=1)


def test_bad_persona_settings() -> None:
    with pytest.raises(ValueError, match="unknown persona 'chatty'"):
        builtin_persona("chatty")
    with pytest.raises(ValueError, match="has no step 'lunch'"):
        builtin_persona("slow", delays={"lunch": 5})
    with pytest.raises(ValueError, match="unknown time zone"):
        builtin_persona("slow", timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="positive"):
        builtin_persona("slow", scale=0)
    with pytest.raises(ValueError, match="finite"):
        builtin_persona("slow", delays={"ack": -1})
    assert len(PERSONA_NAMES) == 6


async def test_accelerated_clock_runs_faster_than_the_wall() -> None:
    start = local(2026, 1, 3, 3, 0)
    clock = AcceleratedClock(start, rate=36_000)
    assert clock.now().tzinfo is UTC
    wall = time.monotonic()
    await clock.sleep(3600)  # an hour of simulated time: 0.1 s of wall time
    elapsed = time.monotonic() - wall
    assert 0.09 <= elapsed < 5.0
    assert clock.now() - start >= timedelta(hours=1)
    await asyncio.sleep(0.05)
    assert clock.now() - start >= timedelta(hours=1, minutes=30)
    with pytest.raises(ValueError, match="positive"):
        AcceleratedClock(start, rate=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        AcceleratedClock(datetime(2026, 1, 3), rate=2)
    assert "rate=36000" in repr(clock)


NEW_YEAR_1000 = local(2026, 1, 1, 10, 0)
"""Thursday 2026-01-01 10:00 in Jakarta: inside the weekly hours, but New Year's Day in ID."""


def test_business_hours_persona_is_off_on_the_holidays_given() -> None:
    plain = builtin_persona("business-hours-only", timezone="Asia/Jakarta")
    at = {e.step.name: e.at for e in play(plain, NEW_YEAR_1000)}
    assert at["first_human"] == local(2026, 1, 1, 10, 12, 5)  # weekly hours only: a working day

    off = builtin_persona("business-hours-only", holidays=HolidayRules(country="ID"))
    at = {e.step.name: e.at for e in play(off, NEW_YEAR_1000)}
    assert at["ack"] == local(2026, 1, 1, 10, 0, 5)  # automation does not take holidays off
    assert at["first_human"] == local(2026, 1, 2, 9, 12)

    bridge = HolidayRules(country="ID", extra=(local(2026, 1, 2, 0, 0).date(),))
    at = {
        e.step.name: e.at
        for e in play(builtin_persona("business-hours-only", holidays=bridge), NEW_YEAR_1000)
    }
    assert at["first_human"] == local(2026, 1, 5, 9, 12)

    # 7x24 staffs holidays too.
    always = builtin_persona("responsive-24x7", holidays=HolidayRules(country="ID"))
    assert always.coverage.always and always.coverage.holiday_country is None


def test_holiday_rules_from_a_drills_coverage() -> None:
    p1 = parse_coverage(
        "Mon-Fri 09:00-18:00",
        timezone="Asia/Jakarta",
        holiday_country="US",
        holiday_subdivision="CA",
    )
    extra = Coverage(timezone="UTC", weekly=p1.weekly, extra_holidays=(local(2026, 5, 4).date(),))
    rules = HolidayRules.of([Coverage.twenty_four_seven("Asia/Jakarta"), p1, extra])
    assert rules == HolidayRules("US", "CA", (local(2026, 5, 4).date(),))
    assert HolidayRules.of(Coverage.twenty_four_seven()) == HolidayRules()
    assert rules.apply(WEEKDAYS).holiday_subdivision == "CA"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"country": "XX"}, "no public holidays known for 'XX'"),
        ({"country": "ID", "subdivision": "ZZ"}, "no public holidays known for 'ID/ZZ'"),
        ({"subdivision": "CA"}, "needs its country"),
    ],
)
def test_holiday_rules_refuse_unknown_places(rules: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message):
        HolidayRules(**rules)  # type: ignore[arg-type]


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_overlapping_hours_are_worked_once() -> None:
    # 09-18 plus 12-20 is 09-20: eleven hours a day, not fifteen (12-18 counted twice made a
    # 10-hour task end six hours early).
    coverage = parse_coverage("Mon-Fri 09:00-18:00, Mon-Fri 12:00-20:00", timezone="Asia/Jakarta")
    assert business_add(coverage, local(2026, 1, 5, 9, 0), 10 * 3600) == local(2026, 1, 5, 19, 0)
    # 10 h from 09:57 on Monday: 10h03m are left that day, so 19:57 the same day.
    assert business_add(coverage, local(2026, 1, 5, 9, 57), 10 * 3600) == local(2026, 1, 5, 19, 57)
    # Across a day: 11 h Monday, 1 h Tuesday.
    assert business_add(coverage, local(2026, 1, 5, 9, 0), 12 * 3600) == local(2026, 1, 6, 10, 0)


def test_china_make_up_saturday_is_worked_by_the_desk() -> None:
    coverage = HolidayRules(country="CN").apply(
        parse_coverage("Mon-Fri 09:00-18:00", timezone="Asia/Shanghai")
    )
    friday = local(2026, 2, 13, 17, 0, zone=SHANGHAI)
    # Sat 14 Feb 2026 is a working day in China: an hour Friday, an hour Saturday morning.
    assert business_add(coverage, friday, 2 * 3600) == local(2026, 2, 14, 10, 0, zone=SHANGHAI)
    assert is_covered(coverage, local(2026, 2, 14, 12, 0, zone=SHANGHAI))
    # The Saturday before stays off.
    assert not is_covered(coverage, local(2026, 2, 7, 12, 0, zone=SHANGHAI))
    # Sat 29 Dec 2001 paid for the 2002 New Year bridge: known though it is next year's rule.
    assert is_covered(coverage, local(2001, 12, 29, 12, 0, zone=SHANGHAI))


def test_indian_holidays_outside_the_table_years_do_not_warn() -> None:
    coverage = HolidayRules(country="IN").apply(
        parse_coverage("Mon-Fri 09:00-18:00", timezone="Asia/Kolkata")
    )
    kolkata = ZoneInfo("Asia/Kolkata")
    assert business_add(coverage, local(2040, 1, 2, 9, 0, zone=kolkata), 60) == local(
        2040, 1, 2, 9, 1, zone=kolkata
    )
