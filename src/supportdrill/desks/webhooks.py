"""A webhook receiver for desks the user owns (PagerDuty, one's own Jira): "poll now", nothing more.

The desk's REST records stay the only source of timestamps. A webhook delivery only tells the
drill that something changed on its ticket, so the runner's watch stops sleeping until the next
``poll_interval`` and polls at once: :attr:`WebhookReceiver.wakeup` is the
:class:`asyncio.Event` the runner waits on (and clears after each wake).

Each delivery is checked in this order, and answered at once (nothing slow runs in the handler):

1. with a secret configured, the signature over the **raw** body (HMAC-SHA256, compared in
   constant time): missing or wrong → ``401``;
2. the body is the desk's webhook JSON: otherwise → ``400``;
3. it names this drill's ticket (:meth:`WebhookReceiver.watch`): the wakeup is set; about
   anything else it is accepted and ignored. Both answer ``202``.

Signatures, as the desks document them:

- PagerDuty v3 (developer.pagerduty.com, "Verifying Signatures"): ``X-PagerDuty-Signature:
  v1=<hex>[,v1=<hex>...]``, one HMAC per signing secret during a rotation; any one matching is
  enough.
- Jira Cloud (developer.atlassian.com, "Webhooks", secure admin webhooks): ``X-Hub-Signature:
  sha256=<hex>`` (the WebSub ``method=signature`` form).

A receiver that cannot listen does not stop a drill already under way: it logs why and the
drill goes on polling at its interval (``desk check`` binds the address to catch this early).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..definitions.desk_settings import WebhookSettings, parse_listen
from ..errors import InvalidConfiguration
from ..secrets import SecretValue

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
"""Desk webhook bodies are a few kB; anything bigger is not one."""


class NotAWebhook(ValueError):
    """The body is JSON, but not the shape of this desk's webhook."""


# -- listen addresses ----------------------------------------------------------------------------


# -- signatures ----------------------------------------------------------------------------------


def _hmac_hex(secret: SecretValue, body: bytes) -> bytes:
    return hmac.new(secret.reveal().encode("utf-8"), body, hashlib.sha256).hexdigest().encode()


def _same(expected: bytes, given: str) -> bool:
    # compare_digest on bytes: a non-ASCII header must fail the comparison, not raise.
    return hmac.compare_digest(expected, given.strip().lower().encode("utf-8", "replace"))


def pagerduty_signed(secret: SecretValue, headers: Mapping[str, str], body: bytes) -> bool:
    """``X-PagerDuty-Signature`` carries ``v1=<hex HMAC-SHA256(body)>`` for some secret."""
    expected = _hmac_hex(secret, body)
    found = False
    for part in headers.get("X-PagerDuty-Signature", "").split(","):
        version, sep, digest = part.strip().partition("=")
        # Every candidate is compared, so the time taken does not tell which one was close.
        if sep and version == "v1" and _same(expected, digest):
            found = True
    return found


def jira_signed(secret: SecretValue, headers: Mapping[str, str], body: bytes) -> bool:
    """``X-Hub-Signature: sha256=<hex HMAC-SHA256(body)>``."""
    method, sep, digest = headers.get("X-Hub-Signature", "").strip().partition("=")
    return bool(sep) and method.lower() == "sha256" and _same(_hmac_hex(secret, body), digest)


# -- what a payload is about ---------------------------------------------------------------------


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise NotAWebhook(f"{what} is not an object")
    return value


def pagerduty_subjects(payload: Any) -> set[str]:
    """The incident ids and keys a PagerDuty v3 webhook names.

    ``event.data`` is the incident itself for ``incident.*`` state events (its ``id`` and
    ``incident_key``, our dedup key), or a note / responder / status update carrying an
    ``incident`` reference.
    """
    event = _object(_object(payload, "the body").get("event"), "event")
    if not isinstance(event.get("event_type"), str):
        raise NotAWebhook("event.event_type is missing")
    data = event.get("data")
    if not isinstance(data, dict):
        return set()
    found: set[str] = set()
    if data.get("type") == "incident":
        found.add(str(data.get("id") or ""))
    found.add(str(data.get("incident_key") or ""))
    incident = data.get("incident")
    if isinstance(incident, dict):
        found.add(str(incident.get("id") or ""))
    found.discard("")
    return found


