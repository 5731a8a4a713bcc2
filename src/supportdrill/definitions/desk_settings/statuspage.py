"""The vendor's public status page (Atlassian Statuspage): ``vendor.statuspage``, its base URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from .base import DeskSettings, Fields


@dataclass(frozen=True)
class StatuspageSettings(DeskSettings):
    url: str
    """The page's base, without /api/v2."""

    kind = "statuspage"
    adapter = "supportdrill.desks.statuspage:StatuspageWatcher"

    @classmethod
    def parse(cls, settings: Mapping[str, str], secrets: Mapping[str, str]) -> Self:
        fields = Fields(settings, secrets, {"url"})
        return cls(url=fields.url("url").removesuffix("/api/v2"))

    @classmethod
    def from_url(cls, url: str) -> Self:
        """The drill writes the page as one value, ``statuspage: https://status.acme.example``."""
        return cls.parse({"url": url}, {})
