"""A stand-in for ``supportdrill run`` on a virtual clock: the scheduler's logic without a year
of real drills. It records each run in the store as the real command does (created, then
finished with an outcome after ``duration`` of clock time), so the scheduler reads it back the
same way; the process-level test runs the real command."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

from supportdrill.clock import Clock
from supportdrill.schedule.plan import PlannedRun
from supportdrill.schedule.scheduler import Entry, run_labels
from supportdrill.store import RunStore
from supportdrill.timeline import Outcome


class StandInRun:
    def __init__(
        self,
        store: RunStore,
        clock: Clock,
        run_id: str,
        end: datetime,
        code: int,
        outcome: Outcome | None,
    ) -> None:
        self.store, self.clock, self.run_id = store, clock, run_id
        self.end, self.code, self.outcome = end, code, outcome
        self._returncode: int | None = None

    @property
    def returncode(self) -> int | None:
        if self._returncode is None and self.clock.now() >= self.end:
            if self.outcome is not None:
                self.store.finish_run(self.run_id, self.outcome, ended_at=self.clock.now())
            self._returncode = self.code
        return self._returncode

    async def wait(self) -> int:
        while self.returncode is None:
            await asyncio.sleep(0)
        assert self._returncode is not None
        return self._returncode

    def terminate(self) -> None:
        if self._returncode is None:
            if self.outcome is not None:
                self.store.finish_run(self.run_id, Outcome.HALTED, ended_at=self.clock.now())
            self._returncode = 1


class StandInLauncher:
    def __init__(
        self,
        store: RunStore,
        clock: Clock,
        *,
        duration: timedelta = timedelta(minutes=20),
        code: int = 0,
        outcome: Outcome = Outcome.COMPLETED,
        record: bool = True,
    ) -> None:
        self.store, self.clock, self.duration = store, clock, duration
        self.code, self.outcome, self.record = code, outcome, record
        self.started: list[tuple[str, PlannedRun, datetime]] = []

    async def launch(self, entry: Entry, run_id: str, due: PlannedRun) -> StandInRun:
        now = self.clock.now()
        self.started.append((run_id, due, now))
        if self.record:
            drill = dataclasses.replace(entry.drill, labels=run_labels(entry, due))
            self.store.create_run_for(drill, started_at=now, run_id=run_id)
        outcome = self.outcome if self.record else None
        end = now + self.duration
        return StandInRun(self.store, self.clock, run_id, end, self.code, outcome)

    def log_tail(self, run_id: str) -> str:
        return "supportdrill: bad drill file (stand-in)"
