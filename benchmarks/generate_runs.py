"""Fill a run store with generated drills for the vendor scorecard (and time the scorecard).

    python benchmarks/generate_runs.py --store /tmp/fleet/runs.db [--runs 400] [--seed 7]
    supportdrill --store /tmp/fleet/runs.db scorecard --format html > scorecard.html

Four made-up vendors with different habits, each drill filed at a random moment of 2026 (so
business hours, off-hours, weekends and public holidays all occur, in each vendor's own zone):

* ``acme-rtc``: 7x24 in Asia/Shanghai; a human in minutes at any hour, usually names the fault.
* ``biz-cdn``: Mon–Fri 09:00–18:00 Asia/Jakarta with Indonesian holidays; fast inside its
  hours, silent until the next opening outside them.
* ``cheap-stream``: 7x24 on paper in Asia/Singapore; slow at night and at weekends, sometimes
  never answers, often blames the customer's uplink first.
* ``edge-eu``: Mon–Fri 08:00–20:00 Europe/Berlin with German holidays.

Every run is a whole timeline as the runner writes it — fault injected (region, kind,
direction), stream degraded, ticket filed (T0), an automatic acknowledgement, human replies
whose words do or do not name the fault, status changes, resolution, fault lifted, stream
recovered, drill ended — stored with a real drill file and marked finished. Prints how long
filling and scoring took.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from supportdrill.definitions.loader import build_drill
from supportdrill.definitions.model import Drill
from supportdrill.measure.calendar import next_covered
from supportdrill.report.vendor_scorecard import load, render_markdown
from supportdrill.store import RunStore
from supportdrill.timeline import (
    DrillEnded,
    DrillStarted,
    Event,
    FaultInjected,
    FaultLifted,
    Outcome,
    ReplyClass,
    ResolutionKind,
    StatusCategory,
    StreamDegraded,
    StreamRecovered,
    TicketFiled,
    TicketFiling,
    TicketResolved,
    TicketStatus,
    VendorReply,
)

VENDORS = {
    # name: (zone, coverage, holidays, human minutes (in hours, off hours), answers, knows,
    #        minutes to the next update, minutes from it to solved)
    "acme-rtc": ("Asia/Shanghai", "24x7", "CN", (6, 9), 0.99, 0.8, 20, 30),
    "biz-cdn": ("Asia/Jakarta", '"Mon-Fri 09:00-18:00"', "ID", (9, None), 0.97, 0.6, 25, 35),
    "cheap-stream": ("Asia/Singapore", "24x7", "SG", (14, 140), 0.85, 0.35, 45, 80),
    "edge-eu": ("Europe/Berlin", '"Mon-Fri 08:00-20:00"', "DE", (8, None), 0.98, 0.7, 22, 30),
}
FAULTS = (
    ("Jakarta, Indonesia", "loss", "hold: udp loss probability=0.15 (upstream,downstream)"),
    ("Singapore", "latency", "hold: udp latency jitter=30 latency=250 (upstream,downstream)"),
    ("Frankfurt, Germany", "bandwidth", "hold: udp bandwidth rate=300 (downstream)"),
    ("Tokyo, Japan", "blackout", "hold: tcp down (connections refused)"),
)
WORDS = {
    "loss": "heavy packet loss",
    "latency": "high latency",
    "bandwidth": "a bandwidth cap",
    "blackout": "an outage",
}


def drill_text(vendor: str, severity: str) -> str:
    zone, hours, country, *_ = VENDORS[vendor]
    return (
        f"name: fleet-{vendor}-{severity.lower()}\n"
        f"vendor:\n  name: {vendor}\n  desk: {{kind: simulated}}\n  timezone: {zone}\n"
        f"  coverage: {{{severity}: {hours}, holidays: {country}}}\n  sla: common-vendor\n"
        f"ticket: {{severity: {severity}}}\n"
    )


def _reply(at: datetime, n: int, cls: ReplyClass, text: str) -> VendorReply:
    return VendorReply(
        at=at,
        observed_at=at + timedelta(seconds=20),
        precision_s=1.0,
        message_id=f"m{n}",
        classification=cls,
        author="Support" if cls is ReplyClass.AUTO else "Agent",
        author_role="agent",
        excerpt=text,
    )


def _status(at: datetime, category: StatusCategory) -> TicketStatus:
    return TicketStatus(
        at=at, observed_at=at + timedelta(seconds=20), status=category.value, category=category
    )


def generate(rng: random.Random, vendor: str, drill: Drill, t0: datetime) -> list[Event]:
    _zone, _hours, _country, (fast, slow), answers, knows, updates, solves = VENDORS[vendor]
    region, kind, toxic = rng.choice(FAULTS)
    injected = t0 - timedelta(seconds=rng.uniform(40, 90))
    degraded = injected + timedelta(seconds=rng.uniform(1, 8))
    events: list[Event] = [
        DrillStarted(
            at=injected - timedelta(seconds=20),
            observed_at=injected - timedelta(seconds=20),
            drill=drill.name,
            vendor=vendor,
            desk="simulated",
            severity=drill.severity.value,
            timezone=drill.vendor.timezone,
        ),
        FaultInjected(
            at=injected, observed_at=injected, profile="custom", region=region, toxics=(toxic,)
        ),
        StreamDegraded(at=degraded, observed_at=degraded, reasons=("loss 15 % > 5 %",)),
        TicketFiling(at=t0, observed_at=t0, idempotency_key=f"k-{t0:%s}", subject="[DRILL]"),
        TicketFiled(at=t0, observed_at=t0, precision_s=1.0, ticket_id=str(rng.randint(1, 99999))),
        _reply(t0 + timedelta(seconds=rng.uniform(3, 60)), 1, ReplyClass.AUTO, "Received."),
    ]
    end = t0 + timedelta(hours=rng.uniform(20, 30))
    if rng.random() < answers:
        covered = next_covered(drill.coverage, t0)
        in_hours = covered == t0
        minutes = fast if in_hours or slow is None else slow
        start = covered if slow is None else t0
        human = start + timedelta(minutes=rng.lognormvariate(0, 0.6) * minutes)
        place = region.split(",")[0]
        if rng.random() < knows:
            first = f"We see {WORDS[kind]} on our {place} edge and are rerouting."
            correction = None
        elif rng.random() < 0.5:
            first = "This looks like a bandwidth limit on your uplink; please check your ISP."
            correction = f"Correction: {WORDS[kind]} on our {place} relay, now fixed."
        else:
            first = "We are looking into the degradation you reported."
            correction = None
        events += [_reply(human, 2, ReplyClass.HUMAN, first), _status(human, StatusCategory.OPEN)]
        lifted = human + timedelta(seconds=30)
        events += [
            FaultLifted(at=lifted, observed_at=lifted, reason="a human answered"),
            StreamRecovered(at=lifted + timedelta(seconds=8), observed_at=lifted),
        ]
        update = human + timedelta(minutes=rng.lognormvariate(0, 0.4) * updates)
        if correction is not None:
            events.append(_reply(update, 3, ReplyClass.HUMAN, correction))
        solved = update + timedelta(minutes=rng.lognormvariate(0, 0.5) * solves)
        events += [
            _reply(solved, 4, ReplyClass.HUMAN, "Rerouted; marking this solved."),
            _status(solved, StatusCategory.SOLVED),
            TicketResolved(at=solved, observed_at=solved, how=ResolutionKind.TICKET_SOLVED),
        ]
        end = solved + timedelta(minutes=5)
        outcome = Outcome.COMPLETED
    else:
        outcome = Outcome.TIMED_OUT
    events.append(DrillEnded(at=end, observed_at=end, outcome=outcome))
    return events


def fill(path: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    year = datetime(2026, 1, 1, tzinfo=UTC)
    texts = {(v, s): drill_text(v, s) for v in VENDORS for s in ("P0", "P1")}
    drills = {key: build_drill(text, f"{key[0]}.yaml") for key, text in texts.items()}
    with RunStore(path, synchronous="OFF") as store:
        for index in range(count):
            vendor = list(VENDORS)[index % len(VENDORS)]
            severity = "P0" if rng.random() < 0.75 else "P1"
            t0 = year + timedelta(seconds=rng.uniform(0, 320 * 86400))
            events = generate(rng, vendor, drills[vendor, severity], t0)
            run_id = store.create_run_for(
                drills[vendor, severity],
                started_at=events[0].at,
                drill_text=texts[vendor, severity],
            )
            store.append_many(run_id, events)
            ended = events[-1]
            assert isinstance(ended, DrillEnded)
            store.finish_run(run_id, ended.outcome, ended_at=ended.at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="the SQLite run store to fill")
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    path = Path(args.store)
    path.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    fill(path, args.runs, args.seed)
    print(f"filled {path} with {args.runs} finished runs in {time.perf_counter() - began:.2f} s")
    began = time.perf_counter()
    card = load(path)
    elapsed = time.perf_counter() - began
    rate = len(card.rows) / elapsed
    print(f"scorecard over {len(card.rows)} runs in {elapsed:.2f} s ({rate:,.0f} runs/s)")
    print(render_markdown(card).split("\n## ", 2)[1][:1500])


if __name__ == "__main__":
    main()
