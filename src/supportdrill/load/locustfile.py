"""The locustfile the harness runs: the surge's shape, its viewers and the figures it writes.

Run by Locust, never imported by the harness (Locust monkey-patches the process for gevent).
The harness starts it as ``python -m locust -f <this file> --headless`` with the ``--sd-*``
options below (:mod:`supportdrill.load.surge`); ``supportdrill load worker`` starts it as a
``--worker`` of a master elsewhere, which sends the options along with each spawn.

- :class:`Surge` is the viewer-surge profile as a Locust ``LoadTestShape``: no viewers until the
  ``--sd-go-file`` appears (the harness starts Locust before the baseline, so Locust's own
  start-up is not mistaken for the surge), then ``peak`` viewers at
  ``peak / ramp_up`` a second, held for ``hold`` seconds (or until the ``--sd-stop-file``
  appears, when the harness lifts the drill's faults), then stopped at ``peak / ramp_down`` a
  second; the test ends when none are left.
- The recorder collects every join the viewers report. A worker ships its joins and its count of
  watching viewers to the master with each of Locust's reports (``report_to_master``); the
  master, or the local runner, appends one JSON line a second to ``--sd-out``:
  ``{"t", "users", "watching", "ready", "joins": [...]}``, and a last one with ``"final": true``
  (``ready``: the process can start viewers now; a full-media one once its agent is up).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import gevent
from locust import LoadTestShape, events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from supportdrill.load.viewers import (  # noqa: F401  # Locust finds its user classes here
    RECORD,
    VIEWERS,
    WATCHING,
    HlsViewer,
    HttpFlvViewer,
    LlHlsViewer,
    WhepSignallingViewer,
    WhepViewer,
    agent_ready,
    start_agent,
    stop_agent,
)

WRITE_INTERVAL_S = 1.0


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("supportdrill surge")
    group.add_argument("--sd-mode", default="whep-signalling", help="viewer kind")
    group.add_argument("--sd-url", default="", help="where viewers go")
    group.add_argument("--sd-peak", type=int, default=1, help="peak viewers")
    group.add_argument("--sd-ramp-up", type=float, default=1.0, help="seconds")
    group.add_argument("--sd-hold", type=float, default=-1.0, help="seconds; < 0: stop file")
    group.add_argument("--sd-ramp-down", type=float, default=1.0, help="seconds")
    group.add_argument("--sd-join-timeout", type=float, default=10.0, help="seconds")
    group.add_argument("--sd-token-env", default="", help="variable holding the Bearer token")
    group.add_argument("--sd-out", default="", help="JSON lines of figures (master/local)")
    group.add_argument("--sd-stop-file", default="", help="ramp down once this exists")
    group.add_argument("--sd-go-file", default="", help="no viewers until this exists")
    group.add_argument(
        "--sd-orphan-quit", action="store_true", help="quit when the starting process dies"
    )


class Recorder:
    """Joins reported in this process (and, on a master, by its workers)."""

    def __init__(self) -> None:
        self.joins: list[dict[str, Any]] = []
        self.watching: dict[str, int] = {}
        """A master's view: viewers watching, per worker."""

    def add(self, fields: dict[str, Any]) -> None:
        self.joins.append(fields)

    def take(self) -> list[dict[str, Any]]:
        taken, self.joins = self.joins, []
        return taken


RECORDER = Recorder()


def _write(environment: Environment, path: str, *, final: bool = False) -> None:
    runner = environment.runner
    if runner is None:
        return
    options = environment.parsed_options
    ready = True
    if isinstance(runner, MasterRunner):
        watching = sum(RECORDER.watching.values())
    else:
        watching = WATCHING.value
        # A full-media surge is ready once this process's media agent is (workers' agents
        # start with their first viewer).
        ready = options is None or options.sd_mode != "whep" or agent_ready()
    line: dict[str, Any] = {
        "t": time.time(),
        "users": runner.user_count,
        "watching": watching,
        "ready": ready,
        "joins": RECORDER.take(),
    }
    if final:
        line["final"] = True
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def _writer(environment: Environment, path: str) -> None:
    while True:
        gevent.sleep(WRITE_INTERVAL_S)
        _write(environment, path)


def _quit_when_orphaned(environment: Environment, parent: int) -> None:
    """A harness killed outright cannot end its surge: the surge ends itself (no fault
    outlives its drill). Our parent changes when the harness that started us is gone."""
    while os.getppid() == parent:
        gevent.sleep(1.0)
    if environment.runner is not None:
        environment.runner.quit()


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    RECORD[0] = RECORDER.add
    runner = environment.runner
    options = environment.parsed_options
    if options is not None and options.sd_orphan_quit:
        gevent.spawn(_quit_when_orphaned, environment, os.getppid())
    if isinstance(runner, WorkerRunner):

        @events.report_to_master.add_listener
        def _report(client_id: str, data: dict[str, Any]) -> None:
            data["supportdrill"] = {"joins": RECORDER.take(), "watching": WATCHING.value}

        return
    if isinstance(runner, MasterRunner):

        @events.worker_report.add_listener
        def _received(client_id: str, data: dict[str, Any]) -> None:
            report = data.get("supportdrill")
            if report:
                RECORDER.joins.extend(report["joins"])
                RECORDER.watching[client_id] = int(report["watching"])

    elif options is not None and options.sd_mode == "whep":
        gevent.spawn(start_agent)  # warm before the go: a cold agent would delay every join
    out = options.sd_out if options is not None else ""
    if out:
        gevent.spawn(_writer, environment, out)

        @events.quitting.add_listener
        def _last(environment: Environment, **_: Any) -> None:
            _write(environment, out, final=True)


@events.quitting.add_listener
def _stop_agent(**_: Any) -> None:
    stop_agent()


class Surge(LoadTestShape):
    """Ramp up to the peak, hold, ramp down, stop."""

    def __init__(self) -> None:
        super().__init__()
        self.down_at: float | None = None
        self.go_at: float | None = None

    def tick(self) -> tuple[int, float, list[Any]] | None:
        assert self.runner is not None and self.runner.environment.parsed_options is not None
        options = self.runner.environment.parsed_options
        viewers = [VIEWERS[options.sd_mode]]
        if self.go_at is None:
            # Locust is up before the surge begins: its start-up does not count as load.
            if options.sd_go_file and not os.path.exists(options.sd_go_file):
                return 0, 1.0, viewers
            self.go_at = self.get_run_time()
        now = self.get_run_time() - self.go_at
        peak = int(options.sd_peak)
        if self.down_at is None:
            asked = bool(options.sd_stop_file) and os.path.exists(options.sd_stop_file)
            held = options.sd_hold >= 0 and now >= options.sd_ramp_up + options.sd_hold
            if asked or held:
                self.down_at = now
        if self.down_at is None:
            return peak, peak / max(options.sd_ramp_up, 1e-3), viewers
        if now < self.down_at + options.sd_ramp_down + 1.0:
            return 0, peak / max(options.sd_ramp_down, 1e-3), viewers
        return None
