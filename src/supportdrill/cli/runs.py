"""``supportdrill runs``: the stored runs with their verdicts."""

from __future__ import annotations

import argparse

from ..report.commands import list_runs
from .options import store_path
from .result import CommandResult

HELP = "list stored runs"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("runs", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--vendor")


def execute(args: argparse.Namespace) -> CommandResult:
    return CommandResult(lines=(list_runs(store_path(args), limit=args.limit, vendor=args.vendor),))
