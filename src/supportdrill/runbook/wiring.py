"""Attach a drill's runbook to its run: the failover endpoint's notes and the scripted responder.

Called by the session (the composition root) once the runner exists; everything here talks to
the runner only through its observers and ``emit``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from ..clock import Clock
from ..definitions.model import Drill
from ..desks.base import Desk
from ..run.runner import DrillRunner
from ..secrets import Redactor
from ..timeline import Note
from .oncall import open_oncall
from .responder import ScriptedResponder

if TYPE_CHECKING:
    from .failover import FailoverControl


def _desk_url(desk: Desk) -> str | None:
    from ..desks.simulated import SimulatedDesk

    return desk.base_url if isinstance(desk, SimulatedDesk) else None


@contextlib.asynccontextmanager
async def attach_runbook(
    drill: Drill,
    runner: DrillRunner,
    *,
    desk: Desk,
    clock: Clock,
    redactor: Redactor,
    failover: FailoverControl | None,
    say: Callable[[str], None],
) -> AsyncIterator[ScriptedResponder | None]:
    """While open: failover switches are noted on the timeline, and the runbook's scripted
    responder (if the drill has a runbook file or steps) answers the ticket once it is filed."""

    async def note(text: str, level: str = "info") -> None:
        now = clock.now()
        await runner.emit(Note(at=now, observed_at=now, text=text, level=level))

    if failover is not None:

        async def switched(previous: str, path: str, requester: str) -> None:
            same = " (already the active path: nothing changes)" if previous == path else ""
            await note(
                f"failover: media path {previous} → {path} (requested by {requester}){same}",
                "warning" if same else "info",
            )

        failover.on_switch = switched
        say(f"failover control: {failover.url} (paths {', '.join(failover.spec.paths)})")
    spec = drill.runbook
    if spec is None or spec.script is None:
        yield None
        return
    script = spec.script
    oncall = open_oncall(
        drill.vendor.desk,
        simulated_url=_desk_url(desk),
        responder=script.responder,
        redactor=redactor,
        token_env=spec.responder_token_env,
    )
    responder = ScriptedResponder(
        script,
        oncall,
        clock=clock,
        note=note,
        failover_url=failover.url if failover is not None else None,
    )
    runner.observers.append(responder.on_event)
    say(f"scripted responder: runbook {script.name!r} ({len(script.steps)} steps, {script.source})")
    try:
        yield responder
    finally:
        await responder.close()


__all__ = ["attach_runbook"]
