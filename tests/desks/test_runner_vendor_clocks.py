"""The desk's own SLA clocks beside ours: a whole drill against a local Zendesk in agent mode
(the user's own desk, or a trial with agent access) records what the desk reported."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.zendesk import AGENT, FakeTicket, FakeZendesk

from supportdrill.report.build import write_reports
from supportdrill.session import run_drill_file
from supportdrill.store import RunStore
from supportdrill.timeline import DeskSlaClock, DrillEnded, Outcome

TOKEN = "zdtok-clocks-7Hq2Lm9Wv4Rp"
VARIABLE = "SUPPORTDRILL_TEST_CLOCKS_TOKEN"


@pytest.fixture
async def desk() -> AsyncIterator[FakeZendesk]:
    server = FakeZendesk(token=TOKEN)
    server.me_user = {**AGENT, "role": "admin"}  # admins may read the SLA policies too
    tasks: list[asyncio.Task[None]] = []

    async def vendor(ticket: FakeTicket) -> None:
        await asyncio.sleep(0.3)
        server.comment(ticket.id, {**AGENT, "id": 2009, "name": "Li Wei"}, "Looking now.")
        await asyncio.sleep(0.5)
        server.set_status(ticket.id, "solved")

    server.on_create = lambda ticket: tasks.append(asyncio.create_task(vendor(ticket)))
    await server.start()
    yield server
    for task in tasks:
        task.cancel()
    await server.stop()


async def test_the_desks_clocks_are_recorded_and_reported(
    desk: FakeZendesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, TOKEN)
    drill = tmp_path / "zendesk-agent.yaml"
    drill.write_text(
        textwrap.dedent(
            f"""\
            name: zendesk-agent-clocks
            description: our own Zendesk, agent access
            vendor:
              name: acme-rtc
              desk:
                kind: zendesk
                url: {desk.url}
                mode: agent
                email: drill@example.test
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
    store_path = tmp_path / "runs.db"
    await run_drill_file(
        drill,
        store_path=store_path,
        reports_dir=tmp_path / "reports",
        live=False,
        simulated_start=None,
        simulated_rate=None,
    )
    with RunStore(store_path) as store:
        (summary,) = store.runs()
        timeline = store.events(summary.run_id)
        ended = timeline.last(DrillEnded)
        assert ended is not None and ended.outcome is Outcome.COMPLETED, ended
        clocks = timeline.all(DeskSlaClock)
        by_name = {(c.vendor_name, c.business_hours): c for c in clocks}
        reply = by_name[("reply_time_in_minutes", False)]
        assert reply.metric == "first_response" and reply.elapsed_s == 12 * 60
        assert by_name[("reply_time_in_minutes", True)].elapsed_s == 0
        assert any(c.metric == "resolution" and c.completed_at for c in clocks)
        # Recorded before the drill ended, so the report can set them beside ours.
        assert all(c.observed_at <= ended.observed_at for c in clocks)
        markdown = write_reports(store, summary.run_id, tmp_path / "reports")["markdown"]
    text = markdown.read_text(encoding="utf-8")
    assert "The desk's own SLA clocks" in text and "reply_time_in_minutes" in text
