"""Cron lines: every form Vixie cron accepts, range-checked, with the error naming the field."""

from __future__ import annotations

import pytest

from supportdrill.definitions.cron import CronError, parse_cron


def test_star_number_range_step_list_and_names() -> None:
    fields = parse_cron("*/15 8-18/2 1,15 jan-mar mon-fri")
    assert fields.minutes == {0, 15, 30, 45}
    assert fields.hours == {8, 10, 12, 14, 16, 18}
    assert fields.days == {1, 15}
    assert fields.months == {1, 2, 3}
    assert fields.weekdays == {0, 1, 2, 3, 4}  # Monday = 0
    assert fields.days_restricted and fields.weekdays_restricted


def test_sunday_is_zero_and_seven_and_a_start_with_a_step_runs_to_the_end() -> None:
    fields = parse_cron("5/20 3 * * 0,7")
    assert fields.minutes == {5, 25, 45}
    assert fields.weekdays == {6}
    assert not fields.days_restricted and fields.weekdays_restricted


def test_macros_expand() -> None:
    weekly = parse_cron("@weekly")
    assert weekly.five_fields == "0 0 * * 0" and weekly.weekdays == {6}
    assert parse_cron(" 0  3 * * 6 ").five_fields == "0 3 * * 6"


def test_day_and_weekday_combine_as_cron_does() -> None:
    either = parse_cron("0 3 13 * fri")
    assert either.matches_day(13, 5, 2)  # the 13th, a Wednesday
    assert either.matches_day(8, 5, 4)  # a Friday
    assert not either.matches_day(9, 5, 5)
    both = parse_cron("0 3 */2 * *")  # "*/2" counts as unrestricted, like "*"
    assert not both.days_restricted
    assert both.matches_day(3, 5, 0) and not both.matches_day(2, 5, 0)
    assert not parse_cron("0 3 * 6 *").matches_day(3, 5, 0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0 3 * *", "5 fields"),
        ("60 3 * * *", "minute: 60 is out of range 0-59"),
        ("0 24 * * *", "hour: 24 is out of range 0-23"),
        ("0 3 0 * *", "day of month: 0 is out of range 1-31"),
        ("0 3 * 13 *", "month: 13 is out of range 1-12"),
        ("0 3 * * 8", "weekday: 8 is out of range 0-7"),
        ("0 3 * * funday", "weekday: 'funday' is not a number"),
        ("0 5-3 * * *", "hour: range '5-3' runs backwards"),
        ("*/0 3 * * *", "minute: step '0' must be a whole number above 0"),
        ("1,,2 3 * * *", "minute: empty item"),
        ("0 3 30 feb *", "no day 30 in Feb: it would never fire"),
        ("@fortnightly", "unknown macro '@fortnightly'"),
    ],
)
def test_bad_lines_name_the_field(line: str, message: str) -> None:
    with pytest.raises(CronError, match=message.replace("(", r"\(").replace("*", r"\*")):
        parse_cron(line)


def test_a_restricted_weekday_rescues_an_impossible_day() -> None:
    # Cron ORs the two: "the 30th of February, or any Monday" fires every Monday in February.
    assert parse_cron("0 3 30 feb mon").matches_day(2, 2, 0)
