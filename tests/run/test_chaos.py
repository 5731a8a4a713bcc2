"""Issue 12's chaos test, bounded: three seeded attempts of kill -9, SIGTERM or a double Ctrl-C
at a random moment of a fault drill (``benchmarks/chaos_drills.py --runs N`` runs more)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from chaos_drills import chaos


@pytest.mark.slow
async def test_random_signals_break_no_invariant(tmp_path: Path) -> None:
    report = await chaos(3, seed=12, work=tmp_path)
    assert len(report.attempts) == 3
    assert report.problems == [], report.summary()
