"""Bad commands and honest exits, as a user meets them: exit 0, 1 or 2, one line, no traceback,
nothing created on a refusal."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from supportdrill.cli import main

HARNESS = [sys.executable, "-m", "supportdrill.cli"]


def drill_text(*, persona: str = "silent", sla: str = "common-vendor") -> str:
    return textwrap.dedent(
        f"""\
        name: cli-check
        description: a quick simulated drill
        vendor:
          name: acme
          desk:
            kind: simulated
            persona: {persona}
            simulated_start: "2026-11-17T10:00:00+08:00"
            rate: 20000  # a loaded CI machine stalls for 50 ms: 17 simulated minutes, not hours
          timezone: Asia/Shanghai
          coverage: {{P0: 24x7}}
          sla: {sla}
        ticket: {{severity: P0}}
        resolution: {{when: ticket_solved, timeout: 2h, poll_interval: 10m}}
        safety: {{max_duration: 3h}}
        """
    )


def run_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--store", str(tmp_path / "runs.db"), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture(scope="module")
def silent_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one run against a desk that never answered."""
    folder = tmp_path_factory.mktemp("silent")
    drill = folder / "silent.yaml"
    drill.write_text(drill_text(), encoding="utf-8")
    code = main(["--store", str(folder / "runs.db"), "run", "--no-live", str(drill)])
    assert code == 1
    return folder


def test_a_desk_that_never_answered_shows_no_first_human_time(
    silent_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(silent_store, capsys, "runs")
    assert code == 0
    (row,) = [line for line in out.splitlines() if "cli-check" in line]
    # The wait (two hours and the teardown) is not an answer time.
    assert "none after 2h" in row or "none after 3h" in row, row
    assert "breached" in row


def test_no_target_for_the_severity_is_not_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drill = tmp_path / "no-target.yaml"
    drill.write_text(
        drill_text(persona="responsive-24x7", sla="{P1: {first_response: 30m}}"), encoding="utf-8"
    )
    code, out, _ = run_cli(tmp_path, capsys, "run", "--no-live", str(drill))
    assert code == 1
    assert "verdict: NOT JUDGED (no SLA target for P0)" in out
    assert "SLA MET" not in out


def test_unknown_run_ids_are_bad_input(
    silent_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for verb in ("report", "resume"):
        code, _, err = run_cli(silent_store, capsys, verb, "no-such-run")
        assert code == 2, verb
        assert "no run 'no-such-run'" in err


def test_another_applications_sqlite_file_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    before = other.read_bytes()
    drill = tmp_path / "d.yaml"
    drill.write_text(drill_text(), encoding="utf-8")
    for args in (["runs"], ["run", "--no-live", str(drill)], ["report", "x"]):
        code = main(["--store", str(other), *args])
        _, err = capsys.readouterr()
        assert code == 2, args
        assert "not a supportdrill run store" in err and "customers" in err
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "d.yaml"]
    text = tmp_path / "notes.txt"
    text.write_text("just some text, not a database\n" * 10)
    assert main(["--store", str(text), "runs"]) == 2
    assert "not a supportdrill run store" in capsys.readouterr().err


def test_an_unwritable_reports_folder_is_refused_before_the_drill_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    drill = tmp_path / "d.yaml"
    drill.write_text(drill_text(), encoding="utf-8")
    try:
        code, _, err = run_cli(
            tmp_path, capsys, "run", "--no-live", "--reports", str(locked / "r"), str(drill)
        )
    finally:
        locked.chmod(0o700)
    assert code == 2 and "is not writable" in err
    assert not (tmp_path / "runs.db").exists()
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, _, err = run_cli(tmp_path, capsys, "run", "--reports", str(afile / "r"), str(drill))
    assert code == 2 and "is not a folder" in err


@pytest.mark.parametrize("rate", ["nan", "inf", "-1", "0", "1e12"])
def test_bad_rates_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rate: str
) -> None:
    drill = tmp_path / "d.yaml"
    drill.write_text(drill_text(), encoding="utf-8")
    code, _, err = run_cli(tmp_path, capsys, "run", "--no-live", "--rate", rate, str(drill))
    assert code == 2 and "rate" in err
    assert not (tmp_path / "runs.db").exists()


