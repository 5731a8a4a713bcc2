"""The run store on both backends (a SQLite file, a PostgreSQL schema): runs, events, tickets,
state, the fault ledger."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from backends import raw_sql
from store_samples import T0, every_event_kind

from supportdrill.definitions.loader import build_drill
from supportdrill.errors import RunNotFound, StoreError
from supportdrill.store import SCHEMA_VERSION, RunStatus, RunStore, default_store_path
from supportdrill.timeline import EVENT_KINDS, Note, Outcome, event_to_record
from supportdrill.vocabulary import TicketRef


def _run(store: RunStore, **overrides: object) -> str:
    values: dict[str, object] = {"drill": "jakarta-p0", "vendor": "acme", "started_at": T0}
    values.update(overrides)
    return store.create_run(**values)  # type: ignore[arg-type]


def test_every_event_kind_round_trips(store: RunStore) -> None:
    events = every_event_kind()
    assert {event.kind for event in events} == set(EVENT_KINDS), "add the new kind to conftest"
    run_id = _run(store)
    first = store.append(run_id, events[0])
    rest = store.append_many(run_id, events[1:])
    assert first == 1
    assert rest == list(range(2, len(events) + 1))
    timeline = store.events(run_id)
    assert list(timeline) == events
    assert [event_to_record(e) for e in timeline] == [event_to_record(e) for e in events]


def test_events_survive_reopening(store_url: str) -> None:
    with RunStore(store_url) as store:
        run_id = _run(store)
        store.append_many(run_id, every_event_kind())
    with RunStore(store_url) as reopened:
        assert list(reopened.events(run_id)) == every_event_kind()


def test_run_lifecycle_and_listing(store: RunStore) -> None:
    first = _run(store, vendor="acme", started_at=T0, desk="simulated", severity="P0")
    second = _run(store, vendor="other", started_at=T0 + timedelta(hours=1))
    third = _run(store, vendor="acme", started_at=T0 + timedelta(hours=2))
    assert [r.run_id for r in store.runs()] == [third, second, first]
    assert [r.run_id for r in store.runs(vendor="acme")] == [third, first]
    assert [r.run_id for r in store.runs(limit=1)] == [third]
    assert [r.run_id for r in store.unfinished_runs()] == [first, second, third]

    store.finish_run(second, Outcome.TIMED_OUT, ended_at=T0 + timedelta(hours=3))
    assert [r.run_id for r in store.unfinished_runs()] == [first, third]
    record = store.get_run(second)
    assert record.status is RunStatus.FINISHED
    assert record.outcome is Outcome.TIMED_OUT
    assert record.ended_at == T0 + timedelta(hours=3)
    summary = store.get_run(first)
    assert (summary.desk, summary.severity, summary.status) == (
        "simulated",
        "P0",
        RunStatus.RUNNING,
    )
    assert summary.started_at == T0 and summary.started_at.tzinfo is not None


def test_run_ids_are_unique_and_sortable(store: RunStore) -> None:
    ids = [_run(store) for _ in range(20)]
    assert len(set(ids)) == 20
    assert all(run_id.startswith("20260102-200000-") for run_id in ids)
    with pytest.raises(StoreError, match="already exists"):
        _run(store, run_id=ids[0])


def test_unknown_runs_raise_run_not_found(store: RunStore) -> None:
    now = datetime.now(UTC)
    with pytest.raises(RunNotFound):
        store.get_run("nope")
    with pytest.raises(RunNotFound):
        store.events("nope")
    with pytest.raises(RunNotFound):
        store.append("nope", Note(at=now, observed_at=now, text="x"))
    with pytest.raises(RunNotFound):
        store.finish_run("nope", Outcome.ABORTED, ended_at=now)
    with pytest.raises(RunNotFound):
        store.set_idempotency_key("nope", "k", desk="simulated")


def test_naive_times_are_refused(store: RunStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _run(store, started_at=datetime(2026, 1, 1, 3, 0))


def test_ticket_reference_written_in_two_steps(store: RunStore) -> None:
    run_id = _run(store)
    assert store.idempotency_key(run_id) is None
    assert store.ticket_ref(run_id) is None
    store.set_idempotency_key(run_id, "run-1-p0", desk="simulated")
    store.set_idempotency_key(run_id, "run-1-p0", desk="simulated")  # harmless again
    assert store.idempotency_key(run_id) == "run-1-p0"
    assert store.ticket_ref(run_id) is None  # key written, desk not yet confirmed

    ref = TicketRef(
        desk="simulated",
        ticket_id="42",
        created_at=T0,
        url="http://127.0.0.1:9/hc/requests/42",
        extra={"api_url": "http://127.0.0.1:9/api/v2/requests/42.json"},
    )
    store.set_ticket_ref(run_id, "run-1-p0", ref)
    assert store.ticket_ref(run_id) == ref
    assert store.ticket_ref(run_id, "run-1-p0") == ref
    assert store.ticket_ref(run_id, "other") is None
    record = store.get_run(run_id)
    assert [t.idempotency_key for t in record.tickets] == ["run-1-p0"]
    assert record.tickets[0].ref == ref


def test_run_state_keeps_the_latest_value(store: RunStore) -> None:
    run_id = _run(store)
    assert store.state(run_id, "desk_cursor") is None
    store.set_state(run_id, "desk_cursor", "a")
    store.set_state(run_id, "desk_cursor", "b")
    assert store.state(run_id, "desk_cursor") == "b"


def test_fault_ownership_ledger(store_url: str) -> None:
    with RunStore(store_url) as store:
        assert store.open_fault_ownerships() == []
        store.record_fault_ownership("run-a", "http://127.0.0.1:8474", "drill-a-media")
        store.record_fault_ownership("run-a", "http://127.0.0.1:8474", "drill-a-media")
        store.record_fault_ownership("run-a", "http://127.0.0.1:8474", "drill-a-signal")
        store.record_fault_ownership("run-b", "http://127.0.0.1:9999", "drill-b-media")
    # A crash between recording and clearing: the next start sees what is still owned.
    with RunStore(store_url) as store:
        assert store.open_fault_ownerships() == [
            ("run-a", "http://127.0.0.1:8474", "drill-a-media"),
            ("run-a", "http://127.0.0.1:8474", "drill-a-signal"),
            ("run-b", "http://127.0.0.1:9999", "drill-b-media"),
        ]
        store.clear_fault_ownership("run-a", "drill-a-media")
        store.clear_fault_ownership("run-a", "drill-a-media")
        assert store.open_fault_ownerships() == [
            ("run-a", "http://127.0.0.1:8474", "drill-a-signal"),
            ("run-b", "http://127.0.0.1:9999", "drill-b-media"),
        ]


def test_bulk_timelines(store: RunStore) -> None:
    ids = {vendor: [_run(store, vendor=vendor) for _ in range(3)] for vendor in ("a", "b")}
    for run_ids in ids.values():
        for run_id in run_ids:
            store.append_many(run_id, every_event_kind())
    everything = store.timelines()
    assert set(everything) == set(ids["a"]) | set(ids["b"])
    assert all(list(t) == every_event_kind() for t in everything.values())
    assert set(store.timelines(vendor="b")) == set(ids["b"])
    assert set(store.timelines([ids["a"][0]])) == {ids["a"][0]}
    empty = _run(store)
    assert len(store.timelines([empty])[empty]) == 0


def test_one_store_shared_between_threads(store: RunStore) -> None:
    run_id = _run(store)
    now = datetime.now(UTC)

    def writer(name: str) -> None:
        for index in range(50):
            store.append(run_id, Note(at=now, observed_at=now, text=f"{name}-{index}"))

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = [event.text for event in store.events(run_id).all(Note)]
    assert len(texts) == 200 and len(set(texts)) == 200


def test_schema_version_is_recorded(store_url: str) -> None:
    RunStore(store_url).close()
    RunStore(store_url).close()  # opening again applies nothing twice
    rows = raw_sql(store_url, "SELECT version FROM schema_migrations ORDER BY version")
    assert [row[0] for row in rows] == list(range(1, SCHEMA_VERSION + 1))


def test_a_sqlite_store_is_in_wal_mode(store_path: Path) -> None:
    RunStore(store_path).close()
    with sqlite3.connect(store_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_newer_schema_is_refused(store_url: str) -> None:
    RunStore(store_url).close()
    raw_sql(
        store_url,
        "INSERT INTO schema_migrations VALUES (?, 'from the future', '2030-01-01')",
        (SCHEMA_VERSION + 1,),
    )
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}, newer"):
        RunStore(store_url)


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "runs.db"
    bogus.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a supportdrill run store"):
        RunStore(bogus)


def test_a_corrupt_event_names_run_and_sequence(store: RunStore, store_url: str) -> None:
    run_id = _run(store)
    store.append(run_id, every_event_kind()[0])
    raw_sql(
        store_url, "UPDATE events SET record = ? WHERE run_id = ?", ('{"kind": "no.such"}', run_id)
    )
    with pytest.raises(StoreError, match=rf"run {run_id} event #1 cannot be read"):
        store.events(run_id)


def test_default_path_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SUPPORTDRILL_STORE", raising=False)
    assert default_store_path() == Path(".supportdrill/runs.db")
    monkeypatch.setenv("SUPPORTDRILL_STORE", str(tmp_path / "elsewhere.db"))
    with RunStore() as store:
        assert store.path == tmp_path / "elsewhere.db"
    assert (tmp_path / "elsewhere.db").exists()


DRILL_WITH_SECRETS = """\
name: secret-check
description: Drill whose desk credentials come from the environment.
vendor:
  name: acme
  desk:
    kind: zendesk
    subdomain: acme
    email: ${ACME_DESK_EMAIL}
    token: ${ACME_DESK_TOKEN}
  timezone: Asia/Jakarta
  coverage: {P0: 24x7}
  sla: common-vendor
  consent: "Trial agreement, drills allowed"
