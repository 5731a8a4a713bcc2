"""Which window of the vendor's week a ticket was filed in, and its hour of the week."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from supportdrill.definitions.model import Coverage, Weekday, WeeklyInterval
from supportdrill.measure.windows import Window, hour_of_week, office_hours, window_of

from .timelines import ALWAYS, SHANGHAI_OFFICE

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "window"),
    [
        (at(2026, 11, 17, 10, 0), Window.BUSINESS),  # Tuesday 10:00
        (at(2026, 11, 17, 3, 0), Window.OFF_HOURS),  # Tuesday 03:00
        (at(2026, 11, 17, 18, 0), Window.OFF_HOURS),  # Tuesday 18:00, just closed
        (at(2026, 11, 21, 3, 0), Window.WEEKEND),  # Saturday 03:00
        (at(2026, 11, 22, 11, 0), Window.WEEKEND),  # Sunday 11:00
        (at(2026, 10, 1, 10, 0), Window.HOLIDAY),  # National Day, a Thursday
    ],
)
def test_windows_of_a_business_hours_vendor(moment: datetime, window: Window) -> None:
    assert window_of(SHANGHAI_OFFICE, moment) is window


def test_a_7x24_vendor_is_judged_by_office_hours_in_its_zone() -> None:
    assert window_of(ALWAYS, at(2026, 11, 17, 10, 0)) is Window.BUSINESS
    assert window_of(ALWAYS, at(2026, 11, 17, 22, 0)) is Window.OFF_HOURS
    assert office_hours(ALWAYS).label == "Mon-Fri 09:00-18:00"
    assert office_hours(SHANGHAI_OFFICE) is SHANGHAI_OFFICE


def test_extra_holidays_and_a_covered_saturday() -> None:
    extra = Coverage(timezone="Asia/Shanghai", always=True, extra_holidays=(date(2026, 11, 17),))
    assert window_of(extra, at(2026, 11, 17, 10, 0)) is Window.HOLIDAY
    # A vendor whose hours include Saturday mornings is in business hours then.
    saturday = Coverage(
        timezone="Asia/Shanghai",
        weekly=(WeeklyInterval(Weekday.SAT, time(9), time(12)),),
    )
    assert window_of(saturday, at(2026, 11, 21, 10, 0)) is Window.BUSINESS
    assert window_of(saturday, at(2026, 11, 21, 13, 0)) is Window.WEEKEND


def test_hour_of_week_is_local() -> None:
    assert hour_of_week("Asia/Shanghai", at(2026, 11, 16, 0, 30)) == 0  # Monday 00:30
    assert hour_of_week("Asia/Shanghai", at(2026, 11, 22, 23, 59)) == 167  # Sunday 23:59
    assert hour_of_week("UTC", at(2026, 11, 21, 3, 0)) == 4 * 24 + 19  # Friday 19:00 UTC


def test_covered_intervals_for_shading() -> None:
    from supportdrill.measure.calendar import covered_intervals

    friday_17 = at(2026, 11, 20, 17, 0)
    tuesday_12 = at(2026, 11, 24, 12, 0)
    pieces = covered_intervals(SHANGHAI_OFFICE, friday_17, tuesday_12)
    assert pieces == [
        (friday_17, at(2026, 11, 20, 18, 0)),
        (at(2026, 11, 23, 9, 0), at(2026, 11, 23, 18, 0)),
        (at(2026, 11, 24, 9, 0), tuesday_12),
    ]
    assert covered_intervals(ALWAYS, friday_17, tuesday_12) == [(friday_17, tuesday_12)]
    assert covered_intervals(ALWAYS, tuesday_12, friday_17) == []
    # Two windows that touch (a split day) shade as one stretch.
    split = Coverage(
        timezone="Asia/Shanghai",
        weekly=(
            WeeklyInterval(Weekday.MON, time(9), time(12)),
            WeeklyInterval(Weekday.MON, time(12), time(0)),
            WeeklyInterval(Weekday.TUE, time(0), time(3)),
        ),
    )
    monday = covered_intervals(split, at(2026, 11, 23, 0, 0), at(2026, 11, 24, 6, 0))
    assert monday == [(at(2026, 11, 23, 9, 0), at(2026, 11, 24, 3, 0))]
    empty = Coverage(timezone="Asia/Shanghai")
    assert covered_intervals(empty, at(2026, 11, 23, 0, 0), at(2026, 11, 24, 6, 0)) == []
