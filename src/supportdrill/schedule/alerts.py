"""Alerts when a scheduled drill breaches, aborts or cannot start: webhooks and email.

Bodies are built by pure functions (:func:`alert_body` for JSON, Slack and Teams forms,
:func:`alert_text` for mail). Every alert is signed so its receiver can tell it from a forgery:

    X-Supportdrill-Timestamp: <unix seconds>
    X-Supportdrill-Signature: v1=<hex HMAC-SHA256(key, "<timestamp>." + body)>

(the scheme Slack and Stripe use; :func:`verify_signature` is the receiver's side, with a
replay window). A mail carries the same two headers; its signed body is the text part with line
endings as LF and no trailing newline (mail transport may change both).

Secrets — the signing keys, a webhook URL kept in a variable (Slack and Teams
URLs are credentials), the SMTP password, the drill's desk secrets — go through one
:class:`~supportdrill.secrets.Redactor` before anything is sent or recorded.

Each channel is tried up to ``1 + retries`` times, waiting ``backoff`` then twice as long each
time on the scheduler's clock; a 4xx answer other than 408/429 is not retried (it will not get
better). Every channel's outcome becomes an :class:`~supportdrill.timeline.AlertDelivery` event
in the run's timeline.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib
import httpx

from ..clock import Clock
from ..definitions.model import AlertFormat, AlertSpec, EmailAlert
from ..errors import InvalidConfiguration
from ..secrets import Redactor, SecretValue, resolve_secret
from ..store import RunStore
from ..timeline import AlertDelivery

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Supportdrill-Timestamp"
SIGNATURE_HEADER = "X-Supportdrill-Signature"
REPLAY_WINDOW_S = 300
_TIMEOUT = httpx.Timeout(10.0)


class AlertKind(enum.StrEnum):
    BREACH = "breach"
    ABORT = "abort"
    CANNOT_START = "cannot_start"


_TITLES = {
    AlertKind.BREACH: "SLA breached",
    AlertKind.ABORT: "drill aborted",
    AlertKind.CANNOT_START: "drill could not start",
}


@dataclass(frozen=True)
class AlertNotice:
    """What happened to one scheduled run."""

    kind: AlertKind
    schedule: str
    drill: str
    vendor: str
    run_id: str
    due_at: datetime
    vendor_local: datetime
    detail: str


# ---- bodies (pure)


def alert_text(notice: AlertNotice) -> str:
    return (
        f"{_TITLES[notice.kind]}: {notice.drill} against {notice.vendor}\n"
        f"schedule {notice.schedule}, run {notice.run_id}\n"
        f"due {notice.due_at:%Y-%m-%d %H:%M} UTC "
        f"({notice.vendor_local:%a %Y-%m-%d %H:%M %Z} vendor time)\n"
        f"{notice.detail}\n"
        f"report: supportdrill report {notice.run_id}"
    )


def alert_body(notice: AlertNotice, form: AlertFormat, redactor: Redactor) -> dict[str, Any]:
    """The JSON body for ``form``: our own record, a Slack message, or a Teams message card."""
    text = redactor.redact(alert_text(notice))
    title = f"[supportdrill] {_TITLES[notice.kind]}: {notice.drill}"
    if form is AlertFormat.SLACK:
        # Slack incoming webhooks: ``text`` is the notification fallback, blocks the message.
        return {
            "text": title,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            ],
        }
    if form is AlertFormat.TEAMS:
        # Teams workflow webhooks take an Adaptive Card as a message attachment.
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
                            {"type": "TextBlock", "text": text, "wrap": True},
                        ],
                    },
                }
            ],
        }
    return {
        "alert": notice.kind.value,
        "title": title,
        "schedule": notice.schedule,
        "drill": notice.drill,
        "vendor": notice.vendor,
        "run_id": notice.run_id,
        "due_at": notice.due_at.isoformat(),
        "vendor_local": notice.vendor_local.isoformat(),
        "detail": redactor.redact(notice.detail),
    }


def signature(key: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify_signature(key: bytes, timestamp: str, body: bytes, signed: str, *, now: float) -> bool:
    """The receiver's check: the signature matches and the timestamp is recent."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > REPLAY_WINDOW_S:
        return False
    return hmac.compare_digest(signature(key, int(timestamp), body), signed)


def _signed_headers(key: SecretValue | None, body: bytes, now: datetime) -> dict[str, str]:
    if key is None:
        return {}
    stamp = int(now.timestamp())
    return {
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: signature(key.reveal().encode(), stamp, body),
    }


# ---- delivery (I/O)


@dataclass(frozen=True)
class _Outcome:
    delivered: bool
    status: str = ""
    error: str = ""
    retry: bool = True


