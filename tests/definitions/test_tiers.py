"""Coverage strings as users write them, and the cited built-in SLA tier sets."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from supportdrill.definitions.model import Severity, Weekday, WeeklyInterval
from supportdrill.definitions.tiers import BUILTIN_TIERS, parse_coverage, parse_hours
from supportdrill.measure.calendar import business_seconds, is_covered


def test_24_00_ends_the_day_at_midnight() -> None:
    coverage = parse_coverage("Fri 18:00-24:00, Sat 00:00-24:00", timezone="UTC")
    assert coverage.weekly == (
        WeeklyInterval(Weekday.FRI, time(18), time(0)),
        WeeklyInterval(Weekday.SAT, time(0), time(0)),
    )
    # Friday 2026-11-20 23:00 to Sunday 01:00: the last hour of Friday and all of Saturday.
    start = datetime(2026, 11, 20, 23, tzinfo=UTC)
    seconds = business_seconds(coverage, start, start + timedelta(hours=26))
    assert seconds == (1 + 24) * 3600
    assert is_covered(coverage, datetime(2026, 11, 21, 23, 59, tzinfo=UTC))
    assert not is_covered(coverage, datetime(2026, 11, 22, 0, 0, tzinfo=UTC))


def test_24_00_cannot_start_an_interval() -> None:
    with pytest.raises(ValueError, match="'24:00' can only end an interval"):
        parse_hours("Sat 24:00-06:00")
    with pytest.raises(ValueError, match="'24:30' is not a time of day"):
        parse_hours("Sat 20:00-24:30")


def test_day_ranges_wrap_over_the_weekend_and_chunks_add_up() -> None:
    intervals = parse_hours("Fri-Mon 22:00-23:00; Wed 9:00-10:30")
    assert [i.weekday for i in intervals] == [
        Weekday.FRI,
        Weekday.SAT,
        Weekday.SUN,
        Weekday.MON,
        Weekday.WED,
    ]
    assert intervals[-1] == WeeklyInterval(Weekday.WED, time(9), time(10, 30))


@pytest.mark.parametrize("word", ["24x7", "7x24", "24/7", " Always "])
def test_always_words(word: str) -> None:
    coverage = parse_coverage(word, timezone="Asia/Shanghai", holiday_country="CN")
    assert coverage.always and coverage.label == "24x7" and coverage.holiday_country is None
    assert coverage.timezone == "Asia/Shanghai"


def test_office_hours_keep_their_label_and_holidays() -> None:
    coverage = parse_coverage(
        " Mon-Fri 09:00-18:00 ",
        timezone="Europe/Berlin",
        holiday_country="DE",
        holiday_subdivision="BE",
    )
    assert not coverage.always and coverage.label == "Mon-Fri 09:00-18:00"
    assert (coverage.holiday_country, coverage.holiday_subdivision) == ("DE", "BE")
    assert len(coverage.weekly) == 5


def test_builtin_tier_sets_cover_every_severity_and_cite_a_source() -> None:
    for name, tiers in BUILTIN_TIERS.items():
        assert tiers.name == name and tiers.source
        for severity in Severity:
            target = tiers.target(severity)
            assert target is not None and target.first_response is not None
    common = BUILTIN_TIERS["common-vendor"]
    p0 = common.target(Severity.P0)
    assert p0 is not None and p0.first_response == timedelta(minutes=15)
    assert p0.update_cadence == timedelta(hours=1) and p0.resolution is None
    evercast = BUILTIN_TIERS["evercast-24x7"].target(Severity.P0)
    assert evercast is not None and evercast.resolution == timedelta(minutes=120)
