"""The UDP relay over real sockets: it forwards on this Python, follows an upstream change at
once (toxics kept, a downed proxy kept down), and FaultBackend.update_proxy verifies."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from supportdrill.definitions.faults import DOWN, FaultPhase, FaultPlan, PhaseKind, ToxicPlan
from supportdrill.definitions.toxics import Transport
from supportdrill.errors import FaultError, FaultNotVerified, FaultRejected
from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.guard import FaultSession
from supportdrill.faults.server import EmbeddedToxiproxy, udp
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend

from .conftest import SqliteLedger, UdpEcho, udp_client


@contextlib.asynccontextmanager
async def _echo() -> AsyncIterator[tuple[int, UdpEcho]]:
    loop = asyncio.get_running_loop()
    transport, echo = await loop.create_datagram_endpoint(UdpEcho, local_addr=("127.0.0.1", 0))
    try:
        yield transport.get_extra_info("sockname")[1], echo
    finally:
        transport.close()


# -- defect: the relay must forward on Python 3.11 with no help from outside -----------------


async def test_relay_forwards_both_ways_on_this_python(
    backend: ToxiproxyBackend, udp_echo: tuple[int, UdpEcho]
) -> None:
    # On 3.11 asyncio's selector datagram transport is no DatagramTransport; the relay must
    # not care (nothing here patches it, unlike the media tests used to).
    port, echo = udp_echo
    proxy = await backend.create_proxy("u", "127.0.0.1:0", f"127.0.0.1:{port}", "udp")
    async with udp_client(proxy.port) as (transport, client):
        for n in range(5):
            transport.sendto(b"hello %d" % n)
            assert await client.reply() == b"hello %d" % n
    assert echo.received == 5


async def test_relay_delivers_a_steady_stream_without_loss(
    backend: ToxiproxyBackend, udp_echo: tuple[int, UdpEcho]
) -> None:
    proxy = await backend.create_proxy("u", "127.0.0.1:0", f"127.0.0.1:{udp_echo[0]}", "udp")
    sent = 2000
    async with udp_client(proxy.port) as (transport, client):
        # 4,000 datagrams/s at most: far under a slow CI machine's capacity, so a shortfall is
        # the relay's, not the machine's.
        for batch in range(sent // 20):
            for i in range(20):
                transport.sendto(b"%05d" % (batch * 20 + i))
            await asyncio.sleep(0.005)
        deadline = time.monotonic() + 3.0
        while len(client.replies) < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    assert len(client.replies) >= sent * 0.99
    assert client.replies == sorted(client.replies)  # loopback keeps order; so must the relay


async def test_idle_flows_are_closed_and_come_back(
    server: EmbeddedToxiproxy,
    backend: ToxiproxyBackend,
    udp_echo: tuple[int, UdpEcho],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(udp, "_SWEEP_S", 0.05)
    proxy = await backend.create_proxy("u", "127.0.0.1:0", f"127.0.0.1:{udp_echo[0]}", "udp")
    assert server.registry is not None
    relay = server.registry.get("u")
    assert isinstance(relay, udp.UdpProxy)
    async with udp_client(proxy.port) as (transport, client):
        transport.sendto(b"one")
        assert await client.reply() == b"one"
        assert len(relay.flows) == 1
        deadline = time.monotonic() + 3.0
        while relay.flows and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert relay.flows == {}
        transport.sendto(b"two")
        assert await client.reply() == b"two"


# -- defect: a new upstream is used at once, on the first request ----------------------------


async def test_new_upstream_gets_datagrams_immediately(backend: ToxiproxyBackend) -> None:
    async with _echo() as (port_a, echo_a), _echo() as (port_b, echo_b):
        proxy = await backend.create_proxy("u", "127.0.0.1:0", f"127.0.0.1:{port_a}", "udp")
        await backend.add_toxic("u", ToxicSpec("lat", "latency", attributes={"latency": 80}))
        async with udp_client(proxy.port) as (transport, client):
            transport.sendto(b"to-a")
            assert await client.reply() == b"to-a"
            moved = await backend.update_proxy("u", upstream=f"127.0.0.1:{port_b}")
            assert (moved.upstream, moved.listen, moved.enabled) == (
                f"127.0.0.1:{port_b}",
                proxy.listen,
                True,
            )
            assert moved.toxic("lat") is not None
            sent = time.perf_counter()
            transport.sendto(b"to-b")
            assert await client.reply() == b"to-b"
            assert client.arrived[-1] - sent >= 0.06  # the latency toxic is still in force
        assert (echo_a.received, echo_b.received) == (1, 1)


async def test_update_keeps_a_downed_proxy_down(backend: ToxiproxyBackend) -> None:
    async with _echo() as (port_a, _), _echo() as (port_b, echo_b):
        proxy = await backend.create_proxy("u", "127.0.0.1:0", f"127.0.0.1:{port_a}", "udp")
        await backend.set_enabled("u", False)
        moved = await backend.update_proxy("u", upstream=f"127.0.0.1:{port_b}")
        assert (moved.upstream, moved.enabled) == (f"127.0.0.1:{port_b}", False)
        async with udp_client(proxy.port) as (transport, _):
            transport.sendto(b"anyone?")
            await asyncio.sleep(0.2)
            assert echo_b.received == 0
            back = await backend.update_proxy("u", enabled=True)
            assert back.enabled and back.listen == proxy.listen
            transport.sendto(b"now")
            await asyncio.sleep(0.2)
        assert echo_b.received == 1


async def test_session_retarget_follows_the_plan(
    backend: ToxiproxyBackend, ledger: SqliteLedger
) -> None:
    outage = FaultPlan(
        "outage", phases=(FaultPhase(PhaseKind.HOLD, (ToxicPlan(DOWN, Transport.UDP),)),)
    )
    async with _echo() as (port_a, _), _echo() as (port_b, echo_b):
        async with FaultSession(backend, run_id="rt", ledger=ledger) as faults:
            made = await faults.add_proxy("media", f"127.0.0.1:{port_a}", transport="udp")
            await faults.apply(outage)
            moved = await faults.retarget(made.name, f"127.0.0.1:{port_b}")
            assert (moved.upstream, moved.enabled) == (f"127.0.0.1:{port_b}", False)
            assert faults.proxies[made.name] == moved
            await faults.lift()
            async with udp_client(made.port) as (transport, client):
                transport.sendto(b"after the outage")
                assert await client.reply() == b"after the outage"
            with pytest.raises(FaultError, match="not a proxy of run rt"):
                await faults.retarget("someone-else", f"127.0.0.1:{port_b}")
        assert echo_b.received == 1


# -- update_proxy: verified, and bad input refused ---------------------------------------------


def _listening(listen: str) -> bool:
    host, port = listen.rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


async def test_update_proxy_listen_and_enabled(backend: ToxiproxyBackend, echo_port: int) -> None:
    proxy = await backend.create_proxy("t", "127.0.0.1:0", f"127.0.0.1:{echo_port}")
    moved = await backend.update_proxy("t", listen="127.0.0.1:0")
    assert moved.port != proxy.port and moved.enabled
    assert await asyncio.to_thread(_listening, moved.listen)
    assert not await asyncio.to_thread(_listening, proxy.listen)
    down = await backend.update_proxy("t", enabled=False)
    assert not down.enabled and not await asyncio.to_thread(_listening, moved.listen)
    assert await backend.update_proxy("t") == down  # nothing asked, nothing changed


async def test_update_proxy_refusals(backend: ToxiproxyBackend, server: EmbeddedToxiproxy) -> None:
    await backend.create_proxy("u", "127.0.0.1:0", "127.0.0.1:9", "udp")
    with pytest.raises(FaultRejected, match="not HOST:PORT") as bad:
        await backend.update_proxy("u", upstream="nowhere")
    assert bad.value.status == 400
    with pytest.raises(FaultNotVerified, match="'ghost' is not on"):  # as add_toxic says it
        await backend.update_proxy("ghost", upstream="127.0.0.1:9")
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as api:
        answer = await api.post("/proxies/u", json={"upstream": 9})
        assert answer.status_code == 400
        assert answer.json()["error"] == (
            "bad request body: json: cannot unmarshal number into Go struct field Proxy.upstream "
            "of type string"
        )
        answer = await api.post("/proxies/u", json={"enabled": "yes"})
        assert answer.status_code == 400
    held = await backend.proxy("u")
    assert held is not None and (held.upstream, held.enabled) == ("127.0.0.1:9", True)


async def test_update_to_a_port_in_use_is_toxiproxys_500(backend: ToxiproxyBackend) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        await backend.create_proxy("u", "127.0.0.1:0", "127.0.0.1:9", "udp")
        with pytest.raises(FaultRejected, match="address already in use") as busy:
            await backend.update_proxy("u", listen=f"127.0.0.1:{port}")
        assert busy.value.status == 500
