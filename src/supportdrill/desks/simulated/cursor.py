"""The poll cursor: which desk events a watcher has already seen, as one short string.

Desk timestamps are whole seconds, so several events can share one; a cursor is the latest
timestamp seen plus the keys of the events seen *at* that timestamp (``2026-01-05T02:12:00+00:00|
c1002,s1``). The runner stores it as an opaque string and hands it back after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ...errors import InvalidConfiguration


@dataclass(frozen=True)
class Cursor:
    at: datetime | None = None
    seen: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        stamp, _, keys = text.partition("|")
        try:
            at = datetime.fromisoformat(stamp)
        except ValueError as exc:
            raise InvalidConfiguration(f"simulated desk: bad poll cursor {text!r}") from exc
        if at.tzinfo is None:
            raise InvalidConfiguration(f"simulated desk: poll cursor {text!r} has no zone")
        return cls(at, frozenset(key for key in keys.split(",") if key))

    def is_new(self, at: datetime, key: str) -> bool:
        if self.at is None or at > self.at:
            return True
        return at == self.at and key not in self.seen

    def advanced(self, items: Iterable[tuple[datetime, str]]) -> Cursor:
        """This cursor after also seeing ``items`` (timestamp, key)."""
        latest, seen = self.at, set(self.seen)
        for at, key in items:
            if latest is None or at > latest:
                latest, seen = at, {key}
            elif at == latest:
                seen.add(key)
        return Cursor(latest, frozenset(seen))

    def render(self) -> str | None:
        if self.at is None:
            return None
        return f"{self.at.isoformat()}|{','.join(sorted(self.seen))}"
