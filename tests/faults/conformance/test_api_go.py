"""The behaviours Toxiproxy's own ``api_test.go`` (v2.12.0) checks, against both servers.

Written from reading that file: each test here is one of its tests, on the HTTP API rather
than through the Go client (whose error strings prefix ``create: HTTP 400: ``; the server's
part is what is compared). Ports are free ones the OS picked instead of its fixed 7070, 3310...
``TestVersionEndpointReturnsVersion`` expects a development build's ``git``; a release says
``2.12.0``, and so does ours.
"""

from __future__ import annotations

import re
from typing import Any

from .conftest import Api, error, free_port, is_up


def _toxics(api: Api, proxy: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.get(f"/proxies/{proxy}/toxics").json()
    return data


def _find(toxics: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((t for t in toxics if t["name"] == name), None)


def test_request_id(api: Api) -> None:
    response = api.get("/version", headers={"User-Agent": "curl"})
    assert re.fullmatch(r"[0-9a-v]{20}", response.headers["X-Toxiproxy-Request-Id"])
    again = api.get("/version")
    assert again.headers["X-Toxiproxy-Request-Id"] != response.headers["X-Toxiproxy-Request-Id"]


def test_browser_gets_403(api: Api) -> None:
    agent = "Mozilla/5.0 (Linux; Android 4.4.2); Nexus 5 Build/KOT49H) AppleWebKit/537.36"
    response = api.get("/proxies", headers={"User-Agent": agent})
    assert response.status_code == 403
    assert response.text == "User agent not allowed\n"


def test_non_browser_gets_200(api: Api) -> None:
    assert api.get("/proxies", headers={"User-Agent": "Wget/2.1"}).status_code == 200


def test_index_with_no_proxies(api: Api) -> None:
    assert api.get("/proxies").json() == {}


def test_create_proxy_blank_name(api: Api) -> None:
    assert error(api.create("", "")) == (400, "missing required field: name")


def test_create_proxy_blank_upstream(api: Api) -> None:
    assert error(api.create("test", "")) == (400, "missing required field: upstream")


def _populate(api: Api, *proxies: dict[str, Any]) -> Any:
    return api.post("/populate", json=list(proxies))


def test_populate_proxy(api: Api) -> None:
    one, two = free_port(), free_port()
    response = _populate(
        api,
        {"name": "one", "listen": f"localhost:{one}", "upstream": "localhost:7171"},
        {"name": "two", "listen": f"localhost:{two}", "upstream": "localhost:7474"},
    )
    assert response.status_code == 201
    proxies = response.json()["proxies"]
    assert [p["name"] for p in proxies] == ["one", "two"]
    assert [p["listen"] for p in proxies] == [f"127.0.0.1:{one}", f"127.0.0.1:{two}"]
    assert all(is_up(p["listen"]) for p in proxies)


def test_populate_default_enabled(api: Api) -> None:
    port = free_port()
    body = f'[{{"name": "test", "listen": "localhost:{port}", "upstream": "localhost:7171"}}]'
    response = api.post("/populate", content=body)
    assert response.status_code == 201
    proxies = api.get("/proxies").json()
    assert list(proxies) == ["test"] and proxies["test"]["enabled"] is True
    assert is_up(proxies["test"]["listen"])


def test_populate_disabled_proxy(api: Api) -> None:
    one, two = free_port(), free_port()
    response = _populate(
        api,
        {"name": "one", "listen": f"localhost:{one}", "upstream": "x:1", "enabled": False},
        {"name": "two", "listen": f"localhost:{two}", "upstream": "x:2", "enabled": True},
    )
    assert response.status_code == 201
    assert [p["name"] for p in response.json()["proxies"]] == ["one", "two"]
    assert not is_up(f"127.0.0.1:{one}") and is_up(f"127.0.0.1:{two}")


def test_populate_existing_proxy(api: Api) -> None:
    one, two, three = free_port(), free_port(), free_port()
    assert api.create("one", "localhost:7171", f"localhost:{one}").status_code == 201
    assert api.create("two", "localhost:7474", f"localhost:{two}").status_code == 201
    api.toxic("one", type="latency", stream="downstream")
    response = _populate(
        api,
        # "localhost" resolves to the 127.0.0.1 the proxy already has: the same proxy.
        {"name": "one", "listen": f"localhost:{one}", "upstream": "localhost:7171"},
        {"name": "two", "listen": f"127.0.0.1:{three}", "upstream": "localhost:7676"},
    )
    assert response.status_code == 201
    proxies = response.json()["proxies"]
    assert [p["name"] for p in proxies] == ["one", "two"]
    assert [p["listen"] for p in proxies] == [f"127.0.0.1:{one}", f"127.0.0.1:{three}"]
    assert [t["type"] for t in _toxics(api, "one")] == ["latency"]  # "one" was kept
    assert all(is_up(p["listen"]) for p in proxies)


def test_populate_with_bad_name(api: Api) -> None:
    response = _populate(
        api,
        {"name": "one", "listen": f"localhost:{free_port()}", "upstream": "localhost:7171"},
        {"name": "", "listen": ""},
    )
    assert error(response) == (400, "missing required field: name at proxy 2")
    assert response.json()["proxies"] is None
    assert api.get("/proxies").json() == {}


def test_populate_proxy_with_bad_data_should_return_error(api: Api) -> None:
    one = free_port()
    response = _populate(
        api,
        {"name": "one", "listen": f"localhost:{one}", "upstream": "localhost:7171"},
        {"name": "two", "listen": "local373", "upstream": "localhost:7474"},
        {"name": "three", "listen": f"localhost:{free_port()}", "upstream": "localhost:7676"},
    )
    assert error(response) == (500, "listen tcp: address local373: missing port in address")
    # The entries are applied in order: the first stays, the rest never happen.
    assert [p["name"] for p in response.json()["proxies"]] == ["one"]
    assert list(api.get("/proxies").json()) == ["one"]
    assert is_up(f"127.0.0.1:{one}")


def test_populate_add_toxic(api: Api) -> None:
    response = _populate(
        api, {"name": "one", "listen": f"localhost:{free_port()}", "upstream": "localhost:7171"}
    )
    assert [p["name"] for p in response.json()["proxies"]] == ["one"]
    assert api.toxic("one", type="latency", stream="downstream")["name"] == "latency_downstream"


def test_listing_proxies(api: Api) -> None:
    port = free_port()
    assert api.create("mysql_master", "localhost:20001", f"localhost:{port}").status_code == 201
    proxy = api.get("/proxies").json()["mysql_master"]
    assert (proxy["name"], proxy["listen"], proxy["upstream"]) == (
        "mysql_master",
        f"127.0.0.1:{port}",
        "localhost:20001",
    )
    assert proxy["toxics"] == []


def test_create_and_get_proxy(api: Api) -> None:
    port = free_port()
    created = api.create("mysql_master", "localhost:20001", f"localhost:{port}")
    assert created.status_code == 201
    proxy = api.get("/proxies/mysql_master").json()
    assert proxy["listen"] == f"127.0.0.1:{port}" and proxy["enabled"] is True
    assert proxy["upstream"] == "localhost:20001" and proxy["toxics"] == []


def test_create_proxy_with_save(api: Api) -> None:
    port = free_port()
    response = api.create("mysql_master", "localhost:20001", f"localhost:{port}", enabled=True)
    assert response.status_code == 201
    assert is_up(api.get("/proxies/mysql_master").json()["listen"])


def test_create_disabled_proxy(api: Api) -> None:
    port = free_port()
    response = api.create("mysql_master", "localhost:20001", f"localhost:{port}", enabled=False)
    assert response.status_code == 201
    proxy = api.get("/proxies/mysql_master").json()
    # Not started, so not resolved: the listen stays as given.
    assert (proxy["listen"], proxy["enabled"]) == (f"localhost:{port}", False)
    assert not is_up(f"127.0.0.1:{port}")


def test_create_disabled_proxy_and_enable(api: Api) -> None:
    port = free_port()
    api.create("mysql_master", "localhost:20001", f"localhost:{port}", enabled=False)
    enabled = api.post("/proxies/mysql_master", json={"enabled": True})
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    assert is_up(f"127.0.0.1:{port}")
    disabled = api.post("/proxies/mysql_master", json={"enabled": False})
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert not is_up(f"127.0.0.1:{port}")


def test_delete_proxy(api: Api) -> None:
    port = free_port()
    api.create("mysql_master", "localhost:20001", f"localhost:{port}")
    assert is_up(f"127.0.0.1:{port}")
    assert api.delete("/proxies/mysql_master").status_code == 204
    assert api.get("/proxies").json() == {}
    assert not is_up(f"127.0.0.1:{port}")
    assert error(api.delete("/proxies/mysql_master")) == (404, "proxy not found")


def test_create_proxy_port_conflict(api: Api) -> None:
    port = free_port()
    assert api.create("mysql_master", "localhost:20001", f"localhost:{port}").status_code == 201
    assert error(api.create("test", "localhost:20001", f"localhost:{port}")) == (
        500,
        f"listen tcp 127.0.0.1:{port}: bind: address already in use",
    )
    assert api.delete("/proxies/mysql_master").status_code == 204
    assert api.create("test", "localhost:20001", f"localhost:{port}").status_code == 201


def test_create_proxy_name_conflict(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    again = api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    assert error(again) == (409, "proxy already exists")
    assert api.delete("/proxies/mysql_master").status_code == 204
    assert api.create("mysql_master", "x:1", f"localhost:{free_port()}").status_code == 201


def test_reset_state(api: Api) -> None:
    port = free_port()
    api.create("mysql_master", "localhost:20001", f"localhost:{port}")
    latency = api.toxic(
        "mysql_master",
        type="latency",
        stream="downstream",
        attributes={"latency": 100, "jitter": 10},
    )
    assert latency["attributes"] == {"latency": 100, "jitter": 10}
    api.post("/proxies/mysql_master", json={"enabled": False})
    assert api.post("/reset").status_code == 204
    proxy = api.get("/proxies").json()["mysql_master"]
    assert proxy["enabled"] is True and proxy["toxics"] == []
    assert _toxics(api, "mysql_master") == []
    assert is_up(proxy["listen"])


def test_listing_toxics(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    assert _toxics(api, "mysql_master") == []


def test_add_toxic(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    latency = api.toxic(
        "mysql_master",
        name="foobar",
        type="latency",
        stream="downstream",
        toxicity=1,
        attributes={"latency": 100, "jitter": 10},
    )
    assert latency["attributes"] == {"latency": 100, "jitter": 10}
    toxic = _find(_toxics(api, "mysql_master"), "foobar")
    assert toxic == {
        "attributes": {"latency": 100, "jitter": 10},
        "name": "foobar",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1,
    }


def test_add_multiple_toxics(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    api.toxic("mysql_master", name="latency1", type="latency", stream="downstream")
    api.toxic("mysql_master", name="latency2", type="latency", stream="downstream")
    toxics = _toxics(api, "mysql_master")
    assert [(t["name"], t["type"], t["stream"]) for t in toxics] == [
        ("latency1", "latency", "downstream"),
        ("latency2", "latency", "downstream"),
    ]
    assert toxics[1]["toxicity"] == 1 and toxics[1]["attributes"] == {"latency": 0, "jitter": 0}


def test_add_conflicting_toxic(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    api.toxic("mysql_master", name="foobar", type="latency", stream="downstream")
    again = api.post(
        "/proxies/mysql_master/toxics",
        json={"name": "foobar", "type": "slow_close", "stream": "downstream"},
    )
    assert error(again) == (409, "toxic already exists")
    assert [(t["name"], t["type"]) for t in _toxics(api, "mysql_master")] == [("foobar", "latency")]


def test_add_conflicting_toxics_multistream(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    api.toxic("mysql_master", name="foobar", type="latency", stream="upstream")
    again = api.post(
        "/proxies/mysql_master/toxics",
        json={"name": "foobar", "type": "latency", "stream": "downstream"},
    )
    assert error(again) == (409, "toxic already exists")
    assert [(t["name"], t["stream"]) for t in _toxics(api, "mysql_master")] == [
        ("foobar", "upstream")
    ]


def test_add_conflicting_toxics_multistream_defaults(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    api.toxic("mysql_master", type="latency", stream="upstream")
    api.toxic("mysql_master", type="latency", stream="downstream")
    assert [(t["name"], t["stream"]) for t in _toxics(api, "mysql_master")] == [
        ("latency_upstream", "upstream"),
        ("latency_downstream", "downstream"),
    ]


def test_add_toxic_with_toxicity(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    latency = api.toxic(
        "mysql_master",
        type="latency",
        stream="downstream",
        toxicity=0.2,
        attributes={"latency": 100, "jitter": 10},
    )
    assert latency["toxicity"] == 0.2
    assert _find(_toxics(api, "mysql_master"), "latency_downstream") == latency


def test_add_noop(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    # The Go client leaves an empty stream out of its JSON: the default, downstream.
    noop = api.toxic("mysql_master", name="foobar", type="noop", toxicity=1)
    assert noop == {
        "attributes": {},
        "name": "foobar",
        "type": "noop",
        "stream": "downstream",
        "toxicity": 1,
    }
    assert _toxics(api, "mysql_master") == [noop]


def test_update_toxics(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    api.toxic(
        "mysql_master",
        type="latency",
        stream="downstream",
        attributes={"latency": 100, "jitter": 10},
    )
    path = "/proxies/mysql_master/toxics/latency_downstream"
    updated = api.post(path, json={"toxicity": 0.5, "attributes": {"latency": 1000}}).json()
    assert updated["toxicity"] == 0.5
    assert updated["attributes"] == {"latency": 1000, "jitter": 10}
    # Toxicity left out keeps its value (the Go client leaves out -1).
    updated = api.post(path, json={"attributes": {"latency": 500}}).json()
    assert updated["toxicity"] == 0.5
    assert updated["attributes"] == {"latency": 500, "jitter": 10}
    assert _find(_toxics(api, "mysql_master"), "latency_downstream") == updated


def test_remove_toxic(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    api.toxic("mysql_master", type="latency", stream="downstream")
    response = api.delete("/proxies/mysql_master/toxics/latency_downstream")
    assert response.status_code == 204
    assert _toxics(api, "mysql_master") == []


def test_version_endpoint_returns_version(api: Api) -> None:
    response = api.get("/version")
    assert response.text == '{"version": "2.12.0"}\n'
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"


def test_invalid_stream(api: Api) -> None:
    api.create("mysql_master", "localhost:20001", f"localhost:{free_port()}")
    response = api.post(
        "/proxies/mysql_master/toxics", json={"type": "latency", "stream": "walrustream"}
    )
    assert error(response) == (400, "stream was invalid, can be either upstream or downstream")
