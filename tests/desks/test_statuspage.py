"""Statuspage watcher against a local fake public status page (tests/desks/fakes/statuspage.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fakes.statuspage import FakeStatuspage

from supportdrill.desks.http import DeskHttp
from supportdrill.desks.statuspage import StatuspageWatcher
from supportdrill.timeline import Note, VendorProactiveContact


@pytest.fixture
async def page() -> AsyncIterator[FakeStatuspage]:
    server = FakeStatuspage()
    await server.start()
    yield server
    await server.stop()


async def test_before_t0_is_proactive_after_is_recorded(page: FakeStatuspage) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0)
    drill_start = t0 - timedelta(minutes=10)
    page.open_incident("Last week's outage", t0 - timedelta(days=7))
    page.open_incident("Elevated packet loss in SEA", t0 - timedelta(minutes=3))
    watcher = StatuspageWatcher(DeskHttp(page.url, desk="statuspage"))
    try:
        snapshot = await watcher.snapshot()
        assert snapshot.indicator == "major"
        first = watcher.events(snapshot, t0=t0, since=drill_start)
        assert [type(e) for e in first] == [VendorProactiveContact]
        proactive = first[0]
        assert isinstance(proactive, VendorProactiveContact)
        assert proactive.at == t0 - timedelta(minutes=3)
        assert proactive.reference.startswith("http://stspg.io/")
        assert "packet loss" in proactive.title
        page.open_incident("Relay restarts", t0 + timedelta(minutes=5), impact="minor")
        later = watcher.events(await watcher.snapshot(), t0=t0, since=drill_start)
        assert [type(e) for e in later] == [Note]
        assert "after the ticket" in later[0].text  # type: ignore[attr-defined]
        # Unchanged page: a 304, nothing reported twice.
        again = await watcher.snapshot()
        assert again.indicator == "unchanged" and page.not_modified == 1
        assert watcher.events(again, t0=t0, since=drill_start) == []
    finally:
        await watcher.close()
