"""The split backend routes each proxy to the server for its transport (two embedded servers
stand in here for a real Toxiproxy and the relay; the conformance suite uses the real one)."""

from __future__ import annotations

from supportdrill.definitions.toxics import Direction, Transport
from supportdrill.faults.base import ToxicSpec, open_backend
from supportdrill.faults.server import EmbeddedToxiproxy
from supportdrill.faults.split import SplitBackend
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend


async def test_each_call_goes_to_the_server_holding_the_proxy() -> None:
    async with EmbeddedToxiproxy() as tcp_server, EmbeddedToxiproxy() as udp_server:
        tcp, udp = ToxiproxyBackend(tcp_server.url), ToxiproxyBackend(udp_server.url)
        udp.ephemeral = True
        split = SplitBackend(tcp=tcp, udp=udp)
        try:
            assert split.url == tcp.url
            assert split.describe() == f"{tcp.url} (TCP); UDP on an embedded relay at {udp.url}"
            assert split.home_of(Transport.TCP) == tcp.url
            assert split.home_of(Transport.UDP) is None
            assert await split.transports() == {Transport.TCP, Transport.UDP}
            await split.create_proxy("t", "127.0.0.1:0", "127.0.0.1:9", "tcp")
            await split.create_proxy("u", "127.0.0.1:0", "127.0.0.1:9", "udp")
            assert [p.name for p in await tcp.state()] == ["t"]
            assert [p.name for p in await udp.state()] == ["u"]
            loss = ToxicSpec("l", "loss", Direction.UPSTREAM, attributes={"probability": 0.5})
            await split.add_toxic("u", loss)
            await split.update_toxic("u", ToxicSpec("l", "loss", Direction.UPSTREAM, 0.5))
            await split.add_toxic("t", ToxicSpec("lat", "latency", attributes={"latency": 5}))
            await split.remove_toxic("t", "lat")
            await split.set_enabled("u", False)
            await split.update_proxy("u", upstream="127.0.0.1:10")
            held = {p.name: p for p in await split.state()}
            assert held["u"].toxics[0].toxicity == 0.5 and held["u"].enabled is False
            assert held["t"].toxics == ()
            # A split made afresh (a cleanup) finds the proxy where it is.
            again = SplitBackend(tcp=tcp, udp=udp)
            assert await again.reset_owned("u") == ["u"]
            assert await again.reset_owned("t") == ["t"]
            assert await split.state() == ()
            await split.aclose()  # the parts stay open: their opener closes them
            assert await tcp.state() == ()
        finally:
            await tcp.aclose()
            await udp.aclose()


async def test_open_backend_without_a_url_is_the_embedded_server() -> None:
    async with open_backend() as backend:
        assert backend.ephemeral and backend.home_of(Transport.TCP) is None
        assert await backend.transports() == {Transport.TCP, Transport.UDP}
