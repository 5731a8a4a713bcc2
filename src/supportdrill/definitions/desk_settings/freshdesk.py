"""Freshdesk: ``domain`` or ``url``; ``api_key`` (the requester's own key); ``requester_email``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from .base import DeskSettings, Fields, SecretRef, SettingsError


@dataclass(frozen=True)
class FreshdeskSettings(DeskSettings):
    url: str
    api_key: SecretRef
    requester_email: str

    kind = "freshdesk"
    adapter = "supportdrill.desks.freshdesk:FreshdeskDesk"

    @classmethod
    def parse(cls, settings: Mapping[str, str], secrets: Mapping[str, str]) -> Self:
        fields = Fields(settings, secrets, {"domain", "url", "api_key", "requester_email"})
        domain = fields.text("domain", "")
        if not domain and "url" not in settings:
            raise SettingsError("domain", "is required (or url: https://acme.freshdesk.com)")
        email = fields.text("requester_email")
        if "@" not in email:
            raise SettingsError("requester_email", f"must be an email address, got {email!r}")
        return cls(
            url=fields.url("url", f"https://{domain}.freshdesk.com"),
            api_key=fields.secret("api_key"),
            requester_email=email,
        )


SETTINGS = FreshdeskSettings
