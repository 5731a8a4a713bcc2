"""``supportdrill load worker|origin``: a Locust worker for a surge, and the loopback surge target.

``load worker --master HOST`` joins a drill's Locust master (a drill with ``load: {workers: N}``
runs the master with ``--expect-workers N``) from this machine: Locust's own worker mode, with
the shipped locustfile, so a surge can scale past one machine. The master sends the surge's
settings; the viewers' Bearer token, if any, must be in this machine's environment under the
same variable name. ``load origin`` serves :class:`~supportdrill.load.origin.SurgeOrigin` (WHIP,
WHEP, HLS, LL-HLS, HTTP-FLV with an edge's limits) and prints its URLs as environment lines for
the example surge drill.
"""

from __future__ import annotations

import argparse
import contextlib
import os

from .result import CommandResult, ExitCode, run_async, say

HELP = "viewer surges: a Locust worker, or the loopback surge target"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    load = commands.add_parser("load", help=HELP, description=HELP)
    verbs = load.add_subparsers(dest="load_command", required=True, parser_class=type(load))
    worker = verbs.add_parser("worker", help="run a Locust worker for a surge's master")
    worker.set_defaults(handler=execute_worker)
    worker.add_argument("--master", required=True, metavar="HOST", help="the master's host")
    worker.add_argument("--master-port", type=int, default=5557)
    origin = verbs.add_parser("origin", help="serve the loopback surge target")
    origin.set_defaults(handler=execute_origin)
    origin.add_argument("--host", default="127.0.0.1")
    origin.add_argument("--port", type=int, default=8480)
    origin.add_argument("--capacity", type=int, default=8, help="viewers at full quality")
    origin.add_argument("--max-viewers", type=int, default=16, help="viewers before 503")
    origin.add_argument("--max-offers-per-s", type=float, default=50.0)


def execute_worker(args: argparse.Namespace) -> CommandResult:
    from ..load import require_locust, worker_command

    require_locust()
    command = worker_command(args.master, args.master_port)
    say(f"supportdrill load: Locust worker for the master at {args.master}:{args.master_port}")
    # Locust takes this process over: it is the worker (and ends with it).
    os.execv(command[0], command)
    return CommandResult(ExitCode.FAILED)  # not reached: execv returns only by raising


def execute_origin(args: argparse.Namespace) -> CommandResult:
    import asyncio

    from ..load.origin import OriginLimits, SurgeOrigin

    try:
        limits = OriginLimits(
            capacity=args.capacity,
            max_viewers=args.max_viewers,
            max_offers_per_s=args.max_offers_per_s,
        )
    except ValueError as exc:
        return CommandResult(ExitCode.BAD_INPUT, errors=(f"supportdrill: {exc}",))

    async def until_stopped() -> None:
        async with SurgeOrigin(limits, host=args.host, port=args.port) as origin:
            say(f"SURGE_WHIP_URL={origin.whip_url}")
            say(f"SURGE_WHEP_URL={origin.whep_url}")
            say(f"SURGE_HLS_URL={origin.hls_url}")
            say(f"SURGE_LL_HLS_URL={origin.ll_hls_url}")
            say(f"SURGE_FLV_URL={origin.flv_url}")
            say(f"supportdrill load origin: serving on {origin.base_url}")
            # SIGINT and SIGTERM cancel the server: that is how it is meant to stop.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.Event().wait()

    run_async(until_stopped())
    return CommandResult()
