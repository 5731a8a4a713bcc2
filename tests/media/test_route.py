"""The UDP media route re-points its proxy in place through either owner: the run's
FaultSession or the stream's own proxies. Toxics stay, a downed proxy stays down, and the
viewer keeps the same address. (The whole rebuild, with real peers, is in test_loopback.)"""

from __future__ import annotations

import pytest

from supportdrill.definitions.faults import DOWN, FaultPhase, FaultPlan, PhaseKind, ToxicPlan
from supportdrill.definitions.toxics import Transport
from supportdrill.errors import FaultError
from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.guard import FaultSession
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.media.route import OwnProxies, UdpProxyRoute

from .test_session import MemoryLedger

# Nothing listens there; the relay only sends to its upstream once a flow starts.
FIRST, SECOND = ("127.0.0.1", 9), ("127.0.0.1", 19)


async def test_own_proxies_retarget_keeps_toxics_and_a_downed_proxy_down(
    backend: ToxiproxyBackend,
) -> None:
    owner = OwnProxies(backend, "sd-route-")
    route = UdpProxyRoute(owner)
    listen = await route.publisher_ready(FIRST)
    assert route.proxy_names == ("sd-route-media-udp",)
    await backend.add_toxic(
        "sd-route-media-udp", ToxicSpec("slow", "latency", attributes={"latency": 300})
    )
    await backend.set_enabled("sd-route-media-udp", False)

    assert await route.publisher_ready(SECOND) == listen, "the viewer's address does not move"
    held = await backend.proxy("sd-route-media-udp")
    assert held is not None
    assert (held.upstream, held.enabled) == ("127.0.0.1:19", False)
    assert held.toxic("slow") is not None

    await route.close()
    assert await backend.proxy("sd-route-media-udp") is None


async def test_session_retarget_keeps_the_plans_outage(backend: ToxiproxyBackend) -> None:
    outage = FaultPlan(
        "outage", phases=(FaultPhase(PhaseKind.HOLD, (ToxicPlan(DOWN, Transport.UDP),)),)
    )
    async with FaultSession(backend, run_id="route1", ledger=MemoryLedger()) as session:
        route = UdpProxyRoute(session)
        listen = await route.publisher_ready(FIRST)
        await session.apply(outage)
        assert await route.publisher_ready(SECOND) == listen
        held = await backend.proxy("sd-route1-media-udp")
        assert held is not None and (held.upstream, held.enabled) == ("127.0.0.1:19", False)
        assert session.proxies["sd-route1-media-udp"] == held
        await session.lift()
        # Lifting the outage brings the proxy up on the new upstream, not the old one.
        after = await backend.proxy("sd-route1-media-udp")
        assert after is not None and (after.upstream, after.enabled) == ("127.0.0.1:19", True)
        await route.close()  # a session's proxy outlives the route: the session deletes it
        assert await backend.proxy("sd-route1-media-udp") is not None
    assert await backend.proxy("sd-route1-media-udp") is None


async def test_retarget_of_a_proxy_that_is_gone_is_a_fault_error(
    backend: ToxiproxyBackend,
) -> None:
    route = UdpProxyRoute(OwnProxies(backend, "sd-gone-"))
    await route.publisher_ready(FIRST)
    await backend.delete_proxy("sd-gone-media-udp")
    # The stream's supervisor retries on FaultError, so this must be one.
    with pytest.raises(FaultError, match="sd-gone-media-udp"):
        await route.publisher_ready(SECOND)