def jira_subjects(payload: Any) -> set[str]:
    """The issue key and id a Jira webhook (``jira:issue_updated``, ``comment_created``…) names."""
    body = _object(payload, "the body")
    if not isinstance(body.get("webhookEvent"), str):
        raise NotAWebhook("webhookEvent is missing")
    issue = body.get("issue")
    if not isinstance(issue, dict):
        return set()
    found = {str(issue.get("key") or ""), str(issue.get("id") or "")}
    found.discard("")
    return found


@dataclass(frozen=True)
class WebhookFlavour:
    """How one desk signs its webhooks and names its tickets in them."""

    name: str
    signature_header: str
    signed: Callable[[SecretValue, Mapping[str, str], bytes], bool]
    subjects: Callable[[Any], set[str]]


PAGERDUTY = WebhookFlavour(
    "pagerduty", "X-PagerDuty-Signature", pagerduty_signed, pagerduty_subjects
)
JIRA = WebhookFlavour("jira", "X-Hub-Signature", jira_signed, jira_subjects)


# -- the receiver --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookStats:
    """Deliveries so far, by what became of them."""

    received: int = 0
    woke: int = 0
    """About this drill's ticket: the watch polled early."""
    ignored: int = 0
    """Well-formed and signed, about another ticket (or before ours was known)."""
    unauthorized: int = 0
    """Refused with 401: no signature, or a wrong one."""
    malformed: int = 0
    """Refused with 400: not JSON, or not this desk's webhook."""

    def summary(self) -> str:
        return (
            f"{self.received} received, {self.woke} woke the watch, {self.ignored} about "
            f"other tickets, {self.unauthorized} refused unsigned/badly signed, "
            f"{self.malformed} refused malformed"
        )


