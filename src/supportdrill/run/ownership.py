"""A run's lease on its faults and its ticket: what keeps other commands' hands off a live drill.

A running drill holds the lease ``run:<run id>`` in the store and renews it every
:data:`HEARTBEAT` while it runs (in wall time, whatever the drill's clock: the lease is about
processes, not about the vendor). ``cleanup``, another drill's start and ``resume`` touch a run's
faults only when its owner is dead: its lease has lapsed, or its holder is a process on this
machine that no longer exists. Two drills, a scheduler and a cleanup can then share one store
and one fault server, on SQLite or PostgreSQL alike (the lease table is portable SQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType

from ..errors import InvalidConfiguration, StoreError
from ..store import RunStore
from ..store.leases import Lease, Leases

logger = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=60)
"""How long a run's lease lasts unrenewed: a killed harness's faults are swept after this."""

HEARTBEAT = timedelta(seconds=10)
"""How often a live run renews its lease (a few renewals fit in one TTL: a stalled store or a
busy machine does not make a live run look dead)."""

Now = Callable[[], datetime]


def wall_now() -> datetime:
    return datetime.now(UTC)


def lease_name(run_id: str) -> str:
    return f"run:{run_id}"


def new_holder() -> str:
    """``host:pid:nonce``: who holds a lease, and enough to tell whether it still lives."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        host, _, rest = text.partition(":")
        pid_text, _, _ = rest.partition(":")
        return cls(host, int(pid_text)) if pid_text.isdigit() else None

    def provably_gone(self) -> bool:
        """True only when the holder was a process on this machine that no longer exists."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, someone else's
            return False
        return False


def live_owner(leases: Leases, run_id: str, *, now: datetime | None = None) -> Lease | None:
    """The lease of ``run_id``'s owner if that owner is alive, else ``None`` (dead or never)."""
    lease = leases.holder(lease_name(run_id), now=now or wall_now())
    if lease is None:
        return None
    holder = Holder.parse(lease.holder)
    if holder is not None and holder.provably_gone():
        return None
    return lease


class LiveAwareLedger:
    """The store's fault ledger, less the faults of runs whose owner is alive.

    What ``cleanup`` and a drill's start sweep: only a dead owner's leftovers.
    """

    def __init__(self, store: RunStore) -> None:
        self._store = store
        self._leases = Leases(store)
        self.skipped: list[tuple[str, str]] = []
        """``(run_id, proxy)`` left in place because their run is alive."""

    def record_fault_ownership(self, run_id: str, backend_url: str, proxy: str) -> None:
        self._store.record_fault_ownership(run_id, backend_url, proxy)

    def open_fault_ownerships(self) -> list[tuple[str, str, str]]:
        now = wall_now()
        alive: dict[str, bool] = {}
        kept: list[tuple[str, str, str]] = []
        for run_id, url, proxy in self._store.open_fault_ownerships():
            if run_id not in alive:
                alive[run_id] = live_owner(self._leases, run_id, now=now) is not None
            if alive[run_id]:
                self.skipped.append((run_id, proxy))
            else:
                kept.append((run_id, url, proxy))
        return kept

    def clear_fault_ownership(self, run_id: str, proxy: str) -> None:
        self._store.clear_fault_ownership(run_id, proxy)


class RunLease:
    """``async with RunLease(store, run_id):`` own the run while the block runs.

    Entering refuses a run whose owner is alive (:class:`RunBusy`); a heartbeat task renews the
    lease until the block ends, and the lease is released on every way out. A renewal that
    fails (a locked store) is retried at the next beat; the TTL leaves room for several.
    """

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        *,
        ttl: timedelta = LEASE_TTL,
        heartbeat: timedelta = HEARTBEAT,
        now: Now = wall_now,
        on_beat: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.ttl = ttl
        self.heartbeat = heartbeat
        self.now = now
        self.on_beat = on_beat
        """Called at each heartbeat too (the session keeps the simulated clock's reading)."""
        self.holder = new_holder()
        self._leases = Leases(store)
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RunLease:
        name = lease_name(self.run_id)
        current = live_owner(self._leases, self.run_id, now=self.now())
        if current is not None:
            raise RunBusy(
                f"run {self.run_id} is still running (held by {current.holder} until "
                f"{current.expires_at:%H:%M:%S} UTC); resume or clean up only a run whose "
                "harness has stopped"
            )
        if not self._leases.acquire(name, self.holder, now=self.now(), ttl=self.ttl):
            # Held by a process provably gone whose lease has not lapsed yet: take it over.
            self._leases.take_over(name, self.holder, now=self.now(), ttl=self.ttl)
        self._task = asyncio.create_task(self._beat(name), name=f"lease {self.run_id}")
        return self

    async def _beat(self, name: str) -> None:
        while True:
            await asyncio.sleep(self.heartbeat.total_seconds())
            try:
                renewed = await asyncio.to_thread(
                    self._leases.renew, name, self.holder, now=self.now(), ttl=self.ttl
                )
            except StoreError as exc:
                # Not a warning of its own: a store that keeps failing ends the drill with one
                # line, and a passing lock is waited out within the lease's TTL.
                logger.info("run %s: lease not renewed (%s); trying again", self.run_id, exc)
                continue
            if not renewed:
                logger.error("run %s: its lease was taken over by another process", self.run_id)
            if self.on_beat is not None:
                try:
                    await asyncio.to_thread(self.on_beat)
                except StoreError as exc:
                    logger.info("run %s: checkpoint not kept (%s)", self.run_id, exc)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(StoreError):
            self._leases.release(lease_name(self.run_id), self.holder)


class RunBusy(InvalidConfiguration):
    """The run is owned by a live harness: nothing else may touch it."""
