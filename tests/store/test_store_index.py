"""The scorecard index: figures materialised per finished run and aggregated in SQL equal the
figures of loading and scoring every timeline again, on both backends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from backends import raw_sql

from supportdrill.definitions.loader import build_drill
from supportdrill.errors import StoreError
from supportdrill.report.build import evaluation_of, load_run
from supportdrill.report.compare import compare_store, compare_store_rescored
from supportdrill.report.index import SCORER_VERSION, index_missing, index_run, reindex
from supportdrill.store import RunStore, schema
from supportdrill.timeline import (
    CustomerMessage,
    DrillEnded,
    DrillStarted,
    Event,
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


def drill_text(vendor: str, severity: str) -> str:
    zone, hours = COVERAGE[vendor]
    return (
        f"name: idx-{vendor}\n"
        f"vendor:\n  name: {vendor}\n  desk: {{kind: simulated}}\n  timezone: {zone}\n"
        f"  coverage: {{{severity}: {hours}}}\n  sla: common-vendor\n"
        f"ticket: {{severity: {severity}}}\n"
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
    if rng.random() < 0.9:  # some runs never file (no support figures at all)
        add(TicketFiled, 60, ticket_id=str(rng.randrange(10**6)))
        if rng.random() < 0.7:
            add(VendorReply, rng.uniform(5, 90), message_id="ack", classification=ReplyClass.AUTO)
        for index in range(rng.randrange(0, 6)):
            roll, wait = rng.random(), rng.expovariate(1 / 5000)
            if roll < 0.5:
                add(VendorReply, wait, message_id=f"r{index}", classification=ReplyClass.HUMAN)
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
        text = drill_text(vendor, severity)
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


def test_sql_figures_equal_rescoring_every_timeline(store_url: str) -> None:
    with RunStore(store_url) as store:
        fill(store, 80)
        text = drill_text("fastco", "P0")
        unfinished = store.create_run_for(
            build_drill(text, "fastco.yaml"), started_at=datetime.now(UTC), drill_text=text
        )
        assert len(store.unscored_runs(SCORER_VERSION)) == 80
    for options in (
        {},
        {"include_simulated": True},
        {"vendors": ["slowco", "nightco"], "include_simulated": True},
        {"severity": "P1"},
    ):
        indexed = compare_store(store_url, **options)  # type: ignore[arg-type]
        assert indexed == compare_store_rescored(store_url, **options)  # type: ignore[arg-type]
        assert indexed, options
    every = compare_store(store_url, include_simulated=True)
    assert sum(summary.runs for summary in every) == 80  # the running run is not counted
    assert {m.name for s in every for m in s.metrics} >= {"first_human_response", "next_reply"}
    with RunStore(store_url) as store:
        assert store.unscored_runs(SCORER_VERSION) == []  # the scorecard indexed them
        with pytest.raises(StoreError, match="has not ended"):
            index_run(store, *_facts_and_card(store, unfinished))


def _facts_and_card(store: RunStore, run_id: str) -> tuple[object, object]:
    facts, events = load_run(store, run_id)
    return facts, evaluation_of(facts, events)


def test_reindex_rebuilds_the_same_index(store_url: str) -> None:
    with RunStore(store_url) as store:
        ids = fill(store, 30)
        first = index_missing(store)
        assert first.runs == 30 and "30 finished run(s)" in first.describe()
        before = store.score_figures(include_simulated=True)
        assert index_missing(store).runs == 0  # nothing left to do
        again = reindex(store)
        assert again.runs == 30
        assert store.score_figures(include_simulated=True) == before
        # A run indexed when it ended (as the session does) is not scored a second time.
        facts, card = load_run(store, ids[0])[0], evaluation_of(*load_run(store, ids[0]))
        index_run(store, facts, card)
        index_run(store, facts, card)
        assert store.unscored_runs(SCORER_VERSION) == []
        assert store.score_figures(include_simulated=True) == before  # replaced, not added
        assert store.unscored_runs(SCORER_VERSION + 1) == sorted(
            ids, key=lambda i: store.get_run(i).started_at
        )


def test_an_empty_store_has_no_figures(store: RunStore) -> None:
    assert store.score_figures() == ()
    assert store.save_scores([], scorer_version=SCORER_VERSION) == 0


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 11])
def test_few_runs_agree_at_every_rank(tmp_path: Path, count: int) -> None:
    # Percentile ranks at the edges (one value, two, p90 next to the maximum).
    path = str(tmp_path / f"runs-{count}.db")
    with RunStore(path) as store:
        fill(store, count, seed=count)
    assert compare_store(path, include_simulated=True) == compare_store_rescored(
        path, include_simulated=True
    )


def test_a_version_2_index_is_replaced_and_rebuilt(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        patched.setattr(schema, "SCHEMA_VERSION", 2)
        with RunStore(store_url) as store:
            assert store.schema_version == 2
            ids = fill(store, 5)
        # A row of version 2's index, as a store written before version 3 holds it.
        raw_sql(
            store_url,
            "INSERT INTO run_scores (run_id, vendor, severity, simulated, sla_met, "
            "scorer_version, scored_at) VALUES (?, 'fastco', 'P0', 0, 1, 1, '2026-01-01')",
            (ids[0],),
        )
    with RunStore(store_url) as store:
        assert store.schema_version == schema.SCHEMA_VERSION
        assert len(store.unscored_runs(SCORER_VERSION)) == 5  # the old rows are gone
    assert compare_store(store_url, include_simulated=True) == compare_store_rescored(
        store_url, include_simulated=True
    )
