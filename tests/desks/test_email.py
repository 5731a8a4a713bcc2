"""Email adapter against a real Debian mail server on loopback (Dovecot IMAP + OpenSMTPD).

Start it with ``scripts/start-mailserver.sh`` (root; .ci/run does). The tests skip, saying so,
when nothing answers on SUPPORTDRILL_SMTP / SUPPORTDRILL_IMAP (default 127.0.0.1:2525 / :1143).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import aioimaplib
import aiosmtplib
import pytest

from supportdrill.desks.email import EmailDesk, MailSettings
from supportdrill.errors import DeskAuthFailed
from supportdrill.measure.classify import classify_reply
from supportdrill.secrets import SecretValue
from supportdrill.timeline import ReplyClass
from supportdrill.vocabulary import DeskReply, TicketDraft, TicketRef

pytestmark = pytest.mark.mailserver

PASSWORD = "drillpass"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "start-mailserver.sh"


def _endpoint(var: str, default: int) -> tuple[str, int]:
    host, _, port = os.environ.get(var, f"127.0.0.1:{default}").rpartition(":")
    return host, int(port)


SMTP = _endpoint("SUPPORTDRILL_SMTP", 2525)
IMAP = _endpoint("SUPPORTDRILL_IMAP", 1143)


def _answers(endpoint: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(endpoint, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def mailserver() -> tuple[tuple[str, int], tuple[str, int]]:
    can_start = os.geteuid() == 0 and shutil.which("dovecot") and shutil.which("smtpd")
    if not (_answers(SMTP) and _answers(IMAP)) and can_start:
        # The daemons outlive the script: no captured pipes, or run() waits for them.
        subprocess.run(
            [str(SCRIPT)],
            check=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
    if not (_answers(SMTP) and _answers(IMAP)):
        pytest.skip(
            f"no mail server on SMTP {SMTP} / IMAP {IMAP}: run scripts/start-mailserver.sh "
            "as root (apt-get install -y dovecot-imapd dovecot-lmtpd opensmtpd)"
        )
    return SMTP, IMAP


def settings(password: str = PASSWORD) -> MailSettings:
    return MailSettings(
        address="drill@drill.test",
        support_address="vendor@drill.test",
        smtp_host=SMTP[0],
        smtp_port=SMTP[1],
        imap_host=IMAP[0],
        imap_port=IMAP[1],
        imap_user="drill@drill.test",
        imap_password=SecretValue("TEST_IMAP_PASSWORD", password),
        timeout_s=10,
    )


@pytest.fixture
async def desks(mailserver: object) -> AsyncIterator[list[EmailDesk]]:
    made: list[EmailDesk] = []
    yield made
    for desk in made:
        await desk.close()


def draft() -> TicketDraft:
    return TicketDraft(subject="[P0][DRILL] Stream degraded", body="Frames frozen.", severity="P0")


async def vendor_sends(ref: TicketRef, body: str, **headers: str) -> None:
    message = EmailMessage()
    message["From"] = "Acme Support <vendor@drill.test>"
    message["To"] = "drill@drill.test"
    message["Subject"] = f"Re: {ref.extra['subject']}"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@drill.test>"
    message["In-Reply-To"] = ref.extra["message_id"]
    message["References"] = ref.extra["message_id"]
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    await aiosmtplib.send(message, hostname=SMTP[0], port=SMTP[1], timeout=10)


async def vendor_copies(message_id: str) -> int:
    imap = aioimaplib.IMAP4(host=IMAP[0], port=IMAP[1], timeout=10)
    await imap.wait_hello_from_server()
    await imap.login("vendor@drill.test", PASSWORD)
    await imap.select("INBOX")
    found = await imap.uid_search(f'HEADER Message-ID "{message_id}"')
    await imap.logout()
    # LOGOUT leaves the socket to the server's close; closing it here keeps a ResourceWarning
    # from surfacing in whichever test runs when it is garbage-collected.
    transport = imap.protocol.transport
    if transport is not None and not transport.is_closing():
        transport.close()
    return len(bytes(found.lines[0]).split())


async def poll_until(desk: EmailDesk, ref: TicketRef, count: int) -> list[DeskReply]:
    replies: list[DeskReply] = []
    cursor = None
    for _ in range(100):
        poll = await desk.poll(ref, since=cursor)
        cursor = poll.cursor
        replies.extend(e for e in poll.events if isinstance(e, DeskReply))
        if len(replies) >= count:
            return replies
        await asyncio.sleep(0.1)
    raise AssertionError(f"only {len(replies)} of {count} replies arrived")


async def test_file_is_exactly_once_across_a_crash(desks: list[EmailDesk]) -> None:
    key = f"run-{uuid.uuid4().hex}"
    first = EmailDesk(settings())
    desks.append(first)
    ref = await first.file(draft(), idempotency_key=key)
    assert ref.extra["t0_source"] == "internaldate"
    await first.close()  # "crash" before the store heard of the ticket
    second = EmailDesk(settings())
    desks.append(second)
    again = await second.file(draft(), idempotency_key=key)
    assert again.ticket_id == ref.ticket_id
    assert again.created_at == ref.created_at
    assert await vendor_copies(ref.extra["message_id"]) == 1


async def test_replies_are_threaded_timed_and_classified(desks: list[EmailDesk]) -> None:
    desk = EmailDesk(settings())
    desks.append(desk)
    ref = await desk.file(draft(), idempotency_key=f"run-{uuid.uuid4().hex}")
    await vendor_sends(
        ref,
        "Thank you for contacting Acme. We have received your request.",
        Auto_Submitted="auto-replied",
    )
    await vendor_sends(ref, "Hi, Bob here. I see loss on our Jakarta edge, rerouting now.")
    posted = await desk.comment(ref, "Still frozen on our side.")
    replies = await poll_until(desk, ref, 3)
    vendor = [r for r in replies if not r.from_us]
    ours = [r for r in replies if r.from_us]
    assert len(vendor) == 2 and len(ours) == 1
    assert ours[0].created_at == posted
    # Two mails sent a moment apart may be delivered (and INTERNALDATE-stamped) in either order.
    auto, person = sorted(vendor, key=lambda r: "Thank you" not in r.body)
    assert auto.headers["auto-submitted"] == "auto-replied"
    assert auto.automated_hint is True and person.automated_hint is None
    assert all(r.created_at >= ref.created_at for r in vendor)
    assert all(r.channel == "email" and r.author_id == "vendor@drill.test" for r in vendor)
    verdicts = [
        classify_reply(
            r, ticket_created_at=ref.created_at, agents=("vendor@drill.test",), system_window_s=0
        ).cls
        for r in (auto, person)
    ]
    assert verdicts[0] is ReplyClass.AUTO
    # Email shows no author role: only the vendor's agent list makes the second human.
    assert verdicts[1] is ReplyClass.HUMAN
    unknown = classify_reply(person, ticket_created_at=ref.created_at, system_window_s=0)
    assert unknown.cls is ReplyClass.UNCLASSIFIED


async def test_idle_wakes_on_new_mail(desks: list[EmailDesk]) -> None:
    desk = EmailDesk(settings())
    desks.append(desk)
    ref = await desk.file(draft(), idempotency_key=f"run-{uuid.uuid4().hex}")
    waiter = asyncio.create_task(desk.wait_for_mail(20))
    await asyncio.sleep(0.5)
    await vendor_sends(ref, "Looking into it.")
    assert await waiter is True
    assert any(not r.from_us for r in await poll_until(desk, ref, 1))


async def test_wrong_password_is_auth_failed_and_redacted(desks: list[EmailDesk]) -> None:
    desk = EmailDesk(settings(password="not-the-password"))
    desks.append(desk)
    with pytest.raises(DeskAuthFailed) as info:
        await desk.check()
    assert "not-the-password" not in str(info.value)


async def test_check_reports_idle(desks: list[EmailDesk]) -> None:
    desk = EmailDesk(settings())
    desks.append(desk)
    lines = await desk.check()
    assert any("IDLE supported" in line for line in lines)


async def test_check_desk_for_email(mailserver: object) -> None:
    from supportdrill.definitions.model import DeskConfig, DeskKind
    from supportdrill.desks.check import check_desk
    from supportdrill.errors import InvalidConfiguration

    cfg = DeskConfig(
        kind=DeskKind.EMAIL,
        settings={
            "address": "drill@drill.test",
            "support_address": "vendor@drill.test",
            "smtp_host": SMTP[0],
            "smtp_port": str(SMTP[1]),
            "imap_host": IMAP[0],
            "imap_port": str(IMAP[1]),
        },
        secrets={"password": "MAIL_PASSWORD"},
    )
    lines = await check_desk(cfg, secrets_env={"MAIL_PASSWORD": PASSWORD})
    text = "\n".join(lines)
    assert "email: IMAP login as drill@drill.test ok" in text
    assert "view: requester" in text and "no author role" in text
    assert "author roles: no" in lines[-1]
    with pytest.raises(InvalidConfiguration, match="refused") as info:
        await check_desk(cfg, secrets_env={"MAIL_PASSWORD": "not-the-password"})
    assert "not-the-password" not in str(info.value)
