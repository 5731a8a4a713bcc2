"""The whip target against a real WHIP+WHEP server on 127.0.0.1 (tests/media/whip_server.py):
healthy through the fault layer, degraded by a fault on its proxies, refused with a clear error,
and its sessions deleted on stop.

320x180 as in test_loopback: the server decodes and re-encodes the video (MediaRelay), so this
stream costs twice the loopback's CPU on a shared two-core machine.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from aiohttp import web

from supportdrill.definitions.faults import BUILTIN_PROFILES
from supportdrill.definitions.scenarios import StreamPlan, StreamTarget, StreamThresholds
from supportdrill.definitions.toxics import Direction
from supportdrill.errors import InvalidConfiguration, StreamError
from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.guard import FaultSession
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.media import whip
from supportdrill.media.base import open_stream
from supportdrill.media.judge import TransitionKind
from supportdrill.media.route import OwnProxies
from supportdrill.media.whip import WhipClient, WhipEndpoints, WhipStream, resolve_endpoints
from supportdrill.secrets import SecretValue

from .test_loopback import watch_for
from .test_session import MemoryLedger
from .whip_server import WhipServer

TOKEN = "drill-secret-token-1234"
ENV = {"VENDOR_WHIP_TOKEN": TOKEN}


@pytest.fixture
async def server() -> AsyncIterator[WhipServer]:
    async with WhipServer(TOKEN) as running:
        yield running


PLAN_WHIP = StreamPlan(
    scenario="test",
    target=StreamTarget.WHIP,
    whip_url="http://127.0.0.1:9/whip",
    whep_url="http://127.0.0.1:9/whep",
    width=320,
    height=180,
    fps=20,
)


def plan_for(server: WhipServer) -> StreamPlan:
    return StreamPlan(
        scenario="test",
        target=StreamTarget.WHIP,
        whip_url=server.whip_url,
        whep_url="${VENDOR_WHEP_URL}",
        token_env="VENDOR_WHIP_TOKEN",
        width=320,
        height=180,
        fps=20,
        thresholds=StreamThresholds(min_fps=14.0, min_mos=3.1, degrade_after=2, recover_after=3),
    )


async def test_a_whip_stream_is_healthy_and_stop_deletes_both_sessions(
    server: WhipServer, backend: ToxiproxyBackend
) -> None:
    env = {**ENV, "VENDOR_WHEP_URL": server.whep_url}
    stream = open_stream(
        plan_for(server), fault_backend=backend, proxy_name_prefix="sd-whip-", env=env
    )
    assert isinstance(stream, WhipStream)
    async with stream:
        assert stream.media_proxies == ("sd-whip-media-whip", "sd-whip-media-whep")
        judged, _, _ = await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 12.0)
        sessions = sorted(server.sessions)
    sample = judged.sample
    assert sample.connected and sample.fps >= 14.0
    assert sample.latency_ms is not None and sample.latency_ms < 500.0
    assert sample.loss_pct == 0.0
    assert [path.split("/")[1] for path in sessions] == ["whep", "whip"]
    assert sorted(server.deleted) == sessions and server.sessions == {}
    for proxy in ("sd-whip-media-whip", "sd-whip-media-whep"):
        assert await backend.proxy(proxy) is None, "stop() deletes the stream's proxies"


@pytest.mark.parametrize(
    ("toxic", "legs"),
    [
        (ToxicSpec("blackout", "blackhole"), ("media-whip", "media-whep")),
        # Publisher → ingest media is the ingest proxy's *upstream* direction.
        (
            ToxicSpec("loss30", "loss", Direction.UPSTREAM, attributes={"probability": 0.3}),
            ("media-whip",),
        ),
        (ToxicSpec("loss30", "loss", attributes={"probability": 0.3}), ("media-whep",)),
    ],
    ids=["blackout-both", "loss-ingest", "loss-egress"],
)
async def test_a_fault_on_the_whip_proxies_degrades_the_stream_and_lifting_it_recovers(
    server: WhipServer, backend: ToxiproxyBackend, toxic: ToxicSpec, legs: tuple[str, ...]
) -> None:
    plan = replace(plan_for(server), whep_url=server.whep_url)
    stream = open_stream(plan, fault_backend=backend, proxy_name_prefix="sd-wf-", env=ENV)
    async with stream:
        await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 12.0)
        for leg in legs:
            await backend.add_toxic(f"sd-wf-{leg}", toxic)
        degraded, detected_after, _ = await watch_for(stream, TransitionKind.DEGRADED, 8.0)
        for leg in legs:
            await backend.remove_toxic(f"sd-wf-{leg}", toxic.name)
        started = time.monotonic()
        recovered, _, _ = await watch_for(stream, TransitionKind.RECOVERED, 15.0)
        print(toxic.name, legs, detected_after, time.monotonic() - started, degraded.problems)
    assert degraded.transition is not None and degraded.transition.reasons
    assert recovered.sample.fps >= 14.0
    assert stream.reconnections == (), "the fault was shorter than dead_after: no rebuild"


async def test_a_wrong_token_is_a_stream_error_401_that_does_not_show_the_token(
    server: WhipServer, backend: ToxiproxyBackend
) -> None:
    wrong = "not-the-right-token-5678"
    plan = replace(plan_for(server), whep_url=server.whep_url)
    stream = open_stream(
        plan, fault_backend=backend, proxy_name_prefix="sd-w401-", env={"VENDOR_WHIP_TOKEN": wrong}
    )
    with pytest.raises(StreamError, match=r"WHIP POST .*/whip: HTTP 401: unauthorized") as caught:
        await stream.start()
    assert wrong not in str(caught.value) and TOKEN not in str(caught.value)
    assert server.refused == [401] and server.sessions == {}
    assert stream.media_proxies == (), "no answer, so no proxy was made"
    await stream.stop()


@pytest.fixture
async def misbehaving() -> AsyncIterator[str]:
    """Endpoints that answer everything but a WHIP answer, at ``{base}/{case}``."""

    async def echo_500(request: web.Request) -> web.Response:
        # A careless server echoing the request's headers: the token must not reach our error.
        return web.Response(status=500, text=f"boom {request.headers['Authorization']}")

    async def html(request: web.Request) -> web.Response:
        return web.Response(
            status=201,
            text="<html>login</html>",
            content_type="text/html",
            headers={"Location": "/x"},
        )

    async def no_location(request: web.Request) -> web.Response:
        return web.Response(status=201, text="v=0\r\n", content_type="application/sdp")

    async def bad_sdp(request: web.Request) -> web.Response:
        # SDP-shaped, with a usable candidate, but no answer to any offer.
        text = (
            "v=0\r\no=- 0 0 IN IP4 0\r\nm=video x\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n"
        )
        return web.Response(
            status=201, text=text, content_type="application/sdp", headers={"Location": "/gone"}
        )

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(status=201)

    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def forbidden(request: web.Request) -> web.Response:
        return web.Response(status=403, text="x" * 500)

    app = web.Application()
    for case, handler in (("500", echo_500), ("html", html), ("nolocation", no_location)):
        app.router.add_post(f"/{case}", handler)
    app.router.add_post("/slow", slow)
    app.router.add_post("/badsdp", bad_sdp)
    app.router.add_delete("/gone", gone)
    app.router.add_delete("/forbidden", forbidden)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("500", r"WHIP POST http://127\.0\.0\.1:\d+/500: HTTP 500: boom Bearer \*\*\*$"),
        ("html", r"the answer is not SDP \(text/html\): <html>login</html>"),
        ("nolocation", r"HTTP 201 without a Location header"),
        ("slow", r"no answer within 0\.5 s"),
    ],
)
async def test_endpoint_errors_are_stream_errors_with_status_and_excerpt(
    misbehaving: str, case: str, message: str
) -> None:
    client = WhipClient(SecretValue("T", TOKEN), timeout_s=0.5)
    try:
        with pytest.raises(StreamError, match=message) as caught:
            await client.offer("WHIP", f"{misbehaving}/{case}", "v=0\r\n")
        assert TOKEN not in str(caught.value)
        # DELETE: a session already gone is fine; any other refusal is quoted, shortened.
        await client.delete("WHEP", f"{misbehaving}/gone")
        with pytest.raises(StreamError, match=r"HTTP 403: x{120}…$"):
            await client.delete("WHEP", f"{misbehaving}/forbidden")
    finally:
        await client.aclose()


async def test_an_endpoint_nobody_listens_on_is_a_stream_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = WhipClient()
    try:
        with pytest.raises(StreamError, match=rf"WHIP POST http://127.0.0.1:{port}/whip: Connect"):
            await client.offer("WHIP", f"http://127.0.0.1:{port}/whip", "v=0\r\n")
    finally:
        await client.aclose()


def test_references_are_resolved_from_the_environment_and_missing_ones_named() -> None:
    plan = StreamPlan(
        scenario="x",
        target=StreamTarget.WHIP,
        whip_url="${W}",
        whep_url="https://egress.example/whep",
        token_env="TOKEN_VAR",
    )
    endpoints = resolve_endpoints(plan, {"W": "https://ingest.example/whip", "TOKEN_VAR": TOKEN})
    assert endpoints.whip_url == "https://ingest.example/whip"
    assert endpoints.token is not None and endpoints.token.reveal() == TOKEN
    assert TOKEN not in repr(endpoints)
    with pytest.raises(InvalidConfiguration, match=r"stream\.whip_url: environment variable W is"):
        resolve_endpoints(plan, {"TOKEN_VAR": TOKEN})
    with pytest.raises(InvalidConfiguration, match="W is not an http"):
        resolve_endpoints(plan, {"W": "rtmp://x", "TOKEN_VAR": TOKEN})
    with pytest.raises(
        InvalidConfiguration, match=r"^stream\.token: environment variable TOKEN_VAR is not set$"
    ):
        resolve_endpoints(plan, {"W": "https://ingest.example/whip"})
    with pytest.raises(InvalidConfiguration, match="whep_url is needed"):
        resolve_endpoints(
            replace(plan, target=StreamTarget.LOOPBACK, whip_url="http://x", whep_url=None), {}
        )


async def test_a_dead_whip_stream_is_rebuilt_with_new_sessions_through_the_same_proxies(
    server: WhipServer, backend: ToxiproxyBackend
) -> None:
    plan = replace(plan_for(server), whep_url=server.whep_url, dead_after=timedelta(seconds=1.5))
    owner = OwnProxies(backend, "sd-wr-")
    stream = WhipStream(plan, resolve_endpoints(plan, ENV), owner, connect_timeout_s=2.0)
    async with stream:
        await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 12.0)
        first = sorted(server.sessions)
        await backend.add_toxic("sd-wr-media-whep", ToxicSpec("blackout", "blackhole"))
        await watch_for(stream, TransitionKind.DEGRADED, 8.0)
        deadline = time.monotonic() + 8
        while len(server.deleted) < len(first) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert sorted(server.deleted) == first, "the dead sessions were deleted"
        await backend.remove_toxic("sd-wr-media-whep", "blackout")
        await watch_for(stream, TransitionKind.RECOVERED, 20.0)
        held = await backend.proxy("sd-wr-media-whep")
        assert held is not None and held.toxic("blackout") is None
        live = sorted(server.sessions)
    (outage,) = stream.reconnections
    assert outage.ended_at is not None and "no media" in outage.reason
    assert len(live) == 2 and not set(live) & set(first), "new WHIP and WHEP sessions"
    assert server.sessions == {} and set(live) <= set(server.deleted)


async def test_the_runs_fault_session_owns_both_proxies_and_its_plan_acts_on_both_legs(
    server: WhipServer, backend: ToxiproxyBackend
) -> None:
    plan = replace(plan_for(server), whep_url=server.whep_url)
    ledger = MemoryLedger()
    async with FaultSession(backend, run_id="whip1", ledger=ledger) as session:
        stream = open_stream(plan, session=session, env=ENV)
        async with stream:
            proxies = ("sd-whip1-media-whip", "sd-whip1-media-whep")
            assert stream.media_proxies == proxies
            assert [entry[2] for entry in ledger.open_fault_ownerships()] == sorted(proxies)
            await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 12.0)
            await session.apply(BUILTIN_PROFILES["loadero-50-percent-packetloss"].plan())
            for proxy in proxies:
                held = await backend.proxy(proxy)
                assert held is not None and held.toxics, f"the plan's toxics are on {proxy}"
            await watch_for(stream, TransitionKind.DEGRADED, 8.0)
            await session.lift()
            await watch_for(stream, TransitionKind.RECOVERED, 15.0)
        assert await backend.proxy(proxies[0]) is not None, "the session deletes its proxies"
    assert ledger.open_fault_ownerships() == []
    assert len(server.deleted) == 2 and server.sessions == {}


async def test_without_a_fault_layer_the_peers_talk_to_the_server_and_wait_for_playback() -> None:
    async with WhipServer(TOKEN, playback_after_s=1.0) as slow_playback:
        plan = replace(plan_for(slow_playback), whep_url=slow_playback.whep_url)
        stream = open_stream(plan, env=ENV)
        async with stream:
            judged, _, _ = await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 12.0)
            assert stream.media_proxies == ()
        assert judged.sample.fps >= 14.0
        # "Not yet" from the playback endpoint was retried, not raised.
        assert slow_playback.refused and set(slow_playback.refused) == {409}
        assert len(slow_playback.deleted) == 2


async def test_a_playback_that_stays_unready_is_a_stream_error_after_the_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(whip, "PLAYBACK_WAIT_S", 0.5)
    async with WhipServer(TOKEN, playback_after_s=60.0) as never:
        plan = replace(plan_for(never), whep_url=never.whep_url)
        stream = open_stream(plan, env=ENV)
        with pytest.raises(
            StreamError, match=r"WHEP POST .*: HTTP 409: nothing is being published"
        ):
            await stream.start()
        assert never.sessions == {} and never.deleted == ["/whip/1"]


async def test_an_answer_the_peer_cannot_use_is_a_stream_error(
    misbehaving: str, backend: ToxiproxyBackend
) -> None:
    endpoints = WhipEndpoints(f"{misbehaving}/badsdp", f"{misbehaving}/badsdp")
    stream = WhipStream(PLAN_WHIP, endpoints, OwnProxies(backend, "sd-wbad-"))
    with pytest.raises(StreamError, match=r"WHIP answer from http://.*/badsdp was refused: "):
        await stream.start()
    assert await backend.proxy("sd-wbad-media-whip") is None, "the failed start cleaned up"
