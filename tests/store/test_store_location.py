"""Where the store is: paths, sqlite:// and postgresql:// URLs, one default, and refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from supportdrill.errors import InvalidConfiguration
from supportdrill.store import DEFAULT_STORE, STORE_ENV, parse_store
from supportdrill.store.location import redact_dsn


def test_paths_and_sqlite_urls_name_files() -> None:
    assert parse_store("runs.db").path == Path("runs.db")
    assert parse_store(Path("a/b.db")).path == Path("a/b.db")
    assert parse_store("sqlite:///tmp/x.db").path == Path("/tmp/x.db")
    assert parse_store("sqlite:rel/x.db").path == Path("rel/x.db")
    assert parse_store("C:/runs.db").path == Path("C:/runs.db")  # a drive letter, not a scheme
    location = parse_store("rel/x.db")
    assert location.backend == "sqlite" and location.reports_dir() == Path("rel/reports")


def test_postgres_urls_are_never_files() -> None:
    url = "postgresql://drills:s3cret-pw@127.0.0.1:5432/supportdrill"
    location = parse_store(url)
    assert (location.backend, location.dsn, location.path) == ("postgresql", url, None)
    assert location.display == "postgresql://drills:***@127.0.0.1:5432/supportdrill"
    assert location.exists()
    assert location.reports_dir() == DEFAULT_STORE.parent / "reports"
    assert parse_store("postgres://127.0.0.1/db").backend == "postgresql"
    assert (
        redact_dsn("host=127.0.0.1 password=abc dbname=x") == "host=127.0.0.1 password=*** dbname=x"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("postgresql:/relative", "expected postgresql://"),
        ("postgresql://", "no server or database"),
        ("mysql://127.0.0.1/db", "unknown scheme 'mysql'"),
        ("sqlite://host/x.db", "sqlite:///absolute/path"),
        ("sqlite:", "no file path"),
    ],
)
def test_bad_store_urls_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message):
        parse_store(text)


def test_the_environment_then_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STORE_ENV, raising=False)
    assert parse_store().path == DEFAULT_STORE
    monkeypatch.setenv(STORE_ENV, "postgresql://127.0.0.1/team")
    assert parse_store().dsn == "postgresql://127.0.0.1/team"
    assert parse_store("mine.db").path == Path("mine.db")  # --store wins


@pytest.mark.parametrize("how", ["flag", "env"])
def test_cli_refuses_an_unknown_scheme_and_creates_nothing(tmp_path: Path, how: str) -> None:
    argv = [sys.executable, "-m", "supportdrill.cli"]
    env = {k: v for k, v in os.environ.items() if k != STORE_ENV}
    if how == "flag":
        argv += ["--store", "postgresql:/oops"]
    else:
        env[STORE_ENV] = "postgresq://127.0.0.1/typo"
    done = subprocess.run(
        [*argv, "runs"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "supportdrill: store" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no postgresql:/… file, no .supportdrill/
