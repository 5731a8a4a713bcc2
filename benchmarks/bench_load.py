"""Viewer surges on this machine: viewers per Locust process for each mode, and 2 workers vs 1.

Each mode runs one short surge with Locust's local runner (one process, plus its media agent in
the full-media mode) against the loopback surge origin (a process of its own, limits set out of
the way), with a small WHIP publisher in this process. A Locust process runs on one core at most,
so its CPU time per viewer-second gives viewers per process at a full core:
``viewers held x seconds held / CPU seconds``, printed beside what the run itself reached. The
distributed run starts the same signalling surge with a master and 2 local workers, then with 1,
and prints the join rates and their ratio. Run with ``.venv/bin/python benchmarks/bench_load.py``
(about 2 minutes; ``--quick`` for a smaller one).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta

from supportdrill.definitions.load import LoadMode, LoadPlan, LoadThresholds
from supportdrill.definitions.scenarios import BUILTIN_SCENARIOS, StreamTarget
from supportdrill.load.surge import Surge
from supportdrill.media.whip import WhipEndpoints, WhipStream


def start_origin() -> tuple[subprocess.Popen[str], dict[str, str]]:
    command = ["load", "origin", "--port", "0", "--capacity", "5000", "--max-viewers", "5000"]
    process = subprocess.Popen(
        [sys.executable, "-m", "supportdrill", *command, "--max-offers-per-s", "10000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    urls: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if "serving on" in line:
            break
        name, _, value = line.strip().partition("=")
        urls[name] = value
    return process, urls


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def surge(plan: LoadPlan) -> tuple[Surge, float, float]:
    """Run one surge to its end; (surge, seconds, CPU seconds of its processes)."""
    runner = Surge(plan, plan.url or "")
    cpu_before = children_cpu_s()
    await runner.prepare()
    started = time.monotonic()
    await runner.start()
    while runner.running:
        await runner.sample()
        await asyncio.sleep(0.5)
    figures = await runner.close()
    del figures
    return runner, time.monotonic() - started, children_cpu_s() - cpu_before


def plan_for(mode: LoadMode, url: str, peak: int, hold_s: float, **more: object) -> LoadPlan:
    base = LoadPlan(
        mode=mode,
        peak_viewers=peak,
        ramp_up=timedelta(seconds=2),
        hold=timedelta(seconds=hold_s),
        ramp_down=timedelta(seconds=1),
        url=url,
        join_timeout=timedelta(seconds=15),
        sample_interval=timedelta(seconds=1),
        thresholds=LoadThresholds(min_joins=1),
    )
    return replace(base, **more)  # type: ignore[arg-type]


async def main(quick: bool) -> None:
    origin, urls = start_origin()
    plan = replace(
        BUILTIN_SCENARIOS["social-1v1"],
        target=StreamTarget.WHIP,
        whip_url=urls["SURGE_WHIP_URL"],
        whep_url=urls["SURGE_WHEP_URL"],
        width=160,
        height=120,
        fps=10,
    )
    publisher = WhipStream(plan, WhipEndpoints(plan.whip_url or "", plan.whep_url or ""), None)
    await publisher.start()
    hold = 4.0 if quick else 8.0
    modes = [
        (LoadMode.WHEP_SIGNALLING, urls["SURGE_WHEP_URL"], 20 if quick else 40),
        (LoadMode.WHEP, urls["SURGE_WHEP_URL"], 2 if quick else 4),
        (LoadMode.HLS, urls["SURGE_HLS_URL"], 20 if quick else 40),
    ]
    try:
        print(
            f"{'mode':<16} {'peak':>5} {'joined':>7} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'cpu s':>7} {'viewers/process':>16}"
        )
        for mode, url, peak in modes:
            runner, _, cpu = await surge(plan_for(mode, url, peak, hold))
            totals = runner.totals()
            held = totals.viewers_reached * hold
            per_process = held / cpu if cpu > 0 else float("inf")
            print(
                f"{mode!s:<16} {peak:>5} {totals.joined:>4}/{totals.joins:<3}"
                f"{totals.first_p50_ms or 0:>8.0f} {totals.first_p95_ms or 0:>8.0f} "
                f"{cpu:>7.2f} {per_process:>16.0f}"
            )
        peak = 30 if quick else 60
        rates = {}
        for workers in (1, 2):
            distributed = plan_for(
                LoadMode.WHEP_SIGNALLING,
                urls["SURGE_WHEP_URL"],
                peak,
                2.0,
                workers=workers,
                master_port=free_port(),
                ramp_up=timedelta(seconds=1),
            )
            runner, _, cpu = await surge(distributed)
            totals = runner.totals()
            rates[workers] = totals.first_p95_ms or float("nan")
            print(
                f"signalling, {workers} worker(s): {totals.joined}/{totals.joins} joined, "
                f"time to join p50 {totals.first_p50_ms or 0:.0f} ms, p95 "
                f"{totals.first_p95_ms or 0:.0f} ms, {cpu:.2f} CPU s"
            )
        # The same surge spread over 2 worker processes: how much faster each viewer joins.
        print(f"p95 time to join, 1 worker / 2 workers: {rates[1] / rates[2]:.2f}")
    finally:
        await publisher.stop()
        origin.terminate()
        origin.wait(timeout=10)
        if origin.stdout is not None:
            origin.stdout.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
