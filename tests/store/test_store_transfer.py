"""``supportdrill export`` / ``import``: lossless and idempotent, between either backends."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from backends import fresh_postgres_store
from store_samples import T0, every_event_kind
from test_store_index import fill

from supportdrill.errors import InvalidInput
from supportdrill.store import RunStore
from supportdrill.store.transfer import (
    export_runs,
    import_file,
    import_runs,
    parse_export,
    read_runs,
)
from supportdrill.timeline import Note, Outcome
from supportdrill.vocabulary import TicketRef


def _export(store: RunStore, path: Path, **options: object) -> int:
    with path.open("w", encoding="utf-8") as out:
        return export_runs(store, out, **options)  # type: ignore[arg-type]


def _busy_run(store: RunStore) -> str:
    run_id = store.create_run(
        drill="transfer", vendor="acme", started_at=T0, labels={"team": "edge"},
        drill_text="name: transfer  # café ☕\n", desk="simulated", severity="P0",
    )  # fmt: skip
    store.append_many(run_id, every_event_kind())
    store.set_idempotency_key(run_id, "k-1", desk="simulated")
    store.set_ticket_ref(
        run_id,
        "k-1",
        TicketRef(desk="simulated", ticket_id="9", created_at=T0, url="http://127.0.0.1:9/t/9"),
    )
    store.set_idempotency_key(run_id, "k-2", desk="simulated")  # never confirmed
    store.set_state(run_id, "desk_cursor", "2026-01-02T20:00:00Z")
    return run_id


@pytest.fixture(params=["sqlite", "postgresql"])
def other_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield str(tmp_path / "other" / "runs.db")
        return
    with fresh_postgres_store() as url:
        yield url


def test_export_then_import_is_lossless_and_idempotent(
    store: RunStore, other_url: str, tmp_path: Path
) -> None:
    busy = _busy_run(store)
    fill(store, 12)
    running = store.create_run(drill="live", vendor="acme", started_at=T0 + timedelta(days=1))
    store.append(running, Note(at=T0, observed_at=T0, text="first"))
    export = tmp_path / "runs.jsonl"
    assert _export(store, export) == 14

    first = import_file(other_url, export)
    assert len(first.added) == 14 and not (first.updated or first.unchanged or first.conflicts)
    with RunStore(other_url) as other:
        assert list(read_runs(other)) == list(read_runs(store))  # every row, as stored
        assert list(other.events(busy)) == every_event_kind()
        assert other.get_run(busy) == store.get_run(busy)
        assert other.state(busy, "desk_cursor") == "2026-01-02T20:00:00Z"
    again = import_file(other_url, export)
    assert len(again.unchanged) == 14 and not (again.added or again.updated or again.conflicts)
    assert again.describe() == "0 added, 0 updated, 14 already there"

    # The running run went on and ended; exporting again brings the other store up to date.
    store.append(running, Note(at=T0, observed_at=T0, text="second"))
    store.finish_run(running, Outcome.COMPLETED, ended_at=T0 + timedelta(days=1, hours=1))
    _export(store, export, run_ids=[running])
    later = import_file(other_url, export)
    assert later.updated == [running]
    with RunStore(other_url) as other:
        assert [n.text for n in other.events(running).all(Note)] == ["first", "second"]
        assert list(read_runs(other)) == list(read_runs(store))


def test_a_different_run_under_the_same_id_is_a_conflict(store: RunStore, tmp_path: Path) -> None:
    run_id = store.create_run(drill="a", vendor="acme", started_at=T0, run_id="same-id")
    store.finish_run(run_id, Outcome.COMPLETED, ended_at=T0)
    export = tmp_path / "runs.jsonl"
    _export(store, export)
    line = json.loads(export.read_text().splitlines()[1])
    line["run"]["vendor"] = "someone-else"
    export.write_text(export.read_text().splitlines()[0] + "\n" + json.dumps(line) + "\n")
    result = import_runs(store, parse_export(export))
    assert result.conflicts == ["same-id"] and "1 conflicting" in result.describe()
    assert store.get_run("same-id").vendor == "acme"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", r":1: empty file"),
        ('{"schema": "other/1"}\n', r":1: schema"),
        ('{"schema": "supportdrill.export/1"}\nnot json\n', r":2: not JSON"),
        ('{"schema": "supportdrill.export/1"}\n{"run": {}}\n', r":2: run.run_id: missing"),
    ],
)
def test_a_bad_export_file_names_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(InvalidInput, match=message):
        parse_export(path)


def test_cli_export_import_and_reindex(tmp_path: Path) -> None:
    source, target = tmp_path / "laptop.db", tmp_path / "team.db"
    with RunStore(source) as store:
        fill(store, 6)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "supportdrill.cli", *argv],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip

    out = tmp_path / "runs.jsonl"
    done = cli("--store", str(source), "export", "--out", str(out))
    assert done.returncode == 0 and "exported 6 run(s)" in done.stderr
    done = cli("--store", str(target), "import", str(out))
    assert done.returncode == 0, done.stderr
    assert "6 added" in done.stdout and "indexed 6 finished run(s)" in done.stdout
    done = cli("--store", str(target), "import", str(out))
    assert "6 already there" in done.stdout and "indexed 0" in done.stdout
    done = cli("--store", str(target), "reindex")
    assert done.returncode == 0 and "indexed 6 finished run(s)" in done.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text("nope\n")
    done = cli("--store", str(tmp_path / "fresh.db"), "import", str(bad))
    assert done.returncode == 2 and f"{bad}:1:" in done.stderr
    assert not (tmp_path / "fresh.db").exists()  # bad input creates nothing
    assert cli("--store", str(tmp_path / "none.db"), "reindex").returncode == 2


def test_export_to_a_stream(store: RunStore) -> None:
    _busy_run(store)
    out = io.StringIO()
    assert export_runs(store, out, vendor="nobody") == 0
    assert out.getvalue().startswith('{"schema": "supportdrill.export/1"')
