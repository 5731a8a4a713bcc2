"""The rollback guard: a drill's proxies and toxics are its own, and never outlive it.

:class:`FaultSession` names every proxy it makes ``sd-<run_id>-<role>`` and records it in the
store's ledger *before* creating it, so a crash between the two still leaves a record. It
applies a :class:`~supportdrill.definitions.faults.FaultPlan` phase by phase, and on every way out
(normal end, exception, cancellation, which is what SIGTERM becomes) deletes its proxies and
reads the server back to prove they are gone. :func:`cleanup_leftovers` does the same for the
records a killed harness left behind (``supportdrill cleanup``, and the next drill's start).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol as TypingProtocol

from ..clock import Clock, RealClock
from ..definitions.faults import DOWN, FaultPhase, FaultPlan, PhaseKind, ToxicPlan
from ..definitions.toxics import AttributeValue, Transport
from ..errors import FaultError, FaultRejected, InvalidConfiguration
from .base import FaultBackend, ProxyState, ToxicSpec

logger = logging.getLogger(__name__)

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class FaultLedger(TypingProtocol):
    """Where ownership of proxies is recorded; the run store implements it (sync calls)."""

    def record_fault_ownership(self, run_id: str, backend_url: str, proxy: str) -> None: ...

    def open_fault_ownerships(self) -> list[tuple[str, str, str]]:
        """``(run_id, backend_url, proxy)`` for every proxy not yet cleared."""
        ...

    def clear_fault_ownership(self, run_id: str, proxy: str) -> None: ...


def owned_prefix(run_id: str) -> str:
    if not _RUN_ID.fullmatch(run_id):
        raise InvalidConfiguration(f"run id {run_id!r}: use letters, digits, '.', '_' or '-'")
    return f"sd-{run_id}-"


async def _delete_verified(backend: FaultBackend, proxy: str) -> None:
    try:
        await backend.delete_proxy(proxy)
    except FaultRejected as exc:
        if exc.status != 404:  # already gone is what we want
            raise
        if await backend.proxy(proxy) is not None:
            raise


Desired = dict[tuple[str, str], ToxicSpec]


class FaultSession:
    """``async with FaultSession(backend, run_id=..., ledger=...) as faults:``."""

    def __init__(
        self,
        backend: FaultBackend,
        *,
        run_id: str,
        ledger: FaultLedger,
        clock: Clock | None = None,
    ) -> None:
        self.backend = backend
        self.run_id = run_id
        self.prefix = owned_prefix(run_id)
        self.ledger = ledger
        self.clock: Clock = clock or RealClock()
        self.proxies: dict[str, ProxyState] = {}
        self.changes: list[tuple[datetime, str]] = []
        """When each phase step took effect, for the timeline."""
        self.failure: BaseException | None = None
        self._applied: Desired = {}
        self._down: set[str] = set()
        self._clean: set[str] = set()
        """Proxies the plan never touches (``add_proxy(..., faulted=False)``)."""
        self._task: asyncio.Task[None] | None = None
        self._owned: list[str] = []
        """Every proxy name this session created or tried to, verified or not."""

    async def __aenter__(self) -> FaultSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # A second cancellation must not cut the cleanup short: it runs as its own task.
        cleanup = asyncio.ensure_future(self.close())
        cancelled = False
        while not cleanup.done():
            try:
                await asyncio.shield(cleanup)
            except asyncio.CancelledError:
                cancelled = True
        cleanup.result()
        if cancelled and exc_type is None:
            raise asyncio.CancelledError

    # -- proxies -----------------------------------------------------------------------------

    async def add_proxy(
        self,
        role: str,
        upstream: str,
        *,
        transport: Transport | str = Transport.TCP,
        listen: str = "127.0.0.1:0",
        faulted: bool = True,
    ) -> ProxyState:
        """A proxy of this run's in front of ``upstream``; point the direction at its ``listen``.

        ``faulted=False`` keeps the fault plan's toxics off it (a clean backup path a runbook can
        fail over to); it is still this run's, deleted and verified like the others."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", role):
            raise InvalidConfiguration(f"proxy role {role!r}: use lower-case letters and digits")
        name = self.prefix + role
        transport = Transport(transport)
        home = self.backend.home_of(transport)
        if home is not None:
            self.ledger.record_fault_ownership(self.run_id, home, name)
        # Owned from here on, whatever the create answers: a server that took the proxy but
        # holds it wrongly (a real Toxiproxy asked for UDP makes TCP) must still see it deleted.
        self._owned.append(name)
        state = await self.backend.create_proxy(name, listen, upstream, transport)
        self.proxies[name] = state
        if not faulted:
            self._clean.add(name)
        return state

    async def retarget(self, name: str, upstream: str) -> ProxyState:
        """Point one of this run's proxies at a new ``upstream`` (verified), in place: its
        toxics stay in force, and a proxy the plan has taken down stays down."""
        if name not in self.proxies:
            raise FaultError(f"retarget {name!r}: not a proxy of run {self.run_id}")
        state = await self.backend.update_proxy(
            name, upstream=upstream, enabled=name not in self._down
        )
        self.proxies[name] = state
        return state

    # -- the plan ----------------------------------------------------------------------------

    async def apply(self, plan: FaultPlan) -> None:
        """Put the plan's first step in place (verified), then run the rest in the background."""
        if self._task is not None:
            raise FaultError("a fault plan is already applied; lift it first")
        if not self.proxies:
            raise FaultError("no proxies to apply the fault to: call add_proxy first")
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.ensure_future(self._run(plan.phases, first))
        await asyncio.wait([first, self._task], return_when=asyncio.FIRST_COMPLETED)
        if self._task.done() and not first.done():
            self._task.result()  # the first step failed: raise why
        await first

    async def _run(self, phases: tuple[FaultPhase, ...], first: asyncio.Future[None]) -> None:
        async def step(toxics: tuple[ToxicPlan, ...], fraction: float, what: str) -> None:
            await self._converge(toxics, fraction)
            self.changes.append((self.clock.now(), what))
            if not first.done():
                first.set_result(None)

        try:
            for index, phase in enumerate(phases):
                label = f"phase {index + 1} {phase.kind}"
                duration = phase.duration.total_seconds() if phase.duration else None
                if phase.kind is PhaseKind.RAMP:
                    assert duration is not None
                    for n in range(1, phase.steps + 1):
                        await step(phase.toxics, n / phase.steps, f"{label} step {n}")
                        await self.clock.sleep(duration / phase.steps)
                elif phase.kind is PhaseKind.FLAP:
                    assert phase.period is not None
                    half, elapsed, on = phase.period.total_seconds() / 2, 0.0, True
                    while duration is None or elapsed < duration:
                        await step(
                            phase.toxics if on else (), 1.0, f"{label} {'on' if on else 'off'}"
                        )
                        await self.clock.sleep(half)
                        elapsed, on = elapsed + half, not on
                else:
                    await step(phase.toxics, 1.0, label)
                    if duration is None:
                        await asyncio.Event().wait()  # until lift(): hold until the event
                    else:
                        await self.clock.sleep(duration)
            await step((), 1.0, "plan finished")
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self.failure = exc
            raise

    def _desired(self, toxics: tuple[ToxicPlan, ...], fraction: float) -> tuple[Desired, set[str]]:
        desired: Desired = {}
        down: set[str] = set()
        for proxy in self.proxies.values():
            if proxy.name in self._clean:
                continue
            for index, plan in enumerate(toxics):
                if plan.transport is not proxy.transport:
                    continue
                if plan.type == DOWN:
                    down.add(proxy.name)
                    continue
                attributes: Mapping[str, AttributeValue] = plan.at(fraction)
                for direction in plan.directions:
                    name = f"sd-{index}-{plan.type}-{direction}"
                    spec = ToxicSpec(name, plan.type, direction, plan.toxicity, attributes)
                    desired[(proxy.name, name)] = spec
        return desired, down

    async def _converge(self, toxics: tuple[ToxicPlan, ...], fraction: float) -> None:
        desired, down = self._desired(toxics, fraction)
        for key in [k for k in self._applied if k not in desired]:
            await self.backend.remove_toxic(*key)
            del self._applied[key]
        for key, spec in desired.items():
            held = self._applied.get(key)
            if held == spec:
                continue
            if held is None:
                await self.backend.add_toxic(key[0], spec)
            else:
                await self.backend.update_toxic(key[0], spec)
            self._applied[key] = spec
        for name in self.proxies:
            if (name in down) != (name in self._down):
                await self.backend.set_enabled(name, name not in down)
        self._down = down

    async def lift(self) -> None:
        """Stop the plan and remove every toxic it put in place (verified); proxies stay."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._converge((), 1.0)
        self.changes.append((self.clock.now(), "lifted"))

    async def close(self) -> None:
        """Lift, then delete this run's proxies and clear their records; verified."""
        errors: list[BaseException] = []
        try:
            await self.lift()
        except FaultError as exc:
            errors.append(exc)
        for name in list(self._owned):
            try:
                await _delete_verified(self.backend, name)
            except FaultError as exc:
                errors.append(exc)
                continue  # the record stays, so cleanup_leftovers can try again
            self._owned.remove(name)
            self.proxies.pop(name, None)
            self.ledger.clear_fault_ownership(self.run_id, name)
        if errors:
            raise FaultError(f"could not remove every fault of run {self.run_id}: {errors[0]}")


