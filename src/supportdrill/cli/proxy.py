"""``supportdrill proxy serve``: the embedded Toxiproxy-compatible server, in its own process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from ..faults.server import serve
from .result import CommandResult, run_async, say

HELP = "the embedded Toxiproxy-compatible server"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proxy = commands.add_parser("proxy", help=HELP, description=HELP)
    verbs = proxy.add_subparsers(dest="proxy_command", required=True, parser_class=type(proxy))
    parser = verbs.add_parser("serve", help="serve the Toxiproxy API")
    parser.set_defaults(handler=execute)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8474)


def execute(args: argparse.Namespace) -> CommandResult:
    def ready(url: str) -> None:
        say(f"supportdrill proxy: Toxiproxy-compatible API on {url}")

    async def until_stopped() -> None:
        # SIGINT and SIGTERM cancel the server: that is how it is meant to stop.
        with contextlib.suppress(asyncio.CancelledError):
            await serve(args.host, args.port, ready=ready)

    run_async(until_stopped())
    return CommandResult()
