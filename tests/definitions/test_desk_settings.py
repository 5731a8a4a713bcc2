"""Typed desk settings: every kind parses its own keys, refuses the rest with a did-you-mean, and
``validate`` reports ``file:line: vendor.desk.key: message`` before anything starts."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from supportdrill.definitions.desk_settings import (
    PERSONA_STEPS,
    EmailSettings,
    FreshdeskSettings,
    GithubSettings,
    JsmSettings,
    PagerDutySettings,
    SecretRef,
    SettingsError,
    SimulatedSettings,
    StatuspageSettings,
    WebhookSettings,
    ZendeskSettings,
    parse_desk_settings,
    parse_listen,
    settings_class,
)
from supportdrill.definitions.loader import build_drill
from supportdrill.definitions.model import DeskConfig, DeskKind
from supportdrill.errors import InvalidDrill


def parse(kind: DeskKind, secrets: dict[str, str] | None = None, **settings: str) -> object:
    return parse_desk_settings(DeskConfig(kind=kind, settings=settings, secrets=secrets or {}))


def test_every_kind_has_settings_naming_an_adapter() -> None:
    for kind in DeskKind:
        cls = settings_class(kind)
        assert cls.kind == kind.value
        assert ":" in cls.adapter


def test_a_settings_module_without_settings_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import supportdrill.definitions.desk_settings.github as module

    monkeypatch.delattr(module, "SETTINGS")
    with pytest.raises(TypeError, match="no SETTINGS class"):
        settings_class(DeskKind.GITHUB)


def test_each_kind_parses_its_settings() -> None:
    assert parse(
        DeskKind.ZENDESK, {"token": "ZT"}, subdomain="acme", email="noc@x.test"
    ) == ZendeskSettings(
        url="https://acme.zendesk.com", mode="requester", email="noc@x.test", token=SecretRef("ZT")
    )
    oauth = parse(DeskKind.ZENDESK, {"oauth_token": "OT"}, url="http://127.0.0.1:9/", mode="agent")
    assert isinstance(oauth, ZendeskSettings) and oauth.agent_mode
    assert oauth.url == "http://127.0.0.1:9" and oauth.oauth_token == SecretRef("OT")
    jsm = parse(
        DeskKind.JSM,
        {"token": "JT", "email": "JE", "webhook_secret": "file:/s"},
        url="https://a.atlassian.net",
        service_desk_id="2",
        request_type_id="17",
        webhook_listen="127.0.0.1:0",
    )
    assert isinstance(jsm, JsmSettings) and not jsm.agent_mode
    assert jsm.email == SecretRef("JE")
    assert jsm.webhook == WebhookSettings("127.0.0.1:0", SecretRef("file:/s"))
    assert parse(
        DeskKind.FRESHDESK, {"api_key": "K"}, domain="acme", requester_email="n@x.test"
    ) == FreshdeskSettings("https://acme.freshdesk.com", SecretRef("K"), "n@x.test")
    assert parse(DeskKind.GITHUB, {"token": "G"}, repo="o/r") == GithubSettings(
        "o/r", SecretRef("G")
    )
    pd = parse(DeskKind.PAGERDUTY, {"token": "T", "routing_key": "R"}, from_email="oncall@x.test")
    assert isinstance(pd, PagerDutySettings) and pd.webhook is None
    mail = parse(
        DeskKind.EMAIL,
        {"password": "P", "smtp_password": "S"},
        address="noc@x.test",
        support_address="help@v.test",
        smtp_host="smtp",
        imap_host="imap",
        smtp_port="2525",
        imap_ssl="yes",
    )
    assert isinstance(mail, EmailSettings)
    assert (mail.imap_user, mail.smtp_port, mail.imap_port) == ("noc@x.test", 2525, 993)
    assert mail.imap_ssl and not mail.smtp_starttls and mail.smtp_password == SecretRef("S")
    sim = parse(
        DeskKind.SIMULATED,
        {"token": "ST"},
        url="http://127.0.0.1:8080",
        persona="asks-for-logs",
        timezone="Africa/Lagos",
        hours="Mon-Fri 08:00-17:00",
        simulated_start="2026-11-24T02:00:00+01:00",
        rate="600",
        delay_ask="20m",
    )
    assert isinstance(sim, SimulatedSettings)
    assert sim.rate == 600.0 and sim.delays == {"ask": 1200.0}
    assert sim.simulated_start is not None and sim.simulated_start.utcoffset() == timedelta(hours=1)
    plain = parse(DeskKind.SIMULATED, delay_solve="1h")
    assert isinstance(plain, SimulatedSettings)
    assert plain.persona is None and plain.url is None and plain.rate is None
    assert plain.delays == {"solve": 3600.0}
    assert (
        StatuspageSettings.from_url("https://status.x.test/api/v2").url == "https://status.x.test"
    )


@pytest.mark.parametrize(
    ("kind", "settings", "secrets", "key", "message"),
    [
        (DeskKind.FRESHDESK, {"subdomian": "x"}, {}, "subdomian", "did you mean 'domain'?"),
        (DeskKind.SIMULATED, {"persnoa": "slow"}, {}, "persnoa", "did you mean 'persona'?"),
        (DeskKind.GITHUB, {"zzz": "1"}, {}, "zzz", "known: repo, token, url"),
        (DeskKind.SIMULATED, {"persona": "slwo"}, {}, "persona", "did you mean 'slow'?"),
        (DeskKind.ZENDESK, {"url": "x", "mode": "boss"}, {}, "url", "http(s) URL"),
        (DeskKind.ZENDESK, {"subdomain": "a", "mode": "boss"}, {}, "mode", "one of requester"),
        (DeskKind.ZENDESK, {"mode": "agent"}, {}, "subdomain", "is required (or url"),
        (DeskKind.ZENDESK, {"subdomain": "a"}, {}, "email", "is required"),
        (DeskKind.ZENDESK, {"subdomain": "a", "email": "e"}, {}, "token", "is required: write"),
        (
            DeskKind.ZENDESK,
            {"subdomain": "a", "email": "e", "token": "t"},
            {},
            "token",
            "must be a secret",
        ),
        (DeskKind.ZENDESK, {}, {"subdomain": "S"}, "subdomain", "is not a secret"),
        (DeskKind.FRESHDESK, {"requester_email": "x"}, {}, "domain", "is required (or url"),
        (
            DeskKind.FRESHDESK,
            {"domain": "a", "requester_email": "x"},
            {},
            "requester_email",
            "email",
        ),
        (DeskKind.GITHUB, {"repo": "nope"}, {}, "repo", "owner/name"),
        (
            DeskKind.JSM,
            {"url": "https://j", "service_desk_id": "two"},
            {},
            "service_desk_id",
            "numeric",
        ),
        (DeskKind.PAGERDUTY, {}, {"token": "T", "routing_key": "R"}, "from_email", "From header"),
        (DeskKind.PAGERDUTY, {"from_email": "oncall"}, {}, "from_email", "email address"),
        (
            DeskKind.PAGERDUTY,
            {"from_email": "a@b.test", "webhook_listen": "127.0.0.1"},
            {"token": "T", "routing_key": "R"},
            "webhook_listen",
            "not host:port",
        ),
        (
            DeskKind.PAGERDUTY,
            {"from_email": "a@b.test"},
            {"token": "T", "routing_key": "R", "webhook_secret": "H"},
            "webhook_secret",
            "needs webhook_listen",
        ),
        (DeskKind.EMAIL, {"address": "noc"}, {}, "address", "email address"),
        (
            DeskKind.EMAIL,
            {"address": "a@b", "support_address": "s@v", "smtp_host": "h", "smtp_port": "0"},
            {},
            "smtp_port",
            "port number",
        ),
        (
            DeskKind.EMAIL,
            {
                "address": "a@b",
                "support_address": "s@v",
                "smtp_host": "h",
                "imap_host": "i",
                "smtp_starttls": "maybe",
            },
            {"password": "P"},
            "smtp_starttls",
            "true or false",
        ),
        (DeskKind.SIMULATED, {"timezone": "Mars/Base"}, {}, "timezone", "IANA"),
        (DeskKind.SIMULATED, {"hours": "whenever"}, {}, "hours", ""),
        (DeskKind.SIMULATED, {"simulated_start": "tuesday"}, {}, "simulated_start", "ISO time"),
        (
            DeskKind.SIMULATED,
            {"simulated_start": "2026-11-24T02:00:00"},
            {},
            "simulated_start",
            "UTC offset",
        ),
        (DeskKind.SIMULATED, {"rate": "fast"}, {}, "rate", "positive number"),
        (DeskKind.SIMULATED, {"rate": "-3"}, {}, "rate", "positive number"),
        (
            DeskKind.SIMULATED,
            {"delay_frist_human": "1m"},
            {},
            "delay_frist_human",
            "'delay_first_human'",
        ),
        (
            DeskKind.SIMULATED,
            {"persona": "silent", "delay_ack": "1m"},
            {},
            "delay_ack",
            "its delays: none",
        ),
        (DeskKind.SIMULATED, {"delay_ack": "soon"}, {}, "delay_ack", "duration"),
    ],
)
def test_wrong_settings_name_the_key(
    kind: DeskKind, settings: dict[str, str], secrets: dict[str, str], key: str, message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        parse(kind, secrets, **settings)
    assert caught.value.key == key
    assert message in caught.value.message


def test_listen_addresses() -> None:
    assert parse_listen("[::1]:8600") == ("::1", 8600)
    with pytest.raises(ValueError, match="brackets"):
        parse_listen("::1:8600")
    with pytest.raises(ValueError, match="0 to 65535"):
        parse_listen("127.0.0.1:99999")


def test_the_persona_table_matches_the_scripted_personas() -> None:
    from supportdrill.desks.simulated.personas import builtin_persona

    for name, steps in PERSONA_STEPS.items():
        assert tuple(step.name for step in builtin_persona(name).steps) == steps


DRILL = textwrap.dedent(
    """\
    name: typo
    vendor:
      name: acme
      desk:
        kind: {kind}
        {line}
      timezone: Asia/Jakarta
      coverage: 24x7
      sla: common-vendor
      consent: "agreed"
    ticket: {{severity: P0}}
    resolution: {{when: ticket_solved, timeout: 1h}}
    """
)


@pytest.mark.parametrize(
    ("kind", "line", "expected"),
    [
        (
            "freshdesk",
            "subdomian: acme",
            "typo.yaml:6: vendor.desk.subdomian: unknown setting; did you mean 'domain'?",
        ),
        (
            "simulated",
            "persnoa: slow",
            "typo.yaml:6: vendor.desk.persnoa: unknown setting; did you mean 'persona'?",
        ),
        ("simulated", "rate: zero", "typo.yaml:6: vendor.desk.rate: must be a positive number"),
        ("github", "token_file: /run/t", "typo.yaml:5: vendor.desk.repo: is required"),
        ("zendesk", "token: plain-value", "typo.yaml:6: vendor.desk.token: put the secret"),
        (
            "zendesk",
            "subdomain_file: /run/s",
            "typo.yaml:6: vendor.desk.subdomain_file: is not a secret",
        ),
    ],
)
def test_validate_reports_desk_settings_with_file_and_line(
    kind: str, line: str, expected: str
) -> None:
    with pytest.raises(InvalidDrill) as caught:
        build_drill(DRILL.format(kind=kind, line=line), "typo.yaml")
    assert str(caught.value).startswith(expected)


def test_validate_checks_the_status_page_url() -> None:
    text = DRILL.format(kind="simulated", line="persona: slow").replace(
        '  consent: "agreed"\n', '  consent: "agreed"\n  statuspage: status.acme.test\n'
    )
    with pytest.raises(InvalidDrill) as caught:
        build_drill(text, "typo.yaml")
    assert str(caught.value).startswith("typo.yaml:11: vendor.statuspage: must be an http(s) URL")
    good = text.replace("status.acme.test", "https://status.acme.test/")
    assert build_drill(good, "typo.yaml").vendor.statuspage == "https://status.acme.test"
