"""What a verb returns, and the exit codes: defined once, here.

Every verb of the command layer returns a :class:`CommandResult` (data: the lines for stdout and
stderr, and the exit code), and only :func:`supportdrill.cli.main` prints it. Exit codes: 0 done
(for ``run``, every SLA met), 1 an SLA breached or the drill aborted, 2 bad input or
configuration (nothing was started).
"""

from __future__ import annotations

import enum
import os
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
    """Run ``coro``; SIGINT and SIGTERM cancel it so the runner ends the drill as halted.

    Only the first signal cancels: the teardown it starts (removing the fault, writing the
    report) is not cut short by a second Ctrl-C. SIGKILL remains for the impatient, and the next
    start or ``cleanup`` sweeps what it leaves.
    """
    import asyncio  # here: a verb that runs nothing (``--help``, ``validate``) does not load it
    import signal

    async def main() -> T:
        task = asyncio.ensure_future(coro)
        loop = asyncio.get_running_loop()
        stopping = False

        def stop() -> None:
            nonlocal stopping
            if stopping:
                say("supportdrill: already stopping: removing the fault and writing the report")
                return
            stopping = True
            task.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        try:
            return await task
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    return asyncio.run(main())


def emit(result: CommandResult) -> int:
    """Print a verb's result (the only place, with :func:`say`, that the harness prints).

    A reader that stops early (``supportdrill report RUN | head``) is not an error: the rest of
    the output goes nowhere and the verb's exit code stands."""
    try:
        for line in result.lines:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    for line in result.errors:
        print(line, file=sys.stderr)
    return int(result.exit_code)
