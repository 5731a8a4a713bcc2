"""Benchmark: ``supportdrill scorecard`` over a store of many finished runs (default 100,000),
today's path against the SQL index, on SQLite and (given a server) PostgreSQL, in one run.

    python benchmarks/bench_compare.py [--runs N] [--store PATH] [--postgres URL]
                                       [--baseline-runs N]

Fills a fresh SQLite store with the generated runs of bench_measure.py (four vendors: one 7x24,
three business-hours-only with their holidays), each stored with a real drill file as the
harness stores it and marked finished. Then, on the same store:

- the rescoring path (what ``scorecard`` did before the index): read every run and its events,
  parse each distinct drill once, score every run, aggregate in Python
  (``compare_store_rescored``); over ``--baseline-runs`` of them when given (it takes about a
  minute per 100,000 runs), and scaled linearly to the whole store;
- building the index (``reindex``: scoring every run once, as runs ending do one by one);
- ``compare_store``: the figures aggregated in SQL from the index, checked equal to the
  rescoring path's (when that covered the whole store).

With ``--postgres URL`` (default ``$SUPPORTDRILL_TEST_POSTGRES``) the same store is exported and
imported into a fresh schema there, indexed, and timed the same way. Prints times and ratios.
"""

from __future__ import annotations

import argparse
import io
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
from supportdrill.report.index import index_missing, reindex
from supportdrill.store import RunStore
from supportdrill.store.transfer import export_runs, import_runs, parse_export, read_export
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
    print(f"  {label}: {elapsed:.3f} s")
    return result, elapsed


def bench(target: str, name: str, baseline_runs: int | None) -> None:
    with RunStore(target) as store:
        total = len(store.runs(None))
        # The baseline reads only the newest N runs' figures when asked to be shorter.
        vendors_of = {run.run_id: run.vendor for run in store.runs(baseline_runs)}
    print(f"{name}: {total} stored runs")
    if baseline_runs is None or baseline_runs >= total:
        before, old_s = timed(
            f"rescoring path over {total} runs",
            lambda: compare_store_rescored(target, include_simulated=True),
        )
        old_per_store = old_s
    else:
        # Same code path on a copy holding only the sample, so it scales to the whole store.
        with tempfile.TemporaryDirectory() as scratch:
            sample = Path(scratch) / "sample.db"
            with RunStore(target) as store, RunStore(sample, synchronous="OFF") as copy:
                out = io.StringIO()
                export_runs(store, out, run_ids=list(vendors_of))
                export = Path(scratch) / "sample.jsonl"
                export.write_text(out.getvalue())
                import_runs(copy, parse_export(export))
            _, sample_s = timed(
                f"rescoring path over {len(vendors_of)} runs",
                lambda: compare_store_rescored(str(sample), include_simulated=True),
            )
        old_per_store = sample_s * total / len(vendors_of)
        before = None
        print(f"  rescoring path, scaled to {total} runs: {old_per_store:.1f} s")
    with RunStore(target) as store:
        indexed, _ = timed(f"reindex (score {total} runs once)", lambda: reindex(store))
    after, new_s = timed(
        f"scorecard from the SQL index over {total} runs",
        lambda: compare_store(target, include_simulated=True),
    )
    assert sum(summary.runs for summary in after) == total == indexed.runs
    if before is not None:
        assert after == before, "the SQL figures differ from rescoring"
        print("  figures equal to the rescoring path's: yes")
    print(
        f"  {name}: {total} runs scored in {new_s:.3f} s from the index vs {old_per_store:.1f} s "
        f"rescoring: {old_per_store / new_s:,.0f}x faster ({total / new_s:,.0f} runs/s)"
    )
    print("  " + render_comparison(after).splitlines()[8])


def postgres_copy(source: Path, url: str) -> str:
    import psycopg

    schema = f"sd_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    target = f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        export = Path(scratch) / "runs.jsonl"
        with RunStore(source) as store, export.open("w", encoding="utf-8") as out:
            export_runs(store, out)
        with RunStore(target) as store:
            result = import_runs(store, read_export(export))
    print(
        f"copied {len(result.added)} runs into PostgreSQL schema {schema} (export + import) in "
        f"{time.perf_counter() - began:.1f} s"
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
        "--baseline-runs", type=int, help="time the rescoring path over this many runs only"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(args.store) if args.store else Path(scratch) / "runs.db"
        if not args.store:
            fill(path, args.runs)
        with RunStore(path) as store:
            index_missing(store)  # leave nothing for the timed runs' catch-up
        bench(str(path), "SQLite", args.baseline_runs)
        if args.postgres:
            target = postgres_copy(path, args.postgres)
            try:
                bench(target, "PostgreSQL", args.baseline_runs)
            finally:
                drop(args.postgres, target)
        else:
            print("PostgreSQL: skipped (no --postgres URL or $SUPPORTDRILL_TEST_POSTGRES)")


if __name__ == "__main__":
    main()
