"""API behaviours beyond api_test.go, as Toxiproxy 2.12's source has them, on both servers:
listen resolution, stream spelling, Go's JSON error texts, /populate's order, names with '/',
the toxic list's order, proxy updates and the router's own answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Api, Server, error, free_port, is_up, running


def test_listen_is_resolved_when_the_proxy_starts(api: Api) -> None:
    port = free_port()
    created = api.create("p", "127.0.0.1:9", f"localhost:{port}").json()
    assert created["listen"] == f"127.0.0.1:{port}"
    moved = api.post("/proxies/p", json={"listen": "localhost:0"}).json()
    assert moved["listen"].startswith("127.0.0.1:") and moved["listen"] != created["listen"]
    assert is_up(moved["listen"]) and not is_up(created["listen"])


def test_missing_port_in_listen_is_a_500_in_gos_words(api: Api) -> None:
    assert error(api.create("p", "127.0.0.1:9", "local373")) == (
        500,
        "listen tcp: address local373: missing port in address",
    )
    assert api.get("/proxies").json() == {}


@pytest.mark.parametrize("spelling", ["UPSTREAM", "Upstream", "upstream"])
def test_stream_in_any_case_is_kept_as_written(api: Api, spelling: str) -> None:
    api.proxy("p", "127.0.0.1:9")
    toxic = api.toxic("p", type="latency", stream=spelling)
    assert (toxic["name"], toxic["stream"]) == (f"latency_{spelling}", spelling)


def test_an_empty_stream_is_refused(api: Api) -> None:
    api.proxy("p", "127.0.0.1:9")
    response = api.post("/proxies/p/toxics", json={"type": "latency", "stream": ""})
    assert error(response) == (400, "stream was invalid, can be either upstream or downstream")
    # null, like a missing field, is the default.
    toxic = api.toxic("p", type="latency", stream=None, toxicity=None)
    assert (toxic["stream"], toxic["toxicity"]) == ("downstream", 1)


def test_upstream_toxics_are_listed_first(api: Api) -> None:
    api.proxy("p", "127.0.0.1:9")
    for name, stream in (("d1", "downstream"), ("u1", "upstream"), ("d2", "downstream")):
        api.toxic("p", name=name, type="latency", stream=stream)
    api.toxic("p", name="u2", type="slicer", stream="upstream")
    order = ["u1", "u2", "d1", "d2"]
    assert [t["name"] for t in api.get("/proxies/p/toxics").json()] == order
    assert [t["name"] for t in api.get("/proxies/p").json()["toxics"]] == order


CREATE_ERRORS = [
    ("", "bad request body: EOF"),
    ("{", "bad request body: unexpected EOF"),
    ("x", "bad request body: invalid character 'x' looking for beginning of value"),
    ("{,}", "bad request body: invalid character ',' looking for beginning of object key string"),
    ('{"a" 1}', "bad request body: invalid character '1' after object key"),
    ('{"a":1 "b"}', "bad request body: invalid character '\"' after object key:value pair"),
    ("[]", "bad request body: json: cannot unmarshal array into Go value of type toxiproxy.Proxy"),
    (
        '{"name":5}',
        "bad request body: json: cannot unmarshal number into Go struct field Proxy.name of "
        "type string",
    ),
    (
        '{"name":"q","upstream":"x:1","enabled":"yes"}',
        "bad request body: json: cannot unmarshal string into Go struct field Proxy.enabled of "
        "type bool",
    ),
    ("null", "missing required field: name"),
]


@pytest.mark.parametrize(("body", "expected"), CREATE_ERRORS)
def test_bad_proxy_bodies_get_gos_error_texts(api: Api, body: str, expected: str) -> None:
    status, text = error(api.post("/proxies", content=body))
    assert (status, text) == (400, expected)


def test_only_the_first_json_value_of_a_body_is_read(api: Api) -> None:
    created = api.post("/proxies", content='{"name":"q","upstream":"x:1"} trailing')
    assert created.status_code == 201 and created.json()["name"] == "q"


TOXIC_ERRORS = [
    ("", "bad request body: EOF"),
    (
        "[]",
        "bad request body: json: cannot unmarshal array into Go value of type toxics.ToxicWrapper",
    ),
    (
        '{"type":5}',
        "bad request body: json: cannot unmarshal number into Go struct field ToxicWrapper.type "
        "of type string",
    ),
    (
        '{"type":"latency","toxicity":"x"}',
        "bad request body: json: cannot unmarshal string into Go struct field "
        "ToxicWrapper.toxicity of type float32",
    ),
    (
        '{"type":"latency","attributes":[]}',
        "bad request body: json: cannot unmarshal array into Go struct field "
        "ToxicWrapper.attributes of type toxics.NoopToxic",
    ),
    (
        '{"type":"latency","attributes":{"latency":"x"}}',
        "bad request body: json: cannot unmarshal string into Go struct field "
        "LatencyToxic.attributes.latency of type int64",
    ),
    (
        '{"type":"latency","attributes":{"latency":1.5}}',
        "bad request body: json: cannot unmarshal number 1.5 into Go struct field "
        "LatencyToxic.attributes.latency of type int64",
    ),
    (
        '{"type":"slicer","attributes":{"delay":"x"}}',
        "bad request body: json: cannot unmarshal string into Go struct field "
        "SlicerToxic.attributes.delay of type int",
    ),
    ("null", "invalid toxic type"),
    ('{"type":"lag"}', "invalid toxic type"),
]


@pytest.mark.parametrize(("body", "expected"), TOXIC_ERRORS)
def test_bad_toxic_bodies_get_gos_error_texts(api: Api, body: str, expected: str) -> None:
    api.proxy("p", "127.0.0.1:9")
    assert error(api.post("/proxies/p/toxics", content=body)) == (400, expected)


def test_bad_toxic_updates_get_gos_error_texts(api: Api) -> None:
    api.proxy("p", "127.0.0.1:9")
    api.toxic("p", name="l", type="latency")
    assert error(api.post("/proxies/p/toxics/l", content='{"toxicity":"x"}')) == (
        400,
        "bad request body: json: cannot unmarshal string into Go struct field .toxicity of "
        "type float32",
    )
    assert error(api.post("/proxies/p/toxics/l", content='{"attributes":[]}')) == (
        400,
        "bad request body: json: cannot unmarshal array into Go struct field .attributes of "
        "type toxics.LatencyToxic",
    )
    assert error(api.post("/proxies/p/toxics/nope", json={})) == (404, "toxic not found")
    assert error(api.post("/proxies/nope/toxics/l", json={})) == (404, "proxy not found")
    assert error(api.post("/proxies/p/toxics/l", content="[]")) == (
        400,
        "bad request body: json: cannot unmarshal array into Go value of type struct { "
        'Attributes interface {} "json:\\"attributes\\""; Toxicity float32 '
        '"json:\\"toxicity\\"" }',
    )
    unchanged = api.post("/proxies/p/toxics/l", content="null")
    assert unchanged.status_code == 200 and unchanged.json()["attributes"]["latency"] == 0


def test_populate_applies_entries_in_order(api: Api) -> None:
    response = api.post(
        "/populate",
        json=[
            {"name": "d", "upstream": "127.0.0.1:9", "listen": "127.0.0.1:0"},
            {"name": "d", "upstream": "127.0.0.1:10", "listen": "127.0.0.1:0"},
        ],
    )
    assert response.status_code == 201
    first, second = response.json()["proxies"]
    # The second entry replaced the first, which was stopped on the way.
    assert (first["enabled"], second["enabled"]) == (False, True)
    assert api.get("/proxies/d").json()["upstream"] == "127.0.0.1:10"


def test_populate_with_nothing_and_bad_bodies(api: Api) -> None:
    for body in ("[]", "null"):
        response = api.post("/populate", content=body)
        assert (response.status_code, response.json()) == (201, {"proxies": None})
    assert error(api.post("/populate", content="{}")) == (
        400,
        "bad request body: json: cannot unmarshal object into Go value of type []struct { "
        'toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }',
    )
    response = api.post("/populate", content='[{"name":5}]')
    assert response.json() == {
        "error": "bad request body: json: cannot unmarshal number into Go struct field .name of "
        "type string",
        "status": 400,
        "proxies": None,
    }


def test_a_name_with_a_slash_can_be_created_but_not_addressed(server: Server) -> None:
    # A server of its own: a proxy nobody can address cannot be cleaned up after the test.
    with running(server.kind) as own:
        api = Api(own)
        with api.http:
            _slash_names(api)


def _slash_names(api: Api) -> None:
    created = api.create("a/b", "127.0.0.1:9", "127.0.0.1:0")
    assert created.status_code == 201 and "a/b" in api.get("/proxies").json()
    for path in ("/proxies/a/b", "/proxies/a%2Fb", "/proxies/a%2fb/toxics"):
        answer = api.get(path)
        assert (answer.status_code, answer.text) == (404, "404 page not found\n")
    assert api.delete("/proxies/a%2Fb").status_code == 404


def test_config_flag_creates_proxies_on_startup(server: Server, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "proxies.json"
    proxies = [
        {"name": "one", "listen": f"localhost:{port}", "upstream": "127.0.0.1:9"},
        {"name": "two", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9", "enabled": False},
    ]
    config.write_text(json.dumps(proxies), encoding="utf-8")
    with running(server.kind, "-config", str(config), "-seed", "7") as own:
        api = Api(own)
        with api.http:
            held = api.get("/proxies").json()
    assert sorted(held) == ["one", "two"]
    assert (held["one"]["listen"], held["one"]["enabled"]) == (f"127.0.0.1:{port}", True)
    assert held["two"]["enabled"] is False


def test_update_keeps_what_is_left_out(api: Api) -> None:
    made = api.proxy("p", "127.0.0.1:9")
    updated = api.post("/proxies/p", json={"name": "renamed?", "upstream": "127.0.0.1:10"})
    assert updated.status_code == 200
    held = updated.json()
    assert (held["name"], held["upstream"], held["enabled"]) == ("p", "127.0.0.1:10", True)
    assert held["listen"] == made["listen"]
    assert error(api.post("/proxies/p", content='{"upstream":5}')) == (
        400,
        "bad request body: json: cannot unmarshal number into Go struct field Proxy.upstream "
        "of type string",
    )
    assert error(api.post("/proxies/nope", json={})) == (404, "proxy not found")


def test_the_routers_own_answers(api: Api) -> None:
    assert (api.get("/nope").status_code, api.get("/nope").text) == (404, "404 page not found\n")
    assert api.put("/proxies/p").status_code == 405
    assert error(api.get("/proxies/nope")) == (404, "proxy not found")
    assert error(api.get("/proxies/nope/toxics")) == (404, "proxy not found")
    api.proxy("p", "127.0.0.1:9")
    assert error(api.get("/proxies/p/toxics/nope")) == (404, "toxic not found")
    assert error(api.delete("/proxies/p/toxics/nope")) == (404, "toxic not found")
    answer = api.get("/proxies/nope")
    assert answer.text == '{"error":"proxy not found","status":404}\n'
