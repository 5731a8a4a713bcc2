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

from supportdrill.store import RankQuery, RunStore

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from supportdrill.store import IndexedRun, RunFigureRow, RunStore
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
            met = index % 3 == 0
            # Every run in one hour of the week and window: the writers share its totals row.
            row = RunFigureRow(
                severity="P0", filed_at=start, window="off_hours", hour_of_week=3,
                verdict="met" if met else "breached", diagnosis="not_applicable", met=met,
                judged=True, pending=False, diagnosable=False, correct=False, wrong_first=False,
                acknowledgement_s=None, first_human_s=60.0 * index, resolution_s=None,
                time_to_correct_s=None, outage_s=3600.0, outage_open=False,
            )
            store.save_index(
                [IndexedRun(run_id=run_id, schedule="", simulated=False, figures=row)],
                scorer_version=1,
            )
    print("done", flush=True)
    """
)

READER = textwrap.dedent(
    """
    import sys
    from supportdrill.store import RankQuery, RunStore

    with RunStore(sys.argv[1]) as store:
        reads = 0
        while True:
            tallies = store.figure_tallies()
            reads += 1
            if sum(tally.runs for tally in tallies) >= int(sys.argv[2]):
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
        tallies = {tally.vendor: tally for tally in store.figure_tallies()}
        # Every first human response ranks where a sort of them all puts it.
        queries = [
            RankQuery("first_human", vendor, "P0", None, None, None, 0, runs)
            for vendor in sorted(tallies)
        ]
        walked = dict(zip(sorted(tallies), store.figure_values(queries), strict=True))
    seqs = raw_sql(store_url, "SELECT seq FROM events WHERE run_id = ? ORDER BY seq", (shared,))
    assert [row[0] for row in seqs] == list(range(1, 2 * runs * notes + 1))
    # The running totals the writers updated together equal a count of the rows themselves.
    assert sum(tally.runs for tally in tallies.values()) == 2 * runs
    assert tallies["v0"].met == 2 * sum(1 for i in range(0, runs, 2) if i % 3 == 0)
    assert tallies["v0"].outage_us == runs * 3_600_000_000  # 2 writers x runs/2 runs, 1 h each
    rows = raw_sql(
        store_url, "SELECT vendor, value FROM figure_values WHERE figure = ?", ("first_human",)
    )
    for vendor, tally in tallies.items():
        values = sorted(float(value) for found, value in rows if found == vendor)
        assert tally.first_human == tally.runs == len(values) == runs
        assert list(walked[vendor]) == values
    counts = raw_sql(
        store_url,
        "SELECT vendor, SUM(n) FROM figure_buckets WHERE figure = 'first_human' AND span = 3 "
        "GROUP BY vendor",
    )
    assert Counter({vendor: int(n) for vendor, n in counts}) == Counter({"v0": runs, "v1": runs})
    # Each value is counted once in each of the four ways the scorecard groups buckets.
    spans = raw_sql(store_url, "SELECT span, SUM(n) FROM figure_buckets GROUP BY span")
    assert {int(span): int(n) for span, n in spans} == dict.fromkeys(range(4), 2 * runs * 2)
