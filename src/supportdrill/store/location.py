"""Where the run store is: a SQLite file path or a ``postgresql://`` URL, and the one default.

``--store`` and ``$SUPPORTDRILL_STORE`` both go through :func:`parse_store`. Anything that starts
like a URL scheme (``word:``) is read as one, so ``postgresql://…`` can never be mistaken for a
relative file path again; a scheme this code does not know is bad input, not a new file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import InvalidConfiguration

DEFAULT_STORE = Path(".supportdrill") / "runs.db"
STORE_ENV = "SUPPORTDRILL_STORE"
POSTGRES_SCHEMES = ("postgresql", "postgres")

StoreTarget = str | Path
"""What callers pass: a path, or the text of ``--store`` / ``$SUPPORTDRILL_STORE``."""

# Two characters or more, so a Windows drive letter (C:\runs.db) stays a path.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


@dataclass(frozen=True)
class StoreLocation:
    """A parsed store target: ``path`` for SQLite, ``dsn`` for PostgreSQL."""

    backend: str
    """``sqlite`` or ``postgresql``."""
    path: Path | None = None
    dsn: str | None = None

    @property
    def display(self) -> str:
        """For messages and logs: the path, or the URL with any password replaced by ``***``."""
        if self.path is not None:
            return str(self.path)
        assert self.dsn is not None
        return redact_dsn(self.dsn)

    @property
    def target(self) -> StoreTarget:
        """What to open the store with: the SQLite file, or the PostgreSQL URL."""
        if self.path is not None:
            return self.path
        assert self.dsn is not None
        return self.dsn

    def exists(self) -> bool:
        """Whether there is a store to read (a server is assumed to exist until connected)."""
        return self.path is None or str(self.path) == ":memory:" or self.path.exists()

    def reports_dir(self) -> Path:
        """Where reports go unless told: beside a SQLite file, else ``.supportdrill/reports``."""
        base = self.path.parent if self.path is not None else DEFAULT_STORE.parent
        return base / "reports"


def redact_dsn(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password is None:
        return re.sub(r"(password=)\S+", r"\1***", dsn)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{parts.username or ''}:***@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_store(target: StoreTarget | None = None) -> StoreLocation:
    """``target``, else ``$SUPPORTDRILL_STORE``, else ``./.supportdrill/runs.db``, parsed.

    ``sqlite:///abs/path`` and ``sqlite:relative/path`` name SQLite files too;
    :class:`InvalidConfiguration` (exit 2) for any other scheme.
    """
    if target is None or target == "":
        target = os.environ.get(STORE_ENV) or DEFAULT_STORE
    if isinstance(target, Path):
        return StoreLocation("sqlite", path=target)
    text = target.strip()
    match = _SCHEME.match(text)
    if match is None:
        return StoreLocation("sqlite", path=Path(text))
    scheme = match.group(1).lower()
    if scheme in POSTGRES_SCHEMES:
        if not text[len(match.group(0)) :].startswith("//"):
            raise InvalidConfiguration(
                f"store URL {redact_dsn(text)!r}: expected {scheme}://user@host:port/database"
            )
        parts = urlsplit(text)
        if not parts.netloc and not parts.path.strip("/") and not parts.query:
            raise InvalidConfiguration(f"store URL {redact_dsn(text)!r}: no server or database")
        return StoreLocation("postgresql", dsn=text)
    if scheme == "sqlite":
        rest = text[len(match.group(0)) :]
        # sqlite:///abs → /abs ; sqlite://rel is ambiguous (a host?) and refused.
        if rest.startswith("//"):
            rest = rest[2:]
            if not rest.startswith("/"):
                raise InvalidConfiguration(
                    f"store URL {text!r}: use sqlite:///absolute/path or sqlite:relative/path"
                )
        if not rest:
            raise InvalidConfiguration(f"store URL {text!r}: no file path")
        return StoreLocation("sqlite", path=Path(rest))
    raise InvalidConfiguration(
        f"store {text!r}: unknown scheme {scheme!r} (use a file path, sqlite:///path or "
        "postgresql://user@host:port/database)"
    )


def default_store_path() -> Path:
    """``$SUPPORTDRILL_STORE`` when it names a SQLite file, else ``./.supportdrill/runs.db``.

    Kept for callers that need a file; :func:`parse_store` is the general form.
    """
    location = parse_store()
    return location.path if location.path is not None else DEFAULT_STORE
