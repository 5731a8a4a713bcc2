"""Test helpers for both store backends: a throwaway PostgreSQL schema, raw SQL on either side."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest

from supportdrill.store import parse_store

POSTGRES_ENV = "SUPPORTDRILL_TEST_POSTGRES"


def postgres_url() -> str:
    """The test server's URL, or skip the test (``scripts/start-postgres.sh`` prints one)."""
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV} (scripts/start-postgres.sh)")
    return url


@contextmanager
def fresh_postgres_store() -> Iterator[str]:
    """A URL whose tables land in a new, empty schema of the test database; dropped after."""
    import psycopg

    base = postgres_url()
    schema = f"sd_test_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            separator = "&" if "?" in base else "?"
            yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def raw_sql(url: str, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
    """Run one statement on the store at ``url`` behind the store's back (to corrupt it)."""
    location = parse_store(url)
    if location.path is not None:
        with sqlite3.connect(location.path) as db:
            return db.execute(sql, parameters).fetchall()
    import psycopg

    assert location.dsn is not None
    with psycopg.connect(location.dsn, autocommit=True) as db:
        cursor = db.execute(sql.replace("?", "%s"), tuple(parameters))
        return cursor.fetchall() if cursor.description else []
