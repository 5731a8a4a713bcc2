"""The adapter's error mapping, against real misbehaviour of the simulated desk over HTTP."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from aiohttp import web
from simulated_support import Start

from supportdrill.desks.simulated import FaultMode, SimulatedDesk
from supportdrill.errors import (
    DeskAuthFailed,
    DeskError,
    DeskProtocolError,
    DeskRateLimited,
    DeskTimeout,
    DeskUnavailable,
    InvalidConfiguration,
)
from supportdrill.vocabulary import TicketDraft

DRAFT = TicketDraft(subject="[P0][DRILL] down", body="Frozen video.", severity="P0")


@pytest.mark.parametrize(
    ("mode", "error", "status"),
    [
        (FaultMode.SERVER_ERROR, DeskUnavailable, 500),
        (FaultMode.UNAVAILABLE, DeskUnavailable, 503),
        (FaultMode.UNAUTHORIZED, DeskAuthFailed, 401),
    ],
)
async def test_status_codes_are_mapped(
    simulated: Start, mode: FaultMode, error: type[DeskError], status: int
) -> None:
    server, desk = await simulated()
    server.inject(mode)
    with pytest.raises(error) as caught:
        await desk.file(DRAFT, idempotency_key="k")
    assert getattr(caught.value, "status", None) == status
    # One bad answer only: the next call goes through, and nothing was filed by the failed one.
    ref = await desk.file(DRAFT, idempotency_key="k")
    assert ref.ticket_id == "1"


async def test_rate_limit_carries_retry_after(simulated: Start) -> None:
    server, desk = await simulated()
    server.inject(FaultMode.RATE_LIMITED, count=2, retry_after_s=7)
    for _ in range(2):
        with pytest.raises(DeskRateLimited) as caught:
            await desk.find(idempotency_key="k")
        assert caught.value.retry_after == 7
    assert await desk.find(idempotency_key="k") is None


async def test_garbage_json_is_a_protocol_error(simulated: Start) -> None:
    server, desk = await simulated()
    server.inject(FaultMode.GARBAGE)
    with pytest.raises(DeskProtocolError, match="not JSON") as caught:
        await desk.find(idempotency_key="k")
    assert isinstance(caught.value.__cause__, ValueError)


async def test_a_hanging_desk_is_a_timeout(simulated: Start) -> None:
    server, desk = await simulated(desk={"timeout_s": 0.5})
    server.inject(FaultMode.HANG, hang_s=30)
    started = time.monotonic()
    with pytest.raises(
        DeskTimeout, match=r"simulated desk: GET /api/v2/requests/search: no answer in time"
    ) as caught:
        await desk.find(idempotency_key="k")
    assert time.monotonic() - started < 10
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)


async def test_nobody_listening_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    desk = SimulatedDesk(f"http://127.0.0.1:{port}", timeout_s=2)
    try:
        with pytest.raises(DeskUnavailable, match="ConnectError") as caught:
            await desk.check()
        assert isinstance(caught.value.__cause__, httpx.ConnectError)
    finally:
        await desk.close()


async def test_faults_through_the_control_endpoint(simulated: Start) -> None:
    server, desk = await simulated()
    async with httpx.AsyncClient(base_url=server.url) as client:
        answer = await client.post("/_control", json={"fault": "500", "count": 3})
        assert answer.json() == {"fault": "500", "remaining": 3}
        assert (await client.get("/_control")).json()["fault"] == {"mode": "500", "remaining": 3}
        for _ in range(3):
            with pytest.raises(DeskUnavailable):
                await desk.find(idempotency_key="k")
        assert await desk.find(idempotency_key="k") is None

        await client.post("/_control", json={"fault": "garbage", "count": 5})
        await client.delete("/_control")
        assert await desk.find(idempotency_key="k") is None
        refused = await client.post("/_control", json={"fault": "explode"})
        assert refused.status_code == 400 and "hang" in refused.json()["description"]


async def test_unknown_tickets_and_bad_input(simulated: Start) -> None:
    _, desk = await simulated()
    ref = await desk.file(DRAFT, idempotency_key="k")
    broken = type(ref)(desk=ref.desk, ticket_id="999", created_at=ref.created_at)
    with pytest.raises(DeskError) as caught:
        await desk.poll(broken)
    assert getattr(caught.value, "status", None) == 404
    # The shared cursor of every desk adapter refuses a cursor it did not write.
    with pytest.raises(DeskProtocolError, match="unreadable poll cursor"):
        await desk.poll(ref, since="not-a-cursor")
    with pytest.raises(InvalidConfiguration, match="unknown severity"):
        await desk.file(TicketDraft("s", "b", severity="P9"), idempotency_key="other")


async def test_json_without_the_fields_we_need_is_a_protocol_error() -> None:
    async def search(request: web.Request) -> web.Response:
        return web.json_response({"requests": [{"id": "seven", "created_at": "2026-01-03"}]})

    async def comments(request: web.Request) -> web.Response:
        return web.json_response(["not", "an", "object"])

    app = web.Application()
    app.router.add_get("/api/v2/requests/search", search)
    app.router.add_get("/api/v2/users/me", comments)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    desk = SimulatedDesk(f"http://{host}:{port}")
    try:
        with pytest.raises(DeskProtocolError, match=r"request\.id missing or of the wrong type"):
            await desk.find(idempotency_key="k")
        with pytest.raises(DeskProtocolError, match="expected a JSON object"):
            await desk.check()
    finally:
        await desk.close()
        await runner.cleanup()
