"""Pick and build the desk adapter a drill names, with its secrets resolved and redacted.

:func:`create_desk` is the only place a drill's :class:`~supportdrill.definitions.model.DeskConfig`
becomes a live :class:`~supportdrill.desks.base.Desk`. Secrets are read here (from the
environment variables or ``file:`` paths the drill names), handed to the adapter's HTTP auth,
and added to a :class:`~supportdrill.secrets.Redactor` that every error text passes
through. Configuration mistakes are :class:`~supportdrill.errors.InvalidConfiguration` naming
the setting or variable, never a value.

Settings per kind (``${VAR}`` = a secret from the environment; ``*_file`` = from a file):

=========== ==================================================================================
zendesk     subdomain | url; email; token (API token) | oauth_token; mode: requester | agent
jsm         url; service_desk_id; request_type_id; email; token; mode: customer | agent;
            webhook_listen; webhook_secret (one's own Jira: admin webhooks wake the watch)
freshdesk   domain | url; api_key; requester_email
email       address; support_address; smtp_host; smtp_port; imap_host; imap_port; password;
            imap_user; smtp_user; smtp_password; smtp_starttls; imap_ssl; mailbox
github      repo (owner/name); token; url (default https://api.github.com)
pagerduty   routing_key; token (REST API key); from_email; events_url; url; webhook_listen;
            webhook_secret (a v3 webhook subscription wakes the watch)
simulated   url; persona; token
=========== ==================================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from ..clock import Clock, RealClock
from ..definitions.model import DeskConfig, DeskKind
from ..errors import DeskAuthFailed, DeskRejected, InvalidConfiguration
from ..secrets import Redactor, SecretValue, resolve_secrets
from .base import Desk
from .email import EmailDesk, MailSettings
from .freshdesk import FreshdeskDesk
from .github import GithubDesk
from .http import DeskHttp
from .jsm import JsmDesk
from .pagerduty import PagerDutyDesk
from .statuspage import StatuspageWatcher
from .webhooks import (
    JIRA,
    PAGERDUTY,
    WebhookFlavour,
    WebhookReceiver,
    build_receiver,
    check_receiver,
)
from .zendesk import ZendeskDesk

WEBHOOK_SETTINGS = frozenset({"webhook_listen", "webhook_secret"})
"""Desks the user owns can call a receiver of ours (see :mod:`.webhooks`)."""
ALLOWED: dict[DeskKind, frozenset[str]] = {
    DeskKind.ZENDESK: frozenset({"subdomain", "url", "email", "token", "oauth_token", "mode"}),
    DeskKind.JSM: frozenset({"url", "service_desk_id", "request_type_id", "email", "token", "mode"})
    | WEBHOOK_SETTINGS,
    DeskKind.FRESHDESK: frozenset({"domain", "url", "api_key", "requester_email"}),
    DeskKind.EMAIL: frozenset(
        {
            "address",
            "support_address",
            "smtp_host",
            "smtp_port",
            "imap_host",
            "imap_port",
            "password",
            "imap_user",
            "smtp_user",
            "smtp_password",
            "smtp_starttls",
            "imap_ssl",
            "mailbox",
        }
    ),
    DeskKind.GITHUB: frozenset({"repo", "token", "url"}),
    DeskKind.PAGERDUTY: frozenset({"routing_key", "token", "from_email", "events_url", "url"})
    | WEBHOOK_SETTINGS,
    DeskKind.SIMULATED: frozenset({"url", "persona", "token"}),
}


class _Values:
    """A desk config's settings and resolved secrets, read by name with clear errors."""

    def __init__(
        self, kind: DeskKind, settings: Mapping[str, str], secrets: dict[str, SecretValue]
    ):
        self.kind = kind
        self.settings = settings
        self.secrets = secrets

    def text(self, key: str, default: str | None = None) -> str:
        if key in self.secrets:
            return self.secrets[key].reveal()
        value = str(self.settings.get(key, "")).strip()
        if value:
            return value
        if default is None:
            raise InvalidConfiguration(f"desk {self.kind.value}: setting {key!r} is required")
        return default

    def secret(self, key: str) -> SecretValue:
        if key in self.secrets:
            return self.secrets[key]
        raise InvalidConfiguration(
            f"desk {self.kind.value}: {key!r} must be a secret: write {key}: ${{VARIABLE}} "
            f"or {key}_file: /path"
        )

    def number(self, key: str, default: int) -> int:
        text = self.text(key, str(default))
        if not text.isdigit():
            raise InvalidConfiguration(f"desk {self.kind.value}: {key!r} must be a port number")
        return int(text)

    def flag(self, key: str) -> bool:
        text = self.text(key, "false").lower()
        if text not in ("true", "false", "yes", "no"):
            raise InvalidConfiguration(f"desk {self.kind.value}: {key!r} must be true or false")
        return text in ("true", "yes")

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.text(key, options[0])
        if value not in options:
            raise InvalidConfiguration(
                f"desk {self.kind.value}: {key!r} must be one of {', '.join(options)}"
            )
        return value


