"""Business-hours calendars: fixed cases (DST, holidays, edges) and hypothesis properties."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportdrill.definitions.model import Coverage, Weekday, WeeklyInterval
from supportdrill.errors import InvalidInput
from supportdrill.measure.calendar import (
    CoverageError,
    DayKind,
    SpecialDay,
    business_deadline,
    business_seconds,
    has_hours,
    is_covered,
    next_covered,
    special_days,
    validate_coverage,
)

H = 3600.0
WEEKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)


def office(
    zone: str,
    start: time = time(9),
    end: time = time(18),
    *,
    days: tuple[Weekday, ...] = WEEKDAYS,
    country: str | None = None,
    subdivision: str | None = None,
    extra: tuple[date, ...] = (),
) -> Coverage:
    return Coverage(
        timezone=zone,
        weekly=tuple(WeeklyInterval(day, start, end) for day in days),
        holiday_country=country,
        holiday_subdivision=subdivision,
        extra_holidays=extra,
        label=f"{zone} office",
    )


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


SHANGHAI = office("Asia/Shanghai", country="CN")
LA = office("America/Los_Angeles", country="US", subdivision="CA")
BERLIN = office("Europe/Berlin", country="DE", subdivision="BE")
ALWAYS = Coverage.twenty_four_seven("Asia/Jakarta")
# Whole days, every day: DST days are 23 h or 25 h of real time.
LA_ALL_DAYS = office("America/Los_Angeles", time(0), time(0), days=tuple(Weekday))
# A night window that spans the 02:00 jump in both directions.
BERLIN_NIGHT = office("Europe/Berlin", time(1), time(4), days=tuple(Weekday))


def test_weekday_office_hours_count_nine_hours_a_day() -> None:
    monday = local("Asia/Shanghai", 2026, 11, 16, 0)
    week = business_seconds(SHANGHAI, monday, monday + timedelta(days=7))
    assert week == 5 * 9 * H


def test_interval_outside_hours_counts_nothing() -> None:
    # Saturday 03:00 to 08:00 in Shanghai.
    start = local("Asia/Shanghai", 2026, 11, 21, 3)
    assert business_seconds(SHANGHAI, start, start + timedelta(hours=5)) == 0.0


def test_partial_window_is_clipped_both_sides() -> None:
    start = local("Asia/Shanghai", 2026, 11, 17, 8)  # Tuesday 08:00
    end = local("Asia/Shanghai", 2026, 11, 17, 10, 30)
    assert business_seconds(SHANGHAI, start, end) == 1.5 * H
    assert business_seconds(SHANGHAI, end, start) == 0.0


def test_twenty_four_seven_is_calendar_time_even_on_holidays() -> None:
    start = datetime(2026, 10, 1, 0, tzinfo=UTC)
    assert business_seconds(ALWAYS, start, start + timedelta(days=3)) == 3 * 86400.0
    assert business_deadline(ALWAYS, start, timedelta(minutes=15)) == start + timedelta(minutes=15)
    assert is_covered(ALWAYS, start)
    assert next_covered(ALWAYS, start) == start
    assert has_hours(ALWAYS)


def test_cn_national_day_week_counts_zero() -> None:
    # 1-7 October 2026 are all public holidays in China (plus the weekend around them).
    start = local("Asia/Shanghai", 2026, 10, 1, 0)
    assert business_seconds(SHANGHAI, start, local("Asia/Shanghai", 2026, 10, 8, 0)) == 0.0
    assert not is_covered(SHANGHAI, local("Asia/Shanghai", 2026, 10, 1, 10))


def test_us_independence_day_counts_zero() -> None:
    # 4 July 2025 was a Friday; a P1 filed Thursday 17:00 waits until Monday.
    thursday = local("America/Los_Angeles", 2025, 7, 3, 17)
    friday = local("America/Los_Angeles", 2025, 7, 4, 0)
    assert business_seconds(LA, friday, friday + timedelta(days=1)) == 0.0
    deadline = business_deadline(LA, thursday, timedelta(hours=2))
    assert deadline == local("America/Los_Angeles", 2025, 7, 7, 10)
    assert deadline.tzinfo == UTC


def test_extra_holidays_count_zero() -> None:
    coverage = office("Europe/Berlin", extra=(date(2026, 11, 18),))
    day = local("Europe/Berlin", 2026, 11, 18, 0)
    assert business_seconds(coverage, day, day + timedelta(days=1)) == 0.0
    assert business_seconds(coverage, day - timedelta(days=1), day) == 9 * H


def test_full_days_on_dst_days_are_23_and_25_hours_in_los_angeles() -> None:
    spring = local("America/Los_Angeles", 2026, 3, 8, 0)
    fall = local("America/Los_Angeles", 2026, 11, 1, 0)
    assert business_seconds(LA_ALL_DAYS, spring, spring + timedelta(days=2)) == (23 + 24) * H
    assert business_seconds(LA_ALL_DAYS, fall, fall + timedelta(days=2)) == (25 + 24) * H


def test_window_spanning_the_jump_in_berlin_is_two_or_four_hours() -> None:
    spring_day = local("Europe/Berlin", 2026, 3, 29, 0)
    fall_day = local("Europe/Berlin", 2026, 10, 25, 0)
    ordinary = local("Europe/Berlin", 2026, 3, 28, 0)
    one_day = timedelta(hours=23)  # stays inside the local day either way
    assert business_seconds(BERLIN_NIGHT, ordinary, ordinary + one_day) == 3 * H
    assert business_seconds(BERLIN_NIGHT, spring_day, spring_day + one_day) == 2 * H
    assert business_seconds(BERLIN_NIGHT, fall_day, fall_day + one_day) == 4 * H


def test_office_hours_keep_wall_clock_across_dst() -> None:
    # Monday after the US spring change: 09:00 local is now 16:00 UTC, not 17:00.
    monday = local("America/Los_Angeles", 2026, 3, 9, 9)
    assert is_covered(LA, monday)
    assert not is_covered(LA, monday - timedelta(seconds=1))
    assert monday.astimezone(UTC).hour == 16


def test_deadline_crosses_night_and_weekend() -> None:
    friday = local("Europe/Berlin", 2026, 11, 20, 17)  # one hour before close
    deadline = business_deadline(BERLIN, friday, timedelta(hours=4))
    assert deadline == local("Europe/Berlin", 2026, 11, 23, 12)


def test_deadline_exactly_at_window_end_is_the_end() -> None:
    start = local("Asia/Shanghai", 2026, 11, 17, 9)
    assert business_deadline(SHANGHAI, start, timedelta(hours=9)) == local(
        "Asia/Shanghai", 2026, 11, 17, 18
    )
    assert business_deadline(SHANGHAI, start, timedelta(0)) == start


def test_negative_target_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        business_deadline(SHANGHAI, local("Asia/Shanghai", 2026, 11, 17, 9), timedelta(-1))


def test_next_covered() -> None:
    saturday = local("Asia/Shanghai", 2026, 11, 21, 3)
    assert next_covered(SHANGHAI, saturday) == local("Asia/Shanghai", 2026, 11, 23, 9)
    inside = local("Asia/Shanghai", 2026, 11, 23, 9, 30)
    assert next_covered(SHANGHAI, inside) == inside
    evening = local("Asia/Shanghai", 2026, 11, 23, 19)
    assert next_covered(SHANGHAI, evening) == local("Asia/Shanghai", 2026, 11, 24, 9)


def test_overlapping_windows_are_not_counted_twice() -> None:
    coverage = Coverage(
        timezone="UTC",
        weekly=(
            WeeklyInterval(Weekday.MON, time(9), time(12)),
            WeeklyInterval(Weekday.MON, time(11), time(14)),
            WeeklyInterval(Weekday.MON, time(16), time(17)),
            WeeklyInterval(Weekday.MON, time(13), time(14)),
        ),
    )
    monday = datetime(2026, 11, 16, tzinfo=UTC)
    assert business_seconds(coverage, monday, monday + timedelta(days=1)) == 6 * H


def test_schedule_without_hours() -> None:
    empty = Coverage(timezone="UTC")
    moment = datetime(2026, 11, 16, tzinfo=UTC)
    assert not has_hours(empty)
    assert has_hours(SHANGHAI)
    assert business_seconds(empty, moment, moment + timedelta(days=30)) == 0.0
    assert not is_covered(empty, moment)
    with pytest.raises(CoverageError, match="no hours"):
        next_covered(empty, moment)
    with pytest.raises(CoverageError, match="too few hours"):
        business_deadline(empty, moment, timedelta(minutes=15))


def test_bad_zone_country_and_subdivision_are_clear_errors() -> None:
    with pytest.raises(CoverageError, match="unknown time zone 'Mars/Olympus'"):
        validate_coverage(office("Mars/Olympus"))
    with pytest.raises(CoverageError, match="unknown time zone"):
        validate_coverage(office("../etc/passwd"))
    with pytest.raises(InvalidInput, match="no public holidays known for 'XX'"):
        validate_coverage(office("UTC", country="XX"))
    with pytest.raises(InvalidInput, match="'US/ZZ'"):
        validate_coverage(office("UTC", country="US", subdivision="ZZ"))
    validate_coverage(LA)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        business_seconds(SHANGHAI, datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="moment must be timezone-aware"):
        is_covered(SHANGHAI, datetime(2026, 1, 1))


def test_multi_week_interval_is_per_day_work() -> None:
    # A year of office hours in Berlin: 52 weeks of 45 h minus the weekday holidays of 2026.
    start = local("Europe/Berlin", 2026, 1, 1, 0)
    end = local("Europe/Berlin", 2027, 1, 1, 0)
    seconds = business_seconds(BERLIN, start, end)
    assert 240 * 9 * H <= seconds <= 256 * 9 * H
    assert seconds % (9 * H) == 0


# --------------------------------------------------------------------------------------------
# Properties

COVERAGES = st.sampled_from(
    [SHANGHAI, LA, BERLIN, ALWAYS, LA_ALL_DAYS, BERLIN_NIGHT, office("Asia/Jakarta")]
)
# 2025-2027 takes in several DST changes in both zones and the holidays of each year.
MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
SPANS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))
DST_MOMENTS = st.sampled_from(
    [
        local("America/Los_Angeles", 2026, 3, 8, 1, 30),
        local("America/Los_Angeles", 2026, 11, 1, 1, 30),
        local("Europe/Berlin", 2026, 3, 29, 1, 30),
        local("Europe/Berlin", 2026, 10, 25, 2, 30),
    ]
).flatmap(
    lambda anchor: st.timedeltas(min_value=timedelta(hours=-30), max_value=timedelta(hours=30)).map(
        lambda offset: (anchor + offset).astimezone(UTC)
    )
)
ANY_MOMENT = st.one_of(MOMENTS, DST_MOMENTS)


@settings(max_examples=150, deadline=None)
@given(coverage=COVERAGES, start=ANY_MOMENT, span=SPANS)
def test_business_never_exceeds_calendar(
    coverage: Coverage, start: datetime, span: timedelta
) -> None:
    assert 0 <= business_seconds(coverage, start, start + span) <= span.total_seconds()


@settings(max_examples=150, deadline=None)
@given(coverage=COVERAGES, start=ANY_MOMENT, first=SPANS, second=SPANS)
def test_business_time_is_additive(
    coverage: Coverage, start: datetime, first: timedelta, second: timedelta
) -> None:
    middle, end = start + first, start + first + second
    whole = business_seconds(coverage, start, end)
    parts = business_seconds(coverage, start, middle) + business_seconds(coverage, middle, end)
    assert math.isclose(whole, parts, abs_tol=1e-6)


@settings(max_examples=150, deadline=None)
@given(
    coverage=COVERAGES,
    start=ANY_MOMENT,
    target=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=60)),
)
def test_deadline_is_exactly_target_of_business_time(
    coverage: Coverage, start: datetime, target: timedelta
) -> None:
    deadline = business_deadline(coverage, start, target)
    assert deadline.tzinfo == UTC
    assert deadline >= start
    assert math.isclose(
        business_seconds(coverage, start, deadline), target.total_seconds(), abs_tol=1e-6
    )
    # The earliest such moment: one microsecond less is short of the target.
    if target:
        before = deadline - timedelta(microseconds=1)
        assert business_seconds(coverage, start, before) < target.total_seconds()


@settings(max_examples=150, deadline=None)
@given(coverage=COVERAGES, moment=ANY_MOMENT)
def test_covered_moments_accrue_business_time(coverage: Coverage, moment: datetime) -> None:
    nxt = next_covered(coverage, moment)
    assert nxt >= moment
    assert is_covered(coverage, nxt)
    assert business_seconds(coverage, moment, nxt) == 0.0
    step = timedelta(microseconds=1)
    assert business_seconds(coverage, nxt, nxt + step) == 1e-6
    assert is_covered(coverage, moment) == (nxt == moment)


# -- make-up workdays and the days a report lists ---------------------------------------------


def test_cn_make_up_saturday_is_a_working_day() -> None:
    # Sat 14 Feb 2026 is worked in China to pay for the Spring Festival week off.
    saturday = local("Asia/Shanghai", 2026, 2, 14, 0)
    assert business_seconds(SHANGHAI, saturday, saturday + timedelta(days=1)) == 9 * H
    assert is_covered(SHANGHAI, local("Asia/Shanghai", 2026, 2, 14, 10))
    # An ordinary Saturday a week earlier stays off.
    assert (
        business_seconds(SHANGHAI, saturday - timedelta(days=7), saturday - timedelta(days=6)) == 0
    )


def test_make_up_day_moves_a_deadline_onto_the_saturday() -> None:
    friday_5pm = local("Asia/Shanghai", 2026, 2, 13, 17)
    deadline = business_deadline(SHANGHAI, friday_5pm, timedelta(hours=2))
    assert deadline == local("Asia/Shanghai", 2026, 2, 14, 10)


def test_make_up_day_takes_the_first_weekday_hours_and_keeps_its_own() -> None:
    weekly = (
        WeeklyInterval(Weekday.MON, time(8), time(12)),
        WeeklyInterval(Weekday.TUE, time(9), time(18)),
        WeeklyInterval(Weekday.SAT, time(11), time(14)),
    )
    coverage = Coverage(timezone="Asia/Shanghai", weekly=weekly, holiday_country="CN")
    saturday = local("Asia/Shanghai", 2026, 2, 14, 0)
    # Monday's 08-12 joined with Saturday's own 11-14: 08-14.
    assert business_seconds(coverage, saturday, saturday + timedelta(days=1)) == 6 * H


def test_december_make_up_day_for_a_january_holiday_is_known() -> None:
    # Sat 29 Dec 2001 was worked for the 2002 New Year bridge.
    saturday = local("Asia/Shanghai", 2001, 12, 29, 0)
    assert business_seconds(SHANGHAI, saturday, saturday + timedelta(days=1)) == 9 * H


def test_extra_holiday_beats_a_make_up_day() -> None:
    coverage = office("Asia/Shanghai", country="CN", extra=(date(2026, 2, 14),))
    saturday = local("Asia/Shanghai", 2026, 2, 14, 0)
    assert business_seconds(coverage, saturday, saturday + timedelta(days=1)) == 0


def test_special_days_lists_holidays_and_make_up_days_in_the_interval() -> None:
    start = local("Asia/Shanghai", 2026, 2, 13, 17)
    end = local("Asia/Shanghai", 2026, 2, 23, 9)
    days = special_days(SHANGHAI, start, end)
    assert [(d.day, d.kind) for d in days] == [
        (date(2026, 2, 14), DayKind.MAKEUP),
        (date(2026, 2, 16), DayKind.HOLIDAY),
        (date(2026, 2, 17), DayKind.HOLIDAY),
        (date(2026, 2, 18), DayKind.HOLIDAY),
        (date(2026, 2, 19), DayKind.HOLIDAY),
        (date(2026, 2, 20), DayKind.HOLIDAY),
        (date(2026, 2, 23), DayKind.HOLIDAY),
    ]
    assert days[1].name == "Chinese New Year's Eve"
    listed = office("Asia/Shanghai", extra=(date(2026, 3, 3),))
    march = local("Asia/Shanghai", 2026, 3, 1)
    assert special_days(listed, march, march + timedelta(days=5)) == (
        SpecialDay(date(2026, 3, 3), DayKind.HOLIDAY, "listed holiday"),
    )
    assert special_days(ALWAYS, start, end) == ()
    assert special_days(SHANGHAI, end, start) == ()
    assert special_days(office("Asia/Shanghai"), start, end) == ()


def test_indian_holidays_outside_their_table_years_do_not_warn() -> None:
    # pytest turns warnings into errors: the India table warns outside 2001-2035.
    india = office("Asia/Kolkata", country="IN")
    start = local("Asia/Kolkata", 2040, 1, 2, 0)
    assert business_seconds(india, start, start + timedelta(days=1)) == 9 * H
    validate_coverage(india)
