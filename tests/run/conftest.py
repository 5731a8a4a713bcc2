"""Fixtures for the run tests: a fault server in a process of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from .test_fault_kill import HARNESS, _free_port


@pytest.fixture
async def toxiproxy() -> AsyncIterator[str]:
    """``supportdrill proxy serve`` in a process of its own, as a real Toxiproxy would be."""
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        *HARNESS,
        "proxy",
        "serve",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"{url}/version")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("the proxy server did not start")
        yield url
    finally:
        server.terminate()
        await server.wait()
