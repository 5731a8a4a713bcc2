"""Personas: the scripted behaviour of a simulated vendor desk, and the pure function that plays it.

A persona is a list of :class:`Step` s. When a ticket is filed at T, each step lands at the
previous step's time plus its delay — counted in the persona's coverage hours for steps a human
takes, in calendar time for automations. A step that ``waits_for_customer`` (``asks-for-logs``)
holds the rest of the script until the customer's next comment; the steps after it are timed from
that comment. :func:`play` turns (persona, filing time, customer comment times) into the dated
script; the server shows a requester only the entries dated at or before its clock's ``now``, so
a :class:`~supportdrill.timeline.VirtualClock` plays days of vendor behaviour instantly.

Delays are seconds of (simulated) time; :meth:`Persona.scaled` shrinks a whole script for a demo
on a real clock, :meth:`Persona.with_delays` sets single steps.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...clock import require_aware
from ...definitions.model import Coverage
from ...definitions.personas import BUSINESS_HOURS as BUSINESS_HOURS
from ...definitions.personas import PERSONA_NAMES as PERSONA_NAMES
from ...definitions.tiers import parse_coverage
from .hours import HolidayRules, business_add


class Actor(enum.StrEnum):
    """Who takes a step: a person (delays in coverage hours) or an automation (calendar time)."""

    AGENT = "agent"
    BOT = "bot"


@dataclass(frozen=True)
class Step:
    """One scripted thing the vendor does."""

    name: str
    delay_s: float
    """Seconds after the previous step (or after the customer's answer, following a wait)."""
    actor: Actor
    body: str = ""
    """The public comment; empty for a status change alone. ``{subject}``, ``{ticket_id}``,
    ``{hours}`` and ``{timezone}`` are filled in."""
    status: str | None = None
    """The ticket status from this step on (Zendesk's new/open/pending/hold/solved/closed)."""
    waits_for_customer: bool = False

    def __post_init__(self) -> None:
        if not (self.delay_s >= 0 and math.isfinite(self.delay_s)):
            raise ValueError(f"step {self.name!r}: delay must be a finite number ≥ 0")


@dataclass(frozen=True)
class Persona:
    """A vendor desk's behaviour: its steps and when its people work."""

    name: str
    description: str
    steps: tuple[Step, ...]
    coverage: Coverage
    agent_name: str = "Dewi Lestari (L2 Support)"
    bot_name: str = "Support Desk (automated)"

    def scaled(self, factor: float) -> Persona:
        """Every delay multiplied by ``factor`` (coverage openings are not: they are the clock)."""
        if not (factor > 0 and math.isfinite(factor)):
            raise ValueError(f"scale must be a positive number, got {factor!r}")
        return replace(
            self, steps=tuple(replace(step, delay_s=step.delay_s * factor) for step in self.steps)
        )

    def with_delays(self, delays: Mapping[str, float]) -> Persona:
        """Set the delay of named steps; an unknown step name is a ``ValueError``."""
        known = {step.name for step in self.steps}
        unknown = sorted(set(delays) - known)
        if unknown:
            raise ValueError(
                f"persona {self.name!r} has no step {unknown[0]!r} (its steps: "
                f"{', '.join(sorted(known)) or 'none'})"
            )
        return replace(
            self,
            steps=tuple(
                replace(step, delay_s=float(delays.get(step.name, step.delay_s)))
                for step in self.steps
            ),
        )


@dataclass(frozen=True)
class Scripted:
    """A step of the script, dated."""

    index: int
    step: Step
    at: datetime


def _whole_second_after(moment: datetime) -> datetime:
    # The desk shows whole seconds, like Zendesk; rounding up keeps "visible at now" and
    # "dated no later than now" the same thing.
    if moment.microsecond == 0:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def play(
    persona: Persona, filed_at: datetime, customer_comments: Sequence[datetime] = ()
) -> tuple[Scripted, ...]:
    """The persona's script for a ticket filed at ``filed_at``, as far as it can be known.

    The script stops after a waiting step that no later customer comment has answered yet.
    """
    require_aware(filed_at, "filed_at")
    answers = sorted(customer_comments)
    played: list[Scripted] = []
    previous = filed_at
    for index, step in enumerate(persona.steps):
        if step.actor is Actor.AGENT:
            at = business_add(persona.coverage, previous, step.delay_s)
        else:
            at = previous + timedelta(seconds=step.delay_s)
        at = _whole_second_after(at)
        played.append(Scripted(index, step, at))
        previous = at
        if step.waits_for_customer:
            answer = next((moment for moment in answers if moment >= at), None)
            if answer is None:
                break
            previous = answer
    return tuple(played)


# --------------------------------------------------------------------------------------------
# The built-in personas

MINUTE = 60.0
HOUR = 3600.0

_ACK = (
    "Thank you for contacting support. Your request #{ticket_id} ({subject}) has been received "
    "and an agent will respond as soon as possible. This is an automated message."
)
_ACK_HOURS = (
    "Thank you for contacting support. We have received your request #{ticket_id}. Our support "
    "team works {hours} ({timezone}); we will answer when we are next open. This is an "
    "automated message."
)
_TRIAGE = (
    "Hi, this is {agent} from the support team. I'm looking at #{ticket_id} now: we see elevated "
    "packet loss on the edge serving that region and are checking the affected sessions."
)
_UPDATE = (
    "Update on #{ticket_id}: we traced the degradation to a congested upstream link and are "
    "rerouting traffic. Next update within the hour."
)
_SOLVE = (
    "Traffic has been rerouted and stream quality is back to normal. I'm marking #{ticket_id} "
    "as solved; reply here if you still see problems."
)
_ASK = (
    "Hi, {agent} here. Before we can investigate #{ticket_id} we need more information: please "
    "send the browser console logs, a chrome://webrtc-internals dump and the affected stream IDs."
)
_THANKS = "Thanks for the logs. We can reproduce the problem on our side and are working on a fix."


def _steps(name: str) -> tuple[Step, ...]:
    bot, agent = Actor.BOT, Actor.AGENT
    if name == "responsive-24x7":
        return (
            Step("ack", 20, bot, _ACK),
            Step("first_human", 6 * MINUTE, agent, _TRIAGE, status="open"),
            Step("update", 20 * MINUTE, agent, _UPDATE),
            Step("solve", 25 * MINUTE, agent, _SOLVE, status="solved"),
        )
    if name == "business-hours-only":
        return (
            Step("ack", 5, bot, _ACK_HOURS),
            Step("first_human", 12 * MINUTE, agent, _TRIAGE, status="open"),
            Step("update", 45 * MINUTE, agent, _UPDATE),
            Step("solve", 2 * HOUR, agent, _SOLVE, status="solved"),
        )
    if name == "auto-ack-only":
        return (Step("ack", 10, bot, _ACK),)
    if name == "slow":
        return (
            Step("ack", 2 * MINUTE, bot, _ACK),
            Step("first_human", 3 * HOUR, agent, _TRIAGE, status="open"),
            Step("update", 5 * HOUR, agent, _UPDATE),
            Step("solve", 20 * HOUR, agent, _SOLVE, status="solved"),
        )
    if name == "asks-for-logs":
        return (
            Step("ack", 15, bot, _ACK),
            Step("ask", 8 * MINUTE, agent, _ASK, status="pending", waits_for_customer=True),
            Step("first_human_after_logs", 10 * MINUTE, agent, _THANKS, status="open"),
            Step("solve", 30 * MINUTE, agent, _SOLVE, status="solved"),
        )
    if name == "silent":
        return ()
    raise ValueError(f"unknown persona {name!r}; choose one of {', '.join(PERSONA_NAMES)}")


_DESCRIPTIONS = {
    "responsive-24x7": "7x24 team: an automatic acknowledgement, a human in minutes, solved in ~1h",
    "business-hours-only": "humans only inside its hours; outside them an automatic reply, then "
    "the human reply after the next opening",
    "auto-ack-only": "an automatic acknowledgement, then nothing",
    "slow": "7x24 in name: a human after hours, solved the next day",
    "asks-for-logs": "asks for logs first and waits for the customer's answer before helping",
    "silent": "never answers",
}


def builtin_persona(
    name: str,
    *,
    timezone: str = "Asia/Jakarta",
    hours: str = BUSINESS_HOURS,
    scale: float = 1.0,
    delays: Mapping[str, float] | None = None,
    holidays: HolidayRules | None = None,
) -> Persona:
    """A built-in persona. ``hours`` is the ``business-hours-only`` coverage in ``timezone``,
    minus ``holidays``; the others staff 7x24. ``scale`` multiplies every delay, then ``delays``
    sets named steps."""
    steps = _steps(name)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r} (use an IANA name)") from exc
    if name == "business-hours-only":
        coverage = (holidays or HolidayRules()).apply(parse_coverage(hours, timezone=timezone))
    else:
        coverage = Coverage.twenty_four_seven(timezone)
    persona = Persona(name=name, description=_DESCRIPTIONS[name], steps=steps, coverage=coverage)
    if scale != 1.0:
        persona = persona.scaled(scale)
    return persona.with_delays(delays) if delays else persona


def build_personas(
    *,
    timezone: str = "Asia/Jakarta",
    hours: str = BUSINESS_HOURS,
    scale: float = 1.0,
    delays: Mapping[str, Mapping[str, float]] | None = None,
    holidays: HolidayRules | None = None,
) -> dict[str, Persona]:
    """Every built-in persona with these settings; ``delays`` maps persona → step → seconds."""
    delays = delays or {}
    unknown = sorted(set(delays) - set(PERSONA_NAMES))
    if unknown:
        raise ValueError(
            f"unknown persona {unknown[0]!r}; choose one of {', '.join(PERSONA_NAMES)}"
        )
    return {
        name: builtin_persona(
            name,
            timezone=timezone,
            hours=hours,
            scale=scale,
            delays=delays.get(name),
            holidays=holidays,
        )
        for name in PERSONA_NAMES
    }


def render(body: str, *, persona: Persona, ticket_id: int, subject: str) -> str:
    """A step's body with its placeholders filled."""
    return body.format(
        subject=subject,
        ticket_id=ticket_id,
        hours=persona.coverage.label,
        timezone=persona.coverage.timezone,
        agent=persona.agent_name.split(" (")[0],
    )
