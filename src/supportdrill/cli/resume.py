"""``supportdrill resume RUN_ID``: continue a run a crash interrupted: same ticket, same figures."""

from __future__ import annotations

import argparse

from .options import add_live_option, add_reports_option, reports_dir, store_path
from .result import CommandResult, ExitCode, run_async, say
from .run import finished

HELP = "continue a run interrupted by a crash"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("resume", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("run_id")
    add_reports_option(parser)
    add_live_option(parser)


def execute(args: argparse.Namespace) -> CommandResult:
    from ..session import resume_run

    run = run_async(
        resume_run(
            args.run_id,
            store_path=store_path(args),
            reports_dir=reports_dir(args),
            live=not args.no_live,
            say=say,
        )
    )
    return finished(run, ExitCode.OK if run.sla_met else ExitCode.FAILED)
