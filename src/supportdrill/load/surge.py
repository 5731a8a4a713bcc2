"""The harness's side of a viewer surge: Locust processes started, read, and ended.

:class:`Surge` is the runner's :class:`~supportdrill.run.ports.LoadControl`. ``start`` launches
Locust with the shipped locustfile (:mod:`supportdrill.load.locustfile`) as a subprocess — the
local runner by default, or a master with ``--expect-workers N`` and, unless the drill says
``spawn_workers: false``, its N workers on this machine — so gevent never enters the harness's
asyncio process. ``sample`` reads the JSON lines the Locust process appends each second and
judges the window (:mod:`supportdrill.measure.load`); ``lift`` asks for the ramp down (the stop
file the surge's shape watches); ``close`` waits for the ramp down, ends whatever is left — each
process was started in a session of its own, so its whole group (the media agents included) is
ended — and returns the surge's figures.

The Bearer token reaches the viewers by the *name* of its environment variable: the value is
inherited with the environment, never put on a command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from ..definitions.load import LoadPlan
from ..errors import InvalidConfiguration, LoadError
from ..measure.load import Join, LoadJudge, SurgeFigures, judge_window, summarise, window_figures
from ..run.ports import AppliedFault, LoadObservation

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LOG_TAIL = 600
"""How much of Locust's log an error quotes."""
START_TIMEOUT_S = 60.0
"""How long Locust may take to start reporting (it imports gevent, ZeroMQ and Flask)."""
EXIT_GRACE_S = 15.0
"""After the ramp down, how long Locust may take to write its last figures and exit."""


def locust_available() -> bool:
    """Locust is installed (the ``[load]`` extra), without importing it here."""
    return importlib.util.find_spec("locust") is not None


def require_locust() -> None:
    if not locust_available():
        raise InvalidConfiguration(
            "this drill has a load: section, which needs Locust: pip install 'supportdrill[load]'"
        )


def surge_options(plan: LoadPlan, url: str, token_env: str | None) -> list[str]:
    """The locustfile's ``--sd-*`` options for ``plan`` (no secret among them)."""
    hold = -1.0 if plan.hold is None else plan.hold.total_seconds()
    options = [
        f"--sd-mode={plan.mode}",
        f"--sd-url={url}",
        f"--sd-peak={plan.peak_viewers}",
        f"--sd-ramp-up={plan.ramp_up.total_seconds():g}",
        f"--sd-hold={hold:g}",
        f"--sd-ramp-down={plan.ramp_down.total_seconds():g}",
        f"--sd-join-timeout={plan.join_timeout.total_seconds():g}",
    ]
    if token_env:
        options.append(f"--sd-token-env={token_env}")
    return options


def locust_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *args]


def worker_command(master_host: str, master_port: int) -> list[str]:
    """A Locust worker of a surge master (``supportdrill load worker`` runs this)."""
    return locust_command(
        "--worker", f"--master-host={master_host}", f"--master-port={master_port}"
    )


@dataclass
class _Reading:
    """What has been read from the Locust process's figures so far."""

    offset: int = 0
    joins: list[Join] = field(default_factory=list)
    users: int = 0
    watching: int = 0
    users_reached: int = 0
    viewers_reached: int = 0
    final: bool = False
    ready: bool = False


def parse_join(record: dict[str, Any]) -> Join:
    first = record.get("first_ms")
    return Join(
        ok=bool(record.get("ok")),
        first_ms=None if first is None else float(first),
        failure=str(record.get("failure", "")),
    )