@dataclass(frozen=True)
class Leftovers:
    """What :func:`cleanup_leftovers` did: proxies removed, and those whose server failed."""

    removed: tuple[str, ...] = ()
    not_removed: tuple[str, ...] = ()
    """Their records stay in the ledger, so the next cleanup tries again."""


async def cleanup_leftovers(
    ledger: FaultLedger, backend_for_url: Callable[[str], FaultBackend]
) -> Leftovers:
    """Delete every proxy the ledger still holds (from a crashed run), server by server.

    A server that fails (gone, refusing) keeps its records and does not stop the others.
    """
    by_url: dict[str, list[tuple[str, str]]] = {}
    for run_id, url, proxy in ledger.open_fault_ownerships():
        by_url.setdefault(url, []).append((run_id, proxy))
    removed: list[str] = []
    not_removed: list[str] = []
    for url, owned in by_url.items():
        backend = backend_for_url(url)
        try:
            for index, (run_id, proxy) in enumerate(owned):
                try:
                    await _delete_verified(backend, proxy)
                except FaultError as exc:
                    logger.info("fault server %s: %s", url, exc)
                    not_removed.extend(name for _, name in owned[index:])
                    break
                ledger.clear_fault_ownership(run_id, proxy)
                removed.append(proxy)
        finally:
            await backend.aclose()
    return Leftovers(tuple(removed), tuple(not_removed))
