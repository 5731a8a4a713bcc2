"""Real parts for the fault tests: the embedded server, echo servers on 127.0.0.1, a ledger."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from typing import cast

import pytest

from supportdrill.faults.server import EmbeddedToxiproxy
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend


class SqliteLedger:
    """The FaultLedger protocol on a sqlite file, as the store will implement it."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS fault_ownership (run_id TEXT, backend_url TEXT, proxy TEXT,"
            " PRIMARY KEY (run_id, proxy))"
        )
        self.db.commit()

    def record_fault_ownership(self, run_id: str, backend_url: str, proxy: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO fault_ownership VALUES (?, ?, ?)", (run_id, backend_url, proxy)
        )
        self.db.commit()

    def open_fault_ownerships(self) -> list[tuple[str, str, str]]:
        return list(self.db.execute("SELECT run_id, backend_url, proxy FROM fault_ownership"))

    def clear_fault_ownership(self, run_id: str, proxy: str) -> None:
        self.db.execute(
            "DELETE FROM fault_ownership WHERE run_id = ? AND proxy = ?", (run_id, proxy)
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[EmbeddedToxiproxy]:
    async with EmbeddedToxiproxy() as embedded:
        yield embedded


@pytest.fixture
async def backend(server: EmbeddedToxiproxy) -> AsyncIterator[ToxiproxyBackend]:
    client = ToxiproxyBackend(server.url, timeout=5.0)
    yield client
    await client.aclose()


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    yield echo.sockets[0].getsockname()[1]
    echo.close()


class UdpEcho(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received = 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received += 1
        if not data.startswith(b"quiet"):
            assert self.transport is not None
            self.transport.sendto(data, addr)


@pytest.fixture
async def udp_echo() -> AsyncIterator[tuple[int, UdpEcho]]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(UdpEcho, local_addr=("127.0.0.1", 0))
    yield transport.get_extra_info("sockname")[1], protocol
    transport.close()


@pytest.fixture
def ledger(tmp_path: pathlib.Path) -> Iterator[SqliteLedger]:
    store = SqliteLedger(str(tmp_path / "ledger.sqlite"))
    yield store
    store.close()


class UdpClient(asyncio.DatagramProtocol):
    """A UDP client of a proxy: every reply, when it arrived, and a way to await the next."""

    def __init__(self) -> None:
        self.replies: list[bytes] = []
        self.arrived: list[float] = []
        self.got = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.replies.append(data)
        self.arrived.append(time.perf_counter())
        self.got.set()

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP port unreachable from a missing upstream is part of some tests

    async def reply(self, timeout: float = 2.0) -> bytes:
        await asyncio.wait_for(self.got.wait(), timeout)
        self.got.clear()
        return self.replies[-1]


@contextlib.asynccontextmanager
async def udp_client(port: int) -> AsyncIterator[tuple[asyncio.DatagramTransport, UdpClient]]:
    """Closed even when an assertion fails, so no socket leaks into a later test's gc."""
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(
        UdpClient, remote_addr=("127.0.0.1", port)
    )
    try:
        yield transport, client
    finally:
        transport.close()