class Surge:
    """One drill's viewer surge, in Locust processes of its own."""

    def __init__(self, plan: LoadPlan, url: str, *, token_env: str | None = None) -> None:
        self.plan = plan
        self.url = url
        self.token_env = token_env
        self.interval_s = plan.sample_interval.total_seconds()
        self._dir = Path(tempfile.mkdtemp(prefix="supportdrill-surge-"))
        self.out = self._dir / "figures.jsonl"
        self.stop_file = self._dir / "ramp-down"
        self.go_file = self._dir / "go"
        self.log_path = self._dir / "locust.log"
        self._log: IO[bytes] | None = None
        self._processes: list[asyncio.subprocess.Process] = []
        self._reading = _Reading()
        self._judge = LoadJudge(plan.thresholds)

    # -- processes ---------------------------------------------------------------------------

    async def _spawn(self, command: list[str]) -> asyncio.subprocess.Process:
        assert self._log is not None
        try:
            return await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
                start_new_session=True,  # its media agents are ended with it, as one group
            )
        except OSError as exc:
            raise LoadError(f"could not start Locust: {exc}") from exc

    async def prepare(self) -> None:
        """Start Locust with no viewers yet, and wait until it reports."""
        require_locust()
        self._log = self.log_path.open("ab")
        options = [
            "--headless",
            "--only-summary",
            # Failed joins are the figures we came for, not an error of the run.
            "--exit-code-on-error=0",
            f"--sd-out={self.out}",
            f"--sd-stop-file={self.stop_file}",
            f"--sd-go-file={self.go_file}",
            "--sd-orphan-quit",
            *surge_options(self.plan, self.url, self.token_env),
        ]
        plan = self.plan
        if plan.workers == 0:
            self._processes.append(await self._spawn(locust_command(*options)))
        else:
            master = locust_command(
                "--master",
                f"--expect-workers={plan.workers}",
                f"--master-bind-host={plan.master_host}",
                f"--master-bind-port={plan.master_port}",
                *options,
            )
            self._processes.append(await self._spawn(master))
            if plan.spawn_workers:
                for _ in range(plan.workers):
                    command = worker_command(plan.master_host, plan.master_port)
                    self._processes.append(await self._spawn([*command, "--sd-orphan-quit"]))
        await self._until_running()

    async def start(self) -> AppliedFault:
        """The surge begins: viewers start joining (Locust's shape sees the go file)."""
        if not self._processes:
            await self.prepare()
        self.go_file.touch()
        plan = self.plan
        return AppliedFault(
            profile=f"viewer-surge:{plan.mode}",
            symptom=f"a surge of {plan.peak_viewers} viewers ({plan.mode}) on the stream",
            toxics=(plan.describe(),),
            degraded_within=plan.expect_degraded_within,
        )

    async def _until_running(self) -> None:
        """Locust takes seconds to start: the surge is injected once it says it is ready."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT_S
        while not (self._read() or self._reading.ready):
            master = self._processes[0]
            if master.returncode is not None:
                raise LoadError(
                    f"Locust exited with status {master.returncode}: {self._log_tail()}"
                )
            if loop.time() > deadline:
                raise LoadError(f"Locust did not start within {START_TIMEOUT_S:g} s")
            await asyncio.sleep(0.2)

    @property
    def running(self) -> bool:
        """The Locust process (the master, or the local runner) has not exited."""
        return bool(self._processes) and self._processes[0].returncode is None

    def _log_tail(self) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " ".join(text[-LOG_TAIL:].split())

    # -- figures -----------------------------------------------------------------------------

    def _read(self) -> list[Join]:
        """Joins reported since the last read (and the latest counts)."""
        reading = self._reading
        try:
            with self.out.open("rb") as source:
                source.seek(reading.offset)
                data = source.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        reading.offset += end
        joins: list[Join] = []
        for raw in data[:end].splitlines():
            line = json.loads(raw)
            joins.extend(parse_join(item) for item in line.get("joins", ()))
            reading.users = int(line.get("users", 0))
            reading.watching = int(line.get("watching", 0))
            reading.users_reached = max(reading.users_reached, reading.users)
            reading.viewers_reached = max(reading.viewers_reached, reading.watching)
            reading.final = reading.final or bool(line.get("final"))
            reading.ready = reading.ready or bool(line.get("ready", True))
        reading.joins.extend(joins)
        return joins

    def totals(self) -> SurgeFigures:
        reading = self._reading
        figures = summarise(
            reading.joins,
            viewers_reached=reading.viewers_reached,
            users_reached=reading.users_reached,
        )
        return replace(
            figures,
            mode=str(self.plan.mode),
            planned_viewers=self.plan.peak_viewers,
            workers=self.plan.workers,
        )

    async def sample(self) -> LoadObservation:
        master = self._processes[0] if self._processes else None
        ended = master is not None and master.returncode is not None
        if ended and master is not None and not self.stop_file.exists() and master.returncode:
            raise LoadError(f"Locust exited with status {master.returncode}: {self._log_tail()}")
        joins = self._read()
        figures = window_figures(joins)
        problems = judge_window(figures, self.plan.thresholds)
        transition = self._judge.step(problems)
        return LoadObservation(
            window_s=self.interval_s,
            users=self._reading.users,
            watching=self._reading.watching,
            figures=figures,
            totals=self.totals(),
            healthy=not self._judge.degraded,
            problems=problems,
            transition=transition,
        )

    # -- ending ------------------------------------------------------------------------------

    async def lift(self) -> None:
        """Ask the surge to ramp down (its shape sees the stop file within a second)."""
        self.stop_file.touch()

    async def close(self) -> SurgeFigures:
        """Wait for the ramp down, end every process left, and return the surge's figures."""
        await self.lift()
        wait = self.plan.ramp_down.total_seconds() + EXIT_GRACE_S
        for process in self._processes:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), timeout=wait)
            wait = 1.0  # the master is gone: workers follow at once or are ended
        for process in self._processes:
            await _end_group(process)
        self._processes.clear()
        if self._log is not None:
            self._log.close()
            self._log = None
        self._read()
        return self.totals()


async def _end_group(process: asyncio.subprocess.Process) -> None:
    """SIGTERM to the process's own group (it leads it), then SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), timeout=wait)
        if process.returncode is not None:
            # The leader is gone; its group may still hold a media agent.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            return
