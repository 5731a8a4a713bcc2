"""README command one: ``supportdrill demo`` runs a real drill on the embedded defaults and prints
where its report is, last."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

HARNESS = [sys.executable, "-m", "supportdrill.cli"]


async def _demo(tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    process = await asyncio.create_subprocess_exec(
        *HARNESS,
        "--store",
        str(tmp_path / "runs.db"),
        "demo",
        "--no-live",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    assert "Traceback" not in err.decode(), err.decode()
    return process.returncode, out.decode().splitlines()


@pytest.mark.slow
async def test_the_default_demo_streams_faults_files_and_reports(tmp_path: Path) -> None:
    code, lines = await _demo(tmp_path)
    assert code == 0, lines  # the breach is what the demo shows; the demo itself succeeds
    assert lines[-4].startswith("run id: ")
    journal, markdown, html = (Path(line.split(" report: ", 1)[1]) for line in lines[-3:])
    assert journal.suffix == ".json" and markdown.suffix == ".md" and html.suffix == ".html"
    assert journal.is_file() and markdown.is_file() and html.is_file()
    text = markdown.read_text(encoding="utf-8")
    assert "SLA BREACHED" in text and "simulated time" in text
    for seen in ("baseline healthy", "fault injected", "stream degraded", "ticket filed (T0)"):
        assert seen in text, seen
    assert "vendor reply: human" in text and "stream recovered" in text
    assert "## Stream health" in text


async def test_a_demo_per_persona(tmp_path: Path) -> None:
    code, lines = await _demo(tmp_path, "--persona", "responsive-24x7")
    assert code == 0, lines
    assert Path(lines[-2].removeprefix("markdown report: ")).is_file()
    assert Path(lines[-1].removeprefix("html report: ")).is_file()
    code, lines = await _demo(tmp_path, "--persona", "nobody")
    assert code == 2
