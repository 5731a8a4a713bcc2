"""Email: file a P0 by SMTP and watch the thread over IMAP (IDLE where the server has it).

Email is the one channel every vendor supports. How the pieces map:

- **Filing** sends the ticket to the vendor's support address with a Message-ID derived from
  the idempotency key and the drill token in the subject, and a copy to our own mailbox. T0 is
  the IMAP INTERNALDATE of that copy: the mail server's delivery time (RFC 3501 §2.3.3), not the
  ``Date:`` we wrote. If the copy never arrives, T0 falls back to our submit time and the ref
  says so (``extra["t0_source"] == "local"``).
- **Exactly once**: before sending, :meth:`EmailDesk.find` searches our mailbox for that
  Message-ID; a ticket sent just before a crash is found there and not sent again.
- **Replies** are messages whose ``In-Reply-To``/``References`` name our Message-ID (RFC 5322
  §3.6.4) or whose subject carries the drill token. Their time is INTERNALDATE; every header is
  passed on lower-cased, so the classifier sees RFC 3834 ``Auto-Submitted``, ``X-Autoreply``,
  ``Precedence``, ``Return-Path: <>`` and the rest.
- **What it cannot see**: the author's role (only the From address), status changes, the desk's
  SLA clocks. A desk's auto-acknowledgement and its agents' replies often leave through the same
  notifier with identical headers, so the vendor's ack template matters here.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import format_datetime, parseaddr, parsedate_to_datetime
from typing import Any

import aioimaplib
import aiosmtplib

from ..clock import Clock, RealClock
from ..definitions.desk_settings import EmailSettings
from ..errors import DeskAuthFailed, DeskError, DeskProtocolError, DeskTimeout, DeskUnavailable
from ..secrets import Redactor, SecretValue
from ..vocabulary import AuthorRole, DeskCapabilities, DeskPoll, DeskReply, TicketDraft, TicketRef
from .base import Desk, OpenContext
from .tracking import Cursor, drill_token, key_digest, with_token

CAPABILITIES = DeskCapabilities(
    author_roles=False,
    channels=True,
    status_history=False,
    vendor_sla_clocks=False,
    notes=(
        "email shows no author role, only the From address",
        "email has no ticket status: resolution comes from the vendor's words",
        "auto-acknowledgements and agent replies may share one notifier and identical headers",
    ),
)
# RFC 3501 §7.4.2 fixes no order for a FETCH response's items: a server may answer
# INTERNALDATE before UID. Each item is found on its own.
_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_DATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')


@dataclass(frozen=True)
class MailSettings:
    """Where the mailboxes are. Passwords are :class:`SecretValue`, never plain strings."""

    address: str
    """Our (the customer's) address: From of the ticket, and the IMAP mailbox we watch."""
    support_address: str
    """The vendor's support address."""
    smtp_host: str
    smtp_port: int
    imap_host: str
    imap_port: int
    imap_user: str
    imap_password: SecretValue
    smtp_user: str = ""
    smtp_password: SecretValue | None = None
    smtp_starttls: bool = False
    imap_ssl: bool = False
    mailbox: str = "INBOX"
    timeout_s: float = 20.0
    copy_wait_s: float = 15.0
    """How long filing waits for our own copy to arrive (its INTERNALDATE is T0)."""


def fetch_items(line: bytes) -> tuple[int, datetime] | None:
    """UID and INTERNALDATE of one FETCH response line, in whatever order the server gave them."""
    uid = _FETCH_UID.search(line)
    date = _FETCH_DATE.search(line)
    if uid is None or date is None:
        return None
    return int(uid.group(1)), parse_internaldate(date.group(1).decode())


def message_id_for(idempotency_key: str, address: str) -> str:
    domain = address.rpartition("@")[2] or "supportdrill.invalid"
    return f"<supportdrill.{key_digest(idempotency_key)}@{domain}>"


def parse_internaldate(text: str) -> datetime:
    """An IMAP INTERNALDATE (``22-Nov-2026 04:01:34 +0000``) as aware UTC."""
    try:
        moment = datetime.strptime(text, "%d-%b-%Y %H:%M:%S %z")
    except ValueError as exc:
        raise DeskProtocolError(f"email: unreadable INTERNALDATE {text!r}") from exc
    return moment.astimezone(UTC)


def lower_headers(message: Message) -> dict[str, str]:
    """Every header, lower-case names; repeated headers joined with newlines."""
    headers: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        text = str(value)
        headers[key] = f"{headers[key]}\n{text}" if key in headers else text
    return headers


def plain_body(message: Message) -> str:
    if isinstance(message, EmailMessage):
        part = message.get_body(preferencelist=("plain", "html"))
        if part is not None and isinstance(part, EmailMessage):
            return str(part.get_content())
    payload = message.get_payload(decode=True)
    return payload.decode(errors="replace") if isinstance(payload, bytes) else ""


class EmailDesk(Desk):
    """SMTP out, IMAP in; one IMAP connection kept open between polls."""

    name = "email"
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: MailSettings,
        *,
        redactor: Redactor | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.redactor = redactor or Redactor()
        self.redactor.add(settings.imap_password)
        if settings.smtp_password is not None:
            self.redactor.add(settings.smtp_password)
        self.clock: Clock = clock or RealClock()
        self._imap: Any = None
        self._lock = asyncio.Lock()

    # ---------------------------------------------------------------- IMAP plumbing

    @classmethod
    def from_settings(cls, settings: EmailSettings, context: OpenContext) -> EmailDesk:
        smtp = settings.smtp_password
        mail = MailSettings(
            address=settings.address,
            support_address=settings.support_address,
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            imap_host=settings.imap_host,
            imap_port=settings.imap_port,
            imap_user=settings.imap_user,
            imap_password=context.secret(settings.password),
            smtp_user=settings.smtp_user,
            smtp_password=context.secret(smtp) if smtp is not None else None,
            smtp_starttls=settings.smtp_starttls,
            imap_ssl=settings.imap_ssl,
            mailbox=settings.mailbox,
        )
        return cls(mail, redactor=context.redactor, clock=context.clock)

    def _fail(self, what: str, exc: BaseException) -> DeskError:
        text = self.redactor.redact(f"email: {what}: {type(exc).__name__}: {exc}")
        if isinstance(exc, asyncio.TimeoutError | TimeoutError):
            return DeskTimeout(text)
        return DeskUnavailable(text)

    async def _connect(self) -> Any:
        if self._imap is not None:
            return self._imap
        s = self.settings
        factory = aioimaplib.IMAP4_SSL if s.imap_ssl else aioimaplib.IMAP4
        imap = factory(host=s.imap_host, port=s.imap_port, timeout=s.timeout_s)
        try:
            await imap.wait_hello_from_server()
            login = await imap.login(s.imap_user, s.imap_password.reveal())
        except (TimeoutError, OSError) as exc:
            await self._drop(imap)
            raise self._fail(f"IMAP {s.imap_host}:{s.imap_port}", exc) from exc
        if login.result != "OK":
            await self._drop(imap)
            raise DeskAuthFailed(
                self.redactor.redact(f"email: IMAP login refused for {s.imap_user}"), status=None
            )
        selected = await imap.select(s.mailbox)
        if selected.result != "OK":
            raise DeskProtocolError(f"email: cannot select mailbox {s.mailbox!r}")
        self._imap = imap
        return imap

    async def _imap_call(self, what: str, *args: str) -> list[Any]:
        imap = await self._connect()
        try:
            if args[0] == "search":
                response = await imap.uid_search(args[1])
            else:
                response = await imap.uid(*args)
        except (TimeoutError, OSError, aioimaplib.Abort) as exc:
            self._imap = None
            raise self._fail(what, exc) from exc
        if response.result != "OK":
            raise DeskProtocolError(f"email: IMAP {what} answered {response.result}")
        return list(response.lines)

    async def _search(self, criteria: str) -> list[int]:
        lines = await self._imap_call("search", "search", criteria)
        if not lines:
            return []
        first = bytes(lines[0]).decode(errors="replace").removeprefix("SEARCH").split()
        return sorted(int(uid) for uid in first if uid.isdigit())

    async def _fetch(self, uids: list[int]) -> list[tuple[int, datetime, Message]]:
        if not uids:
            return []
        ranges = ",".join(str(uid) for uid in uids)
        lines = await self._imap_call("fetch", "fetch", ranges, "(UID INTERNALDATE BODY.PEEK[])")
        found: list[tuple[int, datetime, Message]] = []
        pending: tuple[int, datetime] | None = None
        for line in lines:
            if isinstance(line, bytearray) and pending is not None:
                message = email.message_from_bytes(bytes(line), policy=email.policy.default)
                found.append((pending[0], pending[1], message))
                pending = None
                continue
            pending = fetch_items(bytes(line)) or pending
        return found

    # ---------------------------------------------------------------- Desk

    async def find(self, *, idempotency_key: str) -> TicketRef | None:
        message_id = message_id_for(idempotency_key, self.settings.address)
        uids = await self._search(f'HEADER Message-ID "{message_id}"')
        for _uid, internaldate, message in await self._fetch(uids[:1]):
            return self._ref(idempotency_key, message_id, internaldate, str(message["subject"]))
        return None

    def _ref(
        self, key: str, message_id: str, t0: datetime, subject: str, source: str = "imap"
    ) -> TicketRef:
        return TicketRef(
            desk=self.name,
            ticket_id=message_id,
            created_at=t0,
            extra={
                "message_id": message_id,
                "token": drill_token(key),
                "subject": subject,
                "t0_source": "internaldate" if source == "imap" else "local",
            },
        )

    async def file(self, draft: TicketDraft, *, idempotency_key: str) -> TicketRef:
        async with self._lock:
            existing = await self.find(idempotency_key=idempotency_key)
            if existing is not None:
                return existing
            message_id = message_id_for(idempotency_key, self.settings.address)
            subject = with_token(draft.subject, idempotency_key)
            body = f"{draft.body}\n\n{drill_token(idempotency_key)}"
            submitted = self.clock.now()
            await self._send(subject, body, message_id, references=None)
            copy = await self._await_copy(message_id)
            if copy is None:
                return self._ref(idempotency_key, message_id, submitted, subject, source="local")
            return self._ref(idempotency_key, message_id, copy, subject)

    async def _send(self, subject: str, body: str, message_id: str, references: str | None) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.address
        message["To"] = s.support_address
        message["Subject"] = subject
        message["Message-ID"] = message_id
        message["Date"] = format_datetime(self.clock.now())
        if references:
            message["In-Reply-To"] = references
            message["References"] = references
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_user or None,
                password=s.smtp_password.reveal() if s.smtp_password else None,
                start_tls=s.smtp_starttls,
                timeout=s.timeout_s,
                # A copy to ourselves: its INTERNALDATE is the server's delivery time.
                recipients=[s.support_address, s.address],
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeskAuthFailed(self.redactor.redact(f"email: SMTP login refused: {exc}")) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeskProtocolError(
                self.redactor.redact(f"email: recipients refused: {exc}")
            ) from exc
        except aiosmtplib.SMTPTimeoutError as exc:
            raise DeskTimeout(self.redactor.redact(f"email: SMTP timed out: {exc}")) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise self._fail(f"SMTP {s.smtp_host}:{s.smtp_port}", exc) from exc

    async def _await_copy(self, message_id: str) -> datetime | None:
        waited = 0.0
        while waited <= self.settings.copy_wait_s:
            uids = await self._search(f'HEADER Message-ID "{message_id}"')
            if uids:
                fetched = await self._fetch(uids[:1])
                if fetched:
                    return fetched[0][1]
            await asyncio.sleep(0.2)
            waited += 0.2
        return None

    async def poll(self, ref: TicketRef, *, since: str | None = None) -> DeskPoll:
        cursor = Cursor.decode(since)
        root = ref.extra.get("message_id", ref.ticket_id)
        token = ref.extra.get("token", "")
        after = int(cursor.get("uid") or 0)
        criteria = f'OR OR HEADER In-Reply-To "{root}" HEADER References "{root}"'
        criteria += f' SUBJECT "{token}"' if token else f' HEADER Message-ID "{root}"'
        uids = [uid for uid in await self._search(f"UID {after + 1}:* {criteria}") if uid > after]
        events: list[DeskReply] = []
        last = after
        for uid, internaldate, message in await self._fetch(uids):
            last = max(last, uid)
            mid = str(message["message-id"] or f"uid-{uid}")
            if mid == root or mid in cursor.seen:
                continue
            events.append(self._reply(mid, internaldate, message))
            cursor = cursor.saw(mid)
        return DeskPoll(tuple(events), cursor.with_extra(uid=str(last)).encode(), None)

    def _reply(self, message_id: str, internaldate: datetime, message: Message) -> DeskReply:
        headers = lower_headers(message)
        name, address = parseaddr(headers.get("from", ""))
        from_us = address.lower() == self.settings.address.lower()
        auto = headers.get("auto-submitted", "").split(";")[0].strip().lower()
        return DeskReply(
            message_id=message_id,
            created_at=internaldate,
            body=plain_body(message),
            author_id=address.lower(),
            author_name=name,
            author_role=AuthorRole.END_USER if from_us else AuthorRole.UNKNOWN,
            channel="email",
            from_us=from_us,
            # RFC 3834: anything but "no" is machine-sent; its absence proves nothing.
            automated_hint=True if auto and auto != "no" else None,
            headers=headers,
        )

    async def comment(self, ref: TicketRef, text: str) -> datetime:
        root = ref.extra.get("message_id", ref.ticket_id)
        subject = ref.extra.get("subject", "") or ref.extra.get("token", "")
        subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        note_id = message_id_for(f"{root}/{self.clock.now().isoformat()}", self.settings.address)
        submitted = self.clock.now()
        await self._send(subject, text, note_id, references=root)
        copy = await self._await_copy(note_id)
        return copy or submitted

    async def wait_for_mail(self, timeout_s: float) -> bool:
        """Block until the server says the mailbox changed (IDLE), or ``timeout_s`` passes.

        Returns True on a change. Servers without IDLE: sleeps and returns False, so the caller
        simply polls.
        """
        imap = await self._connect()
        if not imap.has_capability("IDLE"):
            await asyncio.sleep(timeout_s)
            return False
        idle = await imap.idle_start(timeout=max(1.0, timeout_s))
        try:
            pushed = await imap.wait_server_push(timeout=timeout_s)
        except TimeoutError:
            pushed = None
        finally:
            imap.idle_done()
            try:
                await asyncio.wait_for(idle, self.settings.timeout_s)
            except (TimeoutError, aioimaplib.Abort) as exc:
                self._imap = None
                raise self._fail("IMAP IDLE", exc) from exc
        return bool(pushed) and any(b"EXISTS" in bytes(line) for line in _lines(pushed))

    async def check(self) -> list[str]:
        s = self.settings
        imap = await self._connect()
        lines = [f"email: IMAP login as {s.imap_user} ok, mailbox {s.mailbox} selected"]
        lines.append(
            "email: IDLE supported (push)"
            if imap.has_capability("IDLE")
            else "email: no IDLE, polling"
        )
        try:
            smtp = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.timeout_s)
            await smtp.connect(start_tls=s.smtp_starttls or None)
            if s.smtp_user and s.smtp_password is not None:
                await smtp.login(s.smtp_user, s.smtp_password.reveal())
            await smtp.quit()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeskAuthFailed(self.redactor.redact(f"email: SMTP login refused: {exc}")) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise self._fail(f"SMTP {s.smtp_host}:{s.smtp_port}", exc) from exc
        lines.append(
            f"email: SMTP {s.smtp_host}:{s.smtp_port} accepts us; tickets go to {s.support_address}"
        )
        lines.extend(f"email: cannot see: {note}" for note in self.capabilities.notes)
        return lines

    async def close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is not None:
            await self._drop(imap)

    @staticmethod
    async def _drop(imap: Any) -> None:
        # Closing anyway; the server drops the session on its own if LOGOUT fails.
        with contextlib.suppress(TimeoutError, OSError, aioimaplib.Abort):
            await imap.logout()
        transport = getattr(getattr(imap, "protocol", None), "transport", None)
        if transport is not None and not transport.is_closing():
            transport.close()


def _lines(pushed: Any) -> list[Any]:
    if isinstance(pushed, list):
        return pushed
    return [pushed] if isinstance(pushed, bytes | bytearray) else []


def header_date(message: Mapping[str, str]) -> datetime | None:
    """The sender-set ``Date:`` (reported for skew only; INTERNALDATE is the time we use)."""
    try:
        return parsedate_to_datetime(message.get("date", "")).astimezone(UTC)
    except (TypeError, ValueError):
        return None
