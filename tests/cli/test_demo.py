"""README command one: ``supportdrill demo`` runs a real drill on the embedded defaults and prints
where its report is, last."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from supportdrill.report.browser import find_chromium, open_page

HARNESS = [sys.executable, "-m", "supportdrill.cli"]
ARTEFACTS_ENV = "SUPPORTDRILL_ARTEFACTS"


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


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, list[str]]:
    """The default demo, run once for the tests that read what it wrote."""
    where = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [*HARNESS, "--store", str(where / "runs.db"), "demo", "--no-live"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout.splitlines()


@pytest.mark.slow
def test_the_default_demo_streams_faults_files_and_reports(
    default_demo: tuple[int, list[str]],
) -> None:
    code, lines = default_demo
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


@pytest.mark.slow
@pytest.mark.skipif(find_chromium() is None, reason="no chromium on PATH (.ci/run installs it)")
async def test_the_demo_s_html_report_in_a_real_browser(
    default_demo: tuple[int, list[str]], tmp_path: Path
) -> None:
    """Headless Chromium opens the demo's HTML report: no JavaScript error, no browser error,
    no request but the file itself; a full-page screenshot is kept as an artefact."""
    _code, lines = default_demo
    html = Path(lines[-1].removeprefix("html report: "))
    page = html.read_text(encoding="utf-8")
    report = await open_page(
        html,
        probes=(
            "document.querySelectorAll('svg').length",
            "document.getElementById('verdict').textContent",
            "document.querySelectorAll('#verdicts tbody tr').length",
        ),
    )
    assert report.js_errors == ()
    assert report.log_errors == ()
    assert report.requests == (html.resolve().as_uri(),)
    assert report.external_requests == ()
    assert report.title.startswith("Support drill demo-business-hours-only")
    assert report.probes["document.querySelectorAll('svg').length"] == 2
    assert report.probes["document.getElementById('verdict').textContent"] == "SLA BREACHED"
    assert report.probes["document.querySelectorAll('#verdicts tbody tr').length"] >= 6
    # And in the text itself: no URL outside the ticket's own address on the desk, shown as text.
    urls = set(re.findall(r"[a-z]+://[^\s<\"')]+", page))
    assert all(url.startswith("http://127.0.0.1:") for url in urls), urls
    assert report.screenshot.startswith(b"\x89PNG") and len(report.screenshot) > 50_000
    artefacts = Path(os.environ.get(ARTEFACTS_ENV) or tmp_path)
    artefacts.mkdir(parents=True, exist_ok=True)
    (artefacts / "demo-report.png").write_bytes(report.screenshot)


async def test_the_browser_check_counts_errors_and_requests(tmp_path: Path) -> None:
    """The same check on a page that has a script error and fetches from elsewhere finds both:
    the zero above is a measurement, not a blind spot."""
    if find_chromium() is None:
        pytest.skip("no chromium on PATH (.ci/run installs it)")
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><title>bad</title><body><script>console.error('boom');"
        "undefinedFunction();</script><img src='http://127.0.0.1:9/x.png'></body>",
        encoding="utf-8",
    )
    report = await open_page(bad)
    assert len(report.js_errors) == 2
    assert any("undefinedFunction" in error for error in report.js_errors)
    assert report.external_requests == ("http://127.0.0.1:9/x.png",)
