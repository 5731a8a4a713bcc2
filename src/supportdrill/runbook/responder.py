"""The scripted responder: plays the person paged, following a runbook file step by step.

It starts when the drill's ticket is filed (it watches the runner's events as an observer), waits
each step's ``after``, then acts: acknowledges, comments and resolves on the desk through
:mod:`.oncall`, and fails the stream over through the harness's control endpoint
(:mod:`.failover`). What it does and what fails is noted on the drill's timeline, so a report
(and a JUnit failure's excerpt) shows which step broke. A failed step does not stop it: a person
would carry on with the runbook, and the drill judges whether the stream came back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import httpx

from ..clock import Clock
from ..definitions.runbook import Runbook, RunbookStep, StepKind
from ..errors import DeskError, StreamError
from ..timeline import Event, TicketFiled, Timeline
from .oncall import OnCall

logger = logging.getLogger(__name__)

Say = Callable[[str, str], Awaitable[None]]
"""``(text, level)``: how the responder notes what it did on the drill's timeline."""


class ScriptedResponder:
    """``runner.observers.append(responder.on_event)``; ``await responder.close()`` at the end."""

    def __init__(
        self,
        runbook: Runbook,
        oncall: OnCall,
        *,
        clock: Clock,
        note: Say,
        failover_url: str | None = None,
    ) -> None:
        self.runbook = runbook
        self.oncall = oncall
        self.clock = clock
        self.note = note
        self.failover_url = failover_url
        self.done: list[tuple[int, StepKind, bool]] = []
        """``(step number, kind, succeeded)`` for each step taken."""
        self._task: asyncio.Task[None] | None = None

    def on_event(self, event: Event, timeline: Timeline) -> None:
        if isinstance(event, TicketFiled) and self._task is None:
            self._task = asyncio.create_task(self.follow(event.ticket_id), name="responder")

    async def follow(self, ticket_id: str) -> None:
        """Every step of the runbook against ``ticket_id``, in order."""
        book = self.runbook
        await self.note(
            f"runbook {book.name!r}: {book.responder} paged ({len(book.steps)} steps)", "info"
        )
        for number, step in enumerate(book.steps, 1):
            await self.clock.sleep(step.after.total_seconds())
            label = f"runbook step {number} ({step.kind.value}"
            label += f" {step.path})" if step.path else ")"
            try:
                detail = await self._take(step, ticket_id)
            except (DeskError, StreamError) as exc:
                self.done.append((number, step.kind, False))
                await self.note(f"{label} failed: {exc}", "warning")
                continue
            self.done.append((number, step.kind, True))
            await self.note(f"{label}: {detail}", "info")

    async def _take(self, step: RunbookStep, ticket_id: str) -> str:
        if step.kind is StepKind.ACKNOWLEDGE:
            await self.oncall.acknowledge(ticket_id, step.text)
            return "acknowledged"
        if step.kind is StepKind.COMMENT:
            await self.oncall.comment(ticket_id, step.text)
            return "commented"
        if step.kind is StepKind.RESOLVE:
            await self.oncall.resolve(ticket_id, step.text)
            return "resolved on the desk"
        return await self._failover(step.path)

    async def _failover(self, path: str) -> str:
        if self.failover_url is None:
            raise StreamError("no failover endpoint: the drill has no runbook.failover")
        url = f"{self.failover_url}/failover"
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                answer = await client.post(url, json={"path": path})
        except httpx.HTTPError as exc:
            raise StreamError(f"POST {url}: {exc}") from exc
        if answer.status_code != 200:
            raise StreamError(f"POST {url} answered {answer.status_code}: {answer.text[:200]}")
        return f"POST /failover → 200, media path now {answer.json().get('active')!r}"

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.oncall.close()


__all__ = ["ScriptedResponder"]
