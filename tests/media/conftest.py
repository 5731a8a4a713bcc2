"""Fixtures for the media tests: the embedded Toxiproxy server with the fault layer's backend,
and a real coturn ``turnserver``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from supportdrill.faults.server import EmbeddedToxiproxy
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.media.route import TurnConfig
from supportdrill.media.turn import CoturnServer, turnserver_binary


@pytest.fixture
async def backend() -> AsyncIterator[ToxiproxyBackend]:
    async with EmbeddedToxiproxy() as server:
        api = ToxiproxyBackend(server.url)
        try:
            yield api
        finally:
            await api.aclose()


@pytest.fixture
async def coturn() -> AsyncIterator[TurnConfig]:
    """A real coturn ``turnserver`` on a free loopback port (skipped if not installed)."""
    if turnserver_binary() is None:
        pytest.skip("coturn's turnserver is not installed (apt-get install -y coturn)")
    async with CoturnServer() as server:
        yield server.config
