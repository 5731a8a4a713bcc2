"""``supportdrill validate FILE...``: check drill files; each error as file:line: field: message."""

from __future__ import annotations

import argparse

from ..errors import InvalidConfiguration, InvalidDrill
from .result import CommandResult, ExitCode

HELP = "check drill files; every error as file:line: field: message"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("validate", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("files", nargs="+", metavar="FILE")


def execute(args: argparse.Namespace) -> CommandResult:
    from ..definitions.loader import load_drill
    from ..definitions.model import DeskKind

    lines: list[str] = []
    errors: list[str] = []
    for path in args.files:
        try:
            drill = load_drill(path)
        except InvalidDrill as exc:
            errors.append(str(exc))
            continue
        if drill.vendor.desk.kind is DeskKind.SIMULATED:
            from ..desks.simulated.launch import DeskLaunch  # only for a simulated desk

            try:
                # The simulated desk as run would start it: persona, zone, hours, rate, start.
                DeskLaunch.for_drill(drill)
            except InvalidConfiguration as exc:
                errors.append(f"{path}: vendor.desk: {exc}")
                continue
        parts = [f"vendor {drill.vendor.name}", f"desk {drill.vendor.desk.kind.value}"]
        parts.append(f"{drill.severity.value} via tiers {drill.vendor.tiers.name}")
        if drill.fault is not None:
            parts.append("fault")
        if drill.stream is not None:
            parts.append("stream")
        if drill.schedule is not None:
            parts.append(f"schedule {drill.schedule.cron!r} {drill.schedule.timezone}")
        lines.append(f"{path}: ok: {drill.name} ({', '.join(parts)})")
    code = ExitCode.BAD_INPUT if errors else ExitCode.OK
    return CommandResult(code, tuple(lines), tuple(errors))
