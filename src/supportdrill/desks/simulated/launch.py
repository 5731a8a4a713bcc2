"""Starting the simulated desk: the one place, with the one set of defaults.

The defaults' values (persona, zone, hours, rate) are defined in
:mod:`supportdrill.definitions.personas`, which has no dependencies, so the command line lists
them without loading the desk; every start takes them through :class:`DeskLaunch`.

``supportdrill run`` (and ``demo``), ``supportdrill desk check`` and ``supportdrill desk serve``
all start the simulated desk through :func:`launch`, from a :class:`DeskLaunch`:

- :meth:`DeskLaunch.for_drill` reads a drill: its desk settings (``persona``, ``timezone``,
  ``hours``, ``delay_<step>``, ``scale``, ``simulated_start``, ``rate``), the vendor's time zone
  when the desk names none, and the public holidays (and make-up workdays) the drill's coverage
  names. ``run`` and ``desk check`` therefore start the same desk.
- ``desk serve`` builds one from its options, with the same defaults.

Simulated time: with a start (``simulated_start`` or ``--simulate-at``), :meth:`DeskLaunch.clock`
is an :class:`~supportdrill.clock.AcceleratedClock` and the start is **the moment the ticket is
filed**. The stream and fault phases before filing play in real time and take as long as they
take, so the clock starts a little earlier (:func:`filing_lead`) and the runner moves it forward
to the start exactly when it files (``DrillRunner(file_at=...)``). "Filed at 17:55 on a Friday"
is then filed at 17:55:00, whatever the rate.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from ...clock import AcceleratedClock, Clock, RealClock
from ...definitions.durations import DurationError, parse_duration
from ...definitions.model import Drill
from ...definitions.personas import (
    BUSINESS_HOURS,
    DEFAULT_PERSONA,
    DEFAULT_RATE,
    DEFAULT_TIMEZONE,
    PERSONA_NAMES,
)
from ...errors import InvalidConfiguration
from .hours import HolidayRules
from .personas import build_personas

if TYPE_CHECKING:
    from .server import SimulatedDeskServer

MAX_RATE = 1_000_000.0
"""A million simulated seconds a second (11 days): beyond that, wall-clock jitter of a
millisecond is a quarter of an hour of simulated time, and no figure means anything."""

_STREAM_LEAD = timedelta(seconds=45)
"""Real time the stream may take before the fault is confirmed: connecting (ICE, DTLS), the
runner's baseline window (20 s) and slack. The degradation window is added per drill."""
_LEAD_SLACK = timedelta(seconds=5)
"""Real time the steps before filing take without a stream (preflight, store writes)."""


