"""``supportdrill schedule list|next|run|fire|export``: off-hours drills on a cron schedule.

This module defines the verbs' arguments; what they do lives in
:mod:`supportdrill.schedule.commands`, loaded when a verb runs (the scheduler, the store, the
drill loader), and its exit code becomes a :class:`~supportdrill.cli.result.CommandResult`.
"""

from __future__ import annotations

import argparse

from .options import reports_dir, store_path
from .result import CommandResult, ExitCode, run_async, say

HELP = "off-hours drills on a cron schedule in the vendor's time zone"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verb = commands.add_parser("schedule", help=HELP)
    verbs = verb.add_subparsers(
        dest="schedule_command", required=True, parser_class=commands._parser_class
    )

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = verbs.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=execute)
        return sub

    listing = add("list", "the scheduled drills, their runs so far and their next run")
    listing.add_argument("files", nargs="+", metavar="DRILL_OR_DIR")
    coming = add("next", "the coming runs in UTC and vendor time, with DST changes and holidays")
    coming.add_argument("file", metavar="DRILL")
    coming.add_argument("-n", "--count", type=int, default=10)
    coming.add_argument("--after", help="from this ISO time (default: now)")
    for name, text in (
        ("run", "the long-lived scheduler: starts each drill in a process of its own"),
        ("fire", "for an outer scheduler: start the run due now (windows, jitter, claims)"),
    ):
        sub = add(name, text)
        if name == "run":
            sub.add_argument("files", nargs="+", metavar="DRILL_OR_DIR")
            sub.add_argument("--until", help="stop at this ISO time (clock time)")
            sub.add_argument("--for", dest="for_", help="stop after this long, e.g. 10h")
        else:
            sub.add_argument("file", metavar="DRILL")
            sub.add_argument("--tolerance", help="accept a trigger this late (default 15m)")
        sub.add_argument("--reports", help="where reports and run logs go")
        sub.add_argument("--simulate-at", help="run the scheduler's clock from this ISO time")
        sub.add_argument("--rate", type=float, help="scheduler clock seconds per wall second")
    export = add("export", "write a Kubernetes CronJob, systemd units and a GitHub workflow")
    export.add_argument("file", metavar="DRILL")
    export.add_argument("--out", default=".", help="directory for the files")
    export.add_argument(
        "--image", help="container image for the CronJob (default: the project's published image)"
    )
    export.add_argument("--drill-path", help="the drill file's path where the job runs")


def execute(args: argparse.Namespace) -> CommandResult:
    from ..schedule.commands import schedule_command

    outcome = schedule_command(
        args, store_path=store_path(args), reports_dir=reports_dir(args), emit=say
    )
    code = outcome if isinstance(outcome, int) else run_async(outcome)
    return CommandResult(ExitCode(code))
