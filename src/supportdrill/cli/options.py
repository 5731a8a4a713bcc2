"""The options several verbs share: where the store and the reports are."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..store.connection import STORE_ENV, default_store_path


def add_reports_option(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    parser.add_argument(
        "--reports", help=help_text or "where reports go (default: next to the store)"
    )


def add_live_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-live", action="store_true", help="no live terminal view")


def store_help() -> str:
    return f"run store (SQLite file); default ${STORE_ENV} or .supportdrill/runs.db"


def store_path(args: argparse.Namespace) -> Path:
    """``--store``, else ``$SUPPORTDRILL_STORE``, else the default (one rule, in store/)."""
    return Path(args.store) if args.store else default_store_path()


def reports_dir(args: argparse.Namespace) -> Path:
    reports = getattr(args, "reports", None)
    return Path(reports) if reports else store_path(args).parent / "reports"
