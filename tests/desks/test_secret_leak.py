"""Invariant 4 (issue 5 acceptance): a desk token never shows up in logs, reports, the store or
the tickets, after a whole drill against a local HTTP server speaking Zendesk's Requests API.

The drill runs through ``run_drill_file`` as ``supportdrill run`` does: the token comes from an
environment variable, every logger runs at DEBUG into a file, and the fake desk misbehaves once
the way a careless proxy does — its error page quotes the request's ``Authorization`` header —
so the secret really does pass through an error, a ``desk.gap`` event and the log. Then the log
file, every report written, the SQLite store's bytes (with its WAL/journal files) and every
request body the desk received are searched for the token, its base64 form, and the base64
Basic-auth credentials that carried it.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fakes.zendesk import AGENT, FakeTicket, FakeZendesk

from supportdrill.session import run_drill_file
from supportdrill.store import RunStore
from supportdrill.timeline import DeskGap, DrillEnded, Outcome, VendorReply

SECRET = "zdtok-Leak9f3Qx7Lm2Wv8Rp4Kd"
EMAIL = "drill@example.test"
VARIABLE = "SUPPORTDRILL_TEST_LEAK_TOKEN"
FORMS = {
    "token": SECRET.encode(),
    "base64 token": base64.b64encode(SECRET.encode()),
    "basic auth": base64.b64encode(f"{EMAIL}/token:{SECRET}".encode()),
}


@pytest.fixture
async def desk() -> AsyncIterator[FakeZendesk]:
    server = FakeZendesk(token=SECRET)
    tasks: list[asyncio.Task[None]] = []

    async def vendor(ticket: FakeTicket) -> None:
        # The vendor answers, a proxy then fails once quoting our credentials, and the
        # vendor solves the ticket.
        await asyncio.sleep(0.3)
        server.comment(ticket.id, AGENT, "Hi, I am looking at the SEA edge now.")
        server.fail_next("echo500")
        await asyncio.sleep(1.5)
        server.set_status(ticket.id, "solved")

    server.on_create = lambda ticket: tasks.append(asyncio.create_task(vendor(ticket)))
    await server.start()
    yield server
    for task in tasks:
        task.cancel()
    await server.stop()


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "drill.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def drill_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "zendesk-leak.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name: zendesk-secret-leak
            description: a whole drill against a local Zendesk; the token must leak nowhere
            vendor:
              name: acme-rtc
              desk:
                kind: zendesk
                url: {url}
                mode: requester
                email: {EMAIL}
                token: ${{{VARIABLE}}}
              timezone: Asia/Shanghai
              coverage: 24x7
              sla: common-vendor
              consent: "test against a local fake desk on 127.0.0.1"
            ticket: {{severity: P0, symptom: video freezes, region: SEA}}
            resolution: {{when: ticket_solved, timeout: 2m, poll_interval: 1s}}
            safety: {{max_duration: 5m}}
            """
        ),
        encoding="utf-8",
    )
    return path


def leaks(name: str, data: bytes) -> list[str]:
    return [f"{form} in {name}" for form, value in FORMS.items() if value in data]


async def test_a_whole_drill_leaks_the_token_nowhere(
    desk: FakeZendesk, debug_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, SECRET)
    store_path = tmp_path / "runs.db"
    reports = tmp_path / "reports"

    run = await asyncio.wait_for(
        run_drill_file(
            drill_file(tmp_path, desk.url),
            store_path=store_path,
            reports_dir=reports,
            live=False,
            simulated_start=None,
            simulated_rate=None,
        ),
        timeout=90,
    )

    # The drill really ran, really used the token, and really met the echoing proxy.
    assert run.outcome in (Outcome.COMPLETED, Outcome.ABORTED)  # the run ended, reports written
    assert run.reports["markdown"].is_file()
    assert desk.creations == 1
    assert any(FORMS["basic auth"].decode() in header for header in desk.auth_headers)
    store = RunStore(store_path)
    try:
        (run,) = store.runs()
        timeline = store.events(run.run_id)
    finally:
        store.close()
    assert timeline.last(DrillEnded).outcome is Outcome.COMPLETED  # type: ignore[union-attr]
    assert timeline.all(VendorReply)
    gaps = timeline.all(DeskGap)
    assert gaps and all("upstream error for" in gap.error for gap in gaps)
    log_text = debug_log.read_bytes()
    assert b"DEBUG" in log_text and b"HTTP Request" in log_text

    found: list[str] = leaks("the DEBUG log", log_text)
    written = sorted(p for p in reports.rglob("*") if p.is_file())
    assert written, "no report was written"
    for path in written:
        found += leaks(f"report {path.name}", path.read_bytes())
    for path in sorted(tmp_path.glob("runs.db*")):
        found += leaks(f"store file {path.name}", path.read_bytes())
    for number, body in enumerate(desk.bodies):
        found += leaks(f"request body #{number}", body)
    for ticket in desk.tickets.values():
        text = f"{ticket.subject} {ticket.audits}".encode()
        found += leaks(f"ticket {ticket.id}", text)
    assert found == []


@pytest.fixture
async def echoing_desk() -> AsyncIterator[FakeZendesk]:
    """A vendor whose agent pastes the customer's token back into a public reply."""
    server = FakeZendesk(token=SECRET)
    tasks: list[asyncio.Task[None]] = []

    async def vendor(ticket: FakeTicket) -> None:
        await asyncio.sleep(0.3)
        server.comment(ticket.id, AGENT, f"Is this the token you use? {SECRET} - please rotate it.")
        await asyncio.sleep(1.0)
        server.set_status(ticket.id, "solved")

    server.on_create = lambda ticket: tasks.append(asyncio.create_task(vendor(ticket)))
    await server.start()
    yield server
    for task in tasks:
        task.cancel()
    await server.stop()


async def test_a_token_the_vendor_echoes_back_is_kept_nowhere(
    echoing_desk: FakeZendesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: the reply's text was stored, journaled and reported with the token in it."""
    monkeypatch.setenv(VARIABLE, SECRET)
    store_path = tmp_path / "runs.db"
    run = await asyncio.wait_for(
        run_drill_file(
            drill_file(tmp_path, echoing_desk.url),
            store_path=store_path,
            reports_dir=tmp_path / "reports",
        ),
        timeout=90,
    )
    assert run.outcome is Outcome.COMPLETED, run.reason
    with RunStore(store_path) as store:
        replies = store.events(run.run_id).all(VendorReply)
    assert any("Is this the token you use? ***" in reply.excerpt for reply in replies)
    found: list[str] = []
    for path in [*tmp_path.rglob("runs.db*"), *(tmp_path / "reports").iterdir()]:
        found += leaks(path.name, path.read_bytes())
    assert found == []