class _Sender:
    def __init__(self, spec: AlertSpec, clock: Clock, redactor: Redactor) -> None:
        self.spec = spec
        self.clock = clock
        self.redactor = redactor

    async def attempts(self, attempt: Callable[[], Awaitable[_Outcome]]) -> tuple[_Outcome, int]:
        """``attempt()`` until it delivers, is not worth retrying, or the retries run out."""
        delay = self.spec.backoff.total_seconds()
        tries = 0
        while True:
            tries += 1
            outcome = await attempt()
            if outcome.delivered or not outcome.retry or tries > self.spec.retries:
                return outcome, tries
            await self.clock.sleep(delay)
            delay *= 2

    async def webhook(self, url: str, key: SecretValue | None, body: bytes) -> tuple[_Outcome, int]:
        async def attempt() -> _Outcome:
            headers = {
                "Content-Type": "application/json",
                **_signed_headers(key, body, self.clock.now()),
            }
            try:
                async with httpx.AsyncClient(timeout=_TIMEOUT) as client:
                    response = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                return _Outcome(False, error=self.redactor.redact(f"{type(exc).__name__}: {exc}"))
            status = str(response.status_code)
            if response.is_success:
                return _Outcome(True, status=status)
            permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
            return _Outcome(
                False,
                status=status,
                error=self.redactor.redact(response.text[:200]),
                retry=not permanent,
            )

        return await self.attempts(attempt)

    async def email(
        self,
        mail: EmailAlert,
        password: SecretValue | None,
        key: SecretValue | None,
        notice: AlertNotice,
    ) -> tuple[_Outcome, int]:
        text = self.redactor.redact(alert_text(notice))

        async def attempt() -> _Outcome:
            message = EmailMessage()
            message["From"] = mail.sender
            message["To"] = ", ".join(mail.to)
            message["Subject"] = f"[supportdrill] {_TITLES[notice.kind]}: {notice.drill}"
            message.set_content(text)
            for name, value in _signed_headers(key, text.encode(), self.clock.now()).items():
                message[name] = value
            try:
                _, reply = await aiosmtplib.send(
                    message,
                    hostname=mail.smtp_host,
                    port=mail.smtp_port,
                    start_tls=mail.starttls,
                    username=mail.user,
                    password=password.reveal() if password is not None else None,
                    timeout=10,
                )
            except aiosmtplib.SMTPResponseException as exc:
                return _Outcome(
                    False,
                    status=str(exc.code),
                    error=self.redactor.redact(exc.message),
                    retry=exc.code < 500,
                )
            except (aiosmtplib.SMTPException, OSError) as exc:
                return _Outcome(False, error=self.redactor.redact(f"{type(exc).__name__}: {exc}"))
            return _Outcome(True, status=self.redactor.redact(reply[:80]))

        return await self.attempts(attempt)


def _secret(reference: str | None, setting: str, env: Mapping[str, str]) -> SecretValue | None:
    return None if reference is None else resolve_secret(setting, reference, env)


def _target(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


async def send_alerts(
    spec: AlertSpec,
    notice: AlertNotice,
    *,
    store: RunStore,
    clock: Clock,
    env: Mapping[str, str],
    redactor: Redactor | None = None,
) -> list[AlertDelivery]:
    """Deliver ``notice`` on every channel of ``spec``; each outcome is appended to the run."""
    redactor = redactor or Redactor()
    deliveries: list[AlertDelivery] = []
    sender = _Sender(spec, clock, redactor)
    for index, hook in enumerate(spec.webhooks):
        target = f"${{{hook.url_secret}}}" if hook.url_secret else _target(hook.url)
        try:
            url = _secret(hook.url_secret, f"webhooks[{index}].url", env)
            key = _secret(hook.secret, f"webhooks[{index}].secret", env)
        except InvalidConfiguration as exc:
            outcome, tries = _Outcome(False, error=str(exc)), 0
        else:
            for value in (url, key):
                if value is not None:
                    redactor.add(value)
            body = json.dumps(alert_body(notice, hook.format, redactor)).encode()
            outcome, tries = await sender.webhook(
                url.reveal() if url is not None else hook.url, key, body
            )
        deliveries.append(_delivery(notice, clock, "webhook", target, outcome, tries))
    for index, mail in enumerate(spec.emails):
        target = f"smtp://{mail.smtp_host}:{mail.smtp_port} to {', '.join(mail.to)}"
        try:
            password = _secret(mail.password, f"emails[{index}].password", env)
            key = _secret(mail.secret, f"emails[{index}].secret", env)
        except InvalidConfiguration as exc:
            outcome, tries = _Outcome(False, error=str(exc)), 0
        else:
            for value in (password, key):
                if value is not None:
                    redactor.add(value)
            outcome, tries = await sender.email(mail, password, key, notice)
        deliveries.append(_delivery(notice, clock, "email", target, outcome, tries))
    store.append_many(notice.run_id, deliveries)
    for delivery in deliveries:
        if not delivery.delivered:
            log.warning(
                "alert %s to %s failed: %s", delivery.alert, delivery.target, delivery.error
            )
    return deliveries


def _delivery(
    notice: AlertNotice, clock: Clock, channel: str, target: str, outcome: _Outcome, tries: int
) -> AlertDelivery:
    now = clock.now()
    return AlertDelivery(
        at=now,
        observed_at=now,
        alert=notice.kind.value,
        channel=channel,
        target=target,
        delivered=outcome.delivered,
        attempts=tries,
        status=outcome.status,
        error=outcome.error,
    )


__all__ = [
    "REPLAY_WINDOW_S",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AlertKind",
    "AlertNotice",
    "alert_body",
    "alert_text",
    "send_alerts",
    "signature",
    "verify_signature",
]
