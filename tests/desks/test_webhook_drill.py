"""A whole drill against the fake PagerDuty ends in seconds, not at its 10-minute poll interval,
because the on-call's acknowledgement and resolution each arrive as a signed v3 webhook.

The drill runs through ``run_drill_file`` as ``supportdrill run`` does, on the real clock, with
``poll_interval: 10m``. The fake's responder acknowledges and resolves the incident as a person
(REST log entries, the only source of the times) and after each change POSTs the signed
webhook to the drill's receiver. Without the wakeup the drill would sleep ten minutes after its
first poll; the test allows a minute.
"""

from __future__ import annotations

import asyncio
import socket
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fakes.pagerduty import ROUTING_KEY, FakePagerDuty
from fakes.webhooks import deliver, encode, pagerduty_headers, pagerduty_payload

from supportdrill.session import run_drill_file
from supportdrill.store import RunStore
from supportdrill.timeline import (
    DrillEnded,
    Note,
    Outcome,
    ReplyClass,
    TicketResolved,
    VendorReply,
)

HOOK_SECRET = "pd-drill-hook-S3cret-91e0"
VARIABLES = {
    "SUPPORTDRILL_TEST_PD_ROUTING": ROUTING_KEY,
    "SUPPORTDRILL_TEST_PD_TOKEN": "pd-rest-token-drill-5c1d",
    "SUPPORTDRILL_TEST_PD_HOOK": HOOK_SECRET,
}


def free_port() -> int:
    # The fake must know where to deliver before the drill starts its receiver.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Responder:
    """The on-call person: acknowledges, then resolves, and PagerDuty sends a webhook each time."""

    def __init__(self, fake: FakePagerDuty, hook_url: str) -> None:
        self.fake = fake
        self.hook_url = hook_url
        self.statuses: list[int] = []
        self.tasks: list[asyncio.Task[None]] = []
        fake.on_trigger = lambda incident: self.tasks.append(
            asyncio.create_task(self.respond(incident))
        )

    async def notify(self, event_type: str, incident: dict[str, Any]) -> None:
        body = encode(
            pagerduty_payload(event_type, incident["id"], incident["incident_key"], "resolved")
        )
        self.statuses.append(
            await deliver(self.hook_url, body, pagerduty_headers(body, HOOK_SECRET))
        )

    async def respond(self, incident: dict[str, Any]) -> None:
        await asyncio.sleep(1.5)
        self.fake.human_ack(incident["id"])
        await self.notify("incident.acknowledged", incident)
        await asyncio.sleep(1.0)
        self.fake.human_resolve(incident["id"])
        await self.notify("incident.resolved", incident)


@pytest.fixture
async def fake() -> AsyncIterator[FakePagerDuty]:
    server = FakePagerDuty()
    await server.start()
    yield server
    await server.stop()


def drill_file(tmp_path: Path, url: str, port: int) -> Path:
    path = tmp_path / "pagerduty-webhook.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name: pagerduty-webhook-wakeup
            description: the on-call's webhook ends the watch early; times come from REST
            vendor:
              name: our-oncall
              desk:
                kind: pagerduty
                url: {url}
                events_url: {url}
                routing_key: ${{SUPPORTDRILL_TEST_PD_ROUTING}}
                token: ${{SUPPORTDRILL_TEST_PD_TOKEN}}
                from_email: drills@example.test
                webhook_listen: 127.0.0.1:{port}
                webhook_secret: ${{SUPPORTDRILL_TEST_PD_HOOK}}
              timezone: UTC
              coverage: 24x7
              sla: common-vendor
              consent: "test against a local fake PagerDuty on 127.0.0.1"
            ticket: {{severity: P0, symptom: stream frozen for all viewers, region: EU}}
            resolution: {{when: ticket_solved, timeout: 1h, poll_interval: 10m}}
            safety: {{max_duration: 2h}}
            """
        ),
        encoding="utf-8",
    )
    return path


async def test_signed_webhooks_end_the_watch_long_before_the_poll_interval(
    fake: FakePagerDuty, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in VARIABLES.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    responder = Responder(fake, f"http://127.0.0.1:{port}/pagerduty")
    store_path = tmp_path / "runs.db"

    started = time.monotonic()
    try:
        run = await asyncio.wait_for(
            run_drill_file(
                drill_file(tmp_path, fake.url, port),
                store_path=store_path,
                reports_dir=tmp_path / "reports",
                live=False,
                simulated_start=None,
                simulated_rate=None,
            ),
            timeout=90,
        )
    finally:
        for task in responder.tasks:
            task.cancel()
    took = time.monotonic() - started

    assert took < 60, f"the drill took {took:.1f}s: it waited for the 10-minute poll"
    assert responder.statuses == [202, 202]
    assert fake.creations == 1 and run.sla_met
    store = RunStore(store_path)
    try:
        (run,) = store.runs()
        timeline = store.events(run.run_id)
    finally:
        store.close()
    ended = timeline.last(DrillEnded)
    assert ended is not None and ended.outcome is Outcome.COMPLETED
    human = [r for r in timeline.all(VendorReply) if r.classification is ReplyClass.HUMAN]
    assert [r.author for r in human] == ["Earline Greenholt"]
    resolved = timeline.last(TicketResolved)
    assert resolved is not None
    # The times are the desk's log entries, not when the webhook arrived or we polled.
    log = {entry["type"]: entry["created_at"] for entry in next(iter(fake.entries.values()))}
    assert human[0].at.strftime("%Y-%m-%dT%H:%M:%SZ") == log["acknowledge_log_entry"]
    # No poll after the first other than those the webhooks caused (a handful at most).
    polls = [path for method, path in fake.log if "/log_entries" in path and method == "GET"]
    assert 2 <= len(polls) <= 6
    # The deliveries are counted in the run's own record.
    notes = [note.text for note in timeline.all(Note) if note.text.startswith("desk webhooks:")]
    assert len(notes) == 1 and "2 received, 2 woke the watch" in notes[0]
