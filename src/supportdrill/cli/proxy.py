"""``supportdrill proxy serve``: the embedded Toxiproxy-compatible server, in its own process."""

from __future__ import annotations

import argparse
import contextlib

from ..errors import InvalidConfiguration
from ..faults.server_flags import add_toxiproxy_flags, read_flags
from .result import CommandResult, run_async, say

HELP = "the embedded Toxiproxy-compatible server"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proxy = commands.add_parser("proxy", help=HELP, description=HELP)
    verbs = proxy.add_subparsers(dest="proxy_command", required=True, parser_class=type(proxy))
    parser = verbs.add_parser("serve", help="serve the Toxiproxy API")
    parser.set_defaults(handler=execute)
    add_toxiproxy_flags(parser)  # toxiproxy-server's own flags: a drop-in for the binary


def execute(args: argparse.Namespace) -> CommandResult:
    import asyncio

    from ..faults.server import VERSION, serve

    if args.version:
        return CommandResult(
            lines=(f"toxiproxy-server version {VERSION} (supportdrill's embedded server)",)
        )
    flags = read_flags(args)
    notes: tuple[str, ...] = ()
    if args.proxy_metrics or args.runtime_metrics:
        notes = ("supportdrill proxy: the metrics flags are accepted; no /metrics",)

    def ready(url: str) -> None:
        say(f"supportdrill proxy: Toxiproxy-compatible API on {url}")

    if not 0 <= flags.port <= 65535:
        raise InvalidConfiguration(f"proxy: port {flags.port} is not 0-65535")

    async def until_stopped() -> None:
        # SIGINT and SIGTERM cancel the server: that is how it is meant to stop.
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await serve(
                    flags.host, flags.port, ready=ready, config=flags.config, seed=flags.seed
                )
            except OSError as exc:  # a port in use, an address not on this machine
                raise InvalidConfiguration(
                    f"proxy: cannot listen on {flags.host}:{flags.port}: {exc.strerror or exc}"
                ) from exc

    for note in notes:
        say(note)
    run_async(until_stopped())
    return CommandResult()
