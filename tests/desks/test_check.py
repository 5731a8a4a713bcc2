"""``check_desk(config)``: what each desk kind lets us see, checked against its local fake server.

Every check only reads: each test asserts its fake received no POST or PUT (nothing filed,
commented or triggered). Wrong configuration is :class:`InvalidConfiguration` (exit 2); a desk
that fails is any other :class:`DeskError` (exit 1).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fakes.freshdesk import FakeFreshdesk
from fakes.github import FakeGithub
from fakes.jsm import FakeJsm
from fakes.pagerduty import FakePagerDuty
from fakes.server import FakeServer
from fakes.zendesk import AGENT, FakeZendesk

from supportdrill.definitions.model import DeskConfig, DeskKind
from supportdrill.desks.check import check_desk
from supportdrill.desks.simulated import SimulatedDeskServer
from supportdrill.errors import DeskError, InvalidConfiguration

SECRET = "s3cret-check-token-7788"
ENV = {"DESK_SECRET": SECRET, "PD_ROUTING": "R0UT1NGKEY0000000000000000000000"}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def config(kind: DeskKind, url: str, **settings: str) -> DeskConfig:
    secret_names = {"token", "api_key", "routing_key"}
    secrets = {k: v for k, v in settings.items() if k in secret_names}
    plain = {k: v for k, v in settings.items() if k not in secret_names}
    return DeskConfig(kind=kind, settings={"url": url, **plain}, secrets=secrets)


def writes(fake: FakeServer) -> list[tuple[str, str]]:
    return [(method, path) for method, path in fake.log if method not in ("GET", "HEAD")]


@pytest.fixture
async def started() -> AsyncIterator[Callable[[FakeServer], Any]]:
    servers: list[FakeServer] = []

    async def start(server: FakeServer) -> FakeServer:
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


async def test_zendesk_requester_view(started: Callable[[FakeServer], Any]) -> None:
    fake = await started(FakeZendesk(token=SECRET))
    cfg = config(
        DeskKind.ZENDESK,
        fake.url,
        email="drill@example.test",
        token="DESK_SECRET",
        mode="requester",
    )
    lines = await check_desk(cfg, secrets_env=ENV)
    text = "\n".join(lines)
    assert "zendesk: authenticated as Drill Customer (role end-user)" in text
    assert "credentials accepted; nothing was filed" in text
    assert "view: requester" in text
    assert "no via.channel" in text  # what the requester view hides
    assert lines[-1] == (
        "zendesk: sees author roles: yes, channels: no, status history: no, "
        "vendor SLA clocks: no, webhooks: no"
    )
    assert writes(fake) == []
    assert SECRET not in text


@pytest.mark.parametrize(
    ("role", "sla_line"),
    [
        ("agent", "SLA policies not readable (admin only)"),
        ("admin", "SLA clocks visible; 1 SLA policies (P0 urgent)"),
    ],
)
async def test_zendesk_agent_view_and_sla_clocks(
    started: Callable[[FakeServer], Any], role: str, sla_line: str
) -> None:
    fake = await started(FakeZendesk(token=SECRET))
    fake.me_user = {**AGENT, "role": role}
    cfg = config(
        DeskKind.ZENDESK, fake.url, email="drill@example.test", token="DESK_SECRET", mode="agent"
    )
    lines = await check_desk(cfg, secrets_env=ENV)
    text = "\n".join(lines)
    assert "view: agent" in text and sla_line in text
    assert "vendor SLA clocks: yes" in lines[-1]
    assert writes(fake) == []


async def test_zendesk_configuration_errors_are_invalid_configuration(
    started: Callable[[FakeServer], Any],
) -> None:
    fake = await started(FakeZendesk(token=SECRET))
    agent_mode = config(
        DeskKind.ZENDESK, fake.url, email="drill@example.test", token="DESK_SECRET", mode="agent"
    )
    with pytest.raises(InvalidConfiguration, match="needs an agent account"):
        await check_desk(agent_mode, secrets_env=ENV)  # the fake's account is an end user
    wrong = {"DESK_SECRET": "not-the-token-0000"}
    with pytest.raises(InvalidConfiguration, match="credentials or permissions refused") as info:
        await check_desk(agent_mode, secrets_env=wrong)
    assert "not-the-token-0000" not in str(info.value)  # the fake echoes the header back
    assert base64.b64encode(b"drill@example.test/token:not-the-token-0000").decode() not in str(
        info.value
    )
    with pytest.raises(InvalidConfiguration, match="DESK_SECRET is not set"):
        await check_desk(agent_mode, secrets_env={})
    assert writes(fake) == []


async def test_jsm_customer_view(started: Callable[[FakeServer], Any]) -> None:
    fake = await started(FakeJsm())
    fake.require_auth = basic("drill@example.test", SECRET)
    cfg = config(
        DeskKind.JSM,
        fake.url,
        email="drill@example.test",
        token="DESK_SECRET",
        service_desk_id="1",
        request_type_id="10",
    )
    lines = await check_desk(cfg, secrets_env=ENV)
    text = "\n".join(lines)
    assert "jsm: service desk Acme Support reachable" in text
    assert "view: requester" in text and "no SLA cycles (agents only)" in text
    assert "author roles: no" in lines[-1] and "vendor SLA clocks: no" in lines[-1]
    assert writes(fake) == []
    with pytest.raises(InvalidConfiguration, match="refused"):
        await check_desk(cfg, secrets_env={"DESK_SECRET": "wrong-token-1234"})


async def test_freshdesk_agent_key(started: Callable[[FakeServer], Any]) -> None:
    fake = await started(FakeFreshdesk())
    fake.require_auth = basic(SECRET, "X")
    cfg = config(
        DeskKind.FRESHDESK, fake.url, api_key="DESK_SECRET", requester_email="drill@example.test"
    )
    lines = await check_desk(cfg, secrets_env=ENV)
    text = "\n".join(lines)
    assert "freshdesk: API key belongs to agent" in text
    assert "view: agent" in text and "vendor SLA clocks: yes" in lines[-1]
    assert writes(fake) == []


async def test_github_issue_view(started: Callable[[FakeServer], Any]) -> None:
    fake = await started(FakeGithub())
    fake.require_auth = f"Bearer {SECRET}"
    cfg = config(DeskKind.GITHUB, fake.url, token="DESK_SECRET", repo=fake.repo)
    lines = await check_desk(cfg, secrets_env=ENV)
    text = "\n".join(lines)
    assert "github: authenticated as drill-bot-user; repository acme/rtc-sdk visible" in text
    assert "view: requester" in text and "vendor SLA clocks: no" in lines[-1]
    assert writes(fake) == []
    missing_repo = config(DeskKind.GITHUB, fake.url, token="DESK_SECRET", repo="acme/nope")
    with pytest.raises(InvalidConfiguration, match="refused a read"):
        await check_desk(missing_repo, secrets_env=ENV)


async def test_pagerduty_owner_view_triggers_nothing(started: Callable[[FakeServer], Any]) -> None:
    fake = await started(FakePagerDuty())
    cfg = config(
        DeskKind.PAGERDUTY,
        fake.url,
        token="DESK_SECRET",
        routing_key="PD_ROUTING",
        events_url=fake.url,
        from_email="oncall@example.test",
    )
    lines = await check_desk(cfg, secrets_env=ENV)
    text = "\n".join(lines)
    assert "pagerduty: REST key accepted" in text
    assert "routing key not verified without triggering" in text
    assert "view: owner" in text and "webhooks: no" in lines[-1]
    assert "pagerduty: webhook receiver: not configured" in text
    assert writes(fake) == [] and fake.creations == 0


async def test_simulated_desk_running_and_embedded() -> None:
    async with SimulatedDeskServer(persona="business-hours-only") as server:
        lines = await check_desk(DeskConfig(kind=DeskKind.SIMULATED, settings={"url": server.url}))
        assert server.state.tickets() == []
    assert any("persona business-hours-only" in line for line in lines)
    assert "simulated: view: requester" in "\n".join(lines)
    embedded = await check_desk(DeskConfig(kind=DeskKind.SIMULATED, settings={"persona": "slow"}))
    assert embedded[0].startswith("simulated: embedded desk")
    assert any("persona slow" in line for line in embedded)


async def test_a_failing_desk_is_a_desk_error_not_configuration(
    started: Callable[[FakeServer], Any],
) -> None:
    fake = await started(FakeGithub())
    cfg = config(DeskKind.GITHUB, fake.url, token="DESK_SECRET", repo=fake.repo)
    fake.fail_next("503")
    with pytest.raises(DeskError) as info:
        await check_desk(cfg, secrets_env=ENV)
    assert not isinstance(info.value, InvalidConfiguration)
    await fake.stop()
    with pytest.raises(DeskError):
        await check_desk(cfg, secrets_env=ENV)  # nothing listening any more
