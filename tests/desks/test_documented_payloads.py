"""Freshdesk and Statuspage publish no machine-readable description, and Zendesk's lacks the
ticket metrics we read: their documented example payloads (tests/desks/contracts/documented.json,
each with the page it comes from) stand in. The fakes must answer in the same shape, the adapters
must read the documented payloads, and our requests must use only the documented fields."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fakes.freshdesk import FakeFreshdesk
from fakes.server import FakeServer
from fakes.statuspage import FakeStatuspage
from fakes.zendesk import AGENT, FakeZendesk

from supportdrill.desks.freshdesk import FreshdeskDesk
from supportdrill.desks.http import DeskHttp
from supportdrill.desks.statuspage import StatuspageWatcher
from supportdrill.desks.zendesk import ZendeskDesk
from supportdrill.vocabulary import AuthorRole, DeskReply, TicketDraft, TicketRef

DOCUMENTED = json.loads((Path(__file__).parent / "contracts" / "documented.json").read_text())
FRESHDESK = DOCUMENTED["freshdesk"]
STATUSPAGE = DOCUMENTED["statuspage"]
ZENDESK = DOCUMENTED["zendesk"]
DRAFT = TicketDraft(subject="[P0][DRILL] Stream degraded", body="Frozen video.", severity="P0")
_TYPES = {"string": str, "boolean": bool, "number": int | float, "array": list, "object": dict}


def shape_problems(documented: Any, actual: Any, where: str = "") -> list[str]:
    """Keys of the documented payload the fake's lacks, or holds with another JSON type."""
    if isinstance(documented, list):
        if not documented or not actual:
            return []
        return shape_problems(documented[0], actual[0], f"{where}[0]")
    if not isinstance(documented, dict):
        both_numbers = isinstance(documented, int | float) and isinstance(actual, int | float)
        same = type(documented) is type(actual) or both_numbers
        if documented is None or actual is None or same:
            return []
        return [f"{where}: {type(actual).__name__}, documented {type(documented).__name__}"]
    if not isinstance(actual, dict):
        return [f"{where}: not an object"]
    problems = [f"{where}.{key}: missing" for key in documented if key not in actual]
    for key in documented:
        if key in actual:
            problems += shape_problems(documented[key], actual[key], f"{where}.{key}")
    return problems


@pytest.fixture
async def freshdesk() -> AsyncIterator[FakeFreshdesk]:
    fake = FakeFreshdesk()
    await fake.start()
    yield fake
    await fake.stop()


async def test_the_freshdesk_fake_answers_in_the_documented_shape(
    freshdesk: FakeFreshdesk,
) -> None:
    desk = FreshdeskDesk(DeskHttp(freshdesk.url, desk="freshdesk"), requester_email="n@x.test")
    try:
        ref = await desk.file(DRAFT, idempotency_key="doc-fd")
        freshdesk.converse(int(ref.ticket_id), 43001, "Looking.")
        await desk.poll(ref)
        await desk.comment(ref, "Logs attached.")
    finally:
        await desk.close()
    answers = {(e.method, e.path): e for e in freshdesk.exchanges}
    created = answers[("POST", "/api/v2/tickets")].answer
    listed = answers[("GET", f"/api/v2/tickets/{ref.ticket_id}/conversations")].answer
    problems = shape_problems(FRESHDESK["create_ticket_response"]["payload"], created)
    problems += shape_problems(FRESHDESK["list_conversations_response"]["payload"], listed)
    assert not problems
    # Our follow-up uses only the documented fields of "Create a Note", with their types.
    note = answers[("POST", f"/api/v2/tickets/{ref.ticket_id}/notes")].body
    spec = FRESHDESK["create_note_request"]
    assert set(spec["required"]) <= set(note) <= set(spec["fields"])
    assert all(isinstance(note[k], _TYPES[spec["fields"][k]]) for k in note)


