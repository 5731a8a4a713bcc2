"""Chaos against the harness itself: kill -9, SIGTERM and a double Ctrl-C at random moments.

Each attempt runs one fault drill as ``supportdrill run`` in a process of its own, against a
standalone simulated desk (``supportdrill desk serve``) and a standalone fault server
(``supportdrill proxy serve``), hits it with a seeded random signal at a seeded random moment,
then does what a user would: ``resume`` after a kill -9. Afterwards it checks the invariants:

- at most one ticket on the desk for the run (never filed twice);
- no proxy of the run left on the fault server, and none left in the store's ledger;
- no event recorded twice (by its identity), and exactly one ``drill.ended``;
- a run that completed after a resume has the figures of a run never interrupted (to the desk's
  one-second stamps).

Run: ``python benchmarks/chaos_drills.py --runs 20 --seed 7`` (the suite runs 3).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from supportdrill.report.build import evaluation_for
from supportdrill.run.ports import idempotency_key
from supportdrill.store import RunStore
from supportdrill.timeline import DrillEnded, TicketFiled

HARNESS = [sys.executable, "-m", "supportdrill.cli"]
ACTIONS = ("kill -9", "SIGTERM", "double SIGINT")
FIGURES = ("acknowledgement", "first_human_response", "first_resolution")

DRILL = textwrap.dedent(
    """\
    name: chaos
    description: a fault drill that is killed at random
    vendor:
      name: acme
      desk: {{kind: simulated, url: "{desk}"}}
      timezone: UTC
      coverage: {{P0: 24x7}}
      sla: common-vendor
      agents: ["Dewi Lestari (L2 Support)"]
    stream: {{scenario: voice-room}}
    fault:
      toxics:
        - {{type: loss, protocol: udp, attributes: {{probability: 0.5}}}}
    ticket: {{severity: P0, file_after: 2s}}
    resolution:
      when: ticket_solved
      lift_fault: on_first_human_response
      timeout: 10m
      poll_interval: 1s
    safety: {{max_duration: 20m}}
    """
)


@dataclass
class Attempt:
    seed: int
    action: str
    after_s: float
    run_id: str = ""
    outcome: str = ""
    resumed: bool = False
    problems: list[str] = field(default_factory=list)
    figures: dict[str, float | None] = field(default_factory=dict)


@dataclass
class ChaosReport:
    attempts: list[Attempt]

    @property
    def problems(self) -> list[str]:
        return [f"seed {a.seed} ({a.action}): {p}" for a in self.attempts for p in a.problems]

    def summary(self) -> str:
        kinds = Counter(f"{a.action} → {a.outcome or 'no run'}" for a in self.attempts)
        lines = [f"{len(self.attempts)} attempts, {len(self.problems)} problems"]
        lines += [f"  {count:3d} × {kind}" for kind, count in sorted(kinds.items())]
        lines += [f"  problem: {problem}" for problem in self.problems]
        return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _spawn(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *HARNESS,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )


async def _until_up(url: str, path: str) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                await client.get(f"{url}{path}")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def _proxies(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        data: dict[str, Any] = (await client.get(f"{url}/proxies")).json()
        return data


def _figures(store: Path, run_id: str) -> dict[str, float | None]:
    with RunStore(store) as runs:
        card = evaluation_for(runs, run_id)
    return {m.name: m.calendar_s for m in card.metrics if m.name in FIGURES}


def _tickets_for(state: Path, run_id: str) -> int:
    if not state.exists():
        return 0
    document = json.loads(state.read_text(encoding="utf-8"))
    key = idempotency_key(run_id)
    return sum(1 for ticket in document["tickets"] if ticket.get("idempotency_key") == key)


async def _finish(process: asyncio.subprocess.Process, timeout: float) -> tuple[str, str]:
    out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    return out.decode(), err.decode()


async def _one(
    attempt: Attempt, *, work: Path, desk: str, state: Path, proxy: str, reference: dict[str, Any]
) -> None:
    store = work / f"chaos-{attempt.seed}" / "runs.db"
    drill = work / f"chaos-{attempt.seed}.yaml"
    drill.write_text(DRILL.format(desk=desk), encoding="utf-8")
    env = {"TOXIPROXY_URL": proxy}
    process = await _spawn("--store", str(store), "run", str(drill), "--no-live", env=env)
    await asyncio.sleep(attempt.after_s)
    if process.returncode is None:
        if attempt.action == "kill -9":
            process.kill()
        elif attempt.action == "SIGTERM":
            process.terminate()
        else:
            process.send_signal(signal.SIGINT)
            await asyncio.sleep(0.3)
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
    _, err = await _finish(process, 300)
    if "Traceback" in err:
        attempt.problems.append(f"traceback: {err.strip().splitlines()[-1]}")
    if not store.exists():
        attempt.outcome = "nothing stored"
        return
    with RunStore(store) as runs:
        found = runs.runs()
    if not found:
        attempt.outcome = "no run"
    else:
        attempt.run_id = found[0].run_id
        if attempt.action == "kill -9" and found[0].outcome is None:
            attempt.resumed = True
            resume = await _spawn(
                "--store", str(store), "resume", attempt.run_id, "--no-live", env=env
            )
            _, err = await _finish(resume, 300)
            if "Traceback" in err:
                attempt.problems.append(f"resume traceback: {err.strip().splitlines()[-1]}")
    cleanup = await _spawn("--store", str(store), "cleanup", env=env)
    await _finish(cleanup, 120)
    left = [name for name in await _proxies(proxy) if name.startswith(f"sd-{attempt.run_id}")]
    if attempt.run_id and left:
        attempt.problems.append(f"proxies left on the fault server: {left}")
    if not attempt.run_id:
        return
    with RunStore(store) as runs:
        timeline = runs.events(attempt.run_id)
        ledger = [row for row in runs.open_fault_ownerships() if row[0] == attempt.run_id]
        outcome = runs.get_run(attempt.run_id).outcome
    attempt.outcome = outcome or "unfinished"
    if ledger:
        attempt.problems.append(f"ledger still holds {ledger}")
    if len(timeline.all(DrillEnded)) != 1:
        attempt.problems.append(f"{len(timeline.all(DrillEnded))} drill.ended events")
    identities = Counter(e.identity() for e in timeline if e.identity() is not None)
    twice = [identity for identity, count in identities.items() if count > 1]
    if twice:
        attempt.problems.append(f"events recorded twice: {twice}")
    tickets = _tickets_for(state, attempt.run_id)
    if tickets > 1:
        attempt.problems.append(f"{tickets} tickets filed")
    if tickets and timeline.first(TicketFiled) is None:
        attempt.problems.append("a ticket on the desk the timeline does not know")
    if attempt.resumed and outcome == "completed":
        attempt.figures = _figures(store, attempt.run_id)
        for name, value in reference["figures"].items():
            got = attempt.figures.get(name)
            if (value is None) != (got is None) or (
                value is not None and got is not None and abs(value - got) > 1.0
            ):
                attempt.problems.append(f"{name}: {got} after resume, {value} uninterrupted")


async def chaos(runs: int, seed: int, work: Path, *, longest_s: float = 25.0) -> ChaosReport:
    """``runs`` seeded attempts; the desk and the fault server live for all of them."""
    desk_port, proxy_port = free_port(), free_port()
    state = work / "desk-state.json"
    desk = await _spawn(
        "desk", "serve", "--port", str(desk_port), "--persona", "responsive-24x7",
        "--timezone", "UTC", "--scale", "0.004", "--state", str(state),
    )  # fmt: skip
    proxy = await _spawn("proxy", "serve", "--port", str(proxy_port))
    desk_url, proxy_url = f"http://127.0.0.1:{desk_port}", f"http://127.0.0.1:{proxy_port}"
    try:
        await _until_up(desk_url, "/")
        await _until_up(proxy_url, "/version")
        # The same drill, never interrupted: the figures a resumed run must reproduce.
        store = work / "reference" / "runs.db"
        drill = work / "reference.yaml"
        drill.write_text(DRILL.format(desk=desk_url), encoding="utf-8")
        process = await _spawn(
            "--store", str(store), "run", str(drill), "--no-live", env={"TOXIPROXY_URL": proxy_url}
        )
        await _finish(process, 300)
        with RunStore(store) as stored:
            (run,) = stored.runs()
        reference = {"figures": _figures(store, run.run_id)}
        attempts = []
        for index in range(runs):
            rng = random.Random(seed * 1000 + index)
            attempt = Attempt(seed=seed * 1000 + index, action=rng.choice(ACTIONS),
                              after_s=round(rng.uniform(0.5, longest_s), 2))  # fmt: skip
            await _one(
                attempt, work=work, desk=desk_url, state=state, proxy=proxy_url, reference=reference
            )
            attempts.append(attempt)
        return ChaosReport(attempts)
    finally:
        for server in (desk, proxy):
            if server.returncode is None:
                server.terminate()
                await server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        report = asyncio.run(chaos(args.runs, args.seed, Path(work)))
    print(report.summary())
    print(f"wall time: {time.monotonic() - started:.0f} s")
    sys.exit(1 if report.problems else 0)


if __name__ == "__main__":
    main()