@dataclass(frozen=True)
class DeskLaunch:
    """Everything the simulated desk is started with. The defaults here are the only ones."""

    persona: str = DEFAULT_PERSONA
    timezone: str = DEFAULT_TIMEZONE
    hours: str = BUSINESS_HOURS
    """The ``business-hours-only`` persona's weekly hours in ``timezone``."""
    holidays: HolidayRules = field(default_factory=HolidayRules)
    delays: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    """The persona's step delays that differ from its script, in seconds."""
    scale: float = 1.0
    start: datetime | None = None
    """Simulated time: when the ticket is filed (None: the real clock)."""
    rate: float = DEFAULT_RATE

    def __post_init__(self) -> None:
        if self.persona not in PERSONA_NAMES:
            raise InvalidConfiguration(
                f"simulated desk: unknown persona {self.persona!r}; "
                f"choose one of {', '.join(PERSONA_NAMES)}"
            )
        if not (math.isfinite(self.rate) and 0 < self.rate <= MAX_RATE):
            raise InvalidConfiguration(
                f"simulated desk: the rate must be a number above 0 and at most {MAX_RATE:g}, "
                f"got {self.rate!r}"
            )
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise InvalidConfiguration(
                f"simulated desk: the scale must be a positive number, got {self.scale!r}"
            )
        if self.start is not None and self.start.tzinfo is None:
            raise InvalidConfiguration("simulated desk: the start needs a UTC offset")
        try:
            # Built once here so a bad zone, hours or step name is refused before anything
            # starts (the server builds them again from the same settings).
            build_personas(
                timezone=self.timezone,
                hours=self.hours,
                scale=self.scale,
                delays={self.persona: dict(self.delays)} if self.delays else None,
                holidays=self.holidays,
            )
        except ValueError as exc:
            raise InvalidConfiguration(f"simulated desk: {exc}") from exc

    @classmethod
    def for_drill(
        cls, drill: Drill, *, start: str | None = None, rate: float | None = None
    ) -> DeskLaunch:
        """The desk a drill's ``desk: {kind: simulated, ...}`` describes; ``start`` and ``rate``
        (``--simulate-at``, ``--rate``) override the drill's ``simulated_start`` and ``rate``."""
        settings = drill.vendor.desk.settings
        persona = settings.get("persona", DEFAULT_PERSONA)
        start_text = start or settings.get("simulated_start")
        return cls(
            persona=persona,
            timezone=settings.get("timezone", drill.vendor.timezone),
            hours=settings.get("hours", BUSINESS_HOURS),
            # The persona keeps the public holidays the drill's coverage names.
            holidays=HolidayRules.of(drill.vendor.coverage.values()),
            delays=MappingProxyType(_delays(settings)),
            scale=_number(settings, "scale", 1.0),
            start=parse_start(start_text) if start_text else None,
            rate=rate if rate is not None else _number(settings, "rate", DEFAULT_RATE),
        )

    def clock(self, lead: timedelta | None = None) -> Clock:
        """The desk's (and the drill's) clock: real without a start; else accelerated.

        With a ``lead`` (a drill about to run) it starts ``lead`` before :attr:`start` at rate
        1, and the runner files exactly at :attr:`start` and then runs it at :attr:`rate`
        (``DrillRunner(file_at=..., rate_after_filing=...)``). Without one (``desk serve``, a
        resumed run) it starts at :attr:`start` at :attr:`rate`."""
        if self.start is None:
            return RealClock()
        try:
            if lead is not None:
                return AcceleratedClock(self.start - lead, 1.0)
            return AcceleratedClock(self.start, self.rate)
        except OverflowError as exc:
            raise InvalidConfiguration(
                f"simulated start {self.start.isoformat()} is too near the end of time"
            ) from exc


def parse_start(text: str) -> datetime:
    """An ISO 8601 time with its UTC offset, e.g. ``2026-11-20T17:55:00+07:00``."""
    try:
        start = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidConfiguration(f"simulated start {text!r} is not an ISO time") from exc
    if start.tzinfo is None:
        raise InvalidConfiguration(f"simulated start {text!r} needs a UTC offset, e.g. +07:00")
    # Room for a drill of years on either side: no date arithmetic may overflow later.
    if not 1971 <= start.year <= 9000:
        raise InvalidConfiguration(f"simulated start {text!r}: choose a year from 1971 to 9000")
    return start


def _number(settings: Mapping[str, str], key: str, default: float) -> float:
    text = settings.get(key)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidConfiguration(f"desk.{key} {text!r} is not a number") from exc


def _delays(settings: Mapping[str, str]) -> dict[str, float]:
    """``delay_first_human: 20m`` in the desk settings → ``{"first_human": 1200.0}``."""
    delays: dict[str, float] = {}
    for key, value in settings.items():
        if key.startswith("delay_"):
            try:
                delays[key.removeprefix("delay_")] = parse_duration(value).total_seconds()
            except DurationError as exc:
                raise InvalidConfiguration(f"desk.{key}: {exc}") from exc
    return delays


def filing_lead(drill: Drill) -> timedelta:
    """How much simulated time before its filing moment a drill's clock starts: the grace
    window (``file_after``) and the real time the steps before it may take (they play at rate
    1). Time set aside but not used is skipped when the ticket is filed; if the steps take
    longer, the ticket is filed late and the run's timeline says by how much."""
    lead = drill.ticket.file_after + _LEAD_SLACK
    if drill.stream is not None:
        lead += _STREAM_LEAD
        if drill.fault is not None:
            lead += drill.fault.expect_degraded_within
    return lead