ticket:
  severity: P0
"""


def test_secrets_never_reach_the_store(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "zd-TOKEN-must-never-be-stored-7f3a"
    monkeypatch.setenv("ACME_DESK_TOKEN", secret)
    monkeypatch.setenv("ACME_DESK_EMAIL", "drills@example.com")
    drill = build_drill(DRILL_WITH_SECRETS, "secret-check.yaml")
    with RunStore(store_path) as store:
        store.guard_secrets([secret])
        run_id = store.create_run_for(drill, started_at=T0, drill_text=DRILL_WITH_SECRETS)
        store.append_many(run_id, every_event_kind())
        # A careless caller who puts the value itself anywhere is stopped, without an echo.
        leaked = Note(at=T0, observed_at=T0, text=f"auth header Bearer {secret}")
        with pytest.raises(StoreError, match="refusing to store a secret") as caught:
            store.append(run_id, leaked)
        assert secret not in str(caught.value)
        with pytest.raises(StoreError, match="refusing"):
            store.set_state(run_id, "cursor", secret)
        assert store.get_run(run_id).drill_text == DRILL_WITH_SECRETS
    raw = b"".join(path.read_bytes() for path in store_path.parent.iterdir())
    assert secret.encode() not in raw
    assert b"ACME_DESK_TOKEN" in raw  # the variable's name is kept, as it should be
