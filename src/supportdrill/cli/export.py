"""``supportdrill export``: write stored runs to a file another store can import (lossless)."""

from __future__ import annotations

import argparse
import sys

from .options import store_path
from .result import CommandResult

HELP = "write stored runs to a file another store can import"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("export", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("--out", help="the export file (default: standard output)")
    parser.add_argument("--run", action="append", default=[], help="only this run (repeatable)")
    parser.add_argument("--vendor", help="only this vendor's runs")


def execute(args: argparse.Namespace) -> CommandResult:
    from ..store.transfer import export_store

    target = store_path(args)
    if args.out in (None, "-"):
        # The export itself is the standard output; the count goes to standard error.
        count = export_store(target, sys.stdout, run_ids=args.run, vendor=args.vendor)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            count = export_store(target, out, run_ids=args.run, vendor=args.vendor)
    return CommandResult(errors=(f"exported {count} run(s)",))
