"""The shared desk plumbing: registry, secrets and redaction, HTTP error mapping, retries."""

from __future__ import annotations

import io
import json
import logging
import pickle
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.zendesk import AGENT, FakeZendesk

from supportdrill.clock import VirtualClock
from supportdrill.definitions.model import DeskConfig, DeskKind
from supportdrill.definitions.packaged import examples_dir
from supportdrill.desks.base import open_desk
from supportdrill.desks.check import describe_desk
from supportdrill.desks.http import DeskHttp, parse_retry_after, parse_timestamp
from supportdrill.desks.retry import with_retries
from supportdrill.desks.zendesk import ZendeskDesk
from supportdrill.errors import (
    DeskAuthFailed,
    DeskError,
    DeskProtocolError,
    DeskRateLimited,
    DeskRejected,
    DeskTimeout,
    DeskUnavailable,
    InvalidConfiguration,
)
from supportdrill.secrets import RedactingFilter, Redactor, SecretValue, resolve_secrets
from supportdrill.timeline import DeskGap, event_to_record
from supportdrill.vocabulary import DeskReply, TicketDraft

TOKEN = "zd-secret-token-123"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZendesk]:
    server = FakeZendesk(token=TOKEN)
    await server.start()
    yield server
    await server.stop()


def zendesk_config(url: str) -> DeskConfig:
    return DeskConfig(
        kind=DeskKind.ZENDESK,
        settings={"url": url, "email": "drill@example.test"},
        secrets={"token": "ACME_ZD_TOKEN"},
    )


def test_missing_env_var_is_named_not_valued() -> None:
    config = DeskConfig(kind=DeskKind.GITHUB, settings={"repo": "a/b"}, secrets={"token": "GH_T"})
    with pytest.raises(InvalidConfiguration, match="environment variable GH_T is not set"):
        open_desk(config, secrets_env={})


