"""The embedded server speaks Toxiproxy 2.x: toxiproxy-python's every call, raw HTTP shapes."""

from __future__ import annotations

import asyncio
import functools
import json
import socket
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import httpx
import pytest
import toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from supportdrill.errors import FaultRejected
from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.server import EmbeddedToxiproxy
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend


@pytest.fixture
def api(server: EmbeddedToxiproxy) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


def in_thread(test: Callable[..., None]) -> Callable[..., Coroutine[Any, Any, None]]:
    """Run a blocking test body in a thread: the server shares this test's event loop."""

    @functools.wraps(test)
    async def run(*args: Any, **kwargs: Any) -> None:
        await asyncio.to_thread(test, *args, **kwargs)

    return run


def _connects(listen: str) -> bool:
    host, port = listen.rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


async def test_every_toxiproxy_python_call(server: EmbeddedToxiproxy, echo_port: int) -> None:
    def calls() -> None:
        APIConsumer.host, APIConsumer.port = "127.0.0.1", server.port
        tp = toxiproxy.Toxiproxy()
        assert tp.running() is True
        assert json.loads(tp.version()) == {"version": "2.12.0"}
        proxy = tp.create(upstream=f"127.0.0.1:{echo_port}", name="api")
        assert proxy.listen.startswith("127.0.0.1:") and not proxy.listen.endswith(":0")
        assert set(tp.proxies()) == {"api"}
        assert tp.get_proxy("api").upstream == f"127.0.0.1:{echo_port}"
        assert tp.get_proxy("nope") is None
        with pytest.raises(ProxyExists):
            tp.create(upstream="127.0.0.1:1", name="api")
        proxy.add_toxic(type="latency", attributes={"latency": 10, "jitter": 2})
        proxy.add_toxic(
            type="bandwidth", stream="upstream", name="bw", toxicity=0.5, attributes={"rate": 100}
        )
        toxics = proxy.toxics()
        assert toxics["latency_downstream"].attributes == {"latency": 10, "jitter": 2}
        assert toxics["bw"].stream == "upstream" and toxics["bw"].toxicity == 0.5
        assert proxy.get_toxic("bw").type == "bandwidth"
        assert proxy.get_toxic("absent") is None
        with pytest.raises(InvalidToxic):
            proxy.add_toxic(type="nonsense")
        assert proxy.destroy_toxic("bw") is True
        with pytest.raises(NotFound):
            proxy.destroy_toxic("bw")
        proxy.disable()
        assert tp.get_proxy("api").enabled is False
        assert not _connects(proxy.listen)
        with proxy.down():
            assert tp.get_proxy("api").enabled is False
        assert tp.get_proxy("api").enabled is True
        assert _connects(proxy.listen)
        assert tp.reset() is True
        assert proxy.toxics() == {}
        made = tp.populate(
            [{"name": "pop", "upstream": f"127.0.0.1:{echo_port}", "listen": "127.0.0.1:0"}]
        )
        assert [p.name for p in made] == ["pop"]
        assert tp.destroy(tp.get_proxy("pop")) is True
        tp.destroy_all()
        assert tp.proxies() == {}

    await asyncio.to_thread(calls)


@in_thread
def test_json_shapes_and_codes(api: httpx.Client, echo_port: int) -> None:
    created = api.post("/proxies", json={"name": "p", "upstream": f"127.0.0.1:{echo_port}"})
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"name", "listen", "upstream", "enabled", "toxics"}
    assert body["enabled"] is True and body["toxics"] == []
    toxic = api.post(
        "/proxies/p/toxics", json={"type": "slicer", "attributes": {"average_size": 5}}
    )
    assert toxic.status_code == 200
    assert toxic.json() == {
        "attributes": {"average_size": 5, "size_variation": 0, "delay": 0},
        "name": "slicer_downstream",
        "type": "slicer",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    patched = api.patch(
        "/proxies/p/toxics/slicer_downstream", json={"attributes": {"delay": 10}, "toxicity": 0.25}
    )
    assert patched.json()["attributes"] == {"average_size": 5, "size_variation": 0, "delay": 10}
    assert patched.json()["toxicity"] == 0.25
    assert api.get("/proxies/p/toxics/slicer_downstream").json()["toxicity"] == 0.25
    assert api.get("/proxies/p/toxics").json()[0]["name"] == "slicer_downstream"
    assert api.patch("/proxies/p", json={"enabled": False}).json()["enabled"] is False
    assert api.post("/reset").status_code == 204
    assert api.get("/proxies/p").json() == {**body, "toxics": []}
    assert api.delete("/proxies/p/toxics/slicer_downstream").status_code == 404
    assert api.delete("/proxies/p").status_code == 204
    version = api.get("/version")
    assert version.text == '{"version": "2.12.0"}\n'
    assert version.headers["content-type"] == "application/json;charset=utf-8"
    assert api.get("/proxies", headers={"User-Agent": "Mozilla/5.0"}).status_code == 403


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/proxies/p/toxics", {"type": "nonsense"}, 400, "invalid toxic type"),
        (
            "/proxies/p/toxics",
            {"type": "latency", "attributes": {"latency": -5}},
            400,
            "bad request body: latency: must not be negative, got -5",
        ),
        (
            "/proxies/p/toxics",
            {"type": "latency", "toxicity": 2},
            400,
            "bad request body: toxicity must be between 0 and 1, got 2",
        ),
        (
            "/proxies/p/toxics",
            {"type": "latency", "stream": "sideways"},
            400,
            "stream was invalid, can be either upstream or downstream",
        ),
        ("/proxies/p/toxics", {"type": "latency", "name": "taken"}, 409, "toxic already exists"),
        ("/proxies/absent/toxics", {"type": "latency"}, 404, "proxy not found"),
        ("/proxies", {"name": "p", "upstream": "127.0.0.1:1"}, 409, "proxy already exists"),
        ("/proxies", {"name": "q"}, 400, "missing required field: upstream"),
        ("/proxies", {"upstream": "127.0.0.1:1"}, 400, "missing required field: name"),
        ("/proxies/p/toxics", {"type": "loss"}, 400, "invalid toxic type"),
    ],
)
@in_thread
def test_bad_input_gets_toxiproxy_errors(
    api: httpx.Client, echo_port: int, path: str, body: object, status: int, message: str
) -> None:
    api.post("/proxies", json={"name": "p", "upstream": f"127.0.0.1:{echo_port}"})
    api.post("/proxies/p/toxics", json={"type": "latency", "name": "taken"})
    answer = api.post(path, json=body)
    assert answer.status_code == status
    assert answer.json() == {"error": message, "status": status}
    assert answer.text.endswith("\n")


