"""Fixtures for the run store tests: a fresh store file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from supportdrill.store import RunStore


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "runs.db"


@pytest.fixture
def store(store_path: Path) -> Iterator[RunStore]:
    with RunStore(store_path) as opened:
        yield opened
