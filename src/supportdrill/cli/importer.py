"""``supportdrill import EXPORT``: bring runs from an export file into the store (idempotent)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import store_path
from .result import CommandResult, ExitCode

HELP = "bring runs from an export file into the store"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("import", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("file", metavar="EXPORT")


def execute(args: argparse.Namespace) -> CommandResult:
    from ..report.index import index_store
    from ..store.transfer import import_file

    target = store_path(args)
    result = import_file(target, Path(args.file))
    lines = (f"imported {args.file}: {result.describe()}", index_store(target).describe())
    return CommandResult(ExitCode.FAILED if result.conflicts else ExitCode.OK, lines)
