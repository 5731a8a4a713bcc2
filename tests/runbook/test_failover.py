"""The failover path: two proxies of the run's fault session, only the primary faulted, and the
HTTP control endpoint that switches the stream between them (real embedded fault server)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from supportdrill.clock import RealClock
from supportdrill.definitions.faults import FaultPhase, FaultPlan, PhaseKind, ToxicPlan
from supportdrill.definitions.runbook import FailoverSpec
from supportdrill.definitions.scenarios import BUILTIN_SCENARIOS
from supportdrill.definitions.toxics import Transport
from supportdrill.errors import InvalidConfiguration
from supportdrill.faults.base import FaultBackend, open_backend
from supportdrill.faults.guard import FaultSession
from supportdrill.run.wiring import MemoryLedger
from supportdrill.runbook.failover import FailoverControl, FailoverRoute, FailoverStream

SPEC = FailoverSpec("singapore", "frankfurt")
LOSS = FaultPlan(
    "edge-loss",
    phases=(
        FaultPhase(
            PhaseKind.HOLD,
            (ToxicPlan("loss", Transport.UDP, attributes={"probability": 0.35}),),
        ),
    ),
)


@pytest.fixture
async def backend() -> AsyncIterator[FaultBackend]:
    async with open_backend(needs=(Transport.UDP,)) as found:
        yield found


def udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_only_the_primary_path_carries_the_fault(backend: FaultBackend) -> None:
    async with FaultSession(backend, run_id="rb-failover-1", ledger=MemoryLedger()) as session:
        route = FailoverRoute(session, SPEC)
        publisher = ("127.0.0.1", udp_port())
        viewer_target = await route.publisher_ready(publisher)
        primary, backup = route.proxy_of("singapore"), route.proxy_of("frankfurt")
        assert primary == "sd-rb-failover-1-media-singapore"
        assert backup == "sd-rb-failover-1-media-frankfurt"
        assert route.proxy_names == (primary, backup)
        held = {name: await backend.proxy(name) for name in (primary, backup)}
        assert viewer_target == _listen(held[primary])  # the viewer starts on the primary
        await session.apply(LOSS)
        toxics = {name: (await backend.proxy(name)).toxics for name in (primary, backup)}  # type: ignore[union-attr]
        assert [t.type for t in toxics[primary]] == ["loss", "loss"]  # both directions
        assert toxics[backup] == ()
        # A rebuild re-points both at the new publisher; the primary keeps its fault.
        route.active = "frankfurt"
        moved = await route.publisher_ready(("127.0.0.1", udp_port()))
        after = {name: await backend.proxy(name) for name in (primary, backup)}
        assert moved == _listen(after[backup])
        assert after[primary].upstream == after[backup].upstream != held[primary].upstream  # type: ignore[union-attr]
        assert len(after[primary].toxics) == 2 and after[backup].toxics == ()  # type: ignore[union-attr]
    assert await backend.proxy(primary) is None and await backend.proxy(backup) is None


def _listen(state: object) -> tuple[str, int]:
    host, _, port = str(state.listen).rpartition(":")  # type: ignore[attr-defined]
    return host, int(port)


async def test_the_control_endpoint_switches_paths_and_refuses_unknown_ones(
    backend: FaultBackend,
) -> None:
    switched: list[tuple[str, str]] = []

    async def on_switch(previous: str, path: str, requester: str) -> None:
        switched.append((previous, path))

    async with FaultSession(backend, run_id="rb-failover-2", ledger=MemoryLedger()) as session:
        plan = BUILTIN_SCENARIOS["voice-room"]
        stream = FailoverStream(plan, FailoverRoute(session, SPEC), clock=RealClock())
        control = FailoverControl(stream, SPEC, on_switch=on_switch)
        url = await control.start()
        try:
            assert url.startswith("http://127.0.0.1:")
            async with httpx.AsyncClient(base_url=url) as client:
                state = (await client.get("/paths")).json()
                assert state == {
                    "active": "singapore",
                    "paths": ["singapore", "frankfurt"],
                    "faulted": "singapore",
                    "switches": [],
                }
                unknown = await client.post("/failover", json={"path": "tokyo"})
                assert unknown.status_code == 404
                assert unknown.json()["error"] == (
                    "unknown media path 'tokyo'; known: singapore, frankfurt"
                )
                assert (await client.post("/failover", json=["frankfurt"])).status_code == 400
                assert (await client.post("/failover", content=b"{")).status_code == 400
                done = await client.post("/failover", json={"path": "frankfurt"})
                assert done.status_code == 200
                assert (
                    done.json()["active"] == "frankfurt" and done.json()["previous"] == "singapore"
                )
                assert len((await client.get("/paths")).json()["switches"]) == 1
        finally:
            await control.close()
            await stream.stop()
    assert switched == [("singapore", "frankfurt")]
    assert stream.route.active == "frankfurt"


async def test_the_control_endpoint_listens_on_loopback_only_and_says_so(
    backend: FaultBackend,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        spec = FailoverSpec(listen=f"127.0.0.1:{port}")
        async with FaultSession(backend, run_id="rb-failover-3", ledger=MemoryLedger()) as session:
            stream = FailoverStream(
                BUILTIN_SCENARIOS["voice-room"], FailoverRoute(session, spec), clock=RealClock()
            )
            control = FailoverControl(stream, spec)
            with pytest.raises(InvalidConfiguration, match=f"127.0.0.1:{port}: cannot listen"):
                await control.start()
