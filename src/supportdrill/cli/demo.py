"""``supportdrill demo``: a real drill on the embedded defaults, and where its report is.

The demo's drill is one of the package's example drills (a simulated persona), so it runs from an
installed wheel as well as from a checkout.
"""

from __future__ import annotations

import argparse

from .options import add_live_option, add_reports_option, reports_dir, store_path
from .result import CommandResult, ExitCode, run_async, say
from .run import finished

HELP = "run the embedded-default demo drill and print where its report is"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("demo", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("--persona", default="business-hours-only", help="simulated vendor persona")
    add_reports_option(parser)
    add_live_option(parser)


def execute(args: argparse.Namespace) -> CommandResult:
    from ..definitions.packaged import demo_drill_path
    from ..session import run_drill_file

    run = run_async(
        run_drill_file(
            demo_drill_path(args.persona),
            store_path=store_path(args),
            reports_dir=reports_dir(args),
            live=not args.no_live,
            say=say,
        )
    )
    # The demo shows a breach on purpose: it succeeds when the drill completed.
    return finished(run, ExitCode.OK if run.completed else ExitCode.FAILED)
