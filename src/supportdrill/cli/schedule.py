"""``supportdrill schedule list|next|run|fire|export``: off-hours drills on a cron schedule.

The verbs themselves live in :mod:`supportdrill.schedule.commands`; this module registers them
and turns their exit code into a :class:`~supportdrill.cli.result.CommandResult`.
"""

from __future__ import annotations

import argparse

from ..schedule.commands import add_schedule_parser, schedule_command
from .options import reports_dir, store_path
from .result import CommandResult, ExitCode, run_async, say


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_schedule_parser(commands, execute, commands._parser_class)


def execute(args: argparse.Namespace) -> CommandResult:
    outcome = schedule_command(
        args, store_path=store_path(args), reports_dir=reports_dir(args), emit=say
    )
    code = outcome if isinstance(outcome, int) else run_async(outcome)
    return CommandResult(ExitCode(code))
