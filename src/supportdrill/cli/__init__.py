"""The ``supportdrill`` command layer: one module per verb, each returning data.

Each verb module has ``register(commands)``, which adds its parser and sets its handler, and a
handler that returns a :class:`~supportdrill.cli.result.CommandResult`. :func:`main` parses,
dispatches, maps errors to exit codes (:class:`~supportdrill.cli.result.ExitCode`) and prints:
this package is the only place the harness prints. Errors are one line on stderr, never a
traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable, Sequence
from typing import NoReturn

from .. import __version__
from ..errors import InvalidInput, SupportdrillError
from .options import store_help
from .result import CommandResult, ExitCode, emit

VERBS = (
    "validate",
    "run",
    "ci",
    "demo",
    "resume",
    "runs",
    "report",
    "scorecard",
    "reindex",
    "export",
    "importer",
    "profiles",
    "cleanup",
    "schedule",
    "proxy",
    "desk",
    "load",
)
"""Every verb module, in the order ``--help`` lists them. A new verb is a module and a line here.

Imported when the parser is built, inside :func:`main`, and light: a verb module imports at its
top only what ``register`` needs, and its dependencies (aiortc, the desks, the reports) inside
its handler, so a command loads only what it uses and ``--help`` loads none of them. A Ctrl-C
while either loads ends quietly like any other (``tests/cli/test_startup.py``)."""


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, as every other bad input does."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.BAD_INPUT, f"supportdrill: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="supportdrill",
        description="Support drills: time a vendor's support desk against its SLA.",
    )
    parser.add_argument("--version", action="version", version=f"supportdrill {__version__}")
    parser.add_argument("--store", help=store_help())
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in VERBS:
        importlib.import_module(f"{__name__}.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
    except KeyboardInterrupt:
        return emit(CommandResult(ExitCode.FAILED, errors=("supportdrill: interrupted",)))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    handler: Callable[[argparse.Namespace], CommandResult] = args.handler
    try:
        return emit(handler(args))
    except InvalidInput as exc:
        if args.debug:
            raise
        return emit(CommandResult(ExitCode.BAD_INPUT, errors=(f"supportdrill: {exc}",)))
    except SupportdrillError as exc:
        if args.debug:
            raise
        message = f"supportdrill: {type(exc).__name__}: {exc}"
        return emit(CommandResult(ExitCode.FAILED, errors=(message,)))
    except KeyboardInterrupt:
        return emit(CommandResult(ExitCode.FAILED, errors=("supportdrill: interrupted",)))


__all__ = ["build_parser", "main"]
