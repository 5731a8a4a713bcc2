"""The TURN/TCP path with a real coturn: relay-only viewer, its TCP leg through a TCP proxy.

This is the path a real Toxiproxy (TCP only) can impair. CI installs coturn
(``apt-get install -y coturn``); the fixture starts ``turnserver`` on a free loopback port.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from supportdrill.definitions.scenarios import MediaPath
from supportdrill.errors import StreamError
from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.media.base import open_stream
from supportdrill.media.judge import TransitionKind
from supportdrill.media.route import TurnConfig
from supportdrill.media.turn import CoturnServer

from .test_loopback import PLAN, watch_for


async def test_without_coturn_the_server_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(StreamError, match="apt-get install -y coturn"):
        await CoturnServer().start()


@pytest.mark.coturn
async def test_turn_tcp_stream_is_healthy_and_a_latency_toxic_on_its_tcp_leg_degrades_it(
    backend: ToxiproxyBackend, coturn: TurnConfig
) -> None:
    plan = replace(PLAN, path=MediaPath.TURN_TCP)
    stream = open_stream(plan, fault_backend=backend, proxy_name_prefix="sd-turn-", turn=coturn)
    async with stream:
        (proxy,) = stream.media_proxies
        held = await backend.proxy(proxy)
        assert held is not None and held.upstream == f"{coturn.host}:{coturn.port}"
        baseline, _, _ = await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 15.0)
        # Relay-only: the viewer's only candidate is coturn's relay, reached over the proxy.
        await backend.add_toxic(proxy, ToxicSpec("slow", "latency", attributes={"latency": 400}))
        degraded, detected_after, _ = await watch_for(stream, TransitionKind.DEGRADED, 10.0)
        await backend.remove_toxic(proxy, "slow")
        await watch_for(stream, TransitionKind.RECOVERED, 15.0)
    assert baseline.sample.fps >= 14.0
    assert degraded.transition is not None
    assert any("latency" in reason for reason in degraded.transition.reasons)
    assert detected_after < 10.0