async def test_freshdesks_documented_conversations_read_as_documented() -> None:
    ticket = dict(FRESHDESK["create_ticket_response"]["payload"], id=20)
    ticket["stats"] = {"status_updated_at": "2015-08-24T12:00:00Z"}

    async def conversations(request: web.Request) -> web.Response:
        return web.json_response(FRESHDESK["list_conversations_response"]["payload"])

    async def show(request: web.Request) -> web.Response:
        return web.json_response(ticket)

    async def agent(request: web.Request) -> web.Response:
        return web.json_response({"code": "access_denied"}, status=404)

    server = FakeServer()
    server.app.router.add_get("/api/v2/tickets/20/conversations", conversations)
    server.app.router.add_get("/api/v2/tickets/20", show)
    server.app.router.add_get("/api/v2/agents/{id}", agent)
    await server.start()
    desk = FreshdeskDesk(DeskHttp(server.url, desk="freshdesk"), requester_email="n@x.test")
    ref = TicketRef(
        desk="freshdesk",
        ticket_id="20",
        created_at=datetime(2015, 8, 24, tzinfo=UTC),
        extra={"requester_id": "129"},
    )
    try:
        replies = [e for e in (await desk.poll(ref)).events if isinstance(e, DeskReply)]
    finally:
        await desk.close()
        await server.stop()
    # The private note (source 2) is skipped; the requester's email reply (source 0) is ours.
    assert [(r.message_id, r.channel, r.from_us, r.author_role) for r in replies] == [
        ("4", "reply", True, AuthorRole.END_USER)
    ]


async def test_the_statuspage_fake_and_the_watcher_match_the_documented_payloads() -> None:
    page = FakeStatuspage()
    await page.start()
    watcher = StatuspageWatcher(DeskHttp(page.url, desk="statuspage"))
    try:
        page.open_incident("Elevated packet loss in Jakarta", datetime.now(UTC))
        await watcher.snapshot()
    finally:
        await watcher.close()
        await page.stop()
    answers = {e.path: e.answer for e in page.exchanges}
    problems = shape_problems(
        STATUSPAGE["summary_response"]["payload"], answers["/api/v2/summary.json"]
    )
    problems += shape_problems(
        STATUSPAGE["incidents_response"]["payload"], answers["/api/v2/incidents.json"]
    )
    assert not problems

    async def summary(request: web.Request) -> web.Response:
        return web.json_response(STATUSPAGE["summary_response"]["payload"])

    async def incidents(request: web.Request) -> web.Response:
        return web.json_response(STATUSPAGE["incidents_response"]["payload"])

    server = FakeServer()
    server.app.router.add_get("/api/v2/summary.json", summary)
    server.app.router.add_get("/api/v2/incidents.json", incidents)
    await server.start()
    documented = StatuspageWatcher(DeskHttp(server.url, desk="statuspage"))
    try:
        snapshot = await documented.snapshot()
    finally:
        await documented.close()
        await server.stop()
    assert snapshot.indicator == "major"
    (incident,) = {i.incident_id: i for i in snapshot.incidents}.values()
    assert (incident.name, incident.impact) == ("Unplanned Database Outage", "critical")
    assert incident.created_at == datetime(2014, 5, 14, 20, 22, 39, 441000, tzinfo=UTC)


async def test_the_zendesk_fakes_ticket_metrics_have_the_documented_shape() -> None:
    fake = FakeZendesk()
    await fake.start()
    fake.me_user = AGENT
    http = DeskHttp(fake.url, desk="zendesk", auth=("agent@example.test/token", fake.token))
    desk = ZendeskDesk(http, agent_mode=True)
    try:
        ref = await desk.file(DRAFT, idempotency_key="doc-zd-metrics")
        fake.comment(int(ref.ticket_id), AGENT, "Looking.")
        fake.set_status(int(ref.ticket_id), "solved")
        await desk.vendor_clocks(ref)
    finally:
        await desk.close()
        await fake.stop()
    (answer,) = [e.answer for e in fake.exchanges if e.path.endswith("/metrics.json")]
    documented = ZENDESK["ticket_metric"]
    metric = answer["ticket_metric"]
    # reply_time_in_seconds is documented for Messaging tickets only; this one is a web form's.
    expected = {k: v for k, v in documented["payload"].items() if k != "reply_time_in_seconds"}
    assert not shape_problems(expected, metric)
    # Every documented property, with its documented type ("JSON format"); none is mandatory.
    types = {"object": dict, "string": str, "integer": int}
    assert set(metric) <= set(documented["fields"])
    assert all(isinstance(metric[k], types[documented["fields"][k]]) for k in metric)
