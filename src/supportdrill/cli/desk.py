"""``supportdrill desk serve|check``: the simulated vendor desk, and a drill's desk checked."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from ..session import check_desk, serve_simulated_desk
from .result import CommandResult, run_async, say

HELP = "support desks"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    desk = commands.add_parser("desk", help=HELP, description=HELP)
    verbs = desk.add_subparsers(dest="desk_command", required=True, parser_class=type(desk))
    serve = verbs.add_parser("serve", help="serve the simulated vendor desk")
    serve.set_defaults(handler=execute_serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8480)
    serve.add_argument("--persona", default="responsive-24x7")
    serve.add_argument("--timezone", default="UTC")
    serve.add_argument("--state", help="file that keeps tickets across restarts")
    check = verbs.add_parser(
        "check", help="verify a drill's desk credentials and what it can see, without filing"
    )
    check.set_defaults(handler=execute_check)
    check.add_argument("file", metavar="DRILL")


def execute_serve(args: argparse.Namespace) -> CommandResult:
    run_async(
        serve_simulated_desk(
            host=args.host,
            port=args.port,
            persona=args.persona,
            timezone=args.timezone,
            state_path=Path(args.state) if args.state else None,
            say=say,
        )
    )
    return CommandResult()


def execute_check(args: argparse.Namespace) -> CommandResult:
    return CommandResult(lines=tuple(asyncio.run(check_desk(Path(args.file)))))
