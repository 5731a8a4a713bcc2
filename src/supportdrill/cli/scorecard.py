"""``supportdrill scorecard``: vendors side by side over their finished runs (p50/p90/max)."""

from __future__ import annotations

import argparse

from ..report.compare import compare_store, comparison_json, render_comparison
from .options import store_path
from .result import CommandResult

HELP = "the vendor scorecard: vendors side by side over their finished runs (p50/p90/max)"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("scorecard", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("--vendor", action="append", help="only this vendor (repeatable)")
    parser.add_argument("--severity", choices=["P0", "P1", "P2", "P3"])
    parser.add_argument(
        "--include-simulated",
        action="store_true",
        help="also runs on simulated time (a persona's script, not a vendor)",
    )
    parser.add_argument("--format", choices=["markdown", "json"], default="markdown")


def execute(args: argparse.Namespace) -> CommandResult:
    summaries = compare_store(
        store_path(args),
        vendors=args.vendor or (),
        severity=args.severity,
        include_simulated=args.include_simulated,
    )
    text = comparison_json(summaries) if args.format == "json" else render_comparison(summaries)
    return CommandResult(lines=(text,))
