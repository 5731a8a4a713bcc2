"""Benchmark: ``supportdrill scorecard`` over a store of many finished runs (default 100,000),
today's rescoring path against the SQL index, on SQLite and (given a server) PostgreSQL.

    python benchmarks/bench_compare.py [--runs N] [--store PATH] [--postgres URL]
                                       [--baseline-runs N]

Fills a fresh SQLite store (or takes ``--store``) with the generated runs of bench_measure.py
(four vendors: one 7x24, three business-hours-only with their holidays), each stored with a
real drill file as the harness stores it and marked finished, and indexes it (scoring every run
once, which the harness does one run at a time as each ends). Then, in the same process:

- the rescoring path (what ``scorecard`` did before the index: read every run and its events,
  parse each distinct drill once, score every run, aggregate in Python;
  ``compare_store_rescored``), over the whole store, or over a sample of ``--baseline-runs``
  runs copied to a store of their own and scaled linearly;
- ``compare_store``: the figures from the index, aggregated in SQL, three times; checked equal
  to the rescoring path's when that covered the whole store.

With ``--postgres URL`` (default ``$SUPPORTDRILL_TEST_POSTGRES``) every table of the SQLite
store, index included, is copied with COPY into a fresh schema there (a loading shortcut: the
index rows are the same scorer's), analysed, and the scorecard timed the same way and checked
equal to the SQLite figures. Prints times and ratios.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))

from bench_measure import generated_runs

from supportdrill.definitions.loader import build_drill
from supportdrill.report.compare import compare_store, compare_store_rescored, render_comparison
from supportdrill.report.index import index_missing
from supportdrill.store import RunStore
from supportdrill.store.transfer import export_runs, import_runs, read_export
from supportdrill.timeline import DrillEnded

DRILLS = {
    "acme-24x7": ("Asia/Shanghai", "24x7", ""),
    "biz-shanghai": ("Asia/Shanghai", '"Mon-Fri 09:00-18:00"', "CN"),
    "biz-berlin": ("Europe/Berlin", '"Mon-Fri 09:00-18:00"', "DE"),
    "biz-la": ("America/Los_Angeles", '"Mon-Fri 09:00-18:00"', "US"),
}


def drill_text(vendor: str) -> str:
    zone, hours, country = DRILLS[vendor]
    holidays = f", holidays: {country}" if country else ""
    return (
        f"name: bench-{vendor}\n"
        f"vendor:\n  name: {vendor}\n  desk: {{kind: simulated}}\n  timezone: {zone}\n"
        f"  coverage: {{P0: {hours}{holidays}}}\n  sla: common-vendor\n"
        "ticket: {severity: P0}\n"
    )


def fill(path: Path, count: int) -> None:
    began = time.perf_counter()
    drills = {vendor: build_drill(drill_text(vendor), f"{vendor}.yaml") for vendor in DRILLS}
    with RunStore(path, synchronous="OFF") as store:
        for vendor, timeline in generated_runs(count, 2026):
            run_id = store.create_run_for(
                drills[vendor], started_at=timeline.events[0].at, drill_text=drill_text(vendor)
            )
            store.append_many(run_id, timeline.events)
            ended = timeline.last(DrillEnded)
            assert ended is not None
            store.finish_run(run_id, ended.outcome, ended_at=ended.at)
    print(f"filled {path} with {count} finished runs in {time.perf_counter() - began:.1f} s")


def timed(label: str, action):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - began
    print(f"  {label}: {elapsed:.3f} s", flush=True)
    return result, elapsed


def rescoring(path: Path, baseline_runs: int | None):  # type: ignore[no-untyped-def]
    """The rescoring path's figures (None for a sample) and its time for the whole store."""
    with RunStore(path) as store:
        total = len(store.runs(None))
        sample_ids = [run.run_id for run in store.runs(baseline_runs)]
    if baseline_runs is None or baseline_runs >= total:
        figures, seconds = timed(
            f"rescoring path over {total} runs",
            lambda: compare_store_rescored(str(path), include_simulated=True),
        )
        return figures, seconds
    with tempfile.TemporaryDirectory() as scratch:
        export, sample = Path(scratch) / "sample.jsonl", Path(scratch) / "sample.db"
        with RunStore(path) as store, export.open("w", encoding="utf-8") as out:
            export_runs(store, out, run_ids=sample_ids)
        with RunStore(sample, synchronous="OFF") as copy:
            import_runs(copy, read_export(export))
        _, seconds = timed(
            f"rescoring path over a sample of {len(sample_ids)} runs",
            lambda: compare_store_rescored(str(sample), include_simulated=True),
        )
    scaled = seconds * total / len(sample_ids)
    print(f"  rescoring path, scaled to {total} runs: {scaled:.1f} s")
    return None, scaled


