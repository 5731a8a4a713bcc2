"""``supportdrill report RUN_ID``: one run's report, rendered from its stored timeline."""

from __future__ import annotations

import argparse

from .options import add_reports_option, reports_dir, store_path
from .result import CommandResult

HELP = "render one run's report"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("report", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("run_id")
    parser.add_argument(
        "--format", choices=["markdown", "json", "html", "paths"], default="markdown"
    )
    add_reports_option(parser, "where report files are written")


def execute(args: argparse.Namespace) -> CommandResult:
    from ..report.commands import render_report

    text = render_report(store_path(args), args.run_id, fmt=args.format, out_dir=reports_dir(args))
    return CommandResult(lines=(text,))
