"""Zendesk: ``subdomain`` or ``url``; ``email`` + ``token`` (an API token) or ``oauth_token``;
``mode: requester | agent``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from .base import DeskSettings, Fields, SecretRef, SettingsError


@dataclass(frozen=True)
class ZendeskSettings(DeskSettings):
    url: str
    mode: str
    email: str | SecretRef | None = None
    token: SecretRef | None = None
    oauth_token: SecretRef | None = None

    kind = "zendesk"
    adapter = "supportdrill.desks.zendesk:ZendeskDesk"

    @property
    def agent_mode(self) -> bool:
        return self.mode == "agent"

    @classmethod
    def parse(cls, settings: Mapping[str, str], secrets: Mapping[str, str]) -> Self:
        fields = Fields(
            settings, secrets, {"subdomain", "url", "email", "token", "oauth_token", "mode"}
        )
        sub = fields.text("subdomain", "")
        if not sub and "url" not in settings:
            raise SettingsError("subdomain", "is required (or url: https://acme.zendesk.com)")
        url = fields.url("url", f"https://{sub}.zendesk.com")
        mode = fields.choice("mode", ("requester", "agent"))
        oauth = fields.optional_secret("oauth_token")
        if oauth is not None:
            return cls(url=url, mode=mode, oauth_token=oauth)
        return cls(
            url=url, mode=mode, email=fields.text_or_secret("email"), token=fields.secret("token")
        )


SETTINGS = ZendeskSettings
