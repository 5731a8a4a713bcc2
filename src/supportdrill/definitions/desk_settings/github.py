"""GitHub issues: ``repo`` (owner/name), ``token``, ``url`` (default https://api.github.com)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from .base import DeskSettings, Fields, SecretRef, SettingsError


@dataclass(frozen=True)
class GithubSettings(DeskSettings):
    repo: str
    token: SecretRef
    url: str = "https://api.github.com"

    kind = "github"
    adapter = "supportdrill.desks.github:GithubDesk"

    @classmethod
    def parse(cls, settings: Mapping[str, str], secrets: Mapping[str, str]) -> Self:
        fields = Fields(settings, secrets, {"repo", "token", "url"})
        repo = fields.text("repo")
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise SettingsError("repo", f"must be owner/name, got {repo!r}")
        return cls(
            repo=repo, token=fields.secret("token"), url=fields.url("url", "https://api.github.com")
        )


SETTINGS = GithubSettings
