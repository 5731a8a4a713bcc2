"""Alerts over real loopback receivers: signed webhooks in three forms, signed mail over SMTP,
retries with backoff on the clock, secrets redacted, every delivery in the run's timeline."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from supportdrill.clock import VirtualClock
from supportdrill.definitions.model import AlertFormat, AlertSpec, EmailAlert, WebhookAlert
from supportdrill.schedule.alerts import (
    AlertKind,
    AlertNotice,
    alert_body,
    send_alerts,
    signature,
    verify_signature,
)
from supportdrill.schedule.scheduler import Entry, Scheduler
from supportdrill.secrets import Redactor
from supportdrill.store import RunStore
from supportdrill.timeline import AlertDelivery

from .drills import scheduled
from .receivers import SmtpSink, WebhookReceiver
from .standins import StandInLauncher

KEY = "alert-signing-key-123"
START = datetime(2027, 1, 2, 20, 0, tzinfo=UTC)


def notice(run_id: str, detail: str = "first human response 47m, target 15m") -> AlertNotice:
    return AlertNotice(
        kind=AlertKind.BREACH,
        schedule="nightly",
        drill="jakarta-p0",
        vendor="acme-rtc",
        run_id=run_id,
        due_at=START,
        vendor_local=START.astimezone(ZoneInfo("Asia/Jakarta")),
        detail=detail,
    )


def new_run(store: RunStore) -> str:
    return store.create_run(drill="jakarta-p0", vendor="acme-rtc", started_at=START)


def test_bodies_in_three_forms_and_the_signature_scheme() -> None:
    redactor = Redactor(["hunter2-secret"])
    sample = notice("r1", detail="token hunter2-secret leaked")
    slack = alert_body(sample, AlertFormat.SLACK, redactor)
    assert slack["text"].startswith("[supportdrill] SLA breached: jakarta-p0")
    assert slack["blocks"][1]["text"]["type"] == "mrkdwn"
    assert "***" in slack["blocks"][1]["text"]["text"]
    teams = alert_body(sample, AlertFormat.TEAMS, redactor)
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    plain = alert_body(sample, AlertFormat.JSON, redactor)
    assert plain["alert"] == "breach" and plain["detail"] == "token *** leaked"
    assert plain["vendor_local"] == "2027-01-03T03:00:00+07:00"
    assert "hunter2" not in json.dumps([slack, teams, plain])
    body = b'{"a": 1}'
    signed = signature(KEY.encode(), 1_700_000_000, body)
    expected = hmac.new(KEY.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signed == f"v1={expected}"
    assert verify_signature(KEY.encode(), "1700000000", body, signed, now=1_700_000_100)
    assert not verify_signature(KEY.encode(), "1700000000", body + b" ", signed, now=1_700_000_100)
    assert not verify_signature(KEY.encode(), "1700000000", body, signed, now=1_700_001_000)
    assert not verify_signature(KEY.encode(), "soon", body, signed, now=1_700_000_000)


async def test_a_webhook_is_retried_with_backoff_and_recorded(tmp_path: Path) -> None:
    clock = VirtualClock(datetime.now(UTC))  # the receiver checks the timestamp's freshness
    async with WebhookReceiver(KEY.encode(), fail_first=2) as receiver:
        spec = AlertSpec(
            webhooks=(
                WebhookAlert(url="", url_secret="HOOK_URL", format=AlertFormat.SLACK, secret="KEY"),
            ),
            retries=3,
            backoff=timedelta(seconds=5),
        )
        with RunStore(tmp_path / "runs.db") as store:
            run_id = new_run(store)
            started = clock.now()
            (delivery,) = await send_alerts(
                spec,
                notice(run_id, detail=f"the url was {receiver.url}"),
                store=store,
                clock=clock,
                env={"HOOK_URL": receiver.url, "KEY": KEY},
            )
            # Two refusals, waiting 5 s then 10 s on the clock, then delivered.
            assert clock.now() - started == timedelta(seconds=15)
            assert delivery.delivered and delivery.attempts == 3 and delivery.status == "200"
            assert delivery.target == "${HOOK_URL}"
            (received,) = receiver.received
            assert received.signed_ok
            text = received.body.decode()
            assert receiver.url not in text and "***" in text  # the URL is a credential
            recorded = store.events(run_id).last(AlertDelivery)
            assert recorded == delivery


async def test_a_permanent_refusal_is_not_retried_and_a_missing_secret_is_reported(
    tmp_path: Path,
) -> None:
    clock = VirtualClock(datetime.now(UTC))
    async with WebhookReceiver(KEY.encode(), fail_first=10, status_when_failing=404) as receiver:
        spec = AlertSpec(
            webhooks=(
                WebhookAlert(url=receiver.url + "?token=abc", secret="KEY"),
                WebhookAlert(url=receiver.url, secret="MISSING_KEY"),
                WebhookAlert(url="http://127.0.0.1:9/hook"),  # nothing listens on port 9
            ),
            retries=2,
            backoff=timedelta(seconds=1),
        )
        with RunStore(tmp_path / "runs.db") as store:
            run_id = new_run(store)
            refused, unsigned, unreachable = await send_alerts(
                spec, notice(run_id), store=store, clock=clock, env={"KEY": KEY}
            )
    assert not refused.delivered and refused.attempts == 1 and refused.status == "404"
    assert refused.target == f"{receiver.url}"  # no query string: it may hold a token
    assert not unsigned.delivered and unsigned.attempts == 0
    assert "MISSING_KEY" in unsigned.error
    assert not unreachable.delivered and unreachable.attempts == 3
    assert "ConnectError" in unreachable.error


async def test_mail_is_signed_retried_and_the_password_never_shows(tmp_path: Path) -> None:
    clock = VirtualClock(datetime.now(UTC))
    async with SmtpSink(busy_first=1) as sink:
        spec = AlertSpec(
            emails=(
                EmailAlert(
                    smtp_host="127.0.0.1",
                    smtp_port=sink.port,
                    starttls=False,
                    sender="drills@example.com",
                    to=("oncall@example.com",),
                    user="drills",
                    password="SMTP_PASSWORD",
                    secret="KEY",
                ),
            ),
            retries=2,
            backoff=timedelta(seconds=3),
        )
        with RunStore(tmp_path / "runs.db") as store:
            run_id = new_run(store)
            (delivery,) = await send_alerts(
                spec,
                notice(run_id, detail="login smtp-pass-9876 refused"),
                store=store,
                clock=clock,
                env={"SMTP_PASSWORD": "smtp-pass-9876", "KEY": KEY},
            )
            assert delivery.delivered and delivery.attempts == 2
            assert delivery.target == f"smtp://127.0.0.1:{sink.port} to oncall@example.com"
            assert store.events(run_id).last(AlertDelivery) == delivery
    (raw,) = sink.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "[supportdrill] SLA breached: jakarta-p0"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert b"smtp-pass-9876" not in raw and b"***" in body
    assert verify_signature(
        KEY.encode(),
        message["X-Supportdrill-Timestamp"],
        body.decode().replace("\r\n", "\n").rstrip("\n").encode(),
        message["X-Supportdrill-Signature"].strip(),
        now=clock.now().timestamp(),
    )
    assert ("drills", "smtp-pass-9876") in sink.logins


async def test_a_scheduled_breach_alerts_and_records_it_in_the_run(tmp_path: Path) -> None:
    clock = VirtualClock(datetime.now(UTC).replace(second=0, microsecond=0))
    async with WebhookReceiver(KEY.encode()) as receiver:
        job = scheduled(
            'cron: "* * * * *"\n'
            "alerts:\n"
            f'  webhooks: [{{url: "{receiver.url}", format: teams, secret: "${{KEY}}"}}]\n'
        )
        with RunStore(tmp_path / "runs.db") as store:
            launcher = StandInLauncher(store, clock, duration=timedelta(seconds=20), code=1)
            scheduler = Scheduler(
                [Entry(job, Path(job.source_path))],
                store=store,
                clock=clock,
                launcher=launcher,
                env={"KEY": KEY},
            )
            await scheduler.run(until=clock.now() + timedelta(seconds=90))
            run_id = launcher.started[0][0]
            delivery = store.events(run_id).last(AlertDelivery)
            assert delivery is not None and delivery.delivered and delivery.alert == "breach"
    (received,) = receiver.received
    assert received.signed_ok
    assert json.loads(received.body)["type"] == "message"
