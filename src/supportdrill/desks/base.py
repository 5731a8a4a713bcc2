"""The desk interface every adapter implements, and the registry that picks one."""

from __future__ import annotations

import abc
import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from ..vocabulary import DeskCapabilities, DeskPoll, TicketDraft, TicketRef

if TYPE_CHECKING:
    from .webhooks import WebhookReceiver


class Desk(abc.ABC):
    """A support desk as the vendor's customer sees it.

    Adapters map every library and HTTP error into :class:`~supportdrill.errors.DeskError`
    subclasses. Calls may raise :class:`~supportdrill.errors.DeskRateLimited` with
    ``retry_after``; retrying is the caller's decision (it knows the drill's deadline).
    """

    name: str = "desk"
    capabilities: DeskCapabilities = DeskCapabilities()
    accepts_webhooks: bool = False
    """The desk can call a receiver of ours (desks the user owns: PagerDuty, one's own Jira)."""
    webhook: WebhookReceiver | None = None
    """The desk's webhook receiver, when the drill configures one (desks the user owns)."""
    wakeup: asyncio.Event | None = None
    """Set when the desk says the ticket changed: the runner's watch polls at once instead of
    at its interval, then clears it. Timestamps still come only from polling."""

    @abc.abstractmethod
    async def file(self, draft: TicketDraft, *, idempotency_key: str) -> TicketRef:
        """File ``draft`` tagged with ``idempotency_key``.

        Exactly once: an adapter first looks for a ticket carrying the key (:meth:`find`) and
        returns that instead of filing again.
        """

    @abc.abstractmethod
    async def find(self, *, idempotency_key: str) -> TicketRef | None:
        """The ticket already filed with ``idempotency_key``, if the desk has one."""

    @abc.abstractmethod
    async def poll(self, ref: TicketRef, *, since: str | None = None) -> DeskPoll:
        """Replies and status changes on ``ref`` after cursor ``since`` (all when None)."""

    @abc.abstractmethod
    async def comment(self, ref: TicketRef, text: str) -> datetime:
        """Post a public customer message; returns the desk's timestamp of it."""

    async def check(self) -> list[str]:
        """Verify credentials and permissions without filing; lines describing what it can see."""
        return [f"{self.name}: no check available"]

    async def close(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing
        """Release connections."""
