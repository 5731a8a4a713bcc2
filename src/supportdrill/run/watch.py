"""Watching a filed ticket: polling the desk through errors, classifying what the vendor says.

Desk errors never end a drill by themselves: :func:`~supportdrill.desks.retry.with_retries` waits
out 429s and backs off on 5xx/timeouts/garbage, and the time we could not see the desk is recorded
as a ``desk.gap`` event so the report can say how much precision it cost. Only refused
credentials or a ticket that vanished (4xx) stop the watch.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..clock import Clock
from ..definitions.model import Vendor
from ..desks.base import Desk
from ..desks.retry import RETRYABLE, with_retries
from ..errors import DeskAuthFailed, DeskRejected, DrillFailed
from ..measure.classify import classify_reply, is_vendor_message
from ..timeline import CustomerMessage, Event, TicketStatus, VendorReply
from ..vocabulary import DeskPoll, DeskReply, DeskStatusChange, TicketRef

log = logging.getLogger(__name__)

Emit = Callable[[Event], Awaitable[None]]

DESK_TIMESTAMP_RESOLUTION_S = 1.0
"""Desks stamp messages to the second; that is the best precision a desk-side time can have."""


@dataclass
class WatchState:
    """What the watcher has already seen (rebuilt from the store on resume)."""

    cursor: str | None = None
    seen_messages: set[str] = field(default_factory=set)
    last_status: str | None = None
    last_poll_at: datetime | None = None
    server_skew_s: float | None = None
    posted: list[tuple[datetime, str]] = field(default_factory=list)
    """Our own comments (desk time, excerpt) already on the timeline: when the desk lists them
    back they are the same message, not a second one."""


class TicketWatcher:
    """Polls one ticket and turns what it finds into timeline events."""

    def __init__(
        self,
        desk: Desk,
        ref: TicketRef,
        *,
        vendor: Vendor,
        clock: Clock,
        emit: Emit,
        state: WatchState | None = None,
        max_backoff_s: float = 300.0,
    ) -> None:
        self.desk = desk
        self.ref = ref
        self.vendor = vendor
        self.clock = clock
        self.emit = emit
        self.state = state or WatchState()
        self.max_backoff_s = max_backoff_s

    async def poll(self, *, deadline: datetime) -> list[Event]:
        """One successful look at the ticket (retrying through errors until ``deadline``).

        Returns the new events, already emitted. Returns ``[]`` if the deadline passed first.
        """
        result = await self._poll_with_retries(deadline)
        if result is None:
            return []
        return await self._absorb(result)

    async def _poll_with_retries(self, deadline: datetime) -> DeskPoll | None:
        try:
            result = await with_retries(
                lambda: self.desk.poll(self.ref, since=self.state.cursor),
                deadline=deadline,
                clock=self.clock,
                on_gap=self.emit,
                max_delay=self.max_backoff_s,
            )
        except DeskAuthFailed as exc:
            raise DrillFailed(f"the desk refused our credentials while watching: {exc}") from exc
        except DeskRejected as exc:
            raise DrillFailed(f"the desk rejected polling the ticket: {exc}") from exc
        except RETRYABLE:
            return None  # the deadline came first; the gap is already on the timeline
        if result.server_time is not None:
            self.state.server_skew_s = (result.server_time - self.clock.now()).total_seconds()
        return result

    async def _absorb(self, result: DeskPoll) -> list[Event]:
        now = self.clock.now()
        since_last = (
            (now - self.state.last_poll_at).total_seconds() if self.state.last_poll_at else 0.0
        )
        self.state.last_poll_at = now
        self.state.cursor = result.cursor or self.state.cursor
        events: list[Event] = []
        for item in result.events:
            event = self._event_for(item, now=now, poll_gap_s=since_last)
            if event is not None:
                events.append(event)
        events.sort(key=lambda event: event.at)
        for event in events:
            await self.emit(event)
        return events

    def _event_for(
        self, item: DeskReply | DeskStatusChange, *, now: datetime, poll_gap_s: float
    ) -> Event | None:
        if isinstance(item, DeskStatusChange):
            if item.status == self.state.last_status:
                return None
            self.state.last_status = item.status
            return TicketStatus(
                at=item.at,
                observed_at=now,
                precision_s=DESK_TIMESTAMP_RESOLUTION_S if item.at_is_desk_time else poll_gap_s,
                status=item.status,
                category=item.category,
            )
        if item.message_id in self.state.seen_messages:
            return None
        self.state.seen_messages.add(item.message_id)
        if not item.public and not item.from_us:
            # A vendor's internal note (agent-view desks show them): a requester never sees it,
            # so it is neither a reply to time nor a message of ours. Nothing goes on the
            # timeline, which also keeps a resumed watch (that re-reads every message) from
            # recording it twice.
            log.debug("skipping private note %s on ticket %s", item.message_id, self.ref.ticket_id)
            return None
        if not is_vendor_message(item):
            excerpt = _excerpt(item.body)
            if any(
                text == excerpt and abs((at - item.created_at).total_seconds()) <= 1
                for at, text in self.state.posted
            ):
                return None
            return CustomerMessage(
                at=item.created_at,
                observed_at=now,
                precision_s=DESK_TIMESTAMP_RESOLUTION_S,
                message_id=item.message_id,
                excerpt=_excerpt(item.body),
            )
        verdict = classify_reply(
            item,
            ticket_created_at=self.ref.created_at,
            ack_templates=self.vendor.ack_templates,
            agents=self.vendor.agents,
            bots=self.vendor.bots,
        )
        return VendorReply(
            at=item.created_at,
            observed_at=now,
            precision_s=DESK_TIMESTAMP_RESOLUTION_S,
            message_id=item.message_id,
            classification=verdict.cls,
            author=item.author_name or item.author_id,
            author_role=item.author_role,
            channel=item.channel,
            excerpt=_excerpt(item.body),
            reasons=verdict.reasons,
        )


def _excerpt(text: str, limit: int = 280) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
