"""Contract tests: the fakes and the adapters held to the vendors' published API descriptions.

The descriptions are vendored, cut down to the operations we use, in tests/desks/contracts/ (see
its README for sources and licences). For each desk a drill's worth of traffic runs through the
adapter against its fake; then every exchange is checked both ways: the adapter's request is a
documented operation with its required parameters, headers and body, and the fake's answer
validates against the documented response schema. Then the vendors' own documented example
payloads are fed through each adapter's parsing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from contracts.openapi import Contract
from fakes import github as gh
from fakes import jsm as js
from fakes import pagerduty as pd
from fakes import zendesk as zd
from fakes.server import Exchange, FakeServer

from supportdrill.desks.github import GithubDesk
from supportdrill.desks.http import DeskHttp
from supportdrill.desks.jsm import JsmDesk
from supportdrill.desks.pagerduty import PagerDutyDesk
from supportdrill.desks.zendesk import ZendeskDesk
from supportdrill.secrets import SecretValue
from supportdrill.vocabulary import (
    AuthorRole,
    DeskReply,
    DeskStatusChange,
    TicketDraft,
    TicketRef,
    VendorClock,
)

DOCUMENTED = json.loads((Path(__file__).parent / "contracts" / "documented.json").read_text())
DRAFT = TicketDraft(subject="[P0][DRILL] Stream degraded", body="Frozen video.", severity="P0")


def held_to(exchanges: list[Exchange], *contracts: tuple[str, Contract]) -> set[str]:
    """Check every exchange against the contract whose path prefix it starts with."""
    checked: set[str] = set()
    for exchange in exchanges:
        for prefix, contract in contracts:
            if exchange.path.startswith(prefix):
                checked.add(contract.check_request(exchange))
                # Any GitHub URL may answer 301 for a moved resource; where an operation
                # documents its redirect, the answer is held to it too.
                if 200 <= exchange.status < 300 or contract.documents(exchange):
                    checked.add(contract.check_response(exchange))
                break
        else:
            raise AssertionError(f"no contract for {exchange.method} {exchange.path}")
    return checked


@pytest.fixture
async def started() -> AsyncIterator[list[FakeServer]]:
    servers: list[FakeServer] = []
    yield servers
    for server in servers:
        await server.stop()


async def test_github_requests_and_fake_answers_follow_the_description(
    started: list[FakeServer],
) -> None:
    fake = gh.FakeGithub()
    await fake.start()
    started.append(fake)
    desk = GithubDesk(DeskHttp(fake.url, desk="github"), repo=fake.repo)
    try:
        ref = await desk.file(DRAFT, idempotency_key="contract-gh")
        fake.comment(int(ref.ticket_id), gh.MAINTAINER, "Looking.", "MEMBER")
        first = await desk.poll(ref)
        await desk.comment(ref, "Logs attached.")
        fake.close_issue(int(ref.ticket_id))
        await desk.poll(ref, since=first.cursor)
        await desk.check()
        fake.transfer(int(ref.ticket_id), new_number=12)
        await desk.poll(ref)
        await desk.comment(ref, "Is it still on your list?")
        await desk.poll(ref)
    finally:
        await desk.close()
    # The redirect target (/repositories/{id}/...) is where GitHub's 301 points, not an
    # operation of its own in the description.
    exchanges = [e for e in fake.exchanges if not e.path.startswith("/repositories/")]
    checked = held_to(exchanges, ("/", Contract("github")))
    assert "GET /repos/{owner}/{repo}/issues/{issue_number} → 301" in checked
    # The comment went to the transferred issue's new place, as documented there.
    assert ("POST", "/repos/acme/media-sdk/issues/12/comments", 201) in {
        (e.method, e.path, e.status) for e in exchanges
    }
    assert len(checked) >= 12


async def test_pagerduty_requests_and_fake_answers_follow_the_description(
    started: list[FakeServer],
) -> None:
    fake = pd.FakePagerDuty()
    await fake.start()
    started.append(fake)
    desk = PagerDutyDesk(
        events=DeskHttp(fake.url, desk="pagerduty"),
        rest=DeskHttp(fake.url, desk="pagerduty"),
        routing_key=SecretValue("routing_key", pd.ROUTING_KEY),
        from_email="oncall@example.test",
        appear_timeout_s=5,
    )
    try:
        ref = await desk.file(DRAFT, idempotency_key="contract-pd")
        fake.human_ack(ref.ticket_id)
        await desk.comment(ref, "Runbook step 3 done.")
        fake.ack_timeout(ref.ticket_id)
        await desk.poll(ref)
        await desk.resolve(ref)
        await desk.check()
    finally:
        await desk.close()
    checked = held_to(
        fake.exchanges, ("/v2/", Contract("pagerduty-events")), ("/", Contract("pagerduty"))
    )
    assert "POST /incidents/{id}/notes" in checked  # with its required From header
    assert "POST /enqueue → 202" in checked


async def test_jsm_requests_and_fake_answers_follow_the_description(
    started: list[FakeServer],
) -> None:
    fake = js.FakeJsm()
    await fake.start()
    started.append(fake)
    desk = JsmDesk(
        DeskHttp(fake.url, desk="jsm"), service_desk_id="1", request_type_id="10", agent_mode=True
    )
    try:
        ref = await desk.file(DRAFT, idempotency_key="contract-jsm")
        fake.comment(ref.ticket_id, js.AGENT, "Investigating now.")
        fake.comment(ref.ticket_id, js.PARTICIPANT, "Same here.")
        await desk.poll(ref)
        await desk.comment(ref, "Logs attached.")
        await desk.vendor_clocks(ref)
        await desk.find(idempotency_key="contract-jsm")
        await desk.check()
    finally:
        await desk.close()
    checked = held_to(
        fake.exchanges, ("/rest/api/3/", Contract("jira")), ("/rest/", Contract("jsm"))
    )
    assert "GET /rest/api/3/user/permission/search" in checked
    assert "GET /rest/servicedeskapi/request/{issueIdOrKey}/comment → 200" in checked


@pytest.mark.parametrize("agent", [False, True])
async def test_zendesk_requests_and_fake_answers_follow_the_description(
    started: list[FakeServer], agent: bool
) -> None:
    fake = zd.FakeZendesk()
    await fake.start()
    started.append(fake)
    http = DeskHttp(fake.url, desk="zendesk", auth=("drill@example.test/token", fake.token))
    desk = ZendeskDesk(http, agent_mode=agent)
    if agent:
        fake.me_user = zd.AGENT
    try:
        ref = await desk.file(DRAFT, idempotency_key=f"contract-zd-{agent}")
        fake.trigger_notification(int(ref.ticket_id), "We have received your request.")
        fake.comment(int(ref.ticket_id), zd.AGENT, "Checking the Jakarta PoP.")
        await desk.poll(ref)
        await desk.comment(ref, "Logs attached.")
        fake.set_status(int(ref.ticket_id), "solved")
        await desk.vendor_clocks(ref)
        await desk.find(idempotency_key=f"contract-zd-{agent}")
        await desk.check()
    finally:
        await desk.close()
    contract = Contract("zendesk", strip_suffix=".json")
    checked = held_to(fake.exchanges, ("/", contract))
    if agent:
        assert "PUT /api/v2/tickets/{ticket_id}" in checked
        assert "GET /api/v2/tickets/{ticket_id}/audits → 200" in checked
        # /tickets/{id}/metrics, held to Show Ticket Metrics (see contracts/openapi.py).
        assert "GET /api/v2/tickets/{ticket_id}/metrics → 200" in checked
    else:
        assert "GET /api/v2/requests/{request_id}/comments → 200" in checked


# -- the vendors' documented examples through the adapters' parsing ---------------------------


def test_githubs_documented_comment_and_issue_examples_parse() -> None:
    contract = Contract("github")
    (comments,) = contract.examples("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    replies = [GithubDesk._reply(comment, "someone-else") for comment in comments]
    assert replies and all(r.created_at.tzinfo is not None for r in replies)
    assert {r.author_role for r in replies} <= {AuthorRole.AGENT, AuthorRole.END_USER}
    issue = contract.examples("get", "/repos/{owner}/{repo}/issues/{issue_number}")[0]
    status = GithubDesk._status(issue, issue["state"], issue["state"], first=True)
    assert isinstance(status, DeskStatusChange)


def test_pagerdutys_documented_log_entries_parse() -> None:
    contract = Contract("pagerduty")
    (page,) = contract.examples("get", "/incidents/{id}/log_entries")
    events = [e for entry in page["log_entries"] for e in PagerDutyDesk._entry_events(entry)]
    assert events, "the documented example yields events"
    assert all(e.at.tzinfo is not None for e in events if isinstance(e, DeskStatusChange))


def test_jsms_documented_comment_example_parses() -> None:
    contract = Contract("jsm")
    (page,) = contract.examples("get", "/rest/servicedeskapi/request/{issueIdOrKey}/comment")
    desk = JsmDesk(
        DeskHttp("http://127.0.0.1:9", desk="jsm"), service_desk_id="1", request_type_id="1"
    )
    ref = TicketRef(desk="jsm", ticket_id="SD-1", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    replies = [desk._reply(f"c{c['id']}", c, ref) for c in page["values"]]
    assert replies and all(isinstance(r, DeskReply) for r in replies)


def test_zendesks_documented_audit_and_comment_examples_parse() -> None:
    contract = Contract("zendesk")
    (audits,) = contract.examples("get", "/api/v2/tickets/{ticket_id}/audits")
    desk = ZendeskDesk(DeskHttp("http://127.0.0.1:9", desk="zendesk"), agent_mode=True)
    made = []
    for audit in audits["audits"]:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        for event in audit["events"]:
            made.append(desk._audit_event(audit, event, at, audit.get("via") or {}, ""))
    assert any(isinstance(m, DeskReply) for m in made)
    (comments,) = contract.examples("get", "/api/v2/requests/{request_id}/comments")
    assert comments["comments"], "documented example has comments"


async def test_zendesks_documented_ticket_metrics_read_as_documented(
    started: list[FakeServer],
) -> None:
    # The description's example of Show Ticket Metrics (a one-item list, see openapi.py's
    # errata) and the docs' "JSON format" example (one object), each served as the answer.
    contract = Contract("zendesk")
    (listed,) = contract.examples("get", "/api/v2/ticket_metrics/{ticket_metric_id}")
    documented = DOCUMENTED["zendesk"]["ticket_metric"]["payload"]
    answers = [listed, {"ticket_metric": documented}]

    async def metrics(request: web.Request) -> web.Response:
        return web.json_response(answers[0])

    async def show_many(request: web.Request) -> web.Response:
        return web.json_response({"tickets": []})

    server = FakeServer()
    server.app.router.add_get("/api/v2/tickets/{id}/metrics.json", metrics)
    server.app.router.add_get("/api/v2/tickets/show_many.json", show_many)
    await server.start()
    started.append(server)
    desk = ZendeskDesk(DeskHttp(server.url, desk="zendesk"), agent_mode=True)
    created = datetime(2020, 7, 20, 6, 0, tzinfo=UTC)
    ref = TicketRef(desk="zendesk", ticket_id="1517", created_at=created)
    try:
        from_list = await desk.vendor_clocks(ref)
        answers.pop(0)
        from_object = await desk.vendor_clocks(ref)
    finally:
        await desk.close()
    # Both answers are Show Ticket Metrics as the description has it (with its errata).
    served = [e for e in server.exchanges if e.path.endswith("/metrics.json")]
    checked = {Contract("zendesk", strip_suffix=".json").check_response(e) for e in served}
    assert len(served) == 2 and checked == {"GET /api/v2/tickets/{ticket_id}/metrics → 200"}

    def summary(clocks: tuple[VendorClock, ...]) -> set[tuple[str, str, object, object]]:
        return {
            (c.metric, c.vendor_name, c.business_hours, c.elapsed_s or c.completed_at)
            for c in clocks
        }

    assert summary(from_list) == {
        ("first_response", "reply_time_in_minutes", True, 16 * 60.0),
        ("first_response", "reply_time_in_seconds", False, 960.0),
        ("resolution", "solved_at", None, datetime(2020, 7, 20, 6, 21, 26, tzinfo=UTC)),
    }
    assert summary(from_object) == {
        ("first_response", "reply_time_in_minutes", True, 737 * 60.0),
        ("first_response", "reply_time_in_seconds", False, 143460.0),
        ("resolution", "solved_at", None, datetime(2011, 5, 9, 10, 38, 52, tzinfo=UTC)),
    }
