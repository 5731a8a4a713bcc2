"""The error tree. Every adapter maps its library's errors into it, with ``raise ... from exc``.

::

    SupportdrillError
    ├── InvalidInput                 bad input, found before anything starts (exit code 2)
    │   ├── InvalidDrill             a drill file: carries file, line, field
    │   └── InvalidConfiguration     environment, flags, missing secrets, consent
    ├── DrillFailed                  the drill could not go on (exit code 1)
    ├── FaultError                   the fault layer
    │   ├── FaultBackendUnavailable  no answer from the Toxiproxy API
    │   ├── FaultRejected            the API refused a change (carries status and message)
    │   ├── FaultNotVerified         a change was accepted but reading it back disagrees
    │   └── LoadError                a viewer surge's Locust processes failed
    ├── DeskError                    a support desk
    │   ├── DeskUnavailable          connection refused, 5xx
    │   ├── DeskTimeout              no answer in time
    │   ├── DeskRateLimited          429 (carries retry_after in seconds)
    │   ├── DeskRejected             4xx other than 429 (carries status and body)
    │   │   └── DeskAuthFailed       401/403
    │   └── DeskProtocolError        an answer we cannot read (garbage JSON, missing fields)
    ├── StreamError                  the WebRTC test stream
    └── StoreError                   the run store
        └── RunNotFound
"""

from __future__ import annotations


class SupportdrillError(Exception):
    """Base of every error supportdrill raises on purpose."""


class InvalidInput(SupportdrillError):
    """Bad input from the user: reported as one line, exit code 2, nothing changed."""


class InvalidDrill(InvalidInput):
    """A drill definition is wrong at ``path:line`` in ``field``."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class InvalidConfiguration(InvalidInput):
    """The environment or the command line is wrong (a missing secret, an unknown run id...)."""


class DrillFailed(SupportdrillError):
    """The drill could not continue; the runner ends it as aborted."""


class FaultError(SupportdrillError):
    """Base of fault-layer errors."""


class FaultBackendUnavailable(FaultError):
    """The Toxiproxy API did not answer."""


class FaultRejected(FaultError):
    """The Toxiproxy API refused a change."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class FaultNotVerified(FaultError):
    """A change was accepted, but reading the state back shows it did not take effect."""


class LoadError(FaultError):
    """A viewer surge (a fault of its own kind) could not be started or kept running."""


class DeskError(SupportdrillError):
    """Base of support-desk errors."""


class DeskUnavailable(DeskError):
    """The desk refused the connection or answered 5xx."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class DeskTimeout(DeskError):
    """The desk did not answer in time."""


class DeskRateLimited(DeskError):
    """The desk answered 429; ``retry_after`` is how long it asked us to wait, in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class DeskRejected(DeskError):
    """The desk refused the request (4xx other than 429)."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        self.status = status
        self.body = body
        super().__init__(message)


class DeskAuthFailed(DeskRejected):
    """The desk refused our credentials or permissions (401/403)."""


class DeskProtocolError(DeskError):
    """The desk answered something we cannot read."""


class StreamError(SupportdrillError):
    """The WebRTC test stream failed in a way the runner cannot absorb."""


class StoreError(SupportdrillError):
    """The run store failed or holds something we cannot read."""


class RunNotFound(StoreError, InvalidInput):
    """No run with that id in the store (bad input: exit 2)."""


class NotARunStore(StoreError, InvalidInput):
    """``--store`` names a file that is not a supportdrill run store (another application's
    SQLite database, or not SQLite at all): refused untouched, exit 2."""
