"""Viewer surges on this machine: viewers per Locust process for each mode, and 2 workers vs 1.

Each mode runs one short surge with Locust's local runner (one process, plus its media agent in
the full-media mode) against the loopback surge origin (a process of its own, limits set out of
the way), with a small WHIP publisher in this process. A Locust process runs on one core at most,
so viewers per process = viewer-seconds watched / CPU seconds its processes used from the go
(Locust's start-up left out, as in a drill, where Locust starts before the baseline). The
distributed run starts one HLS surge with a master and 1 local worker, then 2, and prints the
CPU of the busiest process of each: the ratio is how many more viewers 2 workers carry.
Run with ``.venv/bin/python benchmarks/bench_load.py`` (about 3 minutes; ``--quick``: smaller).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

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


TICK = os.sysconf("SC_CLK_TCK")


def group_cpu_s(groups: set[int]) -> float:
    """CPU seconds used so far by the live processes of these process groups (Linux /proc)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) in groups:  # pgrp; utime and stime are fields 14 and 15 of stat
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


@dataclass
class Run:
    surge: Surge
    cpu_s: float
    """CPU of the Locust processes (and media agents) from the go to their exit: their start-up
    (imports) is left out, as it is in a drill, where Locust starts before the baseline."""
    viewer_s: float
    """Viewers watching, integrated over the run."""
    busiest_s: float
    """CPU of the busiest Locust process over the same time."""


async def surge(plan: LoadPlan) -> Run:
    """Run one surge to its end."""
    runner = Surge(plan, plan.url or "")
    before = children_cpu_s()
    await runner.prepare()
    groups = {process.pid for process in runner._processes}
    at_go = {group: group_cpu_s({group}) for group in groups}
    latest = dict(at_go)
    await runner.start()
    viewer_s, last = 0.0, time.monotonic()
    while runner.running:
        observation = await runner.sample()
        now = time.monotonic()
        viewer_s += observation.watching * (now - last)
        last = now
        for group in groups:  # a process's last reading before it exits
            latest[group] = max(latest[group], group_cpu_s({group}))
        await asyncio.sleep(0.5)
    await runner.close()
    used = children_cpu_s() - before - sum(at_go.values())
    busiest = max(latest[group] - at_go[group] for group in groups)
    return Run(runner, used, viewer_s, busiest)


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
            f"{'viewer-s':>9} {'cpu s':>7} {'viewers/process':>16} {'joins/cpu-s':>12}"
        )
        for mode, url, peak in modes:
            run = await surge(plan_for(mode, url, peak, hold))
            totals = run.surge.totals()
            # Viewers one Locust process keeps watching on one full core.
            per_process = run.viewer_s / run.cpu_s if run.cpu_s > 0 else float("inf")
            # What a signalling viewer costs is its join: joins one core can do a second.
            joins_per_cpu = totals.joins / run.cpu_s if run.cpu_s > 0 else float("inf")
            print(
                f"{mode!s:<16} {peak:>5} {totals.joined:>4}/{totals.joins:<3}"
                f"{totals.first_p50_ms or 0:>8.0f} {totals.first_p95_ms or 0:>8.0f} "
                f"{run.viewer_s:>9.0f} {run.cpu_s:>7.2f} {per_process:>16.0f} "
                f"{joins_per_cpu:>12.0f}"
            )
        peak = 40 if quick else 80
        busiest: dict[int, float] = {}
        for workers in (1, 2):
            distributed = plan_for(
                LoadMode.HLS,
                urls["SURGE_HLS_URL"],
                peak,
                hold,
                workers=workers,
                master_port=free_port(),
            )
            run = await surge(distributed)
            totals = run.surge.totals()
            busiest[workers] = run.busiest_s
            print(
                f"hls, master + {workers} worker(s): {totals.joined}/{totals.joins} joined, "
                f"{totals.viewers_reached} watching at most, join p95 "
                f"{totals.first_p95_ms or 0:.0f} ms, {run.cpu_s:.2f} CPU s in all, "
                f"busiest process {run.busiest_s:.2f} CPU s"
            )
        # Spread over 2 workers, the busiest process carries about half: twice the viewers fit.
        print(
            "busiest process CPU, 1 worker / 2 workers (viewer capacity ratio): "
            f"{busiest[1] / busiest[2]:.2f}"
        )
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
