"""The drill's policy: the pure decisions the runner acts on.

When is the drill resolved, when is the fault lifted, did the vendor ask for logs, and how far
apart are our clock and the desk's. Each is a function of the drill's settings and the timeline
so far; the runner (:mod:`supportdrill.run.runner`) only does the I/O they call for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from ..definitions.model import LiftFault, ResolutionSpec, ResolutionWhen
from ..timeline import (
    Event,
    FaultInjected,
    FaultLifted,
    ReplyClass,
    ResolutionKind,
    StatusCategory,
    StreamRecovered,
    TicketResolved,
    TicketStatus,
    Timeline,
    VendorReply,
)

ASKS_FOR_INFORMATION = re.compile(
    r"\b(logs?|more (information|details)|screenshots?|har file|could you (send|provide|share))\b",
    re.IGNORECASE,
)
"""A human reply that asks for logs or details: the drill answers it with its follow-up."""


def vendor_asked_for_information(events: Sequence[Event]) -> bool:
    """True when a human vendor reply among ``events`` asks for logs, details or screenshots."""
    return any(
        isinstance(event, VendorReply)
        and event.classification is ReplyClass.HUMAN
        and ASKS_FOR_INFORMATION.search(event.excerpt) is not None
        for event in events
    )


def lift_reason(resolution: ResolutionSpec, timeline: Timeline, now: datetime) -> str | None:
    """Why the active fault should be lifted now, or ``None`` to keep it in place."""
    policy = resolution.lift_fault
    replies = timeline.all(VendorReply)
    if policy is LiftFault.ON_FIRST_RESPONSE and replies:
        return "the vendor first responded"
    if policy is LiftFault.ON_FIRST_HUMAN_RESPONSE and any(
        reply.classification is ReplyClass.HUMAN for reply in replies
    ):
        return "a human at the vendor first responded"
    if policy is LiftFault.AFTER and resolution.lift_after is not None:
        injected = timeline.last(FaultInjected)
        if injected is not None and now >= injected.at + resolution.lift_after:
            return f"lift_after ({resolution.lift_after}) elapsed"
    return None


def resolution_reached(
    resolution: ResolutionSpec, timeline: Timeline, now: datetime, *, stream_interval_s: float
) -> TicketResolved | None:
    """The drill's resolution, once the timeline shows it (``now`` is when we saw it).

    ``stream_interval_s`` bounds a stream-recovery resolution's precision (the sample interval).
    """
    if resolution.when is ResolutionWhen.TICKET_SOLVED:
        for status in timeline.all(TicketStatus):
            if status.category in (StatusCategory.SOLVED, StatusCategory.CLOSED):
                return TicketResolved(
                    at=status.at,
                    observed_at=now,
                    precision_s=status.precision_s,
                    how=ResolutionKind.TICKET_SOLVED,
                    detail=status.status,
                )
    elif resolution.when is ResolutionWhen.REPLY_MATCHES and resolution.pattern:
        pattern = re.compile(resolution.pattern, re.IGNORECASE)
        for reply in timeline.all(VendorReply):
            if reply.classification is ReplyClass.HUMAN and pattern.search(reply.excerpt):
                return TicketResolved(
                    at=reply.at,
                    observed_at=now,
                    precision_s=reply.precision_s,
                    how=ResolutionKind.REPLY_MATCHED,
                    detail=reply.message_id,
                )
    elif resolution.when is ResolutionWhen.STREAM_RECOVERED:
        recovered = timeline.last(StreamRecovered)
        lifted = timeline.last(FaultLifted)
        # With lift_fault: never the fault is still in place: a recovery is the runbook's doing
        # (a failover) and is the resolution. Otherwise only a recovery after the lift counts:
        # one while the fault is on is the stream flapping, not the vendor fixing it.
        after_lift = lifted is not None and recovered is not None and recovered.at >= lifted.at
        around_fault = resolution.lift_fault is LiftFault.NEVER and lifted is None
        if recovered is not None and (after_lift or around_fault):
            return TicketResolved(
                at=recovered.at,
                observed_at=now,
                precision_s=stream_interval_s,
                how=ResolutionKind.STREAM_RECOVERED,
            )
    return None


def clock_skew_s(created_at: datetime, *, submitted: datetime, answered: datetime) -> float:
    """How far the desk's clock is from ours, from the stamp it gave the ticket we filed.

    The desk stamped the ticket between our request (``submitted``) and its answer
    (``answered``) unless the clocks differ; only a stamp outside that window measures skew.
    """
    if created_at < submitted:
        return (created_at - submitted).total_seconds()
    if created_at > answered:
        return (created_at - answered).total_seconds()
    return 0.0
