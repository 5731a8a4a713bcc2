"""Benchmark: the run store — bulk append for 10,000 runs x 20 events, single committed appends,
and reading every timeline back.

    python benchmarks/bench_store.py [--runs 10000] [--events 20] [--path runs.db]

Prints seconds for each part. Single appends use the default ``synchronous=FULL`` (each one
committed and synced, as a drill does); the bulk fill uses ``OFF`` like a one-off import.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from supportdrill.store import RunStore
from supportdrill.timeline import (
    DrillEnded,
    DrillStarted,
    Event,
    Note,
    Outcome,
    ReplyClass,
    StatusCategory,
    TicketFiled,
    TicketStatus,
    VendorReply,
)


def run_events(start: datetime, count: int) -> list[Event]:
    def stamp(minutes: float) -> dict[str, datetime]:
        return {"at": start + timedelta(minutes=minutes), "observed_at": start}

    events: list[Event] = [
        DrillStarted(**stamp(0), drill="bench", vendor="acme", desk="simulated", severity="P0"),
        TicketFiled(**stamp(1), ticket_id="1", url="http://127.0.0.1/hc/requests/1"),
    ]
    for index in range(max(0, count - 4)):
        if index % 3 == 0:
            events.append(
                TicketStatus(**stamp(2 + index), status="open", category=StatusCategory.OPEN)
            )
        else:
            events.append(
                VendorReply(
                    **stamp(2 + index),
                    message_id=str(index),
                    classification=ReplyClass.HUMAN,
                    author_role="agent",
                    channel="web",
                    excerpt="We are looking into the degraded stream from Jakarta.",
                )
            )
    events.append(Note(**stamp(count), text="bench"))
    events.append(DrillEnded(**stamp(count + 1), outcome=Outcome.COMPLETED))
    return events[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--path", help="store file (default: a temporary one)")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="bench-store-")
    path = Path(args.path or os.path.join(directory, "runs.db"))
    start = datetime(2026, 1, 3, 3, 0, tzinfo=UTC)

    with RunStore(path, synchronous="OFF") as store:
        began = time.perf_counter()
        for number in range(args.runs):
            started = start + timedelta(hours=number)
            run_id = store.create_run(drill="bench", vendor=f"v{number % 4}", started_at=started)
            store.append_many(run_id, run_events(started, args.events))
        filled = time.perf_counter() - began
        total = args.runs * args.events
        print(
            f"bulk fill: {args.runs} runs x {args.events} events ({total} events) in "
            f"{filled:.2f} s ({filled / total * 1e6:.1f} µs per event)"
        )

        began = time.perf_counter()
        timelines = store.timelines()
        loaded = time.perf_counter() - began
        print(
            f"timelines(): {len(timelines)} runs, {sum(map(len, timelines.values()))} events "
            f"in {loaded:.2f} s"
        )

        began = time.perf_counter()
        listed = store.runs(None, vendor="v1")
        print(f"runs(vendor=...): {len(listed)} runs in {time.perf_counter() - began:.3f} s")

        began = time.perf_counter()
        for summary in listed[:1000]:
            store.get_run(summary.run_id)
        print(f"get_run(): {(time.perf_counter() - began):.3f} s per 1000")

    with RunStore(path) as store:  # synchronous=FULL, as a drill writes
        run_id = store.create_run(drill="bench", vendor="acme", started_at=start)
        now = datetime.now(UTC)
        began = time.perf_counter()
        for index in range(500):
            store.append(run_id, Note(at=now, observed_at=now, text=str(index)))
        each = (time.perf_counter() - began) / 500
        print(f"append() committed with synchronous=FULL: {each * 1000:.2f} ms each")


if __name__ == "__main__":
    main()
