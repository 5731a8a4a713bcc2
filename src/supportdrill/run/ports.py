"""What the runner needs from the fault layer and the test stream, as small protocols.

The runner talks to each seam only through these; :mod:`supportdrill.run.wiring` adapts the real
packages to them, and tests can pass their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..definitions.model import Drill
    from ..measure.load import SurgeFigures, WindowFigures
    from ..timeline import Event, Timeline
    from ..vocabulary import TicketDraft


@dataclass(frozen=True)
class AppliedFault:
    """What was injected, for the ``fault.injected`` event and the ticket."""

    profile: str
    region: str = ""
    symptom: str = ""
    toxics: tuple[str, ...] = ()
    degraded_within: timedelta = timedelta(seconds=10)
    """How soon the stream must look degraded, or the fault did not take."""


class FaultControl(Protocol):
    """The drill's fault: inject once, lift once; ``close`` removes and verifies on every path."""

    async def inject(self) -> AppliedFault: ...

    async def lift(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class StreamObservation:
    """One health sample, already judged against the scenario's thresholds."""

    metrics: Mapping[str, float]
    healthy: bool
    transition: str | None = None
    """``"degraded"`` or ``"recovered"`` when this sample changed the judged state."""
    reasons: tuple[str, ...] = field(default_factory=tuple)


class StreamControl(Protocol):
    """The test stream, sampled at a fixed interval."""

    interval_s: float

    async def start(self) -> None: ...

    async def sample(self) -> StreamObservation: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class LoadObservation:
    """One window of a viewer surge, already judged against the drill's load thresholds."""

    window_s: float
    users: int
    watching: int
    figures: WindowFigures
    totals: SurgeFigures
    """The surge so far."""
    healthy: bool = True
    problems: tuple[str, ...] | None = None
    """What is wrong with this window; ``None``: too few joins to judge."""
    transition: str | None = None
    """``"degraded"`` or ``"recovered"`` when this window changed the judged state."""


class LoadControl(Protocol):
    """A viewer surge: a fault of its own kind, sampled at a fixed interval."""

    interval_s: float

    async def prepare(self) -> None:
        """Get ready without load (before the baseline: starting up is not the surge)."""
        ...

    async def start(self) -> AppliedFault: ...

    async def sample(self) -> LoadObservation: ...

    async def lift(self) -> None:
        """Begin the ramp down."""
        ...

    async def close(self) -> SurgeFigures:
        """End the surge on every path; its figures."""
        ...


def idempotency_key(run_id: str) -> str:
    """The tag that marks this run's ticket on the desk; the same across crash and resume."""
    return f"supportdrill-{run_id.lower()}"


class TicketComposer(Protocol):
    """Renders the ticket from what the drill saw so far (the reports' ``render_ticket``)."""

    def __call__(
        self, drill: Drill, timeline: Timeline, *, run_id: str, now: datetime
    ) -> TicketDraft: ...


class StatusSource(Protocol):
    """The vendor's public status page, read now and then during the drill."""

    async def poll(self, *, t0: datetime, since: datetime) -> list[Event]:
        """Events for incidents not reported before, created after ``since``; those at or
        before ``t0`` (the ticket's creation) are proactive contact."""
        ...
