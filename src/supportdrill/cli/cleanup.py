"""``supportdrill cleanup``: remove the faults of runs that did not end (a killed harness)."""

from __future__ import annotations

import argparse

from .options import store_path
from .result import CommandResult, ExitCode, run_async

HELP = "remove the faults of runs that did not end (a killed harness) from their Toxiproxy"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("cleanup", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> CommandResult:
    """0 when no leftover remains, 1 when a server did not answer."""
    from ..session import cleanup_faults

    path = store_path(args)
    cleanup = run_async(cleanup_faults(path))
    if not cleanup.store_found:
        return CommandResult(lines=(f"no store at {path}: nothing to clean up",))
    lines = [f"removed {proxy}" for proxy in cleanup.removed]
    lines += [
        f"could not remove {proxy}: its Toxiproxy server did not answer"
        for proxy in cleanup.not_removed
    ]
    if not lines:
        lines.append("no leftover faults")
    code = ExitCode.FAILED if cleanup.not_removed else ExitCode.OK
    return CommandResult(code, tuple(lines))