@pytest.mark.parametrize("start", ["yesterday", "2026-11-17T10:00", "0001-01-01T00:00+00:00"])
def test_bad_simulated_starts_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], start: str
) -> None:
    drill = tmp_path / "d.yaml"
    drill.write_text(drill_text(), encoding="utf-8")
    code, _, err = run_cli(tmp_path, capsys, "run", "--simulate-at", start, str(drill))
    assert code == 2 and "simulated start" in err


@pytest.mark.parametrize("verb", [["report", "RUN"], ["scorecard", "--include-simulated"]])
def test_piping_into_head_is_not_an_error(silent_store: Path, verb: list[str]) -> None:
    args = [a if a != "RUN" else _run_id(silent_store) for a in verb]
    command = " ".join([*HARNESS, "--store", str(silent_store / "runs.db"), *args])
    # ``head -c 1`` closes the pipe after one byte; the harness must not print a traceback.
    result = subprocess.run(
        f'{command} | head -c 1 >/dev/null; echo "exit=${{PIPESTATUS[0]}}"',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert "exit=0" in result.stdout


def _run_id(folder: Path) -> str:
    with sqlite3.connect(folder / "runs.db") as db:
        (run_id,) = db.execute("SELECT run_id FROM runs").fetchone()
    return str(run_id)


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HARNESS, "desk", "serve", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--port", "99999"], "port 99999 is not 0-65535"),
        (["--port", "-1"], "port -1 is not 0-65535"),
        (["--host", "0.0.0.0"], "not a loopback address"),
        (["--host", "example.com"], "not a loopback address"),
        (["--timezone", "Mars/Base"], "unknown time zone"),
        (["--holidays", "XX"], "no public holidays known"),
        (["--hours", "whenever"], "not a coverage schedule"),
        (["--start", "tomorrow"], "not an ISO time"),
        (["--rate", "nan", "--start", "2026-11-20T17:55+07:00"], "rate"),
    ],
)
def test_desk_serve_bad_options_exit_2(args: list[str], fragment: str) -> None:
    result = _serve(*args)
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_desk_serve_on_a_port_in_use_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve("--port", str(port))
    assert result.returncode == 2, result.stderr
    assert "the port is in use" in result.stderr and "Traceback" not in result.stderr


async def test_desk_serve_starts_at_a_chosen_virtual_time_and_lists_its_personas() -> None:
    process = await asyncio.create_subprocess_exec(
        *HARNESS,
        "desk",
        "serve",
        "--port",
        "0",
        "--persona",
        "business-hours-only",
        "--timezone",
        "Asia/Shanghai",
        "--holidays",
        "CN",
        "--start",
        "2026-02-14T10:00:00+08:00",
        "--rate",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        lines = [
            (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
            for _ in range(3)
        ]
        found = re.search(r"http://127\.0\.0\.1:(\d+)", lines[0])
        assert found, lines
        assert "business-hours-only, Asia/Shanghai" in lines[0] and "holidays CN" in lines[0]
        assert "AcceleratedClock(start=2026-02-14T02:00:00+00:00, rate=1)" in lines[1]
        assert lines[2].startswith("personas (tag a ticket persona-NAME): responsive-24x7,")
        assert "silent" in lines[2]
        async with httpx.AsyncClient() as client:
            response = await client.get(found.group(0) + "/api/v2/users/me")
        desk_now = parsedate_to_datetime(response.headers["Date"])
        assert abs((desk_now - datetime(2026, 2, 14, 2, tzinfo=UTC)).total_seconds()) < 60
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["runs", "--limit", "99999999999999999999"], "--limit"),
        (["runs", "--limit", "0"], "--limit"),
        (["--store", "/dev/null", "runs"], "not a supportdrill run store"),
        (["--store", "/tmp", "runs"], "not a supportdrill run store"),
        (["validate", "/proc/self/mem"], "cannot read"),
    ],
)
def test_more_bad_commands_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse refusals
        code = int(exit_.code or 0)
    _, err = capsys.readouterr()
    assert code == 2 and fragment in err and "Traceback" not in err, err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--port", "70000"], "port 70000 is not 0-65535"),
        (["--host", "192.0.2.1"], "cannot listen"),
    ],
)
def test_proxy_serve_bad_listen_addresses_exit_2(args: list[str], fragment: str) -> None:
    result = subprocess.run(
        [*HARNESS, "proxy", "serve", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr
