"""Retrying desk calls within the drill's deadline, and reporting the time we were blind.

The :class:`~supportdrill.desks.base.Desk` interface leaves retrying to the caller, because
only the caller knows the drill's deadline. :func:`with_retries` is that caller-side loop:

- ``DeskRateLimited``: wait what the desk asked (``Retry-After``, ``x-ratelimit-reset``...); if
  it did not say, at least :data:`RATE_LIMIT_FLOOR_S` and doubling: GitHub warns that retrying
  a rate limit on a short fixed backoff can get an integration banned;
- ``DeskUnavailable``, ``DeskTimeout``, ``DeskProtocolError``: exponential backoff;
- ``DeskRejected`` / ``DeskAuthFailed`` (4xx): raised at once, retrying will not help;
- never sleeps past ``deadline``: the last error is raised instead.

Whenever a call failed at least once, ``on_gap`` receives a
:class:`~supportdrill.timeline.DeskGap` from the first failure to the moment the desk answered
again (or we gave up), so the timeline says when and why the desk was not watched.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from ..clock import Clock
from ..errors import (
    DeskError,
    DeskProtocolError,
    DeskRateLimited,
    DeskRejected,
    DeskTimeout,
    DeskUnavailable,
)
from ..timeline import DeskGap

T = TypeVar("T")

GapHandler = Callable[[DeskGap], Awaitable[None] | None]

RETRYABLE: tuple[type[DeskError], ...] = (
    DeskRateLimited,
    DeskUnavailable,
    DeskTimeout,
    DeskProtocolError,
)


RATE_LIMIT_FLOOR_S = 60.0
"""The least wait after a rate limit that named no time ("wait at least one minute", GitHub)."""
RATE_LIMIT_CAP_S = 900.0


def backoff_delay(attempt: int, *, base: float, cap: float) -> float:
    """The wait after the ``attempt``-th failure (1-based): base, 2·base, 4·base … ≤ cap."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))


async def _report(on_gap: GapHandler | None, gap: DeskGap) -> None:
    if on_gap is None:
        return
    result = on_gap(gap)
    if inspect.isawaitable(result):
        await result


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    deadline: datetime,
    clock: Clock,
    on_gap: GapHandler | None = None,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    max_attempts: int | None = None,
) -> T:
    """``await call()`` until it succeeds, retrying transient desk errors until ``deadline``.

    Raises the last transient error when the next wait would cross ``deadline`` (or after
    ``max_attempts`` tries), and any non-transient :class:`~supportdrill.errors.DeskError` at
    once. Either way, a failure is reported to ``on_gap`` before it is raised.
    """
    if base_delay <= 0 or max_delay < base_delay:
        raise ValueError("need 0 < base_delay <= max_delay")
    attempts = 0
    first_failure: datetime | None = None
    last_error = ""
    while True:
        try:
            result = await call()
        except DeskRejected as exc:
            if first_failure is not None:
                await _gap(on_gap, clock, first_failure, attempts + 1, str(exc))
            raise
        except RETRYABLE as exc:
            attempts += 1
            now = clock.now()
            if first_failure is None:
                first_failure = now
            last_error = f"{type(exc).__name__}: {exc}"
            delay = backoff_delay(attempts, base=base_delay, cap=max_delay)
            if isinstance(exc, DeskRateLimited):
                delay = (
                    exc.retry_after
                    if exc.retry_after is not None
                    else backoff_delay(attempts, base=RATE_LIMIT_FLOOR_S, cap=RATE_LIMIT_CAP_S)
                )
            out_of_attempts = max_attempts is not None and attempts >= max_attempts
            if out_of_attempts or (now.timestamp() + delay) > deadline.timestamp():
                await _gap(on_gap, clock, first_failure, attempts, last_error)
                raise
            await clock.sleep(delay)
            continue
        if first_failure is not None:
            await _gap(on_gap, clock, first_failure, attempts + 1, last_error)
        return result


async def _gap(
    on_gap: GapHandler | None, clock: Clock, start: datetime, attempts: int, error: str
) -> None:
    now = clock.now()
    await _report(
        on_gap,
        DeskGap(
            at=start,
            observed_at=now,
            until=max(now, start),
            error=error,
            attempts=attempts,
            precision_s=0.0,
        ),
    )