def launch(
    spec: DeskLaunch,
    *,
    clock: Clock | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    state_path: str | Path | None = None,
    token: str | None = None,
) -> SimulatedDeskServer:
    """The simulated desk ``spec`` describes, ready for ``async with`` (which starts it).

    ``clock`` is shared with the runner; without one the desk uses ``spec.clock()``.
    """
    from .server import SimulatedDeskServer  # aiohttp: loaded to serve, not to check a drill

    return SimulatedDeskServer(
        persona=spec.persona,
        clock=clock if clock is not None else spec.clock(),
        timezone=spec.timezone,
        hours=spec.hours,
        scale=spec.scale,
        delays={spec.persona: dict(spec.delays)} if spec.delays else None,
        holidays=spec.holidays,
        state_path=state_path,
        token=token,
        host=host,
        port=port,
    )


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def check_listen(host: str, port: int) -> None:
    """Refuse anything but a loopback host and a port number (0: any free port).

    The simulated desk is a test double with a fixed token: it never listens beyond this
    machine."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host in LOOPBACK_NAMES
    if not loopback:
        raise InvalidConfiguration(
            f"simulated desk: host {host!r} is not a loopback address; it listens on "
            "127.0.0.1 (or ::1) only"
        )
    if not 0 <= port <= 65535:
        raise InvalidConfiguration(f"simulated desk: port {port} is not 0-65535")


async def serve(
    spec: DeskLaunch,
    *,
    host: str = "127.0.0.1",
    port: int = 8480,
    state_path: str | Path | None = None,
    token: str | None = None,
    clock: Clock | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the simulated desk until cancelled (``supportdrill desk serve``).

    ``ready`` is called with the base URL once it listens, carrying the port actually bound
    (with ``port=0``, the one the system picked): print it from there, not before.
    """
    import asyncio

    check_listen(host, port)
    async with launch(
        spec, clock=clock, host=host, port=port, state_path=state_path, token=token
    ) as server:
        if ready is not None:
            ready(server.url)
        await asyncio.Event().wait()


async def serve_desk(
    host: str = "127.0.0.1",
    port: int = 8480,
    *,
    persona: str = DEFAULT_PERSONA,
    timezone: str = DEFAULT_TIMEZONE,
    hours: str = BUSINESS_HOURS,
    holidays: HolidayRules | None = None,
    scale: float = 1.0,
    state_path: str | Path | None = None,
    token: str | None = None,
    clock: Clock | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """:func:`serve` with the settings as keywords."""
    spec = DeskLaunch(
        persona=persona,
        timezone=timezone,
        hours=hours,
        holidays=holidays or HolidayRules(),
        scale=scale,
    )
    await serve(
        spec, host=host, port=port, state_path=state_path, token=token, clock=clock, ready=ready
    )


def describe(spec: DeskLaunch) -> str:
    """One line: the persona and when its people work."""
    holidays = spec.holidays.country or "none"
    if spec.holidays.subdivision:
        holidays += f"/{spec.holidays.subdivision}"
    if spec.holidays.extra:
        holidays += f" + {len(spec.holidays.extra)} listed day(s)"
    hours = spec.hours if spec.persona == "business-hours-only" else "24x7"
    return f"persona {spec.persona}, {spec.timezone}, hours {hours}, holidays {holidays}"


async def check_embedded(spec: DeskLaunch, *, clock: Clock | None = None) -> list[str]:
    """``desk check`` for a drill's embedded simulated desk: start one exactly as ``run`` would
    (:func:`launch`), sign in, read its persona and clock, and file nothing."""
    from .client import SimulatedDesk

    async with launch(spec, clock=clock) as server:
        desk = SimulatedDesk(server.url)
        try:
            lines = await desk.check()
        finally:
            await desk.close()
    started = f", simulated time filing at {spec.start.isoformat()}" if spec.start else ""
    return [
        f"simulated: embedded desk ({describe(spec)}{started}); the runner starts one per run "
        "the same way, and a temporary one was checked; nothing was filed",
        *lines,
    ]


__all__ = [
    "DEFAULT_PERSONA",
    "DEFAULT_RATE",
    "DEFAULT_TIMEZONE",
    "DeskLaunch",
    "check_embedded",
    "describe",
    "filing_lead",
    "launch",
    "parse_start",
    "serve",
    "serve_desk",
]
