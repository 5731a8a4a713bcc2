"""Toxiproxy 2.x's HTTP API over aiohttp: same routes, JSON shapes, status codes and texts.

Every route of api.go is here, PATCH included. Errors come back as Go's ``http.Error`` writes
them: the JSON ``{"error": ..., "status": ...}`` plus a newline, as text/plain.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ...definitions.toxics import Transport
from ..base import TRANSPORTS_HEADER
from .answers import ApiError
from .gojson import decode
from .registry import VERSION, Registry
from .tcp import TcpProxy
from .udp import UdpProxy

REGISTRY_KEY = web.AppKey("registry", Registry)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))  # Go's encoding/json writes no spaces


def _error(err: ApiError) -> web.Response:
    body = _dumps({"error": err.message, "status": err.status}) + "\n"
    return web.Response(
        status=err.status,
        text=body,
        headers={"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
    )


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=_dumps(data), content_type="application/json")


async def _body(request: web.Request) -> Any:
    return decode(await request.text())


def _request_id() -> str:
    # Toxiproxy's ids are xids: 12 bytes in lower-case base32hex, 20 characters.
    return base64.b32hexencode(os.urandom(12)).decode("ascii").lower()[:20]


@web.middleware
async def _toxiproxy_manners(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await _answer(request, handler)
    response.headers["X-Toxiproxy-Request-Id"] = _request_id()
    return response


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.headers.get("User-Agent", "").startswith("Mozilla/"):
        return web.Response(status=403, text="User agent not allowed\n")
    if "%2f" in request.raw_path.lower():
        # Go's router matches the decoded path, where %2F is a '/': a proxy whose name has a
        # '/' can be created but never addressed, and neither can one spelled with %2F.
        return _not_found()
    try:
        return await handler(request)
    except ApiError as err:
        return _error(err)
    except web.HTTPMethodNotAllowed:
        return web.Response(status=405)
    except web.HTTPNotFound:
        return _not_found()


def _not_found() -> web.Response:
    return web.Response(
        status=404,
        text="404 page not found\n",
        headers={"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
    )


def _registry(request: web.Request) -> Registry:
    return request.app[REGISTRY_KEY]


async def proxy_index(request: web.Request) -> web.Response:
    return _json({p.name: p.to_json() for p in _registry(request).all()})


async def proxy_create(request: web.Request) -> web.Response:
    proxy = await _registry(request).create(await _body(request))
    return _json(proxy.to_json(), 201)


async def populate(request: web.Request) -> web.Response:
    try:
        proxies, err = await _registry(request).populate(await _body(request))
    except ApiError as refused:  # Toxiproxy answers every /populate with its "proxies" list
        proxies, err = [], refused
    listed = [p.to_json() for p in proxies] or None
    if err is not None:
        return _json({"error": err.message, "status": err.status, "proxies": listed}, err.status)
    return _json({"proxies": listed}, 201)


async def reset(request: web.Request) -> web.Response:
    await _registry(request).reset()
    return web.Response(status=204)


async def proxy_show(request: web.Request) -> web.Response:
    return _json(_registry(request).get(request.match_info["proxy"]).to_json())


async def proxy_update(request: web.Request) -> web.Response:
    registry = _registry(request)
    registry.get(request.match_info["proxy"])  # 404 before the body, as api.go does
    proxy = await registry.update(request.match_info["proxy"], await _body(request))
    return _json(proxy.to_json())


async def proxy_delete(request: web.Request) -> web.Response:
    await _registry(request).remove(request.match_info["proxy"])
    return web.Response(status=204)


async def toxic_index(request: web.Request) -> web.Response:
    proxy = _registry(request).get(request.match_info["proxy"])
    return _json([t.to_json() for t in proxy.listed_toxics()])


async def toxic_create(request: web.Request) -> web.Response:
    proxy = _registry(request).get(request.match_info["proxy"])
    return _json(proxy.add_toxic(await _body(request)).to_json())


async def toxic_show(request: web.Request) -> web.Response:
    proxy = _registry(request).get(request.match_info["proxy"])
    toxic = proxy.find(request.match_info["toxic"])
    if toxic is None:
        raise ApiError("toxic not found", 404)
    return _json(toxic.to_json())


async def toxic_update(request: web.Request) -> web.Response:
    proxy = _registry(request).get(request.match_info["proxy"])
    toxic = proxy.update_toxic(request.match_info["toxic"], await _body(request))
    return _json(toxic.to_json())


async def toxic_delete(request: web.Request) -> web.Response:
    proxy = _registry(request).get(request.match_info["proxy"])
    proxy.remove_toxic(request.match_info["toxic"])
    return web.Response(status=204)


async def version(request: web.Request) -> web.Response:
    return web.Response(
        text=f'{{"version": "{VERSION}"}}\n',
        # The second header is ours: it tells our backend this server proxies UDP as well.
        headers={"Content-Type": "application/json;charset=utf-8", TRANSPORTS_HEADER: "tcp,udp"},
    )


def make_app(registry: Registry | None = None) -> web.Application:
    """The API application; its proxies are closed when the app shuts down."""
    app = web.Application(middlewares=[_toxiproxy_manners])
    app[REGISTRY_KEY] = registry or Registry({Transport.TCP: TcpProxy, Transport.UDP: UdpProxy})

    async def _close(app: web.Application) -> None:
        await app[REGISTRY_KEY].close()

    app.on_shutdown.append(_close)
    app.router.add_post("/reset", reset)
    app.router.add_get("/proxies", proxy_index, allow_head=False)
    app.router.add_post("/proxies", proxy_create)
    app.router.add_post("/populate", populate)
    app.router.add_get("/proxies/{proxy}", proxy_show, allow_head=False)
    app.router.add_route("POST", "/proxies/{proxy}", proxy_update)
    app.router.add_route("PATCH", "/proxies/{proxy}", proxy_update)
    app.router.add_delete("/proxies/{proxy}", proxy_delete)
    app.router.add_get("/proxies/{proxy}/toxics", toxic_index, allow_head=False)
    app.router.add_post("/proxies/{proxy}/toxics", toxic_create)
    app.router.add_get("/proxies/{proxy}/toxics/{toxic}", toxic_show, allow_head=False)
    app.router.add_route("POST", "/proxies/{proxy}/toxics/{toxic}", toxic_update)
    app.router.add_route("PATCH", "/proxies/{proxy}/toxics/{toxic}", toxic_update)
    app.router.add_delete("/proxies/{proxy}/toxics/{toxic}", toxic_delete)
    app.router.add_get("/version", version, allow_head=False)
    return app
