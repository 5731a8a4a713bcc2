"""``supportdrill profiles``: the built-in fault profiles with their numbers and sources."""

from __future__ import annotations

import argparse

from .result import CommandResult

HELP = "list the built-in fault profiles with their numbers and sources"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("profiles", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> CommandResult:
    from ..definitions.faults import format_profiles

    return CommandResult(lines=(format_profiles(),))
