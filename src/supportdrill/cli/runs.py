"""``supportdrill runs``: the stored runs with their verdicts."""

from __future__ import annotations

import argparse

from .options import store_path
from .result import CommandResult

HELP = "list stored runs"


def _limit(text: str) -> int:
    # argparse turns the ValueError into "invalid _limit value" and exit 2.
    value = int(text)
    if not 1 <= value <= 100_000:
        raise ValueError(text)
    return value


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("runs", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("--limit", type=_limit, default=20, help="at most this many (1-100000)")
    parser.add_argument("--vendor")
    parser.add_argument("--schedule", help="one schedule's series: every cron time and its run")


def execute(args: argparse.Namespace) -> CommandResult:
    if args.schedule:
        from ..schedule.commands import series

        return CommandResult(lines=(series(store_path(args), args.schedule, limit=args.limit),))
    from ..report.commands import list_runs

    return CommandResult(lines=(list_runs(store_path(args), limit=args.limit, vendor=args.vendor),))
