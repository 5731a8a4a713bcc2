"""The scorecard index: the vendor scorecard read from figures materialised per finished run
(totals, rank buckets, index walks) equals the scorecard of loading, scoring and diagnosing
every timeline again, field for field, on both backends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from backends import raw_sql
from hypothesis import given
from hypothesis import strategies as st

from supportdrill.definitions.loader import build_drill
from supportdrill.errors import StoreError
from supportdrill.report.build import evaluation_of, load_run
from supportdrill.report.index import SCORER_VERSION, index_missing, index_run, reindex
from supportdrill.report.vendor_scorecard import load, load_rescored
from supportdrill.store import RunStore, schema
from supportdrill.store.scorecard_index import rank_bucket
from supportdrill.timeline import (
    CustomerMessage,
    DrillEnded,
    DrillStarted,
    Event,
    FaultInjected,
    Outcome,
    ReplyClass,
    StatusCategory,
    TicketFiled,
    TicketStatus,
    VendorReply,
)

COVERAGE = {
    "fastco": ("Asia/Shanghai", "24x7"),
    "slowco": ("Europe/Berlin", '"Mon-Fri 09:00-18:00", holidays: DE'),
    "nightco": ("America/Los_Angeles", '"Mon-Fri 09:00-18:00", holidays: US'),
}


REPLIES = (
    "We see packet loss in Frankfurt and are on it.",
    "Latency in Frankfurt, rerouting.",
    "Looks like bandwidth trouble in Tokyo.",
    "We are looking into it.",
)
FORMS: tuple[dict[str, object], ...] = (
    {},
    {"include_simulated": True},
    {"vendors": ["slowco", "nightco"], "include_simulated": True},
    {"severity": "P1"},
    {"group": "schedule", "revenue_per_minute": 30000.0},
    {"group": "schedule", "include_simulated": True, "severity": "P0"},
    {"revenue_per_minute": 0.5, "vendors": ["fastco"]},
)


def drill_text(vendor: str, severity: str, schedule: str = "") -> str:
    zone, hours = COVERAGE[vendor]
    labels = f"labels: {{schedule: {schedule}}}\n" if schedule else ""
    return (
        f"name: idx-{vendor}\n"
        f"vendor:\n  name: {vendor}\n  desk: {{kind: simulated}}\n  timezone: {zone}\n"
        f"  coverage: {{{severity}: {hours}}}\n  sla: common-vendor\n"
        f"ticket: {{severity: {severity}}}\n{labels}"
    )


def timeline(rng: random.Random, vendor: str, simulated: bool) -> list[Event]:
    clock = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(300 * 86400))
    events: list[Event] = []

    def add(kind: type[Event], after_s: float, **fields: object) -> None:
        nonlocal clock
        clock += timedelta(seconds=after_s)
        events.append(kind(at=clock, observed_at=clock, **fields))  # type: ignore[arg-type]

    extra = {"simulated_clock": "VirtualClock()"} if simulated else {}
    add(DrillStarted, 0, drill="idx", vendor=vendor, desk="simulated", severity="P0", **extra)
    if rng.random() < 0.8:  # a fault: the outage and the diagnosis are judged
        toxics = ("hold: udp loss probability=0.1 (upstream,downstream)",)
        add(FaultInjected, 30, profile="p", region="Frankfurt", toxics=toxics)
    if rng.random() < 0.9:  # some runs never file (no support figures at all)
        add(TicketFiled, 60, ticket_id=str(rng.randrange(10**6)))
        if rng.random() < 0.7:
            add(VendorReply, rng.uniform(5, 90), message_id="ack", classification=ReplyClass.AUTO)
        for index in range(rng.randrange(0, 6)):
            roll, wait = rng.random(), rng.expovariate(1 / 5000)
            if roll < 0.5:
                excerpt = rng.choice(REPLIES)
                add(
                    VendorReply,
                    # Equal waits too: ties at a percentile's ranks must read the same.
                    wait if rng.random() < 0.7 else 600,
                    message_id=f"r{index}",
                    classification=ReplyClass.HUMAN,
                    excerpt=excerpt,
                )
            elif roll < 0.7:
                add(CustomerMessage, wait, message_id=f"c{index}")
            else:
                add(TicketStatus, wait, status="pending", category=StatusCategory.PENDING)
        if rng.random() < 0.6:
            add(TicketStatus, 600, status="solved", category=StatusCategory.SOLVED)
    add(DrillEnded, 1, outcome=rng.choice([Outcome.COMPLETED] * 3 + [Outcome.TIMED_OUT]))
    return events


def fill(store: RunStore, count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    ids = []
    for index in range(count):
        vendor = rng.choice(sorted(COVERAGE))
        severity = rng.choice(["P0", "P0", "P1"])
        text = drill_text(vendor, severity, rng.choice(["", "", "nightly", "weekly"]))
        events = timeline(rng, vendor, simulated=rng.random() < 0.2)
        run_id = store.create_run_for(
            build_drill(text, f"{vendor}.yaml"),
            started_at=events[0].at,
            drill_text=text,
            run_id=f"run-{index:04d}",
        )
        store.append_many(run_id, events)
        store.finish_run(run_id, Outcome.COMPLETED, ended_at=events[-1].at)
        ids.append(run_id)
    return ids


def test_the_index_scorecard_equals_rescoring_every_timeline(store_url: str) -> None:
    with RunStore(store_url) as store:
        fill(store, 80)
        text = drill_text("fastco", "P0")
        unfinished = store.create_run_for(
            build_drill(text, "fastco.yaml"), started_at=datetime.now(UTC), drill_text=text
        )
        assert len(store.unindexed_runs(SCORER_VERSION)) == 80
    for options in FORMS:
        indexed = load(store_url, **options)  # type: ignore[arg-type]
        assert indexed == load_rescored(store_url, **options), options  # type: ignore[arg-type]
        assert indexed.groups, options
    every = load(store_url, include_simulated=True, revenue_per_minute=1.0)
    assert every.runs == 80  # the running run is not counted
    # The fill reaches every part of the scorecard: diagnoses, costs, schedules, windows.
    assert any(group.time_to_correct.ended for group in every.groups)
    assert any(group.cost and group.cost.lower_bound_runs for group in every.groups)
    assert {group.window for group in every.groups} >= {"all", "business_hours", "off_hours"}
    labels = {label for label, _ in load(store_url, group="schedule").heat_maps}
    assert "slowco · schedule nightly" in labels and "slowco · schedule (unscheduled)" in labels
    with RunStore(store_url) as store:
        assert store.unindexed_runs(SCORER_VERSION) == []  # the scorecard indexed them
        with pytest.raises(StoreError, match="has not ended"):
            _index(store, unfinished)


def _index(store: RunStore, run_id: str) -> None:
    facts, timeline = load_run(store, run_id)
    index_run(store, facts, timeline, evaluation_of(facts, timeline))


def test_reindex_rebuilds_the_same_index(store_url: str) -> None:
    with RunStore(store_url) as store:
        ids = fill(store, 30)
        first = index_missing(store)
        assert first.runs == 30 and "30 finished run(s)" in first.describe()
        tallies = store.figure_tallies(include_simulated=True)
        before = load(store_url, include_simulated=True, revenue_per_minute=2.0)
        assert index_missing(store).runs == 0  # nothing left to do
        again = reindex(store)
        assert again.runs == 30
        assert store.figure_tallies(include_simulated=True) == tallies
        # A run indexed when it ended (as the session does) is not scored a second time.
        _index(store, ids[0])
        _index(store, ids[0])
        assert store.unindexed_runs(SCORER_VERSION) == []
        assert store.figure_tallies(include_simulated=True) == tallies  # replaced, not added
        assert store.unindexed_runs(SCORER_VERSION + 1) == sorted(
            ids, key=lambda i: store.get_run(i).started_at
        )
    assert load(store_url, include_simulated=True, revenue_per_minute=2.0) == before


def test_an_empty_store_has_no_figures(store: RunStore) -> None:
    assert store.figure_tallies() == ()
    assert store.figure_values([]) == ()
    assert store.save_index([], scorer_version=SCORER_VERSION) == 0
    card = load(store.where)
    assert card.runs == 0 and card.groups == () and card.heat_maps == ()


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 11])
def test_few_runs_agree_at_every_rank(tmp_path: Path, count: int) -> None:
    # Percentile ranks at the edges (one value, two, p90 next to the maximum).
    path = str(tmp_path / f"runs-{count}.db")
    with RunStore(path) as store:
        fill(store, count, seed=count)
    options = {"include_simulated": True, "revenue_per_minute": 3.0}
    assert load(path, **options) == load_rescored(path, **options)  # type: ignore[arg-type]


def test_buckets_only_grow_with_the_value() -> None:
    values = sorted(
        [0.0, -0.0, 5e-324, 1e-9, 0.5, 0.999999, 1.0, 1.5, 59.999, 60.0, 3600.0, 1e12, -1.0, -3.5]
    )
    buckets = [rank_bucket(value) for value in values]
    assert buckets == sorted(buckets)
    assert rank_bucket(0.0) == rank_bucket(-0.0) == 0
    assert rank_bucket(1.0) < rank_bucket(1.04) < rank_bucket(2.0)  # 32 to a doubling
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(StoreError, match="finite"):
            rank_bucket(bad)


def test_a_version_4_index_is_replaced_and_rebuilt(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:4])
        patched.setattr(schema, "SCHEMA_VERSION", 4)
        with RunStore(store_url) as store:
            assert store.schema_version == 4
            ids = fill(store, 5)
        # A row of version 4's index, as a store written before version 5 holds it.
        raw_sql(
            store_url,
            "INSERT INTO run_scores (run_id, vendor, severity, started_at, simulated, sla_met, "
            "scorer_version, scored_at) VALUES (?, 'fastco', 'P0', '2026-01-01', 0, 1, 2, "
            "'2026-01-01')",
            (ids[0],),
        )
    with RunStore(store_url) as store:
        assert store.schema_version == schema.SCHEMA_VERSION
        assert len(store.unindexed_runs(SCORER_VERSION)) == 5  # the old rows are gone
    options = {"include_simulated": True}
    assert load(store_url, **options) == load_rescored(store_url, **options)  # type: ignore[arg-type]


@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
)
def test_a_larger_value_never_has_a_smaller_bucket(first: float, second: float) -> None:
    low, high = sorted((first, second))
    assert rank_bucket(low) <= rank_bucket(high)
