"""At an RTT above aioice's 0.5 s consent timeout, the stream must not kill itself (slow)."""

from __future__ import annotations

import time

import pytest

from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.media.base import open_stream

from .test_loopback import PLAN

pytestmark = pytest.mark.slow


async def test_a_stream_survives_800_ms_rtt_past_the_consent_expiry(
    backend: ToxiproxyBackend,
) -> None:
    # aioice checks consent every ~5 s with one 0.5 s try and closes after six misses (~30 s):
    # without the raised timeout this stream dies and is rebuilt (an outage of our own making).
    stream = open_stream(PLAN, fault_backend=backend, proxy_name_prefix="sd-rtt-")
    async with stream:
        (proxy,) = stream.media_proxies
        await stream.clock.sleep(1.0)
        for direction in ("upstream", "downstream"):
            await backend.add_toxic(
                proxy, ToxicSpec(direction, "latency", direction, attributes={"latency": 400})
            )
        started = time.monotonic()
        await stream.judged()
        while time.monotonic() - started < 36.0:
            await stream.clock.sleep(2.0)
            sample = (await stream.judged()).sample
            assert sample.connected and not stream.reconnections, (
                f"died at {sample.elapsed_s:.0f} s"
            )
        assert sample.fps >= 14.0
        assert sample.latency_ms is not None and sample.latency_ms > 400.0
