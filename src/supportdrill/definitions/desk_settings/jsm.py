"""Jira Service Management: ``url``, ``service_desk_id``, ``request_type_id``, ``email``,
``token``, ``mode: customer | agent``; ``webhook_listen`` / ``webhook_secret`` on one's own Jira."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from .base import WEBHOOK_KEYS, DeskSettings, Fields, SecretRef, SettingsError, WebhookSettings


def _id(fields: Fields, key: str) -> str:
    value = fields.text(key)
    if not value.isdigit():
        raise SettingsError(key, f"must be the numeric id, got {value!r}")
    return value


@dataclass(frozen=True)
class JsmSettings(DeskSettings):
    url: str
    service_desk_id: str
    request_type_id: str
    email: str | SecretRef
    token: SecretRef
    mode: str
    webhook: WebhookSettings | None = None

    kind = "jsm"
    adapter = "supportdrill.desks.jsm:JsmDesk"

    @property
    def agent_mode(self) -> bool:
        return self.mode == "agent"

    @classmethod
    def parse(cls, settings: Mapping[str, str], secrets: Mapping[str, str]) -> Self:
        known = {"url", "service_desk_id", "request_type_id", "email", "token", "mode"}
        fields = Fields(settings, secrets, known | WEBHOOK_KEYS)
        return cls(
            url=fields.url("url"),
            service_desk_id=_id(fields, "service_desk_id"),
            request_type_id=_id(fields, "request_type_id"),
            email=fields.text_or_secret("email"),
            token=fields.secret("token"),
            mode=fields.choice("mode", ("customer", "agent")),
            webhook=fields.webhook(),
        )


SETTINGS = JsmSettings
