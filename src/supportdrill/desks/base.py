"""The desk interface every adapter implements, and :func:`open_desk`, which builds one.

:func:`open_desk` is the only place a drill's :class:`~supportdrill.definitions.model.DeskConfig`
becomes a live :class:`Desk`: it parses the config into its kind's typed settings
(:mod:`supportdrill.definitions.desk_settings`, the same parse ``validate`` runs), resolves the
secrets they name and teaches them to a :class:`~supportdrill.secrets.Redactor`, then imports the
adapter the settings name and calls its :meth:`Desk.from_settings`. No module here knows the
vendors: adding a desk touches its own files (its settings module and its adapter module) and one
registration line, its :class:`~supportdrill.definitions.model.DeskKind` member.
"""

from __future__ import annotations

import abc
import asyncio
import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from ..clock import Clock, RealClock
from ..definitions.desk_settings import DeskSettings, SecretRef, SettingsError, parse_desk_settings
from ..definitions.model import DeskConfig
from ..errors import InvalidConfiguration
from ..secrets import Redactor, SecretValue, resolve_secrets
from ..vocabulary import DeskCapabilities, DeskPoll, TicketDraft, TicketRef
from .http import DeskHttp

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

    @classmethod
    def from_settings(cls, settings: Any, context: OpenContext) -> Desk:
        """The adapter built from its kind's typed settings (see :func:`open_desk`)."""
        raise NotImplementedError(f"{cls.__name__} is not opened from drill settings")

    async def check(self) -> list[str]:
        """Verify credentials and permissions without filing; lines describing what it can see."""
        return [f"{self.name}: no check available"]

    async def close(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing
        """Release connections."""


@dataclass
class OpenContext:
    """What an adapter needs besides its settings: resolved secrets, the redactor every error
    passes through, the clock, and an HTTP transport for tests."""

    desk: str
    redactor: Redactor
    clock: Clock = field(default_factory=RealClock)
    secrets: Mapping[str, SecretValue] = field(default_factory=dict)
    """Reference (``VAR`` or ``file:/path``) → its value, resolved once by :func:`open_desk`."""
    transport: httpx.AsyncBaseTransport | None = None

    def secret(self, ref: SecretRef) -> SecretValue:
        return self.secrets[ref.source]

    def text(self, value: str | SecretRef) -> str:
        """A setting the drill may write plainly or keep in the environment (an account)."""
        return self.secret(value).reveal() if isinstance(value, SecretRef) else value

    def http(
        self,
        base: str,
        *,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> DeskHttp:
        return DeskHttp(
            base,
            desk=self.desk,
            redactor=self.redactor,
            auth=auth,
            headers=headers,
            transport=self.transport,
        )


def desk_settings(config: DeskConfig) -> DeskSettings:
    """``config``'s typed settings, or :class:`InvalidConfiguration` naming the setting (for
    configs built in code; drills from files were checked by the loader already)."""
    try:
        return parse_desk_settings(config)
    except SettingsError as exc:
        raise InvalidConfiguration(f"desk.{exc.key}: {exc.message}") from exc


def adapter_class(settings: DeskSettings) -> type[Desk]:
    """The adapter class ``settings`` names, imported now (a drill loads only its own desk)."""
    module_name, _, name = settings.adapter.partition(":")
    found = getattr(importlib.import_module(module_name), name)
    if not (isinstance(found, type) and issubclass(found, Desk)):
        raise TypeError(f"{settings.adapter} is not a Desk")
    return found


def open_desk(
    config: DeskConfig,
    *,
    secrets_env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    redactor: Redactor | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Desk:
    """The adapter for ``config``; ``redactor`` (if given) learns every secret it uses.

    :class:`InvalidConfiguration` for a wrong setting or a secret variable unset or empty
    (every secret is resolved here, all problems at once); messages name settings and
    variables, never values.
    """
    settings = desk_settings(config)
    resolved = resolve_secrets(config.secrets, os.environ if secrets_env is None else secrets_env)
    redactor = redactor if redactor is not None else Redactor()
    for secret in resolved.values():
        redactor.add(secret)
    context = OpenContext(
        desk=config.kind.value,
        redactor=redactor,
        clock=clock if clock is not None else RealClock(),
        secrets={config.secrets[key]: value for key, value in resolved.items()},
        transport=transport,
    )
    return adapter_class(settings).from_settings(settings, context)
