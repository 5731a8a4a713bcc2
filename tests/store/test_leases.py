"""Leases and claims: one holder at a time, lapsing when not renewed; one claim per cron time,
even when many connections race for it. On SQLite and (when one is running) PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from supportdrill.store import RunStore
from supportdrill.store.leases import Leases

T0 = datetime(2027, 1, 2, 3, tzinfo=UTC)
TTL = timedelta(minutes=5)


def test_acquire_renew_release_and_lapse(store_url: str) -> None:
    with RunStore(store_url) as store:
        leases = Leases(store)
        assert leases.acquire("drill-a", "one", now=T0, ttl=TTL)
        assert not leases.acquire("drill-a", "two", now=T0 + timedelta(minutes=1), ttl=TTL)
        assert leases.acquire("drill-a", "one", now=T0 + timedelta(minutes=1), ttl=TTL)  # again
        held = leases.holder("drill-a", now=T0 + timedelta(minutes=2))
        assert held is not None and held.holder == "one"
        assert held.expires_at == T0 + timedelta(minutes=6)
        assert leases.renew("drill-a", "one", now=T0 + timedelta(minutes=5), ttl=TTL)
        assert not leases.renew("drill-a", "two", now=T0 + timedelta(minutes=5), ttl=TTL)
        # Not renewed: after it lapses another holder may take it, and the old one cannot renew.
        assert not leases.acquire("drill-a", "two", now=T0 + timedelta(minutes=9), ttl=TTL)
        assert leases.acquire("drill-a", "two", now=T0 + timedelta(minutes=10), ttl=TTL)
        assert not leases.renew("drill-a", "one", now=T0 + timedelta(minutes=10), ttl=TTL)
        leases.release("drill-a", "one")  # not its own: nothing happens
        assert leases.holder("drill-a", now=T0 + timedelta(minutes=11)) is not None
        leases.release("drill-a", "two")
        leases.release("drill-a", "two")
        assert leases.holder("drill-a", now=T0 + timedelta(minutes=11)) is None


def test_claims_are_first_come_and_survive_a_reopen(store_url: str) -> None:
    path = store_url
    with RunStore(path) as store:
        leases = Leases(store)
        assert leases.claim("nightly", T0, "one", now=T0, action="started", run_id="r1")
        assert not leases.claim("nightly", T0, "two", now=T0, action="started")
        assert leases.claim("nightly", T0 + timedelta(days=1), "two", now=T0, action="missed")
        leases.update_claim("nightly", T0, action="cannot_start", detail="exit 2")
    with RunStore(path) as store:
        leases = Leases(store)
        first, second = leases.claims("nightly")
        assert (first.holder, first.action, first.run_id, first.detail) == (
            "one",
            "cannot_start",
            "r1",
            "exit 2",
        )
        assert second.due_at == T0 + timedelta(days=1) and second.action == "missed"
        assert leases.claims("nightly", since=T0 + timedelta(hours=1)) == [second]
        assert leases.last_claim("nightly") == second
        assert leases.last_claim("other") is None
        assert leases.started_count("nightly") == 0


def test_many_connections_racing_for_one_cron_time_make_one_claim(store_url: str) -> None:
    path = store_url
    RunStore(path).close()
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def race(name: str) -> None:
        with RunStore(path) as store:
            leases = Leases(store)
            barrier.wait()
            for day in range(20):
                if leases.claim(
                    "nightly", T0 + timedelta(days=day), name, now=T0, action="started"
                ):
                    winners.append(f"{day}:{name}")

    threads = [threading.Thread(target=race, args=(f"s{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(int(w.split(":")[0]) for w in winners) == list(range(20))
    with RunStore(path) as store:
        assert Leases(store).started_count("nightly") == 20
