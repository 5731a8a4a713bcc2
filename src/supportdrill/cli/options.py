"""The options several verbs share: where the store and the reports are."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..store.location import DEFAULT_STORE, STORE_ENV, StoreTarget, parse_store


def add_reports_option(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    parser.add_argument(
        "--reports", help=help_text or "where reports go (default: next to the store)"
    )


def add_live_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-live", action="store_true", help="no live terminal view")


def store_help() -> str:
    return (
        "run store: a SQLite file, sqlite:///path or postgresql://user@host:port/db; "
        f"default ${STORE_ENV} or {DEFAULT_STORE}"
    )


def store_path(args: argparse.Namespace) -> StoreTarget:
    """``--store``, else ``$SUPPORTDRILL_STORE``, else the default (one rule, in store/): a file
    path or a store URL. A URL of an unknown kind is bad input here, before anything starts."""
    return parse_store(args.store or None).target


def reports_dir(args: argparse.Namespace) -> Path:
    reports = getattr(args, "reports", None)
    return Path(reports) if reports else parse_store(store_path(args)).reports_dir()
