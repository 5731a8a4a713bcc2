"""The input contract, end to end: ``validate`` on every example drill and on hostile files
under a memory and CPU limit, and ``run`` on the hostile files — exit 0 or 2, one line per
error, no traceback, bounded time, and nothing created on a refusal."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from supportdrill.cli import main

EXAMPLES = sorted(
    (Path(__file__).parents[2] / "src" / "supportdrill" / "definitions" / "examples").glob("*.yaml")
)
HARNESS = [sys.executable, "-m", "supportdrill.cli"]
MEMORY_LIMIT = 1536 * 1024 * 1024
CPU_SECONDS = 60

GOOD = textwrap.dedent(
    """\
    name: contract
    vendor:
      name: acme
      desk: {kind: simulated, persona: silent}
      timezone: Asia/Jakarta
    ticket: {severity: P0}
    resolution: {timeout: 1h}
    safety: {max_duration: 2h}
    """
)
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{chr(97 + n)}: &{chr(97 + n)} [" + ",".join([f"*{chr(96 + n)}"] * 9) + "]\n"
    for n in range(1, 9)
)
HOSTILE: dict[str, str | bytes] = {
    "alias-bomb.yaml": BOMB,
    "recursive-alias.yaml": "name: &x [*x]\n",
    "deep-flow.yaml": "name: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "deep-block.yaml": "".join(" " * i + "k:\n" for i in range(1200)),
    "binary.yaml": b"\x00\x01\x02\xff" * 100,
    "latin1.yaml": "name: caf\xe9\n".encode("latin-1"),
    "huge-duration.yaml": GOOD.replace("timeout: 1h", "timeout: 99999999999999999999999d"),
    "file-after.yaml": GOOD.replace("severity: P0}", "severity: P0, file_after: 10h}"),
    "nan-rate.yaml": GOOD.replace(
        "persona: silent}",
        "persona: silent, rate: .nan, simulated_start: '2026-11-20T17:55:00+07:00'}",
    ),
    "bad-persona.yaml": GOOD.replace("persona: silent", "persona: nobody"),
    "bad-hours.yaml": GOOD.replace(
        "persona: silent}", "persona: business-hours-only, hours: whenever}"
    ),
    "spec-subject.yaml": GOOD.replace("severity: P0}", "severity: P0, subject: '{region:%Y}'}"),
    "cron.yaml": GOOD + "schedule: {cron: '99 99 * * *', timezone: UTC}\n",
    "labels.yaml": GOOD + "labels: {team: {nested: yes}}\n",
    "coverage.yaml": GOOD.replace(
        "timezone: Asia/Jakarta", "timezone: Asia/Jakarta\n  coverage: {default: weekdays}"
    ),
    "empty.yaml": "",
    "huge.yaml": "# " + "x" * 1_100_000 + "\n",
}


def _limits() -> None:  # pragma: no cover - runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def validate(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HARNESS, "validate", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=_limits,
    )


@pytest.fixture
def hostile(tmp_path: Path) -> list[Path]:
    paths = []
    for name, content in HOSTILE.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths.append(path)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    paths += [fifo, tmp_path / "missing.yaml", tmp_path, Path("/dev/zero")]
    return paths


def test_validate_every_example_drill_under_a_resource_limit() -> None:
    result = validate(*EXAMPLES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": ok: ") == len(EXAMPLES)


def test_validate_refuses_every_hostile_file_under_a_resource_limit(hostile: list[Path]) -> None:
    result = validate(*hostile)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    for path in hostile:
        assert any(line.startswith(str(path)) for line in errors), (path, result.stderr)
    assert result.stdout == ""


def test_run_refuses_every_hostile_file_and_creates_nothing(
    hostile: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    for path in hostile:
        code = main(
            [
                "--store",
                str(work / "store" / "runs.db"),
                "run",
                "--no-live",
                "--reports",
                str(work / "reports"),
                str(path),
            ]
        )
        _, err = capsys.readouterr()
        assert code == 2, (path, err)
        assert "Traceback" not in err and err.count("\n") == 1, err
        assert list(work.iterdir()) == [], path


def test_run_against_a_real_desk_with_unset_secrets_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    zendesk = next(path for path in EXAMPLES if path.name.startswith("zendesk"))
    for name in list(os.environ):
        if name.startswith("ACME_"):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    code = main(["--store", str(work / "runs.db"), "run", "--no-live", str(zendesk)])
    _, err = capsys.readouterr()
    assert code == 2 and "is not set" in err, err
    assert list(work.iterdir()) == []
