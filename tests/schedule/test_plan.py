"""Planned runs: windows on the vendor's calendar (Indonesian holidays, coverage), jitter, notes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from supportdrill.definitions.model import ScheduleWindow
from supportdrill.schedule.plan import calendar_of, holiday_name, planned_runs, window_at

from .drills import scheduled

JAKARTA = ZoneInfo("Asia/Jakarta")


def test_a_holiday_window_in_indonesia_runs_on_its_public_holidays_only() -> None:
    drill = scheduled('cron: "0 3 * * *"\nwindows: [holiday]\n')
    start = datetime(2027, 1, 1, tzinfo=JAKARTA)
    end = datetime(2028, 1, 1, tzinfo=JAKARTA)
    runs = list(itertools.takewhile(lambda r: r.at < end, planned_runs(drill, start)))
    expected = holidays.country_holidays("ID", years=2027)
    assert [r.local.date() for r in runs] == sorted(expected)
    assert all(r.window is ScheduleWindow.HOLIDAY for r in runs)
    assert all(r.holiday == expected[r.local.date()] for r in runs)
    assert all((r.local.hour, r.local.minute) == (3, 0) for r in runs)
    assert any("Independence" in r.holiday or "Kemerdekaan" in r.holiday for r in runs)


def test_outside_coverage_and_first_hour_windows() -> None:
    # P1 coverage is Mon-Fri 09:00-18:00 in Jakarta: hourly runs at minute 30, one week.
    drill = scheduled('cron: "30 * * * *"\nwindows: [outside_coverage]\ncalendar: P1\n')
    monday = datetime(2027, 3, 1, tzinfo=JAKARTA)  # no Indonesian holiday that week
    week = list(
        itertools.takewhile(
            lambda r: r.at < monday + timedelta(days=7), planned_runs(drill, monday)
        )
    )
    assert len(week) == 7 * 24 - 5 * 9
    assert all(not 9 <= r.local.hour < 18 or r.local.weekday() >= 5 for r in week)
    first = scheduled('cron: "30 * * * *"\nwindows: [first_hour]\ncalendar: P1\n')
    mornings = list(
        itertools.takewhile(
            lambda r: r.at < monday + timedelta(days=7), planned_runs(first, monday)
        )
    )
    assert [(r.local.weekday(), r.local.hour) for r in mornings] == [(d, 9) for d in range(5)]
    assert all(r.window is ScheduleWindow.FIRST_HOUR for r in mornings)


def test_a_run_on_an_extra_holiday_and_a_holiday_lookup() -> None:
    text_drill = scheduled('cron: "0 3 * * *"\nwindows: [holiday]\n')
    schedule = text_drill.schedule
    assert schedule is not None
    calendar = calendar_of(text_drill, schedule)
    new_year = datetime(2027, 1, 1, 3, tzinfo=JAKARTA)
    assert holiday_name(calendar, new_year) != ""
    assert holiday_name(calendar, datetime(2027, 3, 2, 3, tzinfo=JAKARTA)) == ""
    assert window_at((), calendar, new_year) is None


def test_extra_holidays_without_a_country() -> None:
    from supportdrill.definitions.loader import build_drill

    text = """\
name: extra
vendor:
  name: acme-rtc
  desk: {kind: simulated}
  timezone: Asia/Jakarta
  coverage: {P0: "Mon-Fri 09:00-18:00", extra_holidays: [2027-03-03]}
ticket: {severity: P0}
schedule: {cron: "0 10 * * *", windows: [holiday]}
"""
    drill = build_drill(text, "extra.yaml")
    (run,) = itertools.islice(planned_runs(drill, datetime(2027, 3, 1, tzinfo=UTC)), 1)
    assert run.local.date().isoformat() == "2027-03-03"
    assert run.holiday == "extra holiday 2027-03-03"


def test_jitter_delays_each_run_the_same_way_every_time() -> None:
    drill = scheduled('cron: "0 3 * * 6"\njitter: 30m\nseed: s\n')
    after = datetime(2027, 1, 1, tzinfo=UTC)
    first = list(itertools.islice(planned_runs(drill, after), 20))
    again = list(itertools.islice(planned_runs(drill, after), 20))
    assert first == again
    delays = [r.at - r.nominal for r in first]
    assert all(timedelta(0) <= d <= timedelta(minutes=30) for d in delays)
    assert len(set(delays)) > 10
    assert all(r.window is None for r in first)


def test_no_schedule_plans_nothing() -> None:
    from supportdrill.definitions.loader import build_drill

    drill = build_drill(
        "name: x\nvendor: {name: v, desk: {kind: simulated}, timezone: UTC}\n"
        "ticket: {severity: P0}\n",
        "x.yaml",
    )
    assert list(planned_runs(drill, datetime(2027, 1, 1, tzinfo=UTC))) == []


def test_notes_name_the_dst_change() -> None:
    drill = scheduled('cron: "0 3 * * sun"\n', timezone="Europe/Berlin", country="DE")
    runs = list(itertools.islice(planned_runs(drill, datetime(2027, 3, 22, tzinfo=UTC)), 2))
    assert runs[0].notes == (
        "UTC offset now +02:00 (was +01:00): clocks go forward 1h at 02:00 local on 2027-03-28 "
        "(UTC+01:00 → UTC+02:00)",
    )
    assert runs[1].notes == ()
    hourly = scheduled('cron: "30 1 * * *"\n', timezone="America/Los_Angeles", country="US")
    (day_of,) = itertools.islice(planned_runs(hourly, datetime(2027, 3, 14, tzinfo=UTC)), 1)
    assert day_of.notes == (
        "on the day clocks go forward 1h at 02:00 local on 2027-03-14 (UTC-08:00 → UTC-07:00)",
    )


def test_the_plan_ends_with_the_search_horizon() -> None:
    drill = scheduled('cron: "0 0 29 2 *"\n')
    runs = list(planned_runs(drill, datetime(2027, 1, 1, tzinfo=UTC)))
    assert [r.local.year for r in runs] == [2028, 2032, 2036]
