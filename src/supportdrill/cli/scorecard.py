"""``supportdrill scorecard``: vendors side by side per severity and time window.

p50/p90/max of acknowledgement, first human response and resolution; SLA compliance with its
confidence interval; diagnosis accuracy; an hour-of-week heat map; optionally the outage cost.
"""

from __future__ import annotations

import argparse

from ..errors import InvalidInput
from .options import store_path
from .result import CommandResult

HELP = (
    "the vendor scorecard: vendors side by side per severity and time window (p50/p90/max, "
    "SLA compliance with its confidence interval, diagnosis accuracy, hour-of-week heat map)"
)


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
    parser.add_argument("--format", choices=["md", "markdown", "json", "html"], default="md")
    parser.add_argument(
        "--revenue-per-minute",
        type=float,
        help="what a minute of outage costs you (e.g. 30000 at a mid-size platform's peak): "
        "adds each vendor's outage cost",
    )
    parser.add_argument(
        "--currency", default="", help="the currency's name for --revenue-per-minute"
    )
    parser.add_argument(
        "--group",
        choices=["vendor", "schedule"],
        default="vendor",
        help="rows (and hour-of-week heat maps) per vendor, or per vendor and schedule",
    )


def execute(args: argparse.Namespace) -> CommandResult:
    if args.revenue_per_minute is not None and not args.revenue_per_minute >= 0:
        raise InvalidInput("--revenue-per-minute must be a number, not negative")
    from ..report.vendor_scorecard import load, render_json, render_markdown

    card = load(
        store_path(args),
        vendors=args.vendor or (),
        severity=args.severity,
        include_simulated=args.include_simulated,
        revenue_per_minute=args.revenue_per_minute,
        currency=args.currency,
        group=args.group,
    )
    if args.format == "html":
        from ..report.scorecard_html import render_html  # matplotlib: only when drawn

        return CommandResult(lines=(render_html(card),))
    render = render_json if args.format == "json" else render_markdown
    return CommandResult(lines=(render(card),))
