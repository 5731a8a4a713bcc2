"""Benchmark: metrics and SLA verdicts for 10,000 runs (target: evaluate() for all under 2 s).

    python benchmarks/bench_measure.py                      # timelines generated in memory
    python benchmarks/bench_measure.py --store runs.sqlite  # read from a run store (filled with
                                                            # generated runs first if it is empty)

It also times event_from_record() alone over every event's stored record (the per-event cost of
loading runs from a store, without SQLite and JSON).

The generated runs are realistic in shape: four vendors (one 7x24, three business-hours-only in
Shanghai, Berlin and Los Angeles with their public holidays), tickets filed at any hour of 2026
(so many off-hours and on holidays), 5-30 events each: fault and stream events, auto-acks, human
and unclassified replies, customer follow-ups, pending/solved/reopened/closed statuses.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from supportdrill.definitions.model import Coverage, Severity, SlaTarget, Weekday, WeeklyInterval
from supportdrill.measure import classify_reply, evaluate
from supportdrill.timeline import (
    CustomerMessage,
    DrillEnded,
    DrillStarted,
    Event,
    FaultInjected,
    FaultLifted,
    Outcome,
    ReplyClass,
    StatusCategory,
    StreamDegraded,
    StreamRecovered,
    TicketFiled,
    TicketStatus,
    Timeline,
    VendorReply,
    event_from_record,
    event_to_record,
)
from supportdrill.vocabulary import AuthorRole, DeskReply

WORKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)


def office(zone: str, country: str, subdivision: str | None = None) -> Coverage:
    return Coverage(
        timezone=zone,
        weekly=tuple(WeeklyInterval(d, clock_time(9), clock_time(18)) for d in WORKDAYS),
        holiday_country=country,
        holiday_subdivision=subdivision,
        label="Mon-Fri 09:00-18:00",
    )


P0 = SlaTarget(
    first_response=timedelta(minutes=15),
    update_cadence=timedelta(hours=1),
    resolution=timedelta(hours=4),
)
VENDORS: dict[str, tuple[Coverage, SlaTarget]] = {
    "acme-24x7": (Coverage.twenty_four_seven("Asia/Shanghai"), P0),
    "biz-shanghai": (office("Asia/Shanghai", "CN"), P0),
    "biz-berlin": (office("Europe/Berlin", "DE", "BE"), P0),
    "biz-la": (office("America/Los_Angeles", "US", "CA"), P0),
}


def generate(rng: random.Random, vendor: str) -> list[Event]:
    """One run's events, in the order a runner would append them."""
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(365 * 86400))
    clock = start
    events: list[Event] = []

    def add(event_type: type[Event], after_s: float, **fields: object) -> None:
        nonlocal clock
        clock += timedelta(seconds=after_s)
        seen = clock + timedelta(seconds=rng.uniform(0, 30))
        events.append(event_type(at=clock, observed_at=seen, **fields))  # type: ignore[arg-type]

    add(DrillStarted, 0, drill="bench", vendor=vendor, desk="simulated", severity="P0")
    faulted = rng.random() < 0.6
    if faulted:
        add(FaultInjected, 5, profile="sea-mobile-peak", precision_s=0.5)
        add(StreamDegraded, rng.uniform(1, 12), precision_s=1.0)
    add(TicketFiled, 60, ticket_id=str(rng.randrange(10**6)), clock_skew_s=rng.uniform(-2, 2))
    add(VendorReply, rng.uniform(5, 90), message_id="ack", classification=ReplyClass.AUTO)
    for index in range(rng.randrange(1, 24)):
        roll = rng.random()
        wait = rng.expovariate(1 / 3600)
        if roll < 0.45:
            cls = ReplyClass.HUMAN if rng.random() < 0.85 else ReplyClass.UNCLASSIFIED
            add(VendorReply, wait, message_id=f"r{index}", classification=cls, precision_s=5.0)
        elif roll < 0.6:
            add(CustomerMessage, wait, message_id=f"c{index}")
        else:
            category = rng.choice(
                [StatusCategory.OPEN, StatusCategory.PENDING, StatusCategory.HOLD]
                + [StatusCategory.SOLVED] * 2
            )
            add(TicketStatus, wait, status=category.value, category=category, precision_s=5.0)
    if rng.random() < 0.7:
        add(TicketStatus, 600, status="solved", category=StatusCategory.SOLVED)
        if rng.random() < 0.3:
            add(TicketStatus, 86400, status="closed", category=StatusCategory.CLOSED)
    if faulted:
        add(FaultLifted, 1, reason="resolved")
        add(StreamRecovered, rng.uniform(1, 10))
    add(DrillEnded, 1, outcome=rng.choice([Outcome.COMPLETED] * 8 + [Outcome.TIMED_OUT]))
    return events


