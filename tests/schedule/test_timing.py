"""Cron times in a zone across DST, jitter, offset changes: a year at a time on paper."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdrill.definitions.cron import parse_cron
from supportdrill.schedule.timing import (
    cron_times,
    jitter_offset,
    offset_label,
    transitions_between,
)

LA = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")


def year_of(line: str, zone: ZoneInfo, year: int = 2027) -> list:
    start = datetime(year, 1, 1, tzinfo=zone)
    end = datetime(year + 1, 1, 1, tzinfo=zone)
    return list(
        itertools.takewhile(lambda t: t.at < end, cron_times(parse_cron(line), zone, start))
    )


@pytest.mark.parametrize(
    ("zone", "spring", "autumn", "winter_utc", "summer_utc"),
    [
        (LA, "2027-03-14", "2027-11-07", 10, 9),  # 02:30 local: PST is UTC-8, PDT UTC-7
        (BERLIN, "2027-03-28", "2027-10-31", 1, 0),  # 02:30 local: CET UTC+1, CEST UTC+2
    ],
)
def test_a_year_of_a_weekly_run_across_both_dst_changes(
    zone: ZoneInfo, spring: str, autumn: str, winter_utc: int, summer_utc: int
) -> None:
    # Sunday 02:30: skipped by the spring change in both zones; on the autumn Sunday it exists
    # once in Los Angeles (clocks go back at 02:00) and twice in Berlin (at 03:00).
    times = year_of("30 2 * * sun", zone)
    assert len(times) == 52
    assert [t.at.astimezone(zone).weekday() for t in times] == [6] * 52
    assert len({t.at for t in times}) == 52  # never twice
    gap = [t for t in times if "does not exist" in t.note]
    assert len(gap) == 1 and gap[0].at.astimezone(zone).date().isoformat() == spring
    assert gap[0].at.astimezone(zone).strftime("%H:%M") == "03:00"  # when the clocks jump
    twice = [t for t in times if "happens twice" in t.note]
    if zone is BERLIN:
        assert len(twice) == 1 and twice[0].at.astimezone(zone).date().isoformat() == autumn
        assert twice[0].at.astimezone(zone).utcoffset() == timedelta(hours=2)  # the first
    else:
        assert twice == []
    # Every other run is at 02:30 local; its UTC hour follows the offset.
    for t in times:
        local = t.at.astimezone(zone)
        if t.note:
            continue
        assert (local.hour, local.minute) == (2, 30)
        dst = local.dst() != timedelta(0)
        assert t.at.hour == (summer_utc if dst else winter_utc)
    assert sorted(t.at for t in times) == [t.at for t in times]


def test_los_angeles_repeated_hour_runs_once_at_the_first() -> None:
    times = year_of("30 1 7 11 *", LA)
    (only,) = times
    assert "happens twice" in only.note and "UTC-07:00" in only.note
    assert only.at == datetime(2027, 11, 7, 8, 30, tzinfo=UTC)


def test_skipped_times_collapse_onto_the_jump() -> None:
    times = year_of("0,30 2 14 3 *", LA)
    assert [t.at for t in times] == [datetime(2027, 3, 14, 10, 0, tzinfo=UTC)]


def test_after_is_exclusive_and_must_be_aware() -> None:
    fields = parse_cron("0 3 * * *")
    first = next(cron_times(fields, BERLIN, datetime(2027, 1, 1, 2, 0, tzinfo=UTC)))
    assert first.at == datetime(2027, 1, 2, 2, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="after must be timezone-aware"):
        next(cron_times(fields, BERLIN, datetime(2027, 1, 1)))


def test_a_line_that_fires_rarely_is_found_and_the_search_ends() -> None:
    leap = list(cron_times(parse_cron("0 0 29 2 *"), LA, datetime(2027, 1, 1, tzinfo=UTC)))
    assert [t.at.astimezone(LA).year for t in leap] == [2028, 2032, 2036]


def test_jitter_is_deterministic_per_seed_and_within_bounds() -> None:
    nominal = datetime(2027, 1, 2, 3, tzinfo=UTC)
    jitter = timedelta(minutes=20)
    draws = {jitter_offset(f"seed{i}", nominal, jitter) for i in range(200)}
    assert all(timedelta(0) <= d <= jitter for d in draws)
    assert len(draws) > 100  # spread, not a constant
    assert jitter_offset("a", nominal, jitter) == jitter_offset("a", nominal, jitter)
    assert jitter_offset("a", nominal, timedelta(0)) == timedelta(0)
    later = nominal + timedelta(days=7)
    assert jitter_offset("a", nominal, jitter) != jitter_offset("a", later, jitter) or (
        jitter_offset("b", nominal, jitter) != jitter_offset("b", later, jitter)
    )


def test_transitions_and_their_descriptions() -> None:
    year = transitions_between(
        LA, datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    )
    assert [t.at for t in year] == [
        datetime(2027, 3, 14, 10, tzinfo=UTC),
        datetime(2027, 11, 7, 9, tzinfo=UTC),
    ]
    assert year[0].forward and not year[1].forward
    assert year[0].describe(LA) == (
        "clocks go forward 1h at 02:00 local on 2027-03-14 (UTC-08:00 → UTC-07:00)"
    )
    assert year[1].describe(LA).startswith("clocks go back 1h at 02:00 local on 2027-11-07")
    # Lord Howe Island moves its clocks by half an hour.
    howe = ZoneInfo("Australia/Lord_Howe")
    (change,) = transitions_between(
        howe, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC)
    )
    assert "0h30" in change.describe(howe)
    assert offset_label(timedelta(hours=5, minutes=30)) == "+05:30"
    assert offset_label(timedelta(hours=-8)) == "-08:00"
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        transitions_between(LA, datetime(2027, 1, 1), datetime(2027, 2, 1, tzinfo=UTC))
