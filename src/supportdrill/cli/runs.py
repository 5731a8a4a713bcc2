"""``supportdrill runs``: the stored runs with their verdicts."""

from __future__ import annotations

import argparse

from ..report.commands import list_runs
from ..schedule.commands import series
from .options import store_path
from .result import CommandResult

HELP = "list stored runs"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("runs", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--vendor")
    parser.add_argument("--schedule", help="one schedule's series: every cron time and its run")


def execute(args: argparse.Namespace) -> CommandResult:
    if args.schedule:
        return CommandResult(lines=(series(store_path(args), args.schedule, limit=args.limit),))
    return CommandResult(lines=(list_runs(store_path(args), limit=args.limit, vendor=args.vendor),))
