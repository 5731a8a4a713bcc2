"""The vendor's public status page during a drill: an incident opened before the ticket is the
vendor's proactive contact; a page that fails is a note, never the end of the drill."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from supportdrill.clock import VirtualClock
from supportdrill.definitions.desk_settings import StatuspageSettings
from supportdrill.definitions.loader import build_drill
from supportdrill.desks.simulated import SimulatedDesk, SimulatedDeskServer
from supportdrill.desks.statuspage import open_statuspage
from supportdrill.report.ticket import render_ticket
from supportdrill.run.runner import DrillRunner
from supportdrill.run.wiring import StatuspagePoller
from supportdrill.store import RunStore
from supportdrill.timeline import DrillEnded, Note, Outcome, TicketFiled, VendorProactiveContact

from .test_runner_simulated import SATURDAY_3AM, drill_yaml


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StatusPage:
    """The two public Statuspage endpoints, with payloads shaped as Atlassian documents them."""

    def __init__(self) -> None:
        self.incidents: list[dict[str, Any]] = []
        self.fail = False
        self.url = ""
        app = web.Application()
        app.router.add_get("/api/v2/summary.json", self.summary)
        app.router.add_get("/api/v2/incidents.json", self.list)
        self.runner = web.AppRunner(app)

    def open(self, name: str, created: datetime) -> None:
        number = len(self.incidents)
        self.incidents.append(
            {
                "id": f"cp306tmzcl0{number}",
                "name": name,
                "status": "investigating",
                "impact": "major",
                "created_at": _stamp(created),
                "updated_at": _stamp(created),
                "monitoring_at": None,
                "resolved_at": None,
                "shortlink": f"http://stspg.io/abc{number}",
                "page_id": "y2j98763l56x",
                "incident_updates": [],
                "components": [],
            }
        )

    async def summary(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.Response(status=503, text="upstream unavailable")
        return web.json_response(
            {
                "page": {"id": "y2j98763l56x", "name": "Acme", "url": self.url},
                "status": {"indicator": "major", "description": "Partial System Outage"},
                "components": [],
                "incidents": self.incidents,
                "scheduled_maintenances": [],
            }
        )

    async def list(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.Response(status=503, text="upstream unavailable")
        return web.json_response(
            {"page": {"id": "y2j98763l56x", "url": self.url}, "incidents": self.incidents}
        )


@pytest.fixture
async def page() -> AsyncIterator[StatusPage]:
    server = StatusPage()
    await server.runner.setup()
    site = web.TCPSite(server.runner, "127.0.0.1", 0)
    await site.start()
    port = server.runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await server.runner.cleanup()


async def _run(page: StatusPage, tmp_path: Path) -> tuple[RunStore, str]:
    text = drill_yaml("responsive-24x7", coverage="24x7")
    drill = build_drill(text, "test.yaml")
    clock = VirtualClock(SATURDAY_3AM)
    store = RunStore(tmp_path / "runs.db")
    poller = StatuspagePoller(open_statuspage(StatuspageSettings.from_url(page.url), clock=clock))
    async with SimulatedDeskServer(
        persona="responsive-24x7", clock=clock, timezone="Asia/Jakarta"
    ) as server:
        desk = SimulatedDesk(server.url)
        try:
            runner = DrillRunner(
                drill,
                store=store,
                desk=desk,
                clock=clock,
                drill_text=text,
                statuspage=poller,
                compose_ticket=render_ticket,
            )
            result = await runner.run()
        finally:
            await desk.close()
            await poller.close()
    return store, result.run_id


async def test_incident_before_the_ticket_is_proactive_contact(
    page: StatusPage, tmp_path: Path
) -> None:
    page.open("Last month's outage", SATURDAY_3AM - timedelta(days=30))
    # Opened as the drill starts (the virtual clock stands still until the filing).
    page.open("Elevated packet loss in Jakarta", SATURDAY_3AM)
    store, run_id = await _run(page, tmp_path)
    timeline = store.events(run_id)
    ended = timeline.last(DrillEnded)
    assert ended is not None and ended.outcome is Outcome.COMPLETED
    contacts = timeline.all(VendorProactiveContact)
    assert [contact.title.split(" (")[0] for contact in contacts] == [
        "Elevated packet loss in Jakarta"
    ]
    filed = timeline.first(TicketFiled)
    assert filed is not None and contacts[0].at <= filed.at
    assert contacts[0].reference == "http://stspg.io/abc1"


async def test_a_failing_status_page_is_a_note_not_an_abort(
    page: StatusPage, tmp_path: Path
) -> None:
    page.fail = True
    store, run_id = await _run(page, tmp_path)
    timeline = store.events(run_id)
    ended = timeline.last(DrillEnded)
    assert ended is not None and ended.outcome is Outcome.COMPLETED
    notes = [note.text for note in timeline.all(Note) if "status page not read" in note.text]
    assert notes and "503" in notes[0]
