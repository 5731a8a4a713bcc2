"""``supportdrill ci DRILL...``: run drills one after another, as test cases for a CI server.

Every drill is validated first (one bad file: exit 2, nothing run). Each is then run in turn;
one that cannot start (a secret missing, its desk refusing) is an error case and the others still
run. The JUnit file gets a test suite per drill; exit 0 only if every case passed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidDrill, SupportdrillError
from .options import add_reports_option, reports_dir, store_path
from .result import CommandResult, ExitCode, run_async, say

if TYPE_CHECKING:
    from ..report.junit import JunitSuite

HELP = "run drills as CI test cases and write JUnit XML"
DEFAULT_JUNIT = "supportdrill-junit.xml"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("ci", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("files", nargs="+", metavar="DRILL")
    parser.add_argument(
        "--junit", metavar="FILE", default=DEFAULT_JUNIT, help=f"default: {DEFAULT_JUNIT}"
    )
    add_reports_option(parser)


def execute(args: argparse.Namespace) -> CommandResult:
    from ..definitions.loader import load_drill
    from ..report.junit import error_suite
    from ..report.junit_output import annotations_for, stored_suite, write_junit
    from ..session import run_drill_file

    errors = []
    names = {}
    for path in args.files:
        try:
            names[path] = load_drill(path).name
        except InvalidDrill as exc:
            errors.append(str(exc))
    if errors:
        return CommandResult(ExitCode.BAD_INPUT, errors=tuple(errors))
    suites: list[JunitSuite] = []
    lines: list[str] = []
    for path in args.files:
        say(f"== {path}")
        try:
            run = run_async(
                run_drill_file(
                    Path(path), store_path=store_path(args), reports_dir=reports_dir(args), say=say
                )
            )
        except SupportdrillError as exc:
            message = f"{type(exc).__name__}: {exc}"
            suites.append(error_suite(names[path], path, message))
            lines.append(f"{path}: error: {message}")
            continue
        suite = stored_suite(store_path(args), run.run_id)
        suites.append(suite)
        verdict = "FAILED" if suite.failed else "passed"
        lines.append(f"{path}: {verdict}: drill {run.outcome.value} (run {run.run_id})")
    junit = write_junit(Path(args.junit), suites)
    failed = [suite for suite in suites if suite.failed]
    lines.append(f"{len(suites) - len(failed)} of {len(suites)} drill(s) passed")
    lines.append(f"junit report: {junit}")
    code = ExitCode.FAILED if failed else ExitCode.OK
    return CommandResult(code, (*annotations_for(suites), *lines))
