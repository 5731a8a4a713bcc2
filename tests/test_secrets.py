"""One redaction rule for the desks, the stream and the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportdrill.errors import StoreError
from supportdrill.secrets import MASK, MIN_SECRET_LENGTH, Redactor, redact_fields
from supportdrill.store import RunStore
from supportdrill.timeline import Note, ReplyClass, VendorReply

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
TOKEN = "zd-echoed-token-5Kq9Lm2Wv7"


def test_an_echoed_token_is_masked_in_every_text_field() -> None:
    reply = VendorReply(
        at=T0,
        observed_at=T0,
        message_id="m1",
        classification=ReplyClass.HUMAN,
        excerpt=f"Is this your token? {TOKEN}",
        reasons=(f"matched {TOKEN}",),
    )
    cleaned = redact_fields(reply, Redactor([TOKEN]))
    assert TOKEN not in repr(cleaned)
    assert cleaned.excerpt == f"Is this your token? {MASK}"
    assert cleaned.reasons == (f"matched {MASK}",)
    assert cleaned.message_id == "m1"
    # Nothing to hide, nothing copied.
    assert redact_fields(reply, Redactor()) is reply
    plain = Note(at=T0, observed_at=T0, text="nothing secret here")
    assert redact_fields(plain, Redactor([TOKEN])) is plain


def test_the_store_follows_the_drills_redactor(tmp_path: Path) -> None:
    redactor = Redactor()
    with RunStore(tmp_path / "runs.db") as store:
        store.guard_secrets(redactor)
        redactor.add(TOKEN)  # learnt after the guard was set, as a desk's login does
        with pytest.raises(StoreError, match="refusing to store a secret"):
            store.create_run(
                drill="d",
                vendor="v",
                desk="simulated",
                severity="P0",
                started_at=T0,
                drill_text=f"token: {TOKEN}",
            )


def test_short_values_are_not_secrets_anywhere() -> None:
    short = "x" * (MIN_SECRET_LENGTH - 1)
    redactor = Redactor([short])
    assert len(redactor) == 0 and not redactor.finds_secret(short)