def indexed(target: str, name: str, total: int, old_s: float, expected, against: str) -> None:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(3):
        figures, seconds = timed(
            f"{name}: scorecard from the SQL index over {total} runs",
            lambda: compare_store(target, include_simulated=True),
        )
        times.append(seconds)
    assert sum(summary.runs for summary in figures) == total
    if expected is not None:
        assert figures == expected, "the SQL figures differ from rescoring"
        print(f"  {name}: figures equal to {against}: yes")
    best, worst = min(times), max(times)
    print(
        f"  {name}: {total} runs scored in {best:.3f} s (worst of 3: {worst:.3f} s) from the "
        f"index vs {old_s:.1f} s rescoring: {old_s / best:,.0f}x faster"
    )
    print("  " + render_comparison(figures).splitlines()[8], flush=True)


TABLES = (
    "runs",
    "events",
    "tickets",
    "run_state",
    "run_scores",
    "run_metrics",
    "score_totals",
    "metric_totals",
)


def postgres_copy(source: Path, url: str) -> str:
    """A fresh schema at ``url`` holding every row of the SQLite store at ``source``."""
    import sqlite3

    import psycopg

    schema = f"sd_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    target = f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"
    RunStore(target).close()  # the schema, by the store's own migrations
    began = time.perf_counter()
    rows = 0
    with sqlite3.connect(source) as lite, psycopg.connect(target) as pg:
        for table in TABLES:
            columns = [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
            listed = ", ".join(columns)
            with pg.cursor() as cursor, cursor.copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
                for row in lite.execute(f"SELECT {listed} FROM {table}"):
                    copy.write_row(row)
                    rows += 1
        pg.commit()
    with RunStore(target) as store:
        store.analyze_scores()
        store.backend.analyze(("runs", "events"))
    print(
        f"copied {rows} rows into PostgreSQL schema {schema} in {time.perf_counter() - began:.1f} s"
    )
    return target


def drop(url: str, target: str) -> None:
    import psycopg

    schema = target.rsplit("search_path%3D", 1)[1]
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--store", help="an existing SQLite store (default: fill a new one)")
    parser.add_argument("--postgres", default=os.environ.get("SUPPORTDRILL_TEST_POSTGRES"))
    parser.add_argument(
        "--baseline-runs", type=int, help="time the rescoring path over a sample this large"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(args.store) if args.store else Path(scratch) / "runs.db"
        if not args.store:
            fill(path, args.runs)
        with RunStore(path) as store:
            total = len(store.runs(None))
            done = timed(f"indexing {total} runs (once)", lambda: index_missing(store))[0]
            print(f"  ({done.runs} were not indexed yet)")
        print(f"SQLite: {total} stored runs", flush=True)
        expected, old_s = rescoring(path, args.baseline_runs)
        indexed(str(path), "SQLite", total, old_s, expected, "the rescoring path's")
        against = "the rescoring path's"
        if args.postgres:
            target = postgres_copy(path, args.postgres)
            try:
                if expected is None:  # compare with the SQLite index's own figures
                    expected = compare_store(str(path), include_simulated=True)
                    against = "the SQLite index's"
                indexed(target, "PostgreSQL", total, old_s, expected, against)
            finally:
                drop(args.postgres, target)
        else:
            print("PostgreSQL: skipped (no --postgres URL or $SUPPORTDRILL_TEST_POSTGRES)")


if __name__ == "__main__":
    main()