def generated_runs(count: int, seed: int) -> list[tuple[str, Timeline]]:
    rng = random.Random(seed)
    names = list(VENDORS)
    return [
        (vendor, Timeline.of(generate(rng, vendor)))
        for vendor in (names[i % len(names)] for i in range(count))
    ]


def stored_runs(path: str, count: int, seed: int) -> list[tuple[str, Timeline]]:
    """Runs read back from a run store at ``path``; fills an empty store with generated runs."""
    from supportdrill.store import RunStore  # the benchmark's only I/O

    with RunStore(path, synchronous="OFF") as store:
        if not store.runs(1):
            began = time.perf_counter()
            for vendor, timeline in generated_runs(count, seed):
                started = timeline.events[0].at
                run_id = store.create_run(drill="bench", vendor=vendor, started_at=started)
                store.append_many(run_id, timeline.events)
            print(f"filled {path} with {count} runs in {time.perf_counter() - began:.2f} s")
        began = time.perf_counter()
        vendors = {run.run_id: run.vendor for run in store.runs(None)}
        timelines = store.timelines()
        print(f"loaded {len(timelines)} runs from {path} in {time.perf_counter() - began:.2f} s")
    return [(vendors[run_id], timeline) for run_id, timeline in timelines.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--store", help="read runs from this SQLite run store")
    args = parser.parse_args()

    if args.store:
        runs = stored_runs(args.store, args.runs, args.seed)
    else:
        runs = generated_runs(args.runs, args.seed)
        print(f"generated {len(runs)} runs in memory (pass --store PATH to use a run store)")
    events = sum(len(timeline) for _, timeline in runs)

    records = [event_to_record(event) for _, timeline in runs for event in timeline]
    began = time.perf_counter()
    decoded = [event_from_record(record) for record in records]
    elapsed = time.perf_counter() - began
    assert len(decoded) == events
    print(
        f"event_from_record(): {len(records)} records in {elapsed:.3f} s "
        f"({elapsed / len(records) * 1e6:.2f} µs per event)"
    )

    # Includes the one-time costs: loading each country's holidays, building day windows.
    began, began_cpu = time.perf_counter(), time.process_time()
    cards = []
    for vendor, timeline in runs:
        coverage, sla = VENDORS.get(vendor, VENDORS["acme-24x7"])
        cards.append(evaluate(timeline, severity=Severity.P0, sla=sla, coverage=coverage))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    print(
        f"evaluate(): {len(cards)} runs, {events} events, {elapsed:.3f} s wall, {cpu:.3f} s CPU "
        f"({elapsed / len(cards) * 1e6:.0f} µs per run; target < 2 s)"
    )

    breached = sum(card.verdict.value == "breached" for card in cards)
    print(f"verdicts: {breached} breached, {len(cards) - breached} not breached")

    t0 = datetime(2026, 11, 21, 19, tzinfo=UTC)
    reply = DeskReply(
        message_id="m",
        created_at=t0 + timedelta(minutes=7),
        body="Looking into the Jakarta edge now; could you send the session id?",
        author_role=AuthorRole.AGENT,
        headers={"x-mailer": "desk"},
    )
    began = time.perf_counter()
    for _ in range(10_000):
        classify_reply(reply, ticket_created_at=t0, ack_templates=(r"ticket \d+ received",))
    print(f"classify_reply(): 10000 replies in {time.perf_counter() - began:.3f} s")


if __name__ == "__main__":
    main()