def test_secret_from_file_and_errors(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("file-secret-value\n")
    found = resolve_secrets({"token": f"file:{tmp_path / 'token'}"}, {})
    assert found["token"].reveal() == "file-secret-value"
    assert "file-secret-value" not in repr(found)
    with pytest.raises(InvalidConfiguration, match="cannot read file"):
        resolve_secrets({"token": f"file:{tmp_path / 'missing'}"}, {})
    with pytest.raises(InvalidConfiguration, match="is empty"):
        resolve_secrets({"token": "EMPTY"}, {"EMPTY": " "})
    with pytest.raises(TypeError):
        pickle.dumps(found["token"])
    with pytest.raises(TypeError):
        pickle.dumps(Redactor(["abcdefgh"]))


def test_unknown_setting_and_bad_values() -> None:
    with pytest.raises(
        InvalidConfiguration,
        match=re.escape("desk.subdomian: unknown setting; did you mean 'subdomain'"),
    ):
        open_desk(DeskConfig(kind=DeskKind.ZENDESK, settings={"subdomian": "x"}), secrets_env={})
    with pytest.raises(InvalidConfiguration, match="owner/name"):
        open_desk(
            DeskConfig(kind=DeskKind.GITHUB, settings={"repo": "nope"}, secrets={"token": "T"}),
            secrets_env={"T": "ghp_abcdef"},
        )
    with pytest.raises(
        InvalidConfiguration, match=re.escape("desk.token: is required: write token: ${VARIABLE}")
    ):
        open_desk(
            DeskConfig(kind=DeskKind.ZENDESK, settings={"url": "http://x", "email": "e"}),
            secrets_env={},
        )
    with pytest.raises(
        InvalidConfiguration,
        match=re.escape("desk.mode: must be one of requester, agent, got 'boss'"),
    ):
        open_desk(
            DeskConfig(
                kind=DeskKind.ZENDESK,
                settings={"url": "http://x", "email": "e", "mode": "boss"},
                secrets={"token": "T"},
            ),
            secrets_env={"T": "abcdefgh"},
        )


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7
    assert parse_retry_after("Sun, 22 Nov 2026 03:00:30 GMT", now) == 30
    assert parse_retry_after("soon", now) is None
    assert parse_timestamp("2015-10-09T10:22:00+0700", "x") == datetime(
        2015, 10, 9, 3, 22, tzinfo=UTC
    )
    with pytest.raises(DeskProtocolError):
        parse_timestamp("2015-10-09T10:22:00", "x")


async def test_http_error_mapping(fake: FakeZendesk) -> None:
    fake.hang_s = 1.0
    http = DeskHttp(fake.url, desk="zendesk", auth=("drill@example.test/token", TOKEN), timeout=0.3)
    expected: list[tuple[str, type[DeskError]]] = [
        ("429", DeskRateLimited),
        ("500", DeskUnavailable),
        ("timeout", DeskTimeout),
        ("garbage", DeskProtocolError),
    ]
    try:
        for kind, error in expected:
            fake.fail_next(kind)
            with pytest.raises(error) as info:
                await http.get("/api/v2/users/me.json")
            assert info.value.__cause__ is not None or kind in ("429", "500")
            if kind == "429":
                assert isinstance(info.value, DeskRateLimited) and info.value.retry_after == 7
        with pytest.raises(DeskRejected) as rejected:
            await http.get("/api/v2/nothing-here.json")
        assert rejected.value.status == 404 and not isinstance(rejected.value, DeskAuthFailed)
    finally:
        await http.aclose()
    refused = DeskHttp("http://127.0.0.1:1", desk="zendesk", timeout=1)
    try:
        with pytest.raises(DeskUnavailable):
            await refused.get("/")
    finally:
        await refused.aclose()


async def test_retries_give_up_at_the_deadline_and_report_the_gap() -> None:
    clock = VirtualClock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    gaps: list[DeskGap] = []
    calls = 0

    async def always_down() -> None:
        nonlocal calls
        calls += 1
        raise DeskUnavailable("down", status=503)

    with pytest.raises(DeskUnavailable):
        await with_retries(
            always_down,
            deadline=clock.now() + timedelta(seconds=20),
            clock=clock,
            on_gap=gaps.append,
        )
    # Waits 1 + 2 + 4 + 8 = 15 s between five calls; the next wait (16 s) would cross 20 s.
    assert calls == 5
    assert len(gaps) == 1 and gaps[0].attempts == 5
    assert clock.now() - datetime(2026, 11, 22, 3, 0, tzinfo=UTC) == timedelta(seconds=15)

    async def forbidden() -> None:
        raise DeskAuthFailed("no", status=403)

    with pytest.raises(DeskAuthFailed):
        await with_retries(forbidden, deadline=clock.now() + timedelta(hours=1), clock=clock)


async def test_no_secret_in_logs_errors_events_or_tickets(fake: FakeZendesk) -> None:
    """Invariant 4: the token's value appears nowhere we write."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    redactor = Redactor()
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # httpx/httpcore log request lines and headers at DEBUG
    env = {"ACME_ZD_TOKEN": TOKEN}
    desk = open_desk(zendesk_config(fake.url), secrets_env=env, redactor=redactor)
    bad = open_desk(
        zendesk_config(fake.url),
        secrets_env={"ACME_ZD_TOKEN": "zd-wrong-token-999"},
        redactor=redactor,
    )
    written: list[str] = []
    try:
        assert isinstance(desk, ZendeskDesk)
        ref = await desk.file(
            TicketDraft(subject="[P0][DRILL] degraded", body="frozen", severity="P0"),
            idempotency_key="leak-run",
        )
        fake.comment(int(ref.ticket_id), AGENT, "Looking")
        clock = VirtualClock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
        gaps: list[DeskGap] = []
        fake.fail_next("500", "garbage")
        poll = await with_retries(
            lambda: desk.poll(ref),
            deadline=clock.now() + timedelta(hours=1),
            clock=clock,
            on_gap=gaps.append,
        )
        written += [repr(ref), repr(poll), repr(desk.http.redactor)]
        written += [json.dumps(event_to_record(g)) for g in gaps]
        written += [r.body for r in poll.events if isinstance(r, DeskReply)]
        written += [str(t.subject) + str(t.audits) for t in fake.tickets.values()]
        written += await describe_desk(desk)
        with pytest.raises(DeskAuthFailed) as info:
            await bad.check()
        logging.getLogger("supportdrill.test").error("desk failed: %s", info.value, exc_info=True)
        written += [str(info.value), info.value.body]
    finally:
        await desk.close()
        await bad.close()
        root.removeHandler(handler)
        root.setLevel(old_level)
    written.append(stream.getvalue())
    text = "\n".join(written)
    assert "desk failed" in text and "HTTP Request" in text  # the logs really were captured
    for secret in (TOKEN, "zd-wrong-token-999"):
        assert secret not in text
    assert repr(SecretValue("X", TOKEN)) == "SecretValue('X', ***)"


DRILLS = examples_dir()


@pytest.mark.parametrize(
    ("drill", "expected"),
    [
        ("zendesk-p0-offhours.yaml", "ZendeskDesk"),
        ("jsm-p0-customer-portal.yaml", "JsmDesk"),
        ("freshdesk-p0.yaml", "FreshdeskDesk"),
        ("email-p0-support-address.yaml", "EmailDesk"),
        ("github-p0-issue.yaml", "GithubDesk"),
        ("pagerduty-runbook-ci.yaml", "PagerDutyDesk"),
    ],
)
async def test_example_drills_build_their_desk(drill: str, expected: str) -> None:
    from supportdrill.definitions.loader import load_drill

    config = load_drill(DRILLS / drill).vendor.desk
    names = sorted(set(config.secrets.values()))
    with pytest.raises(InvalidConfiguration) as missing:
        open_desk(config, secrets_env={})
    assert all(name in str(missing.value) for name in names)  # every variable named
    desk = open_desk(config, secrets_env={name: f"value-of-{name}" for name in names})
    try:
        assert type(desk).__name__ == expected
        assert desk.capabilities.notes  # each desk says what it cannot see
    finally:
        await desk.close()


def test_the_simulated_client_uses_the_shared_boundary_code() -> None:
    # One Date/Retry-After parser, one error mapping, one cursor, one severity map.
    import supportdrill.desks.simulated.client as client

    source = Path(client.__file__).read_text()
    for own_copy in ("import httpx", "parsedate_to_datetime", "PRIORITY_OF_SEVERITY", ".cursor"):
        assert own_copy not in source
    desk = client.SimulatedDesk("http://127.0.0.1:9")
    assert isinstance(desk.http, DeskHttp)
