"""Benchmark: ``supportdrill scorecard`` over a store of many finished runs (default 10,000).

    python benchmarks/bench_compare.py [--runs N] [--store PATH]

Fills a fresh run store with the generated runs of bench_measure.py (four vendors: one 7x24,
three business-hours-only with their holidays), each stored with a real drill file as the
harness stores it and marked finished, then times ``compare_store`` end to end: reading the
runs and their events, parsing each distinct drill once, scoring every run, and summarising per
vendor. Prints the time and runs per second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_measure import generated_runs

from supportdrill.definitions.loader import build_drill
from supportdrill.report.compare import compare_store, render_comparison
from supportdrill.store import RunStore
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
    print(f"filled {path} with {count} finished runs in {time.perf_counter() - began:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--store", help="an existing store to compare (default: fill a new one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(args.store) if args.store else Path(scratch) / "runs.db"
        if not args.store:
            fill(path, args.runs)
        began = time.perf_counter()
        summaries = compare_store(path, include_simulated=True)
        elapsed = time.perf_counter() - began
        runs = sum(summary.runs for summary in summaries)
        print(
            f"compare_store(): {runs} runs of {len(summaries)} vendors in {elapsed:.2f} s "
            f"({runs / elapsed:,.0f} runs/s)"
        )
        print(render_comparison(summaries).splitlines()[8])


if __name__ == "__main__":
    main()
