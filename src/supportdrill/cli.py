"""The ``supportdrill`` command: one verb per job.

Exit codes: 0 done (for ``run``, every SLA met), 1 an SLA breached or the drill aborted, 2 bad
input or configuration. Errors are one line on stderr, never a traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .errors import InvalidDrill, InvalidInput, SupportdrillError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

DEFAULT_STORE_ENV = "SUPPORTDRILL_STORE"


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, as every other bad input does."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"supportdrill: error: {message} (see --help)\n")


def _store_path(args: argparse.Namespace) -> Path:
    if args.store:
        return Path(args.store)
    if os.environ.get(DEFAULT_STORE_ENV):
        return Path(os.environ[DEFAULT_STORE_ENV])
    return Path(".supportdrill") / "runs.db"


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def _reports_dir(args: argparse.Namespace) -> Path:
    return (
        Path(args.reports)
        if getattr(args, "reports", None)
        else _store_path(args).parent / "reports"
    )


def run_async(coro: Coroutine[Any, Any, int]) -> int:
    """Run ``coro``; SIGINT and SIGTERM cancel it so the runner ends the drill as halted."""

    async def main() -> int:
        task = asyncio.ensure_future(coro)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            return await task
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    return asyncio.run(main())


# -- commands --------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from .definitions.loader import load_drill

    failed = False
    for path in args.files:
        try:
            drill = load_drill(path)
        except InvalidDrill as exc:
            print(str(exc), file=sys.stderr)
            failed = True
            continue
        parts = [f"vendor {drill.vendor.name}", f"desk {drill.vendor.desk.kind.value}"]
        parts.append(f"{drill.severity.value} via tiers {drill.vendor.tiers.name}")
        if drill.fault is not None:
            parts.append("fault")
        if drill.stream is not None:
            parts.append("stream")
        if drill.schedule is not None:
            parts.append(f"schedule {drill.schedule.cron!r} {drill.schedule.timezone}")
        print(f"{path}: ok: {drill.name} ({', '.join(parts)})")
    return EXIT_BAD_INPUT if failed else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from .run.session import run_drill_file

    return run_async(
        run_drill_file(
            Path(args.file),
            store_path=_store_path(args),
            reports_dir=_reports_dir(args),
            live=not args.no_live,
            simulated_start=args.simulate_at,
            simulated_rate=args.rate,
            run_id=args.run_id,
            labels=dict(args.label or ()),
        )
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from .definitions.packaged import demo_drill_path
    from .run.session import run_drill_file

    return run_async(
        run_drill_file(
            demo_drill_path(args.persona),
            store_path=_store_path(args),
            reports_dir=_reports_dir(args),
            live=not args.no_live,
            simulated_start=None,
            simulated_rate=None,
            demo=True,
        )
    )


def cmd_resume(args: argparse.Namespace) -> int:
    from .run.session import resume_run

    return run_async(
        resume_run(
            args.run_id,
            store_path=_store_path(args),
            reports_dir=_reports_dir(args),
            live=not args.no_live,
        )
    )


def cmd_runs(args: argparse.Namespace) -> int:
    from .report.commands import list_runs

    if args.schedule:
        from .schedule.commands import series

        print(series(_store_path(args), args.schedule, limit=args.limit))
        return EXIT_OK

    print(list_runs(_store_path(args), limit=args.limit, vendor=args.vendor))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .report.commands import render_report

    print(
        render_report(_store_path(args), args.run_id, fmt=args.format, out_dir=_reports_dir(args))
    )
    return EXIT_OK


def cmd_scorecard(args: argparse.Namespace) -> int:
    from .report.compare import compare_store, comparison_json, render_comparison

    summaries = compare_store(
        _store_path(args),
        vendors=args.vendor or (),
        severity=args.severity,
        include_simulated=args.include_simulated,
        group=args.group,
    )
    print(comparison_json(summaries) if args.format == "json" else render_comparison(summaries))
    return EXIT_OK


def cmd_schedule(args: argparse.Namespace) -> int:
    from .schedule.commands import schedule_command

    result = schedule_command(
        args,
        store_path=_store_path(args),
        reports_dir=_reports_dir(args),
        emit=lambda line: print(line, flush=True),
    )
    return result if isinstance(result, int) else run_async(result)


def cmd_proxy_serve(args: argparse.Namespace) -> int:
    from .faults.server import serve

    def ready(url: str) -> None:
        print(f"supportdrill proxy: Toxiproxy-compatible API on {url}", flush=True)

    return run_async(_forever(serve(args.host, args.port, ready=ready)))


def cmd_desk_serve(args: argparse.Namespace) -> int:
    from .run.session import serve_simulated_desk

    return run_async(
        serve_simulated_desk(
            host=args.host,
            port=args.port,
            persona=args.persona,
            timezone=args.timezone,
            state_path=Path(args.state) if args.state else None,
        )
    )


def cmd_desk_check(args: argparse.Namespace) -> int:
    from .run.session import check_desk

    lines = asyncio.run(check_desk(Path(args.file)))
    for line in lines:
        print(line)
    return EXIT_OK


def cmd_profiles(args: argparse.Namespace) -> int:
    from .definitions.faults import format_profiles

    print(format_profiles())
    return EXIT_OK


def cmd_cleanup(args: argparse.Namespace) -> int:
    from .run.session import cleanup_faults

    return run_async(cleanup_faults(_store_path(args)))


async def _forever(coro: Coroutine[Any, Any, None]) -> int:
    with contextlib.suppress(asyncio.CancelledError):
        await coro
    return EXIT_OK


# -- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="supportdrill",
        description="Support drills: time a vendor's support desk against its SLA.",
    )
    parser.add_argument("--version", action="version", version=f"supportdrill {__version__}")
    parser.add_argument(
        "--store",
        help=f"run store (SQLite file); default ${DEFAULT_STORE_ENV} or .supportdrill/runs.db",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    validate = add(
        "validate", cmd_validate, "check drill files; every error as file:line: field: message"
    )
    validate.add_argument("files", nargs="+", metavar="FILE")

    run = add("run", cmd_run, "run a drill file")
    run.add_argument("file", metavar="DRILL")
    run.add_argument("--reports", help="where reports go (default: next to the store)")
    run.add_argument("--no-live", action="store_true", help="no live terminal view")
    run.add_argument(
        "--simulate-at", help="simulated desk only: start simulated time at this ISO time"
    )
    run.add_argument(
        "--rate", type=float, help="simulated desk only: simulated seconds per wall second"
    )
    run.add_argument("--run-id", help="the run's id (the scheduler chooses it)")
    run.add_argument(
        "--label", action="append", type=_label, metavar="KEY=VALUE", help="extra run label"
    )

    demo = add(
        "demo", cmd_demo, "run the embedded-default demo drill and print where its report is"
    )
    demo.add_argument("--persona", default="business-hours-only", help="simulated vendor persona")
    demo.add_argument("--reports", help="where reports go (default: next to the store)")
    demo.add_argument("--no-live", action="store_true", help="no live terminal view")

    resume = add("resume", cmd_resume, "continue a run interrupted by a crash")
    resume.add_argument("run_id")
    resume.add_argument("--reports", help="where reports go (default: next to the store)")
    resume.add_argument("--no-live", action="store_true", help="no live terminal view")

    runs = add("runs", cmd_runs, "list stored runs")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--vendor")
    runs.add_argument("--schedule", help="one schedule's series: every cron time and its run")

    compare = add(
        "scorecard",
        cmd_scorecard,
        "the vendor scorecard: vendors side by side over their finished runs (p50/p90/max)",
    )
    compare.add_argument("--vendor", action="append", help="only this vendor (repeatable)")
    compare.add_argument("--severity", choices=["P0", "P1", "P2", "P3"])
    compare.add_argument(
        "--include-simulated",
        action="store_true",
        help="also runs on simulated time (a persona's script, not a vendor)",
    )
    compare.add_argument("--format", choices=["markdown", "json"], default="markdown")
    compare.add_argument(
        "--group",
        choices=["vendor", "schedule", "hour"],
        default="vendor",
        help="rows per vendor, per vendor and schedule, or per vendor and hour of the week "
        "in the vendor's zone",
    )

    report = add("report", cmd_report, "render one run's report")
    report.add_argument("run_id")
    report.add_argument("--format", choices=["markdown", "json", "paths"], default="markdown")
    report.add_argument("--reports", help="where report files are written")

    add("profiles", cmd_profiles, "list the built-in fault profiles with their numbers and sources")
    add(
        "cleanup",
        cmd_cleanup,
        "remove the faults of runs that did not end (a killed harness) from their Toxiproxy",
    )

    from .schedule.commands import add_schedule_parser

    add_schedule_parser(commands, cmd_schedule, _Parser)

    proxy = commands.add_parser("proxy", help="the embedded Toxiproxy-compatible server")
    proxy_commands = proxy.add_subparsers(dest="proxy_command", required=True, parser_class=_Parser)
    serve = proxy_commands.add_parser("serve", help="serve the Toxiproxy API")
    serve.set_defaults(handler=cmd_proxy_serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8474)

    desk = commands.add_parser("desk", help="support desks")
    desk_commands = desk.add_subparsers(dest="desk_command", required=True, parser_class=_Parser)
    desk_serve = desk_commands.add_parser("serve", help="serve the simulated vendor desk")
    desk_serve.set_defaults(handler=cmd_desk_serve)
    desk_serve.add_argument("--host", default="127.0.0.1")
    desk_serve.add_argument("--port", type=int, default=8480)
    desk_serve.add_argument("--persona", default="responsive-24x7")
    desk_serve.add_argument("--timezone", default="UTC")
    desk_serve.add_argument("--state", help="file that keeps tickets across restarts")
    desk_check = desk_commands.add_parser(
        "check", help="verify a drill's desk credentials and what it can see, without filing"
    )
    desk_check.set_defaults(handler=cmd_desk_check)
    desk_check.add_argument("file", metavar="DRILL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except InvalidInput as exc:
        if args.debug:
            raise
        print(f"supportdrill: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SupportdrillError as exc:
        if args.debug:
            raise
        print(f"supportdrill: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("supportdrill: interrupted", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
