"""``supportdrill run DRILL``: run a drill; exit 0 only if it completed and every SLA was met."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .options import add_live_option, add_reports_option, reports_dir, store_path
from .result import CommandResult, ExitCode, run_async, say

if TYPE_CHECKING:
    from ..session import DrillRun

HELP = "run a drill file"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("run", help=HELP, description=HELP)
    parser.set_defaults(handler=execute)
    parser.add_argument("file", metavar="DRILL")
    add_reports_option(parser)
    add_live_option(parser)
    parser.add_argument(
        "--simulate-at", help="simulated desk only: start simulated time at this ISO time"
    )
    parser.add_argument(
        "--rate", type=float, help="simulated desk only: simulated seconds per wall second"
    )
    parser.add_argument(
        "--junit",
        metavar="FILE",
        help="also write JUnit XML (a test case per SLA target and stream expectation); "
        "on GitHub Actions, failures are annotated too",
    )
    parser.add_argument("--run-id", help="the run's id (the scheduler chooses it)")
    parser.add_argument(
        "--label", action="append", type=_label, metavar="KEY=VALUE", help="extra run label"
    )


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def execute(args: argparse.Namespace) -> CommandResult:
    from ..session import run_drill_file

    run = run_async(
        run_drill_file(
            Path(args.file),
            store_path=store_path(args),
            reports_dir=reports_dir(args),
            live=not args.no_live,
            simulated_start=args.simulate_at,
            simulated_rate=args.rate,
            say=say,
            run_id=args.run_id,
            labels=dict(args.label or ()),
        )
    )
    if args.junit is None:
        return finished(run, ExitCode.OK if run.sla_met else ExitCode.FAILED)
    from ..report.junit_output import annotations_for, stored_suite, write_junit

    suite = stored_suite(store_path(args), run.run_id)
    path = write_junit(Path(args.junit), [suite])
    # The stream expectations are judged too: a runbook that restores the stream late fails.
    code = ExitCode.OK if run.sla_met and not suite.failed else ExitCode.FAILED
    result = finished(run, code)
    lines = (*annotations_for([suite]), *result.lines, f"junit report: {path}")
    return CommandResult(result.exit_code, lines, result.errors)


def finished(run: DrillRun, exit_code: ExitCode) -> CommandResult:
    """How a run ends on the terminal: its outcome, its id, and where its reports are (last)."""
    from ..report.markdown import headline

    verdict = headline(run.evaluation, run.evaluation.severity.value)
    lines = [f"drill {run.outcome.value}: {run.reason}", f"verdict: {verdict}"]
    lines.append(f"run id: {run.run_id}")
    lines += [f"{kind} report: {path}" for kind, path in run.reports.items()]
    return CommandResult(exit_code, tuple(lines))