def _webhook(values: _Values, flavour: WebhookFlavour) -> WebhookReceiver | None:
    # A plain-text secret in the drill is refused like any other (values.secret explains how).
    plain = values.secret("webhook_secret") if "webhook_secret" in values.settings else None
    return build_receiver(
        values.kind.value,
        values.text("webhook_listen", ""),
        values.secrets.get("webhook_secret", plain),
        flavour,
    )


def create_desk(
    config: DeskConfig,
    *,
    secrets_env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    redactor: Redactor | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Desk:
    """The adapter for ``config``; ``redactor`` (if given) learns every secret it uses."""
    kind = config.kind
    unknown = sorted((set(config.settings) | set(config.secrets)) - ALLOWED[kind])
    # The simulated desk's other settings (persona timing, rate...) belong to the embedded
    # server the runner starts; only its client is built here.
    if unknown and kind is not DeskKind.SIMULATED:
        raise InvalidConfiguration(
            f"desk {kind.value}: unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(ALLOWED[kind]))}"
        )
    resolved = resolve_secrets(config.secrets, os.environ if secrets_env is None else secrets_env)
    redactor = redactor if redactor is not None else Redactor()
    for secret in resolved.values():
        redactor.add(secret)
    values = _Values(kind, config.settings, resolved)
    clock = clock or RealClock()

    def http(
        base: str,
        *,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> DeskHttp:
        return DeskHttp(
            base,
            desk=kind.value,
            redactor=redactor,
            auth=auth,
            headers=headers,
            transport=transport,
        )

    if kind is DeskKind.ZENDESK:
        sub = values.text("subdomain", "")
        base = values.text("url", f"https://{sub}.zendesk.com" if sub else None)
        mode = values.choice("mode", ("requester", "agent"))
        if "oauth_token" in resolved:
            client = http(
                base, headers={"Authorization": f"Bearer {resolved['oauth_token'].reveal()}"}
            )
        else:
            user = f"{values.text('email')}/token"
            redactor.add_basic_auth(user, values.secret("token"))
            client = http(base, auth=(user, values.secret("token").reveal()))
        return ZendeskDesk(client, agent_mode=mode == "agent", clock=clock)
    if kind is DeskKind.JSM:
        email = values.text("email")
        redactor.add_basic_auth(email, values.secret("token"))
        client = http(values.text("url"), auth=(email, values.secret("token").reveal()))
        mode = values.choice("mode", ("customer", "agent"))
        return JsmDesk(
            client,
            service_desk_id=values.text("service_desk_id"),
            request_type_id=values.text("request_type_id"),
            agent_mode=mode == "agent",
            clock=clock,
            webhook=_webhook(values, JIRA),
        )
    if kind is DeskKind.FRESHDESK:
        domain = values.text("domain", "")
        base = values.text("url", f"https://{domain}.freshdesk.com" if domain else None)
        key = values.secret("api_key")
        redactor.add_basic_auth(key.reveal(), "X")
        return FreshdeskDesk(
            http(base, auth=(key.reveal(), "X")),
            requester_email=values.text("requester_email"),
            clock=clock,
        )
    if kind is DeskKind.EMAIL:
        address = values.text("address")
        settings = MailSettings(
            address=address,
            support_address=values.text("support_address"),
            smtp_host=values.text("smtp_host"),
            smtp_port=values.number("smtp_port", 587),
            imap_host=values.text("imap_host"),
            imap_port=values.number("imap_port", 993),
            imap_user=values.text("imap_user", address),
            imap_password=values.secret("password"),
            smtp_user=values.text("smtp_user", ""),
            smtp_password=resolved.get("smtp_password"),
            smtp_starttls=values.flag("smtp_starttls"),
            imap_ssl=values.flag("imap_ssl"),
            mailbox=values.text("mailbox", "INBOX"),
        )
        return EmailDesk(settings, redactor=redactor, clock=clock)
    if kind is DeskKind.GITHUB:
        token = values.secret("token").reveal()
        client = http(
            values.text("url", "https://api.github.com"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        try:
            return GithubDesk(client, repo=values.text("repo"), clock=clock)
        except ValueError as exc:
            raise InvalidConfiguration(f"desk github: {exc}") from exc
    if kind is DeskKind.PAGERDUTY:
        token = values.secret("token").reveal()
        return PagerDutyDesk(
            events=http(values.text("events_url", "https://events.pagerduty.com")),
            rest=http(
                values.text("url", "https://api.pagerduty.com"),
                headers={
                    "Authorization": f"Token token={token}",
                    "Accept": "application/vnd.pagerduty+json;version=2",
                },
            ),
            routing_key=values.secret("routing_key"),
            from_email=values.text("from_email", ""),
            clock=clock,
            webhook=_webhook(values, PAGERDUTY),
        )
    # Simulated: built by the simulated-desk package; imported lazily so a real-desk drill
    # never loads it.
    from .simulated.client import SimulatedDesk

    if not values.text("url", ""):
        raise InvalidConfiguration(
            "desk simulated: create_desk builds a client for a running simulated desk and needs "
            "its url; the runner starts an embedded one itself"
        )
    return SimulatedDesk(
        values.text("url"),
        token=resolved["token"].reveal() if "token" in resolved else None,
        persona=values.text("persona", "") or None,
    )


def create_statuspage_watcher(
    url: str,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> StatuspageWatcher:
    """A watcher for the vendor's public status page at ``url`` (its base, without /api/v2)."""
    if not url.startswith(("http://", "https://")):
        raise InvalidConfiguration(f"statuspage: {url!r} is not an http(s) URL")
    return StatuspageWatcher(
        DeskHttp(url.rstrip("/"), desk="statuspage", transport=transport), clock=clock
    )


VIEWS = {
    "requester": "the vendor's customer: public messages only, no internal notes, no SLA clocks",
    "agent": "the vendor's agent: internal notes (skipped, never timed), channels, SLA clocks",
    "owner": "our own desk or on-call: everything it records",
}


async def check_desk(
    config: DeskConfig,
    *,
    secrets_env: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[str]:
    """What ``supportdrill desk check`` prints for a drill's desk: credentials, permissions,
    agent or requester view, and what it can and cannot see (author roles, channels, status
    history, the vendor's SLA clocks). Only reads: it never files, comments or triggers.

    Raises :class:`~supportdrill.errors.InvalidConfiguration` (exit 2) when the configuration
    is wrong: unknown or missing settings, a secret variable unset or empty, credentials or
    permissions refused (401/403), another 4xx on a read (a wrong subdomain path, service desk,
    request type or repository), an account that does not fit ``mode``. Any other
    :class:`~supportdrill.errors.DeskError` (unreachable, timeout, 5xx, 429, an answer we cannot
    read) means the desk failed (exit 1). Messages are redacted.
    """
    redactor = redactor if redactor is not None else Redactor()
    if config.kind is DeskKind.SIMULATED and not config.settings.get("url"):
        return await _check_embedded_simulated(config, clock)
    desk = create_desk(
        config, secrets_env=secrets_env, clock=clock, redactor=redactor, transport=transport
    )
    try:
        return await describe_desk(desk)
    except DeskAuthFailed as exc:
        raise InvalidConfiguration(
            redactor.redact(f"desk {config.kind.value}: credentials or permissions refused: {exc}")
        ) from exc
    except DeskRejected as exc:
        raise InvalidConfiguration(
            redactor.redact(
                f"desk {config.kind.value}: the desk refused a read; check the URL and ids in "
                f"the drill: {exc}"
            )
        ) from exc
    finally:
        await desk.close()


async def describe_desk(desk: Desk) -> list[str]:
    """:meth:`Desk.check` on a desk already built, followed by what its view lets us see."""
    caps = desk.capabilities
    lines = await desk.check()
    lines.append(f"{desk.name}: credentials accepted; nothing was filed")
    lines.append(f"{desk.name}: view: {caps.view} ({VIEWS.get(caps.view, caps.view)})")
    for note in caps.notes:
        line = f"{desk.name}: cannot see: {note}"
        if line not in lines:
            lines.append(line)
    if desk.accepts_webhooks or desk.webhook is not None:
        lines.extend(await check_receiver(desk.name, desk.webhook))
    seen = {
        "author roles": caps.author_roles,
        "channels": caps.channels,
        "status history": caps.status_history,
        "vendor SLA clocks": caps.vendor_sla_clocks,
        "webhooks": caps.webhooks,
    }
    lines.append(
        f"{desk.name}: sees " + ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in seen.items())
    )
    return lines


async def _check_embedded_simulated(config: DeskConfig, clock: Clock | None) -> list[str]:
    # The runner starts its own simulated desk for each run; checking one started the same way
    # shows the persona and the settings work.
    from .simulated import SimulatedDesk, SimulatedDeskServer

    async with SimulatedDeskServer(
        persona=config.settings.get("persona", "responsive-24x7"),
        timezone=config.settings.get("timezone", "Asia/Jakarta"),
        clock=clock,
    ) as server:
        desk = SimulatedDesk(server.url)
        try:
            lines = await describe_desk(desk)
        finally:
            await desk.close()
    embedded = "simulated: embedded desk (the runner starts one per run); checked a temporary one"
    return [embedded, *lines]
