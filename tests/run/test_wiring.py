"""The adapters between the runner and the fault layer, on the embedded server over 127.0.0.1."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportdrill.clock import AcceleratedClock, AdjustableClock
from supportdrill.definitions.faults import BUILTIN_PROFILES
from supportdrill.errors import FaultBackendUnavailable, FaultError, InvalidConfiguration
from supportdrill.faults.guard import FaultSession, cleanup_leftovers
from supportdrill.faults.server import EmbeddedToxiproxy
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.run.wiring import (
    MemoryLedger,
    PlannedFault,
    describe_toxics,
    fault_backend,
    toxiproxy_at,
)
from supportdrill.store import RunStore


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_describe_toxics_names_each_toxic_once_with_its_numbers() -> None:
    described = describe_toxics(BUILTIN_PROFILES["flapping-link"].plan())
    assert described and all(line.startswith("flap: ") for line in described)
    assert len(described) == len(set(described))
    down = describe_toxics(BUILTIN_PROFILES["edge-outage"].plan())
    assert any("down (connections refused)" in line for line in down)


async def test_planned_fault_applies_to_the_sessions_proxy_and_lifts() -> None:
    plan = BUILTIN_PROFILES["loadero-10-percent-packetloss"].plan()
    async with EmbeddedToxiproxy() as server:
        backend = ToxiproxyBackend(server.url)
        ledger = MemoryLedger()
        try:
            async with FaultSession(backend, run_id="r1", ledger=ledger) as session:
                fault = PlannedFault(session, plan)
                with pytest.raises(FaultError, match="no proxy was created"):
                    await fault.inject()
                await session.add_proxy("media-udp", "127.0.0.1:9", transport="udp")
                assert [row[2] for row in ledger.open_fault_ownerships()] == ["sd-r1-media-udp"]
                injected = await fault.inject()
                assert injected.profile == "loadero-10-percent-packetloss"
                assert injected.degraded_within == plan.expect_degraded_within
                (proxy,) = await backend.state()
                assert proxy.toxics and proxy.toxics[0].type == "loss"
                await fault.lift()
                (proxy,) = await backend.state()
                assert proxy.toxics == ()
                await fault.close()
                assert await backend.state() == () and ledger.open_fault_ownerships() == []
        finally:
            await backend.aclose()


async def test_fault_backend_is_embedded_unless_toxiproxy_url_is_set() -> None:
    async with fault_backend({}) as (backend, choice):
        assert choice.embedded and choice.url.startswith("http://127.0.0.1:")
        assert await backend.state() == ()
    with pytest.raises(InvalidConfiguration, match="TOXIPROXY_URL"):
        async with fault_backend({"TOXIPROXY_URL": "localhost:8474"}):
            pass
    with pytest.raises(FaultBackendUnavailable):
        async with fault_backend({"TOXIPROXY_URL": _dead_url()}):
            pass
    async with (
        EmbeddedToxiproxy() as server,
        fault_backend({"TOXIPROXY_URL": server.url}) as (_, choice),
    ):
        assert not choice.embedded and choice.url == server.url


async def test_leftovers_on_a_dead_server_are_reported_and_kept(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.db") as store:
        run_id = store.create_run(
            drill="d",
            vendor="v",
            desk="simulated",
            severity="P0",
            started_at=datetime(2026, 11, 21, tzinfo=UTC),
        )
        dead = _dead_url()
        store.record_fault_ownership(run_id, dead, f"sd-{run_id}-media-udp")
        async with EmbeddedToxiproxy() as server:
            backend = ToxiproxyBackend(server.url)
            try:
                await backend.create_proxy(f"sd-{run_id}-x", "127.0.0.1:0", "127.0.0.1:9")
                store.record_fault_ownership(run_id, server.url, f"sd-{run_id}-x")
                leftovers = await cleanup_leftovers(store, toxiproxy_at)
                assert leftovers.removed == (f"sd-{run_id}-x",)
                assert leftovers.not_removed == (f"sd-{run_id}-media-udp",)
                assert await backend.state() == ()
            finally:
                await backend.aclose()
        # The unreachable record stays for the next attempt.
        assert store.open_fault_ownerships() == [(run_id, dead, f"sd-{run_id}-media-udp")]


def test_accelerated_clock_changes_speed_without_a_jump() -> None:
    clock = AcceleratedClock(datetime(2026, 11, 21, tzinfo=UTC), rate=1000)
    assert isinstance(clock, AdjustableClock)
    time.sleep(0.01)
    before = clock.now()
    clock.set_rate(1.0)
    after = clock.now()
    assert 0 <= (after - before).total_seconds() < 1
    assert clock.rate == 1.0
    with pytest.raises(ValueError):
        clock.set_rate(0)
    clock.restart()
    assert (clock.now() - datetime(2026, 11, 21, tzinfo=UTC)).total_seconds() < 1