class WebhookReceiver:
    """An aiohttp server on ``listen`` taking the desk's webhooks on any path (POST).

    ``GET`` on any path answers ``200`` with a fixed line, so a tunnel can be checked from
    outside without sending a delivery.
    """

    def __init__(
        self,
        listen: str,
        flavour: WebhookFlavour,
        *,
        secret: SecretValue | None = None,
    ) -> None:
        self.host, self.port = parse_listen(listen)
        self.listen = listen
        self.flavour = flavour
        self._secret = secret
        self.wakeup = asyncio.Event()
        self._watched: frozenset[str] = frozenset()
        self._counts = {"received": 0, "woke": 0, "ignored": 0, "unauthorized": 0, "malformed": 0}
        self._runner: web.AppRunner | None = None
        self._start_error: str | None = None
        self.bound_port: int | None = None

    @property
    def signed(self) -> bool:
        return self._secret is not None

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        """Where it listens (the bound port once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.bound_port if self.bound_port is not None else self.port}/"

    def watch(self, *identifiers: str) -> None:
        """Deliveries naming any of ``identifiers`` (ticket id, key, dedup key) wake the watch."""
        self._watched = self._watched | {i for i in identifiers if i}

    def stats(self) -> WebhookStats:
        return WebhookStats(**self._counts)

    async def start(self) -> None:
        """Listen; :class:`OSError` when the address cannot be bound."""
        if self._runner is not None:
            return
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/{tail:.*}", self._deliver)
        app.router.add_get("/{tail:.*}", self._hello)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = int(sockets[0].getsockname()[1]) if sockets else self.port
        log.info(
            "%s webhook receiver listening on %s (signatures %s)",
            self.flavour.name,
            self.url,
            "checked" if self.signed else "NOT checked: no webhook_secret",
        )

    async def ensure_started(self) -> None:
        """Start once; a failure is logged (once) and the drill goes on polling."""
        if self._runner is not None or self._start_error is not None:
            return
        try:
            await self.start()
        except OSError as exc:
            self._start_error = f"cannot listen on {self.listen}: {exc.strerror or exc}"
            log.warning(
                "%s webhook receiver: %s; the drill polls at its interval instead",
                self.flavour.name,
                self._start_error,
            )

    @property
    def start_error(self) -> str | None:
        return self._start_error

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await runner.cleanup()
        log.info("%s webhook receiver stopped: %s", self.flavour.name, self.stats().summary())

    async def _hello(self, request: web.Request) -> web.Response:
        return web.Response(text=f"supportdrill {self.flavour.name} webhook receiver\n")

    async def _deliver(self, request: web.Request) -> web.Response:
        self._counts["received"] += 1
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse("malformed", 413, "body too large")
        # request.headers matches names case-insensitively, as HTTP wants.
        secret = self._secret
        if secret is not None and not self.flavour.signed(secret, request.headers, body):
            return self._refuse("unauthorized", 401, "missing or wrong signature")
        try:
            payload = json.loads(body)
            subjects = self.flavour.subjects(payload)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and NotAWebhook included
            return self._refuse("malformed", 400, f"not a {self.flavour.name} webhook: {exc}")
        if subjects & self._watched:
            self._counts["woke"] += 1
            self.wakeup.set()
        else:
            self._counts["ignored"] += 1
        return web.Response(status=202, text="accepted\n")

    def _refuse(self, counter: str, status: int, reason: str) -> web.Response:
        self._counts[counter] += 1
        log.debug("%s webhook refused (%d): %s", self.flavour.name, status, reason)
        return web.Response(status=status, text=f"{reason}\n")


def receiver_for(
    settings: WebhookSettings | None, flavour: WebhookFlavour, secret: SecretValue | None
) -> WebhookReceiver | None:
    """The receiver a desk's typed webhook settings ask for (``secret`` already resolved)."""
    if settings is None:
        return None
    return WebhookReceiver(settings.listen, flavour, secret=secret)


def build_receiver(
    desk: str, listen: str, secret: SecretValue | None, flavour: WebhookFlavour
) -> WebhookReceiver | None:
    """The receiver a desk's ``webhook_listen`` / ``webhook_secret`` settings ask for, if any;
    :class:`~supportdrill.errors.InvalidConfiguration` naming the setting when they are wrong."""
    if not listen:
        if secret is not None:
            raise InvalidConfiguration(
                f"desk {desk}: 'webhook_secret' needs 'webhook_listen' "
                "(the address the webhook receiver listens on, e.g. 127.0.0.1:8600)"
            )
        return None
    try:
        parse_listen(listen)
    except ValueError as exc:
        raise InvalidConfiguration(f"desk {desk}: 'webhook_listen': {exc}") from exc
    return WebhookReceiver(listen, flavour, secret=secret)


async def check_receiver(desk: str, receiver: WebhookReceiver | None) -> list[str]:
    """The ``desk check`` lines about a desk's receiver. It binds the address once (and lets go)
    to show a drill will be able to listen; :class:`InvalidConfiguration` when it cannot."""
    if receiver is None:
        return [f"{desk}: webhook receiver: not configured (the drill polls at its interval)"]
    signed = (
        f"signatures checked ({receiver.flavour.signature_header})"
        if receiver.signed
        else "signatures NOT checked (no webhook_secret): anyone can make the drill poll early"
    )
    lines = [f"{desk}: webhook receiver: {receiver.listen}; {signed}"]
    if receiver.running:
        return [*lines, f"{desk}: webhook receiver: listening on {receiver.url}"]
    try:
        await receiver.start()
    except OSError as exc:
        raise InvalidConfiguration(
            f"desk {desk}: webhook receiver cannot listen on {receiver.listen}: "
            f"{exc.strerror or exc}"
        ) from exc
    try:
        return [*lines, f"{desk}: webhook receiver: can listen on {receiver.url}"]
    finally:
        await receiver.stop()
