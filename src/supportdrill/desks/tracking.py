"""What the real-desk adapters share besides HTTP: drill tags, poll cursors, vendor SLA clocks.

- :func:`drill_token` and :func:`drill_tag` turn a drill run's idempotency key into the marker
  we put on the ticket (subject token, desk tag, label) and later search for in ``find()``:
  that search, made before any (re)filing, is what makes filing exactly-once across a crash.
- :class:`Cursor` is the opaque ``since`` string of :meth:`Desk.poll`: the message ids already
  returned, the last status seen and the last ETag. It survives a harness restart because the
  runner stores it as text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..errors import DeskProtocolError
from ..vocabulary import DeskPoll
from .http import json_object

TOKEN_PREFIX = "SD-"
_TOKEN_RE = re.compile(r"\[SD-([0-9a-f]{10})\]")

SEVERITY_WORDS = {"P0": "urgent", "P1": "high", "P2": "normal", "P3": "low"}


def key_digest(idempotency_key: str) -> str:
    """Ten hex characters standing for the key: short enough for subjects and labels."""
    if not idempotency_key:
        raise ValueError("an idempotency key must not be empty")
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:10]


def drill_token(idempotency_key: str) -> str:
    """``[SD-0123456789]``: put in the subject (and body) so the ticket can be found again."""
    return f"[{TOKEN_PREFIX}{key_digest(idempotency_key)}]"


def drill_tag(idempotency_key: str) -> str:
    """``supportdrill-0123456789``: a desk tag / label (lower-case, no spaces or brackets)."""
    return f"supportdrill-{key_digest(idempotency_key)}"


def token_in(text: str) -> str | None:
    """The digest of the first drill token in ``text``, if any."""
    match = _TOKEN_RE.search(text)
    return match.group(1) if match else None


def first_carrying_token(
    items: Iterable[Any], idempotency_key: str, *, field: str, what: str
) -> Any | None:
    """The first of ``items`` (a desk's listing, newest first) whose ``field`` carries the
    drill's token: how a requester finds its own ticket again without the lagging search."""
    token = drill_token(idempotency_key)
    for item in items:
        if token in str(json_object(item, what).get(field, "")):
            return item
    return None


def with_token(subject: str, idempotency_key: str) -> str:
    token = drill_token(idempotency_key)
    return subject if token in subject else f"{subject} {token}"


@dataclass(frozen=True)
class Cursor:
    """Where a poll stopped: ids already returned, last status, last ETag."""

    seen: tuple[str, ...] = ()
    status: str | None = None
    etag: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())
    """Adapter-specific positions (e.g. an IMAP UIDVALIDITY and last UID)."""

    def encode(self) -> str:
        record: dict[str, object] = {
            "seen": list(self.seen),
            "status": self.status,
            "etag": self.etag,
        }
        if self.extra:
            record["extra"] = [list(item) for item in self.extra]
        raw = json.dumps(record, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode()

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            record = json.loads(base64.urlsafe_b64decode(text.encode()))
            seen = tuple(str(item) for item in record.get("seen", []))
            extra = tuple((str(k), str(v)) for k, v in record.get("extra", []))
            status = record.get("status")
            etag = record.get("etag")
        except (ValueError, TypeError, AttributeError) as exc:
            raise DeskProtocolError(f"unreadable poll cursor {text[:40]!r}") from exc
        return cls(
            seen=seen,
            status=None if status is None else str(status),
            etag=None if etag is None else str(etag),
            extra=extra,
        )

    def saw(self, *ids: str) -> Cursor:
        known = set(self.seen)
        return replace(self, seen=self.seen + tuple(i for i in ids if i not in known))

    def get(self, name: str) -> str | None:
        return dict(self.extra).get(name)

    def with_extra(self, **values: str) -> Cursor:
        merged = dict(self.extra)
        merged.update(values)
        return replace(self, extra=tuple(sorted(merged.items())))


def empty_poll(cursor: Cursor, server_time: datetime | None) -> DeskPoll:
    return DeskPoll(events=(), cursor=cursor.encode(), server_time=server_time)
