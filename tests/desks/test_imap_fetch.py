"""IMAP FETCH responses list their items in any order (RFC 3501 §7.4.2): UID may come after
INTERNALDATE, as in the RFC's own example. No mail server is needed to read a response line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supportdrill.desks.email import EmailDesk, MailSettings, fetch_items
from supportdrill.secrets import SecretValue

WHEN = datetime(1996, 7, 17, 9, 44, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    "line",
    [
        b'* 12 FETCH (UID 4827313 INTERNALDATE "17-Jul-1996 02:44:25 -0700" BODY[] {342}',
        b'* 12 FETCH (INTERNALDATE "17-Jul-1996 02:44:25 -0700" UID 4827313 BODY[] {342}',
        b'* 12 FETCH (BODY[] {342} INTERNALDATE "17-Jul-1996 02:44:25 -0700" UID 4827313',
    ],
)
def test_uid_and_internaldate_in_any_order(line: bytes) -> None:
    assert fetch_items(line) == (4827313, WHEN)


def test_a_line_without_both_items_is_not_a_message_header() -> None:
    assert fetch_items(b"* 12 FETCH (FLAGS (\\Seen))") is None


async def test_a_server_that_puts_uid_last_still_yields_the_message() -> None:
    desk = EmailDesk(
        MailSettings(
            address="noc@example.test",
            support_address="help@vendor.test",
            smtp_host="127.0.0.1",
            smtp_port=2525,
            imap_host="127.0.0.1",
            imap_port=1143,
            imap_user="noc@example.test",
            imap_password=SecretValue("password", "not-used-here"),
        )
    )
    transcript = [
        b'12 FETCH (INTERNALDATE "17-Jul-1996 02:44:25 -0700" UID 4827313 BODY[] {52}',
        bytearray(b"Subject: Re: [SD-0123456789]\r\n\r\nWe are on it.\r\n"),
        b")",
        b"Fetch completed.",
    ]

    async def recorded(*_args: object) -> list[object]:
        return list(transcript)

    desk._imap_call = recorded  # type: ignore[method-assign]
    (found,) = await desk._fetch([4827313])
    assert found[:2] == (4827313, WHEN)
    assert "We are on it." in str(found[2].get_content())
