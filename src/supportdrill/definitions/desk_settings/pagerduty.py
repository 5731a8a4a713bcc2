"""PagerDuty (one's own on-call): ``routing_key`` (Events v2), ``token`` (REST key), ``from_email``
(required: PagerDuty's REST API refuses a note without a ``From`` header naming a user),
``events_url``, ``url``; ``webhook_listen`` / ``webhook_secret`` for a v3 webhook subscription."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from .base import WEBHOOK_KEYS, DeskSettings, Fields, SecretRef, SettingsError, WebhookSettings


@dataclass(frozen=True)
class PagerDutySettings(DeskSettings):
    routing_key: SecretRef
    token: SecretRef
    from_email: str
    events_url: str = "https://events.pagerduty.com"
    url: str = "https://api.pagerduty.com"
    webhook: WebhookSettings | None = None

    kind = "pagerduty"
    adapter = "supportdrill.desks.pagerduty:PagerDutyDesk"

    @classmethod
    def parse(cls, settings: Mapping[str, str], secrets: Mapping[str, str]) -> Self:
        known = {"routing_key", "token", "from_email", "events_url", "url"}
        fields = Fields(settings, secrets, known | WEBHOOK_KEYS)
        if not fields.text("from_email", ""):
            raise SettingsError(
                "from_email",
                "is required: PagerDuty needs a From header naming a user of the account to "
                "add the drill's note (e.g. drills@ourcompany.example)",
            )
        from_email = fields.text("from_email")
        if "@" not in from_email:
            raise SettingsError("from_email", f"must be an email address, got {from_email!r}")
        return cls(
            routing_key=fields.secret("routing_key"),
            token=fields.secret("token"),
            from_email=from_email,
            events_url=fields.url("events_url", "https://events.pagerduty.com"),
            url=fields.url("url", "https://api.pagerduty.com"),
            webhook=fields.webhook(),
        )


SETTINGS = PagerDutySettings
