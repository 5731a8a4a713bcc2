"""Benchmark: the scheduler left running on an accelerated clock; does it start exactly the drills
it should?

    python benchmarks/bench_scheduler.py [--minutes 10] [--rate 60] [--simulate-at ISO]

Writes two scheduled drills against the simulated 7x24 desk (ticket-only, a few seconds of wall
time each) into a temporary directory, runs ``supportdrill schedule run`` as a process for
``--minutes`` of wall time with its clock at ``--rate`` (60: an hour a minute), then compares
what the store says it did with the runs the plan says are due in that span:

- ``every-30-min``: ``*/30 * * * *`` in Asia/Jakarta;
- ``jakarta-off-hours``: hourly, with up to 10 minutes of jitter, only outside the vendor's
  P1 business hours (Mon-Fri 09:00-18:00 Asia/Jakarta, Indonesian holidays).

Prints, per schedule, the runs expected, the runs started, how many finished and their outcomes,
and the largest delay between a run's due time (after jitter) and its start, in clock time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

from supportdrill.definitions.loader import load_drill
from supportdrill.schedule.plan import planned_runs
from supportdrill.store import RunStore
from supportdrill.store.leases import Leases

DESK = (
    "{kind: simulated, persona: responsive-24x7, "
    'simulated_start: "2027-01-01T03:00:00+07:00", rate: 3600}'
)
DRILLS = {
    "every-30-min": 'schedule: {cron: "*/30 * * * *"}',
    "jakarta-off-hours": (
        'schedule: {cron: "0 * * * *", jitter: 10m, windows: [outside_coverage], calendar: P1}'
    ),
}
TEMPLATE = textwrap.dedent(
    """\
    name: {name}
    vendor:
      name: goodvendor (simulated)
      desk: {desk}
      timezone: Asia/Jakarta
      coverage: {{P0: 24x7, P1: "Mon-Fri 09:00-18:00", holidays: ID}}
    ticket: {{severity: P0, symptom: live stream unavailable, region: Jakarta}}
    resolution: {{when: ticket_solved, timeout: 2h, poll_interval: 30s}}
    safety: {{max_duration: 3h}}
    {schedule}
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="wall-clock minutes")
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--simulate-at", default="2027-01-01T08:15:00+00:00")
    args = parser.parse_args()
    start = datetime.fromisoformat(args.simulate_at)
    span = timedelta(minutes=args.minutes * args.rate)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, schedule in DRILLS.items():
            text = TEMPLATE.format(name=name, desk=DESK, schedule=schedule)
            (root / f"{name}.yaml").write_text(text)
        store_path = root / "runs.db"
        command = [
            sys.executable,
            "-m",
            "supportdrill",
            "--store",
            str(store_path),
            "schedule",
            "run",
            str(root),
            "--reports",
            str(root / "reports"),
            "--simulate-at",
            start.isoformat(),
            "--rate",
            str(args.rate),
            "--for",
            f"{int(span.total_seconds())}s",
        ]
        began = time.monotonic()
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.monotonic() - began
        print(f"schedule run: exit {finished.returncode}, {wall:.0f} s wall, clock x{args.rate:g}")
        print(f"clock span: {start.isoformat()} + {span} (scheduler's own start to its stop)")
        if finished.returncode != 0:
            print(finished.stderr[-2000:])
        with RunStore(store_path) as store:
            leases = Leases(store)
            total_expected = total_started = 0
            for name in DRILLS:
                drill = load_drill(root / f"{name}.yaml")
                # The scheduler's clock starts a moment after --simulate-at (process start-up):
                # count runs due after the start and before the stop, as it does.
                expected = [r for r in planned_runs(drill, start) if r.at < start + span]
                claims = leases.claims(name)
                started = [c for c in claims if c.action == "started"]
                outcomes: dict[str, int] = {}
                for claim in started:
                    outcome = store.get_run(claim.run_id).outcome
                    key = outcome.value if outcome is not None else "running"
                    outcomes[key] = outcomes.get(key, 0) + 1
                due_at = {r.nominal: r.at for r in expected}
                delays = [
                    (c.claimed_at - due_at[c.due_at]).total_seconds()
                    for c in started
                    if c.due_at in due_at
                ]
                same = [c.due_at for c in started] == [r.nominal for r in expected]
                others = sorted({c.action for c in claims} - {"started"})
                print(
                    f"{name}: expected {len(expected)}, started {len(started)}, "
                    f"same cron times: {same}, outcomes {outcomes}, other decisions {others}, "
                    f"largest start delay {max(delays, default=0):.1f} s clock "
                    f"({max(delays, default=0) / args.rate:.2f} s wall)"
                )
                total_expected += len(expected)
                total_started += len(started)
        print(f"total: {total_started} started / {total_expected} expected")


if __name__ == "__main__":
    main()
