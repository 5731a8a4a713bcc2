"""Benchmark: ``supportdrill scorecard`` over a store of many finished runs (default 100,000):
the rescoring path against the store's index, on SQLite and (given a server) PostgreSQL.

    python benchmarks/bench_scorecard.py [--runs N] [--store PATH] [--postgres URL]
                                         [--baseline-runs N]

Fills a fresh SQLite store (or takes ``--store``) with the generated runs of bench_measure.py
(four vendors: one 7x24, three business-hours-only with their holidays; half of each vendor's
runs carry a ``schedule`` label), each stored with a real drill file as the harness stores it and
marked finished, and indexes it (scoring every run once, which the harness does one run at a
time as each ends). Then, in the same process:

- the rescoring path (``vendor_scorecard.load_rescored``: read every run and its events, parse
  each distinct drill once, score and diagnose every run, summarise in Python), over the whole
  store, or over a sample of ``--baseline-runs`` runs copied to a store of their own and scaled
  linearly;
- ``vendor_scorecard.load``, what ``supportdrill scorecard`` calls: totals and index walks,
  three times for each of two forms (plain; and per schedule with the outage cost), checked
  equal to the rescoring path's when that covered the whole store.

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
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))

from bench_measure import generated_runs

from supportdrill.definitions.loader import build_drill
from supportdrill.report.index import index_missing
from supportdrill.report.vendor_scorecard import load, load_rescored, render_markdown
from supportdrill.store import RunStore
from supportdrill.store.transfer import export_runs, import_runs, read_export
from supportdrill.timeline import DrillEnded

DRILLS = {
    "acme-24x7": ("Asia/Shanghai", "24x7", ""),
    "biz-shanghai": ("Asia/Shanghai", '"Mon-Fri 09:00-18:00"', "CN"),
    "biz-berlin": ("Europe/Berlin", '"Mon-Fri 09:00-18:00"', "DE"),
    "biz-la": ("America/Los_Angeles", '"Mon-Fri 09:00-18:00"', "US"),
}
FORMS: dict[str, dict[str, Any]] = {
    "per vendor": {"include_simulated": True},
    "per schedule, with outage cost": {
        "include_simulated": True,
        "group": "schedule",
        "revenue_per_minute": 30_000.0,
    },
}


def drill_text(vendor: str, scheduled: bool = False) -> str:
    zone, hours, country = DRILLS[vendor]
    holidays = f", holidays: {country}" if country else ""
    labels = f"labels: {{schedule: nightly-{vendor}}}\n" if scheduled else ""
    return (
        f"name: bench-{vendor}\n"
        f"vendor:\n  name: {vendor}\n  desk: {{kind: simulated}}\n  timezone: {zone}\n"
        f"  coverage: {{P0: {hours}{holidays}}}\n  sla: common-vendor\n"
        f"ticket: {{severity: P0}}\n{labels}"
    )


def fill(path: Path, count: int) -> None:
    began = time.perf_counter()
    texts = {(v, s): drill_text(v, s) for v in DRILLS for s in (False, True)}
    drills = {key: build_drill(text, f"{key[0]}.yaml") for key, text in texts.items()}
    with RunStore(path, synchronous="OFF") as store:
        for number, (vendor, timeline) in enumerate(generated_runs(count, 2026)):
            key = (vendor, (number // len(DRILLS)) % 2 == 1)  # half of each vendor's runs
            run_id = store.create_run_for(
                drills[key], started_at=timeline.events[0].at, drill_text=texts[key]
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
    """Per form: the rescoring path's scorecard (None for a sample) and its seconds for the
    whole store."""
    with RunStore(path) as store:
        total = len(store.runs(None))
        sample_ids = [run.run_id for run in store.runs(baseline_runs)]
    found = {}
    if baseline_runs is None or baseline_runs >= total:
        for form, options in FORMS.items():
            found[form] = timed(
                f"rescoring path over {total} runs, {form}",
                lambda options=options: load_rescored(str(path), **options),
            )
        return found
    with tempfile.TemporaryDirectory() as scratch:
        export, sample = Path(scratch) / "sample.jsonl", Path(scratch) / "sample.db"
        with RunStore(path) as store, export.open("w", encoding="utf-8") as out:
            export_runs(store, out, run_ids=sample_ids)
        with RunStore(sample, synchronous="OFF") as copy:
            import_runs(copy, read_export(export))
        for form, options in FORMS.items():
            _, seconds = timed(
                f"rescoring path over a sample of {len(sample_ids)} runs, {form}",
                lambda options=options: load_rescored(str(sample), **options),
            )
            scaled = seconds * total / len(sample_ids)
            print(f"  rescoring path, {form}, scaled to {total} runs: {scaled:.1f} s")
            found[form] = (None, scaled)
    return found


def indexed(target: str, name: str, total: int, baseline, expected, against: str):  # type: ignore[no-untyped-def]
    """Time ``supportdrill scorecard``'s path three times per form; its scorecards."""
    cards = {}
    for form, options in FORMS.items():
        times = []
        for _ in range(3):
            card, seconds = timed(
                f"{name}: scorecard from the index over {total} runs, {form}",
                lambda options=options: load(target, **options),
            )
            times.append(seconds)
        assert card.runs == total, (card.runs, total)
        if expected.get(form) is not None:
            assert card == expected[form], f"{form}: the index's scorecard differs from {against}"
            print(f"  {name}, {form}: scorecard equal to {against}: yes")
        best, worst = min(times), max(times)
        old_s = baseline[form][1]
        print(
            f"  {name}, {form}: {total} runs in {best:.3f} s (worst of 3: {worst:.3f} s) from "
            f"the index vs {old_s:.1f} s rescoring: {old_s / best:,.0f}x faster",
            flush=True,
        )
        cards[form] = card
    print("  " + render_markdown(cards["per vendor"]).splitlines()[8], flush=True)
    return cards


TABLES = (
    "runs",
    "events",
    "tickets",
    "run_state",
    "run_figures",
    "figure_values",
    "figure_buckets",
    "figure_totals",
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
        store.analyze_index()
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
        baseline = rescoring(path, args.baseline_runs)
        expected = {form: found[0] for form, found in baseline.items()}
        against = "the rescoring path's"
        lite = indexed(str(path), "SQLite", total, baseline, expected, against)
        if args.postgres:
            target = postgres_copy(path, args.postgres)
            try:
                if expected["per vendor"] is None:  # compare with the SQLite index's own
                    expected, against = lite, "SQLite's"
                indexed(target, "PostgreSQL", total, baseline, expected, against)
            finally:
                drop(args.postgres, target)
        else:
            print("PostgreSQL: skipped (no --postgres URL or $SUPPORTDRILL_TEST_POSTGRES)")


if __name__ == "__main__":
    main()
