"""Several processes on one store (two drills and a scheduler): nothing lost, totals exact.

Each writer process creates its own runs, appends events in small transactions, appends to one
run the writers share (so they contend for the same row), finishes its runs and indexes them
(so they contend for the same totals rows); a reader process reads the scorecard meanwhile.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from datetime import UTC, datetime

from backends import raw_sql

from supportdrill.store import RunStore

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from supportdrill.store import RunScore, RunStore, StoredMetric
    from supportdrill.timeline import Note, Outcome

    url, name, shared, runs, notes = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:])
    with RunStore(url) as store:
        for index in range(runs):
            start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=index)
            run_id = store.create_run(
                drill="race", vendor=f"v{index % 2}", severity="P0", started_at=start,
                run_id=f"{name}-{index:03d}",
            )
            for number in range(notes):
                at = start + timedelta(seconds=number)
                store.append(run_id, Note(at=at, observed_at=at, text=f"{name} {number}"))
                store.append(shared, Note(at=at, observed_at=at, text=f"{name}/{index}/{number}"))
            store.finish_run(run_id, Outcome.COMPLETED, ended_at=start + timedelta(hours=1))
            metrics = tuple(
                StoredMetric(position, "first_human_response" if position == 0 else "next_reply",
                             True, 60.0 * (index + position), 30.0 * index, "met")
                for position in range(3)
            )
            store.save_scores(
                [RunScore(run_id=run_id, simulated=False, sla_met=index % 3 == 0, metrics=metrics)],
                scorer_version=1,
            )
    print("done", flush=True)
    """
)

READER = textwrap.dedent(
    """
    import sys
    from supportdrill.store import RunStore

    with RunStore(sys.argv[1]) as store:
        reads = 0
        while True:
            figures = store.score_figures()
            reads += 1
            if sum(group.runs for group in figures) >= int(sys.argv[2]):
                break
    print("read", reads, flush=True)
    """
)


def test_two_writers_and_a_reader_lose_nothing(store_url: str) -> None:
    runs, notes = 12, 6
    with RunStore(store_url) as store:
        shared = store.create_run(drill="shared", vendor="v0", started_at=datetime.now(UTC))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, store_url, name, shared, str(runs), str(notes)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("drill-a", "drill-b")
    ]
    procs.append(
        subprocess.Popen(
            [sys.executable, "-c", READER, store_url, str(2 * runs)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.startswith(("done", "read")), out

    with RunStore(store_url) as store:
        for name in ("drill-a", "drill-b"):
            for index in range(runs):
                texts = [note.text for note in store.events(f"{name}-{index:03d}")]
                assert texts == [f"{name} {number}" for number in range(notes)]
        shared_texts = [note.text for note in store.events(shared)]
        # Every append to the contended run landed once, numbered without gaps.
        assert len(shared_texts) == len(set(shared_texts)) == 2 * runs * notes
        assert store.get_run(shared).event_count == 2 * runs * notes
        figures = {group.vendor: group for group in store.score_figures()}
    seqs = raw_sql(store_url, "SELECT seq FROM events WHERE run_id = ? ORDER BY seq", (shared,))
    assert [row[0] for row in seqs] == list(range(1, 2 * runs * notes + 1))
    # The running totals the writers updated together equal a count of the rows themselves.
    assert sum(group.runs for group in figures.values()) == 2 * runs
    assert figures["v0"].sla_met == 2 * sum(1 for i in range(0, runs, 2) if i % 3 == 0)
    rows = raw_sql(store_url, "SELECT vendor, name FROM run_metrics")
    counted = Counter((vendor, name) for vendor, name in rows)
    for vendor, group in figures.items():
        for metric in group.metrics:
            assert metric.runs == metric.ended == metric.met == counted[(vendor, metric.name)]
