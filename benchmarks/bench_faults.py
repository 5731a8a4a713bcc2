"""Fault layer benchmark: TCP pass-through vs direct, 50 ms latency error, UDP datagrams/s.

    python benchmarks/bench_faults.py

Targets: ≥ 200 MB/s TCP through the proxy, p99 latency error ≤ 5 ms, ≥ 50,000 datagrams/s.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time

from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.server import EmbeddedToxiproxy
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend

MB = 1_000_000


async def _sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    total = 0
    while data := await reader.read(1 << 20):
        total += len(data)
    writer.write(str(total).encode())
    await writer.drain()
    writer.close()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def _throughput(port: int, total: int) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    chunk = b"\0" * (1 << 20)
    started = time.perf_counter()
    for _ in range(total // len(chunk)):
        writer.write(chunk)
        await writer.drain()
    writer.write_eof()
    await reader.read()
    elapsed = time.perf_counter() - started
    writer.close()
    return total / elapsed / MB


class _Counter(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.count = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.count += 1


async def main() -> None:
    sink = await asyncio.start_server(_sink, "127.0.0.1", 0)
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    sink_port, echo_port = sink.sockets[0].getsockname()[1], echo.sockets[0].getsockname()[1]
    async with EmbeddedToxiproxy() as server:
        backend = ToxiproxyBackend(server.url)
        through = await backend.create_proxy("tp", "127.0.0.1:0", f"127.0.0.1:{sink_port}")
        total = 512 * MB
        direct = await _throughput(sink_port, total)
        proxied = await _throughput(through.port, total)
        print(f"tcp direct      {direct:8.1f} MB/s")
        print(f"tcp via proxy   {proxied:8.1f} MB/s  ratio {proxied / direct:.2f}  (target ≥ 200)")

        lat = await backend.create_proxy("lat", "127.0.0.1:0", f"127.0.0.1:{echo_port}")
        reader, writer = await asyncio.open_connection("127.0.0.1", lat.port)
        base = []
        for _ in range(50):
            t0 = time.perf_counter()
            writer.write(b"p")
            await reader.readexactly(1)
            base.append(time.perf_counter() - t0)
        await backend.add_toxic("lat", ToxicSpec("l", "latency", attributes={"latency": 50}))
        errors = []
        for _ in range(200):
            t0 = time.perf_counter()
            writer.write(b"p")
            await reader.readexactly(1)
            errors.append(abs(time.perf_counter() - t0 - statistics.median(base) - 0.050) * 1000)
        writer.close()
        errors.sort()
        p50, p99 = errors[len(errors) // 2], errors[int(len(errors) * 0.99) - 1]
        print(f"latency 50 ms   error p50 {p50:.2f} ms  p99 {p99:.2f} ms  (target p99 ≤ 5)")

        loop = asyncio.get_running_loop()
        counter_transport, counter = await loop.create_datagram_endpoint(
            _Counter, local_addr=("127.0.0.1", 0)
        )
        port = counter_transport.get_extra_info("sockname")[1]
        udp = await backend.create_proxy("udp", "127.0.0.1:0", f"127.0.0.1:{port}", "udp")
        # The sender is a thread with a blocking socket, so it does not starve the relay's loop.
        payload, sent = b"m" * 1200, 0
        started = time.perf_counter()

        def blast() -> int:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                count = 0
                while time.perf_counter() - started < 3.0:
                    for _ in range(50):
                        sock.sendto(payload, ("127.0.0.1", udp.port))
                    count += 50
                    time.sleep(0.0005)
                return count

        sent = await asyncio.to_thread(blast)
        await asyncio.sleep(0.5)
        elapsed = time.perf_counter() - started - 0.5
        print(
            f"udp relay       {counter.count / elapsed:8.0f} datagrams/s delivered "
            f"({counter.count}/{sent} sent, 1200 B)  (target ≥ 50,000)"
        )
        counter_transport.close()
        await backend.aclose()
    sink.close()
    echo.close()


if __name__ == "__main__":
    asyncio.run(main())
