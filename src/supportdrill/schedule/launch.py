"""Starting one scheduled run: ``supportdrill run FILE`` in a process of its own.

A process per run keeps a drill that crashes, hangs or leaks from taking the scheduler with it,
and gives each run the same code path as a run started by hand. Its output goes to a log file
per run beside the reports; the run id and the series labels are passed on the command line so
the scheduler can find the run in the store afterwards.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..store import StoreTarget
from .plan import PlannedRun
from .scheduler import Entry, Launched, run_labels

_TAIL_LINES = 5


class SubprocessLauncher:
    """Starts each run with ``python -m supportdrill run`` against the scheduler's store."""

    def __init__(
        self,
        *,
        store_path: StoreTarget,
        reports_dir: Path,
        python: str = sys.executable,
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.store_path = store_path
        self.reports_dir = reports_dir
        self.log_dir = reports_dir / "schedule-logs"
        self.python = python
        self.extra_args = tuple(extra_args)
        self.env = dict(env) if env is not None else None

    def command(self, entry: Entry, run_id: str, due: PlannedRun) -> list[str]:
        labels = [
            part
            for key, value in run_labels(entry, due).items()
            if key in ("schedule", "scheduled_for")
            for part in ("--label", f"{key}={value}")
        ]
        return [
            self.python,
            "-m",
            "supportdrill",
            "--store",
            str(self.store_path),
            "run",
            str(entry.path),
            "--no-live",
            "--reports",
            str(self.reports_dir),
            "--run-id",
            run_id,
            *labels,
            *self.extra_args,
        ]

    async def launch(self, entry: Entry, run_id: str, due: PlannedRun) -> Launched:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{run_id}.log").open("wb") as output:
            # A session of its own: a Ctrl-C at the scheduler's terminal reaches the scheduler,
            # which stops its drills one by one, not every drill at once behind its back.
            return await asyncio.create_subprocess_exec(
                *self.command(entry, run_id, due),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    def log_tail(self, run_id: str) -> str:
        path = self.log_dir / f"{run_id}.log"
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return " / ".join(line.strip() for line in lines[-_TAIL_LINES:] if line.strip())


__all__ = ["SubprocessLauncher"]
