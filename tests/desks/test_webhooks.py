"""Webhook receivers of the PagerDuty and JSM adapters, over real sockets on 127.0.0.1.

Each desk is built by ``open_desk`` from drill settings (``webhook_listen: 127.0.0.1:0``,
``webhook_secret`` from an environment variable), files against its local fake, and then gets
deliveries shaped and signed as the desk documents them (tests/desks/fakes/webhooks.py).
A delivery only sets ``desk.wakeup``; what counts is still read by polling.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from fakes.jsm import AGENT, FakeJsm
from fakes.pagerduty import ROUTING_KEY, FakePagerDuty
from fakes.webhooks import (
    deliver,
    encode,
    jira_headers,
    jira_payload,
    pagerduty_headers,
    pagerduty_note_payload,
    pagerduty_payload,
)

from supportdrill.definitions.model import DeskConfig, DeskKind
from supportdrill.desks.base import Desk, open_desk
from supportdrill.desks.check import check_desk
from supportdrill.desks.webhooks import JIRA, WebhookReceiver, WebhookStats, parse_listen
from supportdrill.errors import InvalidConfiguration
from supportdrill.secrets import Redactor, SecretValue
from supportdrill.vocabulary import DeskReply, TicketDraft, TicketRef

PD_SECRET = "pd-webhook-S3cret-4f8a1c"
JIRA_SECRET = "jira-webhook-S3cret-77d2"
ENV = {
    "PD_TOKEN": "pd-rest-token-0a9b8c",
    "PD_ROUTING": ROUTING_KEY,
    "PD_HOOK": PD_SECRET,
    "JSM_TOKEN": "jsm-token-xyz-123",
    "JIRA_HOOK": JIRA_SECRET,
}
DRAFT = TicketDraft(subject="[P0][DRILL] Stream degraded", body="Frozen video.", severity="P0")


def pagerduty_config(url: str, *, secret: bool = True, **settings: str) -> DeskConfig:
    secrets = {"token": "PD_TOKEN", "routing_key": "PD_ROUTING"}
    if secret:
        secrets["webhook_secret"] = "PD_HOOK"
    return DeskConfig(
        kind=DeskKind.PAGERDUTY,
        settings={
            "url": url,
            "events_url": url,
            "from_email": "oncall@example.test",
            "webhook_listen": "127.0.0.1:0",
            **settings,
        },
        secrets=secrets,
    )


def jsm_config(url: str, **settings: str) -> DeskConfig:
    return DeskConfig(
        kind=DeskKind.JSM,
        settings={
            "url": url,
            "service_desk_id": "1",
            "request_type_id": "10",
            "email": "drill@example.test",
            "webhook_listen": "127.0.0.1:0",
            **settings,
        },
        secrets={"token": "JSM_TOKEN", "webhook_secret": "JIRA_HOOK"},
    )


def hook_url(desk: Desk, path: str = "hooks/drill") -> str:
    assert desk.webhook is not None and desk.webhook.running
    return desk.webhook.url + path


def stats(desk: Desk) -> WebhookStats:
    assert desk.webhook is not None
    return desk.webhook.stats()


@pytest.fixture
async def pagerduty() -> AsyncIterator[tuple[FakePagerDuty, Desk, TicketRef]]:
    fake = FakePagerDuty()
    await fake.start()
    desk = open_desk(pagerduty_config(fake.url), secrets_env=ENV)
    try:
        ref = await desk.file(DRAFT, idempotency_key="hook-run-1")
        yield fake, desk, ref
    finally:
        await desk.close()
        await fake.stop()


@pytest.fixture
async def jsm() -> AsyncIterator[tuple[FakeJsm, Desk, TicketRef]]:
    fake = FakeJsm()
    await fake.start()
    desk = open_desk(jsm_config(fake.url), secrets_env=ENV)
    try:
        ref = await desk.file(DRAFT, idempotency_key="hook-run-2")
        yield fake, desk, ref
    finally:
        await desk.close()
        await fake.stop()


# -- PagerDuty v3 ---------------------------------------------------------------------------


async def test_a_signed_pagerduty_delivery_about_our_incident_wakes_the_watch(
    pagerduty: tuple[FakePagerDuty, Desk, TicketRef],
) -> None:
    fake, desk, ref = pagerduty
    assert desk.capabilities.webhooks is True
    assert desk.wakeup is not None and not desk.wakeup.is_set()
    fake.human_ack(ref.ticket_id)
    body = encode(pagerduty_payload("incident.acknowledged", ref.ticket_id, ref.extra["dedup_key"]))

    status = await deliver(hook_url(desk), body, pagerduty_headers(body, PD_SECRET))

    assert status == 202
    assert desk.wakeup.is_set()
    assert stats(desk) == WebhookStats(received=1, woke=1)
    # The wakeup only says "poll now": the acknowledgement itself comes from the REST log.
    poll = await desk.poll(ref)
    assert [e.author_name for e in poll.events if isinstance(e, DeskReply)] == ["Earline Greenholt"]


async def test_rotation_signatures_and_note_deliveries_name_the_incident(
    pagerduty: tuple[FakePagerDuty, Desk, TicketRef],
) -> None:
    _, desk, ref = pagerduty
    assert desk.wakeup is not None
    # During a secret rotation PagerDuty signs with the old and the new secret; one is ours.
    note = encode(pagerduty_note_payload(ref.ticket_id))
    headers = pagerduty_headers(note, "an-older-secret-value", PD_SECRET)
    assert "," in headers["X-PagerDuty-Signature"]
    assert await deliver(hook_url(desk), note, headers) == 202
    assert desk.wakeup.is_set()
    desk.wakeup.clear()
    # The incident_key alone (our dedup key) is enough.
    by_key = encode(pagerduty_payload("incident.resolved", "PNOTOURID", ref.extra["dedup_key"]))
    assert await deliver(hook_url(desk), by_key, pagerduty_headers(by_key, PD_SECRET)) == 202
    assert desk.wakeup.is_set()
    assert stats(desk).woke == 2


async def test_unsigned_or_badly_signed_deliveries_are_refused_with_401(
    pagerduty: tuple[FakePagerDuty, Desk, TicketRef],
) -> None:
    _, desk, ref = pagerduty
    assert desk.wakeup is not None
    body = encode(pagerduty_payload("incident.resolved", ref.ticket_id, ref.extra["dedup_key"]))
    tampered = body.replace(b'"status":"acknowledged"', b'"status":"resolved"')
    attempts = [
        (body, pagerduty_headers(body, "not-the-subscription-secret")),
        (body, {"Content-Type": "application/json"}),
        (body, {"X-PagerDuty-Signature": "v1="}),
        (
            body,
            {
                "X-PagerDuty-Signature": "v0="
                + pagerduty_headers(body, PD_SECRET)["X-PagerDuty-Signature"].removeprefix("v1=")
            },
        ),
        (tampered, pagerduty_headers(body, PD_SECRET)),
        (body, {"X-PagerDuty-Signature": "v1=ÿÿ-not-ascii"}),
    ]
    statuses = [await deliver(hook_url(desk), data, headers) for data, headers in attempts]
    assert statuses == [401] * len(attempts)
    assert not desk.wakeup.is_set()
    assert stats(desk) == WebhookStats(received=len(attempts), unauthorized=len(attempts))


async def test_a_delivery_about_another_incident_is_accepted_and_ignored(
    pagerduty: tuple[FakePagerDuty, Desk, TicketRef],
) -> None:
    _, desk, _ = pagerduty
    assert desk.wakeup is not None
    body = encode(pagerduty_payload("incident.acknowledged", "PGR0VU2", "d3640fbd41094207a1c1"))
    assert await deliver(hook_url(desk), body, pagerduty_headers(body, PD_SECRET)) == 202
    assert not desk.wakeup.is_set()
    assert stats(desk) == WebhookStats(received=1, ignored=1)


async def test_garbage_is_refused_with_400_and_the_receiver_keeps_serving(
    pagerduty: tuple[FakePagerDuty, Desk, TicketRef],
) -> None:
    _, desk, ref = pagerduty
    assert desk.wakeup is not None
    bodies = [b"{not json", b"[1, 2]", b'{"event": "x"}', b'{"messages": []}', b"\xff\xfe"]
    statuses = [
        await deliver(hook_url(desk), body, pagerduty_headers(body, PD_SECRET)) for body in bodies
    ]
    assert statuses == [400] * len(bodies)
    assert not desk.wakeup.is_set()
    good = encode(pagerduty_payload("incident.resolved", ref.ticket_id, "k"))
    assert await deliver(hook_url(desk), good, pagerduty_headers(good, PD_SECRET)) == 202
    assert desk.wakeup.is_set()
    assert stats(desk) == WebhookStats(received=6, woke=1, malformed=5)
    async with aiohttp.ClientSession() as session, session.get(hook_url(desk, "")) as answer:
        assert answer.status == 200 and "pagerduty webhook receiver" in await answer.text()


# -- Jira (one's own JSM) ---------------------------------------------------------------------


async def test_jira_webhooks_wake_for_our_issue_only_and_are_signed(
    jsm: tuple[FakeJsm, Desk, TicketRef],
) -> None:
    fake, desk, ref = jsm
    assert desk.capabilities.webhooks is True and desk.wakeup is not None
    url = hook_url(desk, "rest/webhooks/jira")
    other = encode(jira_payload("jira:issue_updated", "SD-999", "19999"))
    assert await deliver(url, other, jira_headers(other, JIRA_SECRET)) == 202
    forged = encode(jira_payload("comment_created", ref.ticket_id))
    assert await deliver(url, forged, jira_headers(forged, "someone-elses-secret")) == 401
    unsigned = {"Content-Type": "application/json"}
    assert await deliver(url, forged, unsigned) == 401
    assert await deliver(url, b"<html>", jira_headers(b"<html>", JIRA_SECRET)) == 400
    assert not desk.wakeup.is_set()

    fake.comment(ref.ticket_id, AGENT, "Looking at the SEA edge now.")
    ours = encode(jira_payload("comment_created", ref.ticket_id))
    assert await deliver(url, ours, jira_headers(ours, JIRA_SECRET)) == 202
    assert desk.wakeup.is_set()
    assert stats(desk) == WebhookStats(received=5, woke=1, ignored=1, unauthorized=2, malformed=1)
    poll = await desk.poll(ref)
    assert any(isinstance(e, DeskReply) and "SEA edge" in e.body for e in poll.events)


async def test_a_jira_issue_id_alone_names_our_request(
    jsm: tuple[FakeJsm, Desk, TicketRef],
) -> None:
    _, desk, ref = jsm
    assert desk.wakeup is not None
    body = encode(jira_payload("jira:issue_updated", "", ref.extra["issue_id"]))
    assert await deliver(hook_url(desk), body, jira_headers(body, JIRA_SECRET)) == 202
    assert desk.wakeup.is_set()


async def test_without_a_secret_deliveries_are_not_checked() -> None:
    receiver = WebhookReceiver("127.0.0.1:0", JIRA)
    await receiver.start()
    try:
        receiver.watch("SD-7")
        body = encode(jira_payload("jira:issue_updated", "SD-7"))
        assert await deliver(receiver.url, body, {"Content-Type": "application/json"}) == 202
        assert receiver.wakeup.is_set()
    finally:
        await receiver.stop()
    assert not receiver.running


# -- configuration, lifecycle and desk check ------------------------------------------------


@pytest.fixture
def taken_port() -> Iterator[int]:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        yield int(holder.getsockname()[1])
    finally:
        holder.close()


def test_listen_addresses_are_parsed_or_refused_clearly() -> None:
    assert parse_listen("127.0.0.1:8600") == ("127.0.0.1", 8600)
    assert parse_listen(" [::1]:0 ") == ("::1", 0)
    for bad in ("8600", "localhost", ":8600", "127.0.0.1:http", "::1:80", "h:70000"):
        with pytest.raises(ValueError):
            parse_listen(bad)


@pytest.mark.parametrize(
    ("settings", "secrets", "message"),
    [
        ({"webhook_listen": "127.0.0.1"}, {}, "webhook_listen: '127.0.0.1' is not host:port"),
        ({}, {"webhook_secret": "PD_HOOK"}, "webhook_secret: needs webhook_listen"),
        (
            {"webhook_listen": "127.0.0.1:0", "webhook_secret": "plain-text-secret"},
            {},
            "webhook_secret: must be a secret",
        ),
        ({"webhook_listen": "127.0.0.1:0"}, {"webhook_secret": "UNSET_HOOK_VAR"}, "UNSET_HOOK"),
    ],
)
def test_webhook_settings_are_checked_when_the_desk_is_built(
    settings: dict[str, str], secrets: dict[str, str], message: str
) -> None:
    config = DeskConfig(
        kind=DeskKind.PAGERDUTY,
        settings={"url": "http://127.0.0.1:9", "from_email": "oncall@example.test", **settings},
        secrets={"token": "PD_TOKEN", "routing_key": "PD_ROUTING", **secrets},
    )
    with pytest.raises(InvalidConfiguration, match=message) as caught:
        open_desk(config, secrets_env=ENV)
    assert "plain-text-secret" not in str(caught.value)


def test_the_webhook_secret_is_redacted_and_capabilities_say_when_configured() -> None:
    redactor = Redactor()
    desk = open_desk(pagerduty_config("http://127.0.0.1:9"), secrets_env=ENV, redactor=redactor)
    assert redactor.redact(f"sig with {PD_SECRET}") == "sig with ***"
    assert desk.capabilities.webhooks and desk.wakeup is not None
    assert PD_SECRET not in repr(vars(desk.webhook))
    plain = open_desk(
        DeskConfig(
            kind=DeskKind.PAGERDUTY,
            settings={"url": "http://127.0.0.1:9", "from_email": "oncall@example.test"},
            secrets={"token": "PD_TOKEN", "routing_key": "PD_ROUTING"},
        ),
        secrets_env=ENV,
    )
    assert not plain.capabilities.webhooks and plain.wakeup is None and plain.webhook is None


async def test_desk_check_says_where_the_receiver_listens(taken_port: int) -> None:
    fake = FakePagerDuty()
    await fake.start()
    try:
        lines = await check_desk(pagerduty_config(fake.url), secrets_env=ENV)
        text = "\n".join(lines)
        assert "pagerduty: webhook receiver: 127.0.0.1:0; signatures checked" in text
        assert "pagerduty: webhook receiver: can listen on http://127.0.0.1:" in text
        assert "webhooks: yes" in lines[-1]
        unsigned = await check_desk(pagerduty_config(fake.url, secret=False), secrets_env=ENV)
        assert any("signatures NOT checked" in line for line in unsigned)
        without = await check_desk(
            DeskConfig(
                kind=DeskKind.PAGERDUTY,
                settings={
                    "url": fake.url,
                    "events_url": fake.url,
                    "from_email": "oncall@example.test",
                },
                secrets={"token": "PD_TOKEN", "routing_key": "PD_ROUTING"},
            ),
            secrets_env=ENV,
        )
        assert "pagerduty: webhook receiver: not configured" in "\n".join(without)
        assert "webhooks: no" in without[-1]
        busy = pagerduty_config(fake.url, webhook_listen=f"127.0.0.1:{taken_port}")
        with pytest.raises(InvalidConfiguration, match=r"cannot listen on 127\.0\.0\.1:"):
            await check_desk(busy, secrets_env=ENV)
        assert fake.creations == 0
    finally:
        await fake.stop()


async def test_a_receiver_that_cannot_listen_leaves_the_drill_polling(
    taken_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakePagerDuty()
    await fake.start()
    config = pagerduty_config(fake.url, webhook_listen=f"127.0.0.1:{taken_port}")
    desk = open_desk(config, secrets_env=ENV)
    try:
        with caplog.at_level(logging.WARNING, logger="supportdrill.desks.webhooks"):
            ref = await desk.file(DRAFT, idempotency_key="hook-run-3")
            poll = await desk.poll(ref)
        assert poll.events and desk.webhook is not None and not desk.webhook.running
        assert desk.webhook.start_error and "cannot listen" in desk.webhook.start_error
        warnings = [r for r in caplog.records if "polls at its interval" in r.getMessage()]
        assert len(warnings) == 1  # once, not at every poll
    finally:
        await desk.close()
        await fake.stop()


async def test_a_resumed_drill_starts_the_receiver_at_its_first_poll() -> None:
    fake = FakePagerDuty()
    await fake.start()
    first = open_desk(pagerduty_config(fake.url, secret=False), secrets_env=ENV)
    try:
        ref = await first.file(DRAFT, idempotency_key="hook-run-4")
    finally:
        await first.close()
    resumed = open_desk(pagerduty_config(fake.url, secret=False), secrets_env=ENV)
    try:
        assert resumed.webhook is not None and not resumed.webhook.running
        await resumed.poll(ref)
        body = encode(pagerduty_payload("incident.resolved", ref.ticket_id, "x"))
        assert await deliver(hook_url(resumed), body, {"Content-Type": "application/json"}) == 202
        assert resumed.wakeup is not None and resumed.wakeup.is_set()
    finally:
        await resumed.close()
        await fake.stop()
    assert not resumed.webhook.running


async def test_many_deliveries_at_once_are_all_answered(
    pagerduty: tuple[FakePagerDuty, Desk, TicketRef],
) -> None:
    _, desk, ref = pagerduty
    body = encode(pagerduty_payload("incident.annotated", ref.ticket_id, "k"))
    headers: dict[str, Any] = pagerduty_headers(body, PD_SECRET)
    statuses = await asyncio.wait_for(
        asyncio.gather(*(deliver(hook_url(desk), body, headers) for _ in range(20))), timeout=30
    )
    assert statuses == [202] * 20 and stats(desk).woke == 20


def test_secret_values_stay_hidden_in_the_receiver() -> None:
    receiver = WebhookReceiver("127.0.0.1:0", JIRA, secret=SecretValue("JIRA_HOOK", JIRA_SECRET))
    assert receiver.signed and JIRA_SECRET not in repr(vars(receiver))