@in_thread
def test_port_in_use_and_bad_json(api: httpx.Client, echo_port: int) -> None:
    busy = api.post("/proxies", json={"name": "a", "upstream": "127.0.0.1:1"}).json()["listen"]
    clash = api.post("/proxies", json={"name": "b", "listen": busy, "upstream": "127.0.0.1:1"})
    assert clash.status_code == 500
    assert clash.json()["error"] == f"listen tcp {busy}: bind: address already in use"
    assert "b" not in api.get("/proxies").json()
    bad = api.post("/proxies", content=b"{not json")
    assert bad.status_code == 400 and bad.json()["error"].startswith("bad request body")
    assert api.get("/nowhere").status_code == 404


@in_thread
def test_populate_replaces_and_checks_all_first(api: httpx.Client, echo_port: int) -> None:
    up = f"127.0.0.1:{echo_port}"
    first = api.post(
        "/populate", json=[{"name": "x", "upstream": up}, {"name": "y", "upstream": up}]
    )
    assert first.status_code == 201 and [p["name"] for p in first.json()["proxies"]] == ["x", "y"]
    broken = api.post("/populate", json=[{"name": "z", "upstream": up}, {"name": "w"}])
    assert broken.status_code == 400
    assert broken.json()["error"] == "missing required field: upstream at proxy 2"
    assert "z" not in api.get("/proxies").json()


@in_thread
def test_udp_proxy_is_marked(api: httpx.Client) -> None:
    made = api.post("/proxies", json={"name": "u", "upstream": "127.0.0.1:9", "protocol": "udp"})
    assert made.status_code == 201 and made.json()["protocol"] == "udp"
    loss = api.post("/proxies/u/toxics", json={"type": "loss", "attributes": {"probability": 0.1}})
    assert loss.json()["attributes"] == {"probability": 0.1, "burst": 1.0}
    refused = api.post("/proxies/u/toxics", json={"type": "slicer"})
    assert refused.json() == {"error": "invalid toxic type", "status": 400}


async def test_backend_verifies_and_maps_errors(backend: ToxiproxyBackend, echo_port: int) -> None:
    made = await backend.create_proxy("b", "127.0.0.1:0", f"127.0.0.1:{echo_port}")
    assert made.port > 0 and made.enabled
    held = await backend.add_toxic("b", ToxicSpec("lat", "latency", attributes={"latency": 5}))
    assert held.attributes == {"latency": 5, "jitter": 0}
    updated = await backend.update_toxic(
        "b", ToxicSpec("lat", "latency", attributes={"latency": 9})
    )
    assert updated.attributes["latency"] == 9
    with pytest.raises(FaultRejected) as rejected:
        await backend.add_toxic("b", ToxicSpec("lat", "latency"))
    assert rejected.value.status == 409 and "toxic already exists" in str(rejected.value)
    with pytest.raises(FaultRejected) as refused:
        await backend.add_toxic("b", ToxicSpec("neg", "latency", attributes={"latency": -1}))
    assert refused.value.status == 400
    with pytest.raises(FaultRejected) as clash:
        await backend.create_proxy("c", made.listen, "127.0.0.1:1")
    assert clash.value.status == 500 and "address already in use" in str(clash.value)
    assert (await backend.set_enabled("b", False)).enabled is False
    await backend.remove_toxic("b", "lat")
    await backend.delete_proxy("b")
    assert await backend.state() == ()
    assert await backend.version() == "2.12.0"


async def test_backend_unavailable() -> None:
    from supportdrill.errors import FaultBackendUnavailable

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = ToxiproxyBackend(f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(FaultBackendUnavailable):
        await backend.state()
    with pytest.raises(FaultBackendUnavailable):
        await backend._create_proxy("x", "127.0.0.1:0", "127.0.0.1:1", backend_protocol())
    await backend.aclose()


def backend_protocol() -> object:
    from supportdrill.definitions.toxics import Transport

    return Transport.TCP
