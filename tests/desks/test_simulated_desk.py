"""The simulated desk over real HTTP on 127.0.0.1, played on a virtual clock, through its adapter."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from simulated_support import JAKARTA, SATURDAY_0300_JAKARTA, Start

from supportdrill.clock import VirtualClock
from supportdrill.desks.simulated import (
    HolidayRules,
    SimulatedDesk,
    SimulatedDeskServer,
    idempotency_tag,
    serve_desk,
)
from supportdrill.errors import DeskAuthFailed, DeskRejected, InvalidConfiguration
from supportdrill.timeline import StatusCategory
from supportdrill.vocabulary import (
    AuthorRole,
    DeskEvent,
    DeskReply,
    DeskStatusChange,
    TicketDraft,
    TicketRef,
)

DRAFT = TicketDraft(
    subject="[P0][DRILL] Stream degraded from Jakarta: frozen video",
    body="All viewers in Jakarta see frozen video since 02:55 local time.",
    severity="P0",
    tags=("drill",),
)


async def _poll_all(
    desk: SimulatedDesk, ref: TicketRef, cursor: str | None
) -> tuple[list[DeskEvent], str | None]:
    poll = await desk.poll(ref, since=cursor)
    return list(poll.events), poll.cursor


def _replies(events: list[DeskEvent]) -> list[DeskReply]:
    return [event for event in events if isinstance(event, DeskReply)]


def _statuses(events: list[DeskEvent]) -> list[str]:
    return [event.status for event in events if isinstance(event, DeskStatusChange)]


async def test_business_hours_persona_filed_saturday_night(
    simulated: Start, clock: VirtualClock
) -> None:
    _, desk = await simulated(persona="business-hours-only", timezone="Asia/Jakarta")
    ref = await desk.file(DRAFT, idempotency_key="run-1")
    assert ref.created_at == SATURDAY_0300_JAKARTA
    events, cursor = await _poll_all(desk, ref, None)
    assert _statuses(events) == ["new"] and not _replies(events)

    await clock.sleep(5)
    events, cursor = await _poll_all(desk, ref, cursor)
    (ack,) = _replies(events)
    assert ack.created_at == SATURDAY_0300_JAKARTA + timedelta(seconds=5)
    assert (ack.author_role, ack.channel, ack.automated_hint) == (AuthorRole.AGENT, "rule", True)
    assert ack.headers["auto-submitted"] == "auto-replied"
    assert "Mon-Fri 09:00-18:00 (Asia/Jakarta)" in ack.body
    assert not ack.from_us

    # Nothing human all weekend, nor in Monday's first 12 business minutes.
    monday_0911 = datetime(2026, 1, 5, 9, 11, 59, tzinfo=JAKARTA)
    await clock.sleep((monday_0911 - clock.now()).total_seconds())
    events, cursor = await _poll_all(desk, ref, cursor)
    assert events == []

    await clock.sleep(1)
    events, cursor = await _poll_all(desk, ref, cursor)
    (human,) = _replies(events)
    assert human.created_at.astimezone(JAKARTA) == datetime(2026, 1, 5, 9, 12, tzinfo=JAKARTA)
    assert (human.author_role, human.channel, human.automated_hint) == ("agent", "web", False)
    assert human.author_name.startswith("Dewi") and human.headers == {}
    assert _statuses(events) == ["open"]

    await clock.sleep(3 * 3600)
    events, _ = await _poll_all(desk, ref, cursor)
    assert _statuses(events) == ["solved"]
    solved = next(e for e in events if isinstance(e, DeskStatusChange))
    assert solved.category is StatusCategory.SOLVED and solved.at_is_desk_time
    assert solved.at.astimezone(JAKARTA) == datetime(2026, 1, 5, 11, 57, tzinfo=JAKARTA)


async def test_polls_never_repeat_and_a_fresh_cursor_sees_everything(
    simulated: Start, clock: VirtualClock
) -> None:
    _, desk = await simulated(persona="responsive-24x7")
    ref = await desk.file(DRAFT, idempotency_key="run-2")
    seen: list[DeskEvent] = []
    cursor = None
    for _ in range(40):
        events, cursor = await _poll_all(desk, ref, cursor)
        seen.extend(events)
        await clock.sleep(97)
    everything = (await desk.poll(ref)).events
    assert seen == list(everything)
    assert [r.message_id for r in _replies(seen)] == ["1001", "1002", "1003", "1004"]
    assert _statuses(seen) == ["new", "open", "solved"]
    # Same cursor twice: nothing new.
    again, _ = await _poll_all(desk, ref, cursor)
    assert again == []


async def test_date_header_is_the_desk_clock(simulated: Start, clock: VirtualClock) -> None:
    server, desk = await simulated()
    ref = await desk.file(DRAFT, idempotency_key="run-3")
    await clock.sleep(3600)
    poll = await desk.poll(ref)
    assert poll.server_time == clock.now().replace(microsecond=0)
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{server.url}/nowhere")
        assert parsedate_to_datetime(answer.headers["Date"]) == clock.now().replace(microsecond=0)


async def test_asks_for_logs_continues_only_after_the_customer(
    simulated: Start, clock: VirtualClock
) -> None:
    _, desk = await simulated(persona="asks-for-logs")
    ref = await desk.file(DRAFT, idempotency_key="run-4")
    await clock.sleep(3600)
    events, cursor = await _poll_all(desk, ref, None)
    ask = _replies(events)[-1]
    assert "logs" in ask.body and _statuses(events) == ["new", "pending"]

    await clock.sleep(2 * 86400)  # the vendor waits as long as we do
    events, cursor = await _poll_all(desk, ref, cursor)
    assert events == []

    posted = await desk.comment(ref, "Logs: https://example.invalid/webrtc-internals.txt")
    assert posted == clock.now().replace(microsecond=0)
    events, cursor = await _poll_all(desk, ref, cursor)
    (ours,) = _replies(events)
    assert ours.from_us and ours.author_role == AuthorRole.END_USER and ours.channel == "api"
    assert ours.created_at == posted

    await clock.sleep(3600)
    events, _ = await _poll_all(desk, ref, cursor)
    thanks = _replies(events)[0]
    assert thanks.created_at == posted + timedelta(minutes=10)
    assert _statuses(events) == ["open", "solved"]


@pytest.mark.parametrize(("persona", "replies"), [("auto-ack-only", 1), ("silent", 0), ("slow", 4)])
async def test_quiet_and_slow_personas(
    simulated: Start, clock: VirtualClock, persona: str, replies: int
) -> None:
    _, desk = await simulated(persona=persona)
    ref = await desk.file(DRAFT, idempotency_key=f"run-{persona}")
    await clock.sleep(30 * 86400)
    assert len(_replies(list((await desk.poll(ref)).events))) == replies


async def test_filing_is_exactly_once_per_key(simulated: Start) -> None:
    server, desk = await simulated()
    first = await desk.file(DRAFT, idempotency_key="run-5")
    again = await desk.file(DRAFT, idempotency_key="run-5")
    other = await desk.file(DRAFT, idempotency_key="run-6")
    assert again.ticket_id == first.ticket_id and again.created_at == first.created_at
    assert again.extra["found_by"] == "idempotency_tag" and "found_by" not in first.extra
    assert other.ticket_id != first.ticket_id
    assert await desk.find(idempotency_key="run-7") is None
    async with httpx.AsyncClient(base_url=server.url) as client:
        listing = (await client.get("/api/v2/requests")).json()
        tags = [request["tags"] for request in listing["requests"]]
        assert listing["count"] == 2
        assert sum(idempotency_tag("run-5") in t for t in tags) == 1

        # A POST retried after a lost answer carries the same Idempotency-Key: still one ticket.
        payload = {"request": {"subject": "retried", "comment": {"body": "x"}}}
        key = {"Idempotency-Key": "retry-1"}
        one = await client.post("/api/v2/requests", json=payload, headers=key)
        two = await client.post("/api/v2/requests", json=payload, headers=key)
        assert (one.status_code, two.status_code) == (201, 201)
        assert two.headers["x-idempotency-lookup"] == "hit"
        assert one.json()["request"]["id"] == two.json()["request"]["id"]
        changed = {"request": {"subject": "different", "comment": {"body": "x"}}}
        clash = await client.post("/api/v2/requests", json=changed, headers=key)
        assert clash.status_code == 400
        assert (await client.get("/api/v2/requests")).json()["count"] == 3


async def test_a_persona_per_ticket_by_tag(simulated: Start, clock: VirtualClock) -> None:
    _, desk = await simulated(persona="responsive-24x7", desk={"persona": "silent"})
    ref = await desk.file(DRAFT, idempotency_key="run-8")
    await clock.sleep(86400)
    assert _replies(list((await desk.poll(ref)).events)) == []
    _, unknown = await simulated(desk={"persona": "chatty"})
    with pytest.raises(DeskRejected, match="unknown persona 'chatty'") as caught:
        await unknown.file(DRAFT, idempotency_key="run-9")
    assert caught.value.status == 422


async def test_the_api_refuses_bad_requests(simulated: Start) -> None:
    server, desk = await simulated()
    ref = await desk.file(DRAFT, idempotency_key="run-10")
    async with httpx.AsyncClient(base_url=server.url) as client:
        bad_bodies = [
            ({"request": {"comment": {"body": "x"}}}, "subject"),
            ({"request": {"subject": "s"}}, "comment.body"),
            ({"request": {"subject": "s", "comment": {"body": "x"}, "priority": "p0"}}, "priority"),
            ({"request": {"subject": "s", "comment": {"body": "x"}, "tags": "a"}}, "tags"),
            ([1, 2], "request"),
        ]
        for body, field in bad_bodies:
            answer = await client.post("/api/v2/requests", json=body)
            assert answer.status_code == 422 and field in answer.json()["description"]
        not_json = await client.post("/api/v2/requests", content=b"{nope")
        assert not_json.status_code == 400
        assert (await client.get("/api/v2/requests/999")).status_code == 404
        assert (await client.get("/api/v2/requests/999/comments")).status_code == 404
        assert (await client.put("/api/v2/requests/999", json={})).status_code == 404
        path = f"/api/v2/requests/{ref.ticket_id}"
        assert (await client.put(path, json={"request": {"comment": {}}})).status_code == 422
        assert (await client.get(f"{path}/comments?since=yesterday")).status_code == 400
        assert (await client.get(f"{path}/comments?role=boss")).status_code == 400
        assert (await client.get("/api/v2/requests/search")).status_code == 400


async def test_comment_filters_search_and_sideloads(simulated: Start, clock: VirtualClock) -> None:
    server, desk = await simulated()
    ref = await desk.file(DRAFT, idempotency_key="run-11")
    await clock.sleep(600)
    await desk.comment(ref, "Any news?")
    path = f"/api/v2/requests/{ref.ticket_id}/comments"
    async with httpx.AsyncClient(base_url=server.url) as client:
        every = (await client.get(path)).json()
        roles = {user["id"]: user["role"] for user in every["users"]}
        assert sorted(roles.values()) == ["agent", "agent", "end-user"]
        agent = (await client.get(path, params={"role": "agent"})).json()
        assert {c["author_id"] for c in agent["comments"]} == {1001 + 1000, 1001 + 1001}
        mine = (await client.get(path, params={"role": "end_user"})).json()
        assert [c["body"] for c in mine["comments"]] == ["Any news?"]
        late = every["comments"][1]["created_at"]
        since = (await client.get(path, params={"since": late})).json()
        assert [c["id"] for c in since["comments"]] == [c["id"] for c in every["comments"][1:]]

        async def search(query: str) -> int:
            answer = await client.get("/api/v2/requests/search", params={"query": query})
            return int(answer.json()["count"])

        assert await search("jakarta") == 1
        assert await search("tag:drill status:open") == 1
        assert await search("status:solved") == 0
        assert await search("tag:nothing") == 0
        me = (await client.get("/api/v2/users/me")).json()["user"]
        assert me["role"] == "end-user"


async def test_token_auth(simulated: Start) -> None:
    server, good = await simulated(token="sim-token-123", desk={"token": "sim-token-123"})
    ref = await good.file(DRAFT, idempotency_key="run-12")
    assert ref.ticket_id == "1"
    lines = await good.check()
    assert "signed in as Drill Requester" in lines[0] and "responsive-24x7" in lines[1]
    for token in (None, "wrong-token"):
        bad = SimulatedDesk(server.url, token=token)
        try:
            with pytest.raises(DeskAuthFailed) as caught:
                await bad.poll(ref)
            assert caught.value.status == 401
            assert "sim-token-123" not in str(caught.value)
        finally:
            await bad.close()


async def test_state_survives_a_restart(tmp_path: Path, clock: VirtualClock) -> None:
    state = tmp_path / "desk" / "state.json"
    async with SimulatedDeskServer(persona="asks-for-logs", clock=clock, state_path=state) as one:
        desk = SimulatedDesk(one.url)
        ref = await desk.file(DRAFT, idempotency_key="run-13")
        await clock.sleep(3600)
        await desk.comment(ref, "here are the logs")
        await clock.sleep(3600)
        before = (await desk.poll(ref)).events
        await desk.close()
    # Another persona as the default does not change the persona a ticket was filed with.
    async with SimulatedDeskServer(persona="silent", clock=clock, state_path=state) as two:
        desk = SimulatedDesk(two.url)
        try:
            again = await desk.file(DRAFT, idempotency_key="run-13")
            assert again.ticket_id == ref.ticket_id and again.created_at == ref.created_at
            assert (await desk.poll(ref)).events == before
            new = await desk.file(DRAFT, idempotency_key="run-14")
            assert new.ticket_id == "2"
        finally:
            await desk.close()


def test_bad_server_settings(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfiguration, match="unknown persona 'chatty'"):
        SimulatedDeskServer(persona="chatty")
    with pytest.raises(InvalidConfiguration, match="unknown time zone"):
        SimulatedDeskServer(timezone="Nowhere/City")
    with pytest.raises(InvalidConfiguration, match="not a coverage schedule"):
        SimulatedDeskServer(hours="weekdays")
    broken = tmp_path / "state.json"
    broken.write_text("{not json")
    with pytest.raises(InvalidConfiguration, match="not a simulated desk state file"):
        SimulatedDeskServer(state_path=broken)


async def test_business_hours_persona_takes_public_holidays_off(simulated: Start) -> None:
    # Thursday 2026-01-01 10:00 in Jakarta: a weekday inside its hours, but New Year's Day.
    clock = VirtualClock(datetime(2026, 1, 1, 10, 0, tzinfo=JAKARTA))
    server, desk = await simulated(
        persona="business-hours-only", clock=clock, holidays=HolidayRules(country="ID")
    )
    ref = await desk.file(DRAFT, idempotency_key="holiday-run")
    await clock.sleep(8 * 3600)  # the whole working day, had it been one
    events, cursor = await _poll_all(desk, ref, None)
    assert [r.automated_hint for r in _replies(events)] == [True]  # the automatic ack only
    await clock.sleep((datetime(2026, 1, 2, 9, 12, tzinfo=JAKARTA) - clock.now()).total_seconds())
    events, _ = await _poll_all(desk, ref, cursor)
    (human,) = _replies(events)
    assert human.automated_hint is False
    assert human.created_at == datetime(2026, 1, 2, 9, 12, tzinfo=JAKARTA)
    async with httpx.AsyncClient() as client:
        control = (await client.get(f"{server.url}/_control")).json()
    assert control["holidays"] == {"country": "ID", "subdivision": None, "extra": []}


async def test_serve_desk_on_port_0_tells_the_port_it_bound() -> None:
    urls: list[str] = []
    ready = asyncio.Event()

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    task = asyncio.create_task(
        serve_desk("127.0.0.1", 0, holidays=HolidayRules(country="ID"), ready=on_ready)
    )
    try:
        await asyncio.wait_for(ready.wait(), timeout=30)
        (url,) = urls
        port = int(url.rsplit(":", 1)[1])
        assert url.startswith("http://127.0.0.1:") and port > 0
        async with httpx.AsyncClient() as client:
            control = (await client.get(f"{url}/_control")).json()
        assert control["holidays"]["country"] == "ID"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
