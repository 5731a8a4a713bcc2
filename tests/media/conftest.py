"""Fixtures for the media tests: the embedded Toxiproxy server with the fault layer's backend,
and a real coturn ``turnserver``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from supportdrill.faults.server import EmbeddedToxiproxy
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.media.route import TurnConfig


def _udp_relay_works_on_this_python() -> bool:
    import asyncio.selector_events

    return issubclass(asyncio.selector_events._SelectorDatagramTransport, asyncio.DatagramTransport)


@pytest.fixture(autouse=True)
def _udp_relay_py311(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work around the UDP relay's ``assert isinstance(transport, DatagramTransport)``.

    On Python 3.11 asyncio's selector datagram transport does not subclass DatagramTransport
    (it does from 3.12), so the fault layer's ``_Flow.connection_made`` assertion fails and no
    flow ever forwards. Reported to the lead; this only skips the assertion.
    """
    from supportdrill.faults.server import udp

    if _udp_relay_works_on_this_python():
        return

    def connection_made(self: Any, transport: Any) -> None:
        self.transport = transport

    monkeypatch.setattr(udp._Flow, "connection_made", connection_made)


@pytest.fixture
async def backend() -> AsyncIterator[ToxiproxyBackend]:
    async with EmbeddedToxiproxy() as server:
        api = ToxiproxyBackend(server.url)
        try:
            yield api
        finally:
            await api.aclose()


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def coturn(tmp_path: Any) -> Iterator[TurnConfig]:
    """A real coturn ``turnserver`` on a free loopback port (skipped if not installed)."""
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.skip("coturn's turnserver is not installed (apt-get install -y coturn)")
    port = _free_tcp_port()
    base = 49160 + (os.getpid() % 40) * 100  # keep concurrent runs' relay ranges apart
    args = [
        binary,
        "-n",
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        f"--listening-port={port}",
        "--lt-cred-mech",
        "--user=drill:drillpass",
        "--realm=supportdrill",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--allow-loopback-peers",
        f"--min-port={base}",
        f"--max-port={base + 99}",
        f"--pidfile={tmp_path / 'turnserver.pid'}",
        f"--log-file={tmp_path / 'turnserver.log'}",
        "--no-stdout-log",
    ]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"turnserver did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        yield TurnConfig("127.0.0.1", port, "drill", "drillpass")
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
