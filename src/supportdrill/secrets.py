"""Secrets (desk tokens, passwords, the stream's WHIP token): resolved, and redacted everywhere.

One rule for what counts as a secret, used by the desks, the stream and the store. A drill never
holds a secret value: :class:`~supportdrill.definitions.model.DeskConfig` maps a setting to the
*name* of an environment variable (``ACME_DESK_TOKEN``) or to ``file:/path``. This module
turns those names into :class:`SecretValue` objects (whose ``repr`` and ``str`` never show the
value) and keeps every value in a :class:`Redactor`, which scrubs them from error texts, logs,
reports and ticket bodies. Neither a :class:`SecretValue` nor a :class:`Redactor` can be
pickled or JSON-serialised by accident: both refuse.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from .errors import InvalidConfiguration

D = TypeVar("D")

FILE_PREFIX = "file:"
MASK = "***"
# Secrets shorter than this would turn ordinary words into "***" everywhere; real tokens and
# passwords are longer, and a 1-3 character secret is a configuration mistake worth refusing.
MIN_SECRET_LENGTH = 4


class SecretValue:
    """A secret string that does not show itself in ``repr``, ``str``, f-strings or pickles."""

    __slots__ = ("_name", "_value")

    def __init__(self, name: str, value: str) -> None:
        self._name = name
        self._value = value

    @property
    def name(self) -> str:
        """Where it came from (the variable name or ``file:`` path), safe to show."""
        return self._name

    def reveal(self) -> str:
        """The value itself, for the one place that must send it (an auth header)."""
        return self._value

    def __repr__(self) -> str:
        return f"SecretValue({self._name!r}, {MASK})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("secret values are not serialisable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def resolve_secret(setting: str, reference: str, env: Mapping[str, str]) -> SecretValue:
    """The value ``reference`` (an env var name or ``file:/path``) points at.

    Errors name the setting and the variable or path, never a value.
    """
    if reference.startswith(FILE_PREFIX):
        path = Path(reference[len(FILE_PREFIX) :]).expanduser()
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InvalidConfiguration(
                f"desk secret {setting!r}: cannot read file {str(path)!r} ({exc.strerror})"
            ) from exc
        where = f"file {str(path)!r}"
    else:
        if reference not in env:
            raise InvalidConfiguration(
                f"desk secret {setting!r}: environment variable {reference} is not set"
            )
        value = env[reference].strip()
        where = f"environment variable {reference}"
    if not value:
        raise InvalidConfiguration(f"desk secret {setting!r}: {where} is empty")
    if len(value) < MIN_SECRET_LENGTH:
        raise InvalidConfiguration(
            f"desk secret {setting!r}: {where} is shorter than {MIN_SECRET_LENGTH} characters"
        )
    return SecretValue(reference, value)


def resolve_secrets(
    secrets: Mapping[str, str], env: Mapping[str, str] | None = None
) -> dict[str, SecretValue]:
    """Resolve every ``setting -> reference`` of a desk config (all errors at once)."""
    source = os.environ if env is None else env
    resolved: dict[str, SecretValue] = {}
    problems: list[str] = []
    for setting, reference in sorted(secrets.items()):
        try:
            resolved[setting] = resolve_secret(setting, reference, source)
        except InvalidConfiguration as exc:
            problems.append(str(exc))
    if problems:
        raise InvalidConfiguration("; ".join(problems))
    return resolved


class Redactor:
    """Replaces every known secret value (and its common encodings) in text with ``***``."""

    def __init__(self, secrets: Iterable[SecretValue | str] = ()) -> None:
        self._values: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: SecretValue | str) -> None:
        """Know ``secret`` from now on, and the forms it travels in (base64, URL-encoded)."""
        value = secret.reveal() if isinstance(secret, SecretValue) else secret
        if len(value) < MIN_SECRET_LENGTH:
            return
        self._values.add(value)
        self._values.add(base64.b64encode(value.encode()).decode())

    def add_basic_auth(self, user: str, secret: SecretValue | str) -> None:
        """Also know the ``Authorization: Basic`` form of ``user:secret``."""
        value = secret.reveal() if isinstance(secret, SecretValue) else secret
        self.add(base64.b64encode(f"{user}:{value}".encode()).decode())

    def redact(self, text: str) -> str:
        # Longest first, so a secret that contains another is replaced whole.
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return text

    def finds_secret(self, text: str) -> bool:
        """True when ``text`` holds a known secret (in any form :meth:`add` learnt)."""
        return any(value in text for value in self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Redactor({len(self._values)} values)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a redactor holds secret values and is not serialisable")


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs secrets from the message, its arguments and tracebacks.

    Attach it to handlers (``handler.addFilter(RedactingFilter(redactor))``) so records from
    every library (httpx logs request URLs) pass through it.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = self._redactor.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redactor.redact(record.exc_text)
        # The traceback is now text; dropping exc_info keeps a formatter from re-rendering the
        # unredacted original.
        record.exc_info = None
        return True


def install_redaction(redactor: Redactor, logger: logging.Logger | None = None) -> RedactingFilter:
    """Put a :class:`RedactingFilter` on every handler of ``logger`` (default: the root)."""
    target = logger or logging.getLogger()
    filt = RedactingFilter(redactor)
    for handler in target.handlers:
        handler.addFilter(filt)
    return filt


@contextlib.contextmanager
def redacting(redactor: Redactor, logger: logging.Logger | None = None) -> Iterator[Redactor]:
    """:func:`install_redaction` for the length of a ``with`` block; the filter goes after."""
    target = logger or logging.getLogger()
    filt = install_redaction(redactor, target)
    try:
        yield redactor
    finally:
        for handler in target.handlers:
            handler.removeFilter(filt)


def redact_fields(instance: D, redactor: Redactor) -> D:
    """A copy of a frozen dataclass with every text in its fields redacted.

    What the vendor writes back can echo a secret (a token pasted into a reply); the runner
    redacts each event this way before it is stored, reported or shown.
    """
    if not redactor:
        return instance
    changes = {}
    for item in dataclasses.fields(instance):  # type: ignore[arg-type]
        value = getattr(instance, item.name)
        cleaned = _scrub(value, redactor)
        if cleaned is not value and cleaned != value:
            changes[item.name] = cleaned
    return dataclasses.replace(instance, **changes) if changes else instance  # type: ignore[type-var]


def _scrub(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, tuple):
        return tuple(_scrub(item, redactor) for item in value)
    if isinstance(value, Mapping):
        return type(value)({key: _scrub(item, redactor) for key, item in value.items()})  # type: ignore[call-arg]
    return value


def redact_mapping(data: Mapping[str, Any], redactor: Redactor) -> dict[str, Any]:
    """A copy of a JSON-like mapping with every string value redacted (for reports, dumps)."""

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return redactor.redact(value)
        if isinstance(value, Mapping):
            return {key: scrub(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [scrub(item) for item in value]
        return value

    return {key: scrub(item) for key, item in data.items()}
