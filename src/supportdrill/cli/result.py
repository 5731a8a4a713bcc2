"""What a verb returns, and the exit codes: defined once, here.

Every verb of the command layer returns a :class:`CommandResult` (data: the lines for stdout and
stderr, and the exit code), and only :func:`supportdrill.cli.main` prints it. Exit codes: 0 done
(for ``run``, every SLA met), 1 an SLA breached or the drill aborted, 2 bad input or
configuration (nothing was started).
"""

from __future__ import annotations

import asyncio
import enum
import signal
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    """An SLA breached, the drill aborted, or a server did not answer."""
    BAD_INPUT = 2
    """Bad input or configuration; nothing was started or changed."""


@dataclass(frozen=True)
class CommandResult:
    """A verb's answer: lines for stdout, lines for stderr, and the exit code."""

    exit_code: ExitCode = ExitCode.OK
    lines: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def say(line: str) -> None:
    """Progress while a long verb runs (a drill, a server): printed at once, in order."""
    print(line, flush=True)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro``; SIGINT and SIGTERM cancel it so the runner ends the drill as halted."""

    async def main() -> T:
        task = asyncio.ensure_future(coro)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            return await task
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    return asyncio.run(main())


def emit(result: CommandResult) -> int:
    """Print a verb's result (the only place, with :func:`say`, that the harness prints)."""
    for line in result.lines:
        print(line)
    for line in result.errors:
        print(line, file=sys.stderr)
    return int(result.exit_code)
