"""Wiring a drill to real parts: the clock, the desk, the fault layer, the stream, the store.

This is where the embedded defaults are chosen: a simulated desk started in-process (on an
accelerated clock when the drill asks for simulated time), the embedded Toxiproxy-compatible
server when ``TOXIPROXY_URL`` is unset, and the SQLite store. The CLI calls these functions.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..desks.base import Desk
from ..desks.simulated.personas import BUSINESS_HOURS
from ..errors import InvalidConfiguration
from ..spec.durations import DurationError, parse_duration
from ..spec.loader import build_drill, load_drill
from ..spec.model import DeskKind, Drill
from ..store import RunStore
from ..timeline import Clock, Outcome, RealClock
from .runner import DrillRunner, RunResult

EXIT_OK, EXIT_FAILED = 0, 1
DEFAULT_SIMULATED_RATE = 3600.0

REPO_DRILLS = Path(__file__).resolve().parents[3] / "drills"


@dataclass
class Environment:
    clock: Clock
    desk: Desk
    simulated: bool


def demo_drill_path(persona: str) -> Path:
    """The example drill for ``persona`` in drills/ (the demo runs the business-hours one)."""
    path = REPO_DRILLS / f"simulated-{persona}.yaml"
    if not path.exists():
        known = sorted(
            p.stem.removeprefix("simulated-") for p in REPO_DRILLS.glob("simulated-*.yaml")
        )
        raise InvalidConfiguration(
            f"no demo drill for persona {persona!r}; known: {', '.join(known)}"
        )
    return path


def _persona_delays(settings: Mapping[str, str]) -> dict[str, float]:
    """``delay_first_human: 20m`` in the desk settings → ``{"first_human": 1200.0}``."""
    delays: dict[str, float] = {}
    for key, value in settings.items():
        if key.startswith("delay_"):
            try:
                delays[key.removeprefix("delay_")] = parse_duration(value).total_seconds()
            except DurationError as exc:
                raise InvalidConfiguration(f"desk.{key}: {exc}") from exc
    return delays


def _simulated_clock(drill: Drill, start_text: str | None, rate: float | None) -> Clock:
    from ..desks.simulated.clock import AcceleratedClock

    settings = drill.vendor.desk.settings
    start_text = start_text or settings.get("simulated_start")
    if start_text is None:
        return RealClock()
    try:
        start = datetime.fromisoformat(start_text)
    except ValueError as exc:
        raise InvalidConfiguration(f"simulated start {start_text!r} is not an ISO time") from exc
    if start.tzinfo is None:
        raise InvalidConfiguration(
            f"simulated start {start_text!r} needs a UTC offset, e.g. +07:00"
        )
    try:
        speed = rate if rate is not None else float(settings.get("rate", DEFAULT_SIMULATED_RATE))
    except ValueError as exc:
        raise InvalidConfiguration(f"desk.rate {settings.get('rate')!r} is not a number") from exc
    if speed <= 0:
        raise InvalidConfiguration("the simulated clock rate must be positive")
    return AcceleratedClock(start, speed)


@contextlib.asynccontextmanager
async def environment(
    drill: Drill, *, simulated_start: str | None = None, simulated_rate: float | None = None
) -> AsyncIterator[Environment]:
    """The clock and the desk a drill runs against, released on exit."""
    config = drill.vendor.desk
    if config.kind is DeskKind.SIMULATED:
        from ..desks.simulated import SimulatedDesk, SimulatedDeskServer

        clock = _simulated_clock(drill, simulated_start, simulated_rate)
        url = config.settings.get("url")
        desk: Desk
        if url:
            desk = SimulatedDesk(url)
            try:
                yield Environment(clock, desk, simulated=True)
            finally:
                await desk.close()
            return
        persona = config.settings.get("persona", "responsive-24x7")
        async with SimulatedDeskServer(
            persona=persona,
            clock=clock,
            timezone=config.settings.get("timezone", drill.vendor.timezone),
            hours=config.settings.get("hours", BUSINESS_HOURS),
            delays={persona: _persona_delays(config.settings)},
        ) as server:
            desk = SimulatedDesk(server.url)
            try:
                yield Environment(clock, desk, simulated=True)
            finally:
                await desk.close()
        return
    if simulated_start or simulated_rate:
        raise InvalidConfiguration("--simulate-at and --rate apply to the simulated desk only")
    from ..desks.registry import create_desk

    clock = RealClock()
    desk = create_desk(config, clock=clock)
    try:
        yield Environment(clock, desk, simulated=False)
    finally:
        await desk.close()


def _exit_code(store: RunStore, result: RunResult) -> int:
    from ..report.build import scorecard_for

    if result.outcome is not Outcome.COMPLETED:
        return EXIT_FAILED
    scorecard = scorecard_for(store, result.run_id)
    return EXIT_OK if scorecard.sla_met else EXIT_FAILED


def _finish(store: RunStore, result: RunResult, reports_dir: Path) -> int:
    from ..report.build import write_reports

    paths = write_reports(store, result.run_id, reports_dir)
    print(f"drill {result.outcome.value}: {result.reason}")
    print(f"run id: {result.run_id}")
    for kind, path in paths.items():
        print(f"{kind} report: {path}")
    return _exit_code(store, result)


async def run_drill_file(
    path: Path,
    *,
    store_path: Path,
    reports_dir: Path,
    live: bool,
    simulated_start: str | None,
    simulated_rate: float | None,
    demo: bool = False,
) -> int:
    drill = load_drill(path)
    drill_text = path.read_text(encoding="utf-8")
    store = RunStore(store_path)
    try:
        async with environment(
            drill, simulated_start=simulated_start, simulated_rate=simulated_rate
        ) as env:
            runner = DrillRunner(
                drill, store=store, desk=env.desk, clock=env.clock, drill_text=drill_text
            )
            print(f"run {runner.run_id}: {drill.name} against {drill.vendor.name}", flush=True)
            if env.simulated and not isinstance(env.clock, RealClock):
                print(f"simulated time: {env.clock!r} (figures describe the persona, not a vendor)")
            with _live_view(runner, enabled=live):
                result = await runner.run()
        return _finish(store, result, reports_dir)
    finally:
        store.close()


async def resume_run(run_id: str, *, store_path: Path, reports_dir: Path, live: bool) -> int:
    store = RunStore(store_path)
    try:
        record = store.get_run(run_id)
        drill = build_drill(record.drill_text, record.drill_path)
        async with environment(drill) as env:
            runner = DrillRunner(drill, store=store, desk=env.desk, clock=env.clock, run_id=run_id)
            with _live_view(runner, enabled=live):
                result = await runner.resume()
        return _finish(store, result, reports_dir)
    finally:
        store.close()


@contextlib.contextmanager
def _live_view(runner: DrillRunner, *, enabled: bool) -> Iterator[None]:
    if not enabled or not sys.stdout.isatty():
        yield None
        return
    from ..report.live import LiveView

    with LiveView(runner) as view:
        runner.observers.append(view.on_event)
        yield None


async def serve_simulated_desk(
    *, host: str, port: int, persona: str, timezone: str, state_path: Path | None
) -> int:
    from ..desks.simulated import serve_desk

    print(f"simulated vendor desk ({persona}, {timezone}) on http://{host}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        await serve_desk(host, port, persona=persona, timezone=timezone, state_path=state_path)
    return EXIT_OK


async def check_desk(path: Path) -> list[str]:
    drill = load_drill(path)
    async with environment(drill) as env:
        return await env.desk.check()


__all__ = [
    "check_desk",
    "demo_drill_path",
    "environment",
    "resume_run",
    "run_drill_file",
    "serve_simulated_desk",
]
