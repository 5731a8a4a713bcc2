"""What every desk's settings share: the error, secret references, and a reader of raw settings.

:class:`Fields` reads one ``desk:`` section's strings by name, refuses keys the kind does not know
(with a did-you-mean) and raises :class:`SettingsError` naming the key, which the drill loader
turns into ``file:line: vendor.desk.key: message``.
"""

from __future__ import annotations

import abc
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Self
from urllib.parse import urlsplit


class SettingsError(ValueError):
    """A desk setting is wrong: ``key`` (as the drill spells it) and a message fit for users."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


@dataclass(frozen=True)
class SecretRef:
    """Where a secret is kept: an environment variable's name, or ``file:/path``. Never the
    value: settings objects may be printed, stored and compared."""

    source: str


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:8600``, ``[::1]:8600`` or ``0.0.0.0:8600`` → host and port (0 = any free port).

    Raises :class:`ValueError` with a message fit for a configuration error.
    """
    value = text.strip()
    host, sep, port_text = value.rpartition(":")
    if not sep or not host:
        raise ValueError(f"{text!r} is not host:port (e.g. 127.0.0.1:8600)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{text!r}: write an IPv6 address in brackets, e.g. [::1]:8600")
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"{text!r}: the port must be a number from 0 to 65535")
    return host, int(port_text)


@dataclass(frozen=True)
class WebhookSettings:
    """A receiver of ours the desk calls (desks the user owns): where it listens, its secret."""

    listen: str
    secret: SecretRef | None = None


_MISSING: str = "\0missing"


class Fields:
    """One desk section's raw settings and secret references, read by name."""

    def __init__(
        self,
        settings: Mapping[str, str],
        secrets: Mapping[str, str],
        known: Iterable[str],
        *,
        prefixes: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        known_keys = sorted(set(known))
        for key in sorted(set(settings) | set(secrets)):
            if key in known_keys or any(key.startswith(p) for p in prefixes):
                continue
            close = difflib.get_close_matches(key, known_keys, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known_keys)}"
            raise SettingsError(key, f"unknown setting; {hint}")

    def text(self, key: str, default: str = _MISSING) -> str:
        if key in self.secrets:
            raise SettingsError(key, "is not a secret: write the value itself")
        value = self.settings.get(key, "").strip()
        if value:
            return value
        if default is _MISSING:
            raise SettingsError(key, "is required")
        return default

    def text_or_secret(self, key: str) -> str | SecretRef:
        """A value the drill may write plainly or keep in the environment (an account email)."""
        if key in self.secrets:
            return SecretRef(self.secrets[key])
        return self.text(key)

    def optional(self, key: str) -> str | None:
        value = self.text(key, "")
        return value or None

    def secret(self, key: str) -> SecretRef:
        found = self.optional_secret(key)
        if found is None:
            raise SettingsError(
                key, f"is required: write {key}: ${{VARIABLE}} or {key}_file: /path"
            )
        return found

    def optional_secret(self, key: str) -> SecretRef | None:
        if key in self.settings:
            raise SettingsError(
                key, f"must be a secret: write {key}: ${{VARIABLE}} or {key}_file: /path"
            )
        source = self.secrets.get(key)
        return SecretRef(source) if source is not None else None

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.text(key, options[0])
        if value not in options:
            close = difflib.get_close_matches(value, options, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SettingsError(key, f"must be one of {', '.join(options)}, got {value!r}{hint}")
        return value

    def port(self, key: str, default: int) -> int:
        text = self.text(key, str(default))
        if not text.isdigit() or not 0 < int(text) <= 65535:
            raise SettingsError(key, f"must be a port number from 1 to 65535, got {text!r}")
        return int(text)

    def flag(self, key: str) -> bool:
        text = self.text(key, "false").lower()
        if text not in ("true", "false", "yes", "no"):
            raise SettingsError(key, f"must be true or false, got {text!r}")
        return text in ("true", "yes")

    def number(self, key: str, default: float) -> float:
        text = self.text(key, repr(default))
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise SettingsError(key, f"must be a positive number, got {text!r}")
        return value

    def url(self, key: str, default: str = _MISSING) -> str:
        text = self.text(key, default)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(key, f"must be an http(s) URL like https://host, got {text!r}")
        return text.rstrip("/")

    def webhook(self) -> WebhookSettings | None:
        listen = self.text("webhook_listen", "")
        secret = self.optional_secret("webhook_secret")
        if not listen:
            if secret is not None:
                raise SettingsError(
                    "webhook_secret",
                    "needs webhook_listen (the address our receiver listens on, e.g. "
                    "127.0.0.1:8600)",
                )
            return None
        try:
            parse_listen(listen)
        except ValueError as exc:
            raise SettingsError("webhook_listen", str(exc)) from exc
        return WebhookSettings(listen=listen, secret=secret)


WEBHOOK_KEYS = frozenset({"webhook_listen", "webhook_secret"})


class DeskSettings(abc.ABC):
    """A desk kind's settings. Subclasses are frozen dataclasses with a :meth:`parse`."""

    kind: ClassVar[str]
    adapter: ClassVar[str]
    """``"module:Class"`` of the :class:`~supportdrill.desks.base.Desk` built from these."""

    @classmethod
    @abc.abstractmethod
    def parse(cls, settings: Mapping[str, str], secrets: Mapping[str, str]) -> Self:
        """Settings from a drill's strings and secret references; :class:`SettingsError`."""
