"""Fixtures for the run store tests: a fresh store per test, on SQLite and on PostgreSQL.

The PostgreSQL case needs a server: ``SUPPORTDRILL_TEST_POSTGRES`` holds its URL (CI starts one
with ``scripts/start-postgres.sh``); without it those cases skip. Each test gets its own schema
in that database (through ``search_path``), dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import fresh_postgres_store

from supportdrill.store import RunStore


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A SQLite store file (for the tests about SQLite itself)."""
    return tmp_path / "store" / "runs.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, store_path: Path) -> Iterator[str]:
    """Where a fresh store is, on each backend in turn."""
    if request.param == "sqlite":
        yield str(store_path)
        return
    with fresh_postgres_store() as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[RunStore]:
    with RunStore(store_url) as opened:
        yield opened
