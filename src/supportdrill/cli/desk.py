"""``supportdrill desk serve|check``: the simulated vendor desk, and a drill's desk checked."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..definitions.personas import (
    BUSINESS_HOURS,
    DEFAULT_PERSONA,
    DEFAULT_RATE,
    DEFAULT_TIMEZONE,
    PERSONA_NAMES,
)
from .result import CommandResult, run_async, say

HELP = "support desks"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    desk = commands.add_parser("desk", help=HELP, description=HELP)
    verbs = desk.add_subparsers(dest="desk_command", required=True, parser_class=type(desk))
    serve = verbs.add_parser("serve", help="serve the simulated vendor desk")
    serve.set_defaults(handler=execute_serve)
    serve.add_argument("--host", default="127.0.0.1", help="a loopback address only")
    serve.add_argument("--port", type=int, default=8480, help="0: any free port")
    serve.add_argument("--persona", default=DEFAULT_PERSONA, choices=PERSONA_NAMES)
    serve.add_argument("--timezone", default=DEFAULT_TIMEZONE, help="IANA zone of its people")
    serve.add_argument("--hours", default=BUSINESS_HOURS, help="business-hours-only's hours")
    serve.add_argument(
        "--holidays", metavar="COUNTRY[/SUBDIVISION]", help="public holidays, e.g. CN or US/CA"
    )
    serve.add_argument(
        "--start", metavar="ISO_TIME", help="run on simulated time from this moment (+offset)"
    )
    serve.add_argument(
        "--rate", type=float, help=f"simulated seconds per wall second (default {DEFAULT_RATE:g})"
    )
    serve.add_argument(
        "--scale", type=float, default=1.0, help="every delay of the persona's script times this"
    )
    serve.add_argument("--state", help="file that keeps tickets across restarts")
    check = verbs.add_parser(
        "check", help="verify a drill's desk credentials and what it can see, without filing"
    )
    check.set_defaults(handler=execute_check)
    check.add_argument("file", metavar="DRILL")


def execute_serve(args: argparse.Namespace) -> CommandResult:
    from ..desks.simulated.hours import HolidayRules
    from ..desks.simulated.launch import DeskLaunch, parse_start
    from ..session import serve_simulated_desk

    country, _, subdivision = (args.holidays or "").partition("/")
    spec = DeskLaunch(
        persona=args.persona,
        timezone=args.timezone,
        hours=args.hours,
        holidays=HolidayRules(country=country or None, subdivision=subdivision or None),
        start=parse_start(args.start) if args.start else None,
        rate=args.rate if args.rate is not None else DEFAULT_RATE,
        scale=args.scale,
    )
    run_async(
        serve_simulated_desk(
            spec,
            host=args.host,
            port=args.port,
            state_path=Path(args.state) if args.state else None,
            say=say,
        )
    )
    return CommandResult()


def execute_check(args: argparse.Namespace) -> CommandResult:
    import asyncio

    from ..session import check_desk

    return CommandResult(lines=tuple(asyncio.run(check_desk(Path(args.file)))))
