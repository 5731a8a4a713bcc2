"""``supportdrill reindex``: score every finished run again and rebuild the scorecard index."""

from __future__ import annotations

import argparse

from .options import store_path
from .result import CommandResult

HELP = "score every finished run again and rebuild the scorecard index"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("reindex", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> CommandResult:
    from ..report.index import reindex_store

    return CommandResult(lines=(reindex_store(store_path(args)).describe(),))
