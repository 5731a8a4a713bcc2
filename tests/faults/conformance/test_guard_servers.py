"""No proxy left behind, on either server: what fails verification is still removed, a harness
killed mid-fault is cleaned up by ``supportdrill cleanup``, and a real Toxiproxy (TCP only)
gets the drill's TCP proxies while its UDP ones go to an embedded relay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from supportdrill.definitions.toxics import Transport
from supportdrill.errors import FaultNotVerified, InvalidConfiguration
from supportdrill.faults.base import open_backend
from supportdrill.faults.guard import FaultSession
from supportdrill.faults.split import SplitBackend
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.store import RunStore

from ..conftest import SqliteLedger
from .conftest import EMBEDDED, Server, running


def _names(server: Server) -> list[str]:
    return list(httpx.get(f"{server.url}/proxies", timeout=5).json())


async def test_a_proxy_that_fails_verification_is_still_removed(
    server: Server, tmp_path: Path
) -> None:
    ledger = SqliteLedger(str(tmp_path / "ledger.db"))
    backend = ToxiproxyBackend(server.url, timeout=5)
    try:
        async with FaultSession(backend, run_id="leak1", ledger=ledger) as session:
            if server.kind == EMBEDDED:
                made = await session.add_proxy("media-udp", "127.0.0.1:9", transport="udp")
                assert made.transport is Transport.UDP
            else:
                # A real Toxiproxy ignores "protocol" and makes a TCP proxy: not what was asked.
                with pytest.raises(FaultNotVerified, match="sd-leak1-media-udp"):
                    await session.add_proxy("media-udp", "127.0.0.1:9", transport="udp")
                assert _names(server) == ["sd-leak1-media-udp"]
        assert _names(server) == []
        assert ledger.open_fault_ownerships() == []
    finally:
        await backend.aclose()
        ledger.close()


async def test_split_puts_tcp_on_the_server_and_udp_on_an_embedded_relay(
    server: Server, tmp_path: Path
) -> None:
    ledger = SqliteLedger(str(tmp_path / "ledger.db"))
    try:
        async with open_backend(server.url, needs={Transport.UDP}) as backend:
            assert isinstance(backend, SplitBackend) is (server.kind != EMBEDDED)
            async with FaultSession(backend, run_id="split1", ledger=ledger) as session:
                udp = await session.add_proxy("media-udp", "127.0.0.1:9", transport="udp")
                tcp = await session.add_proxy("signal", "127.0.0.1:9", transport="tcp")
                assert (udp.transport, tcp.transport) == (Transport.UDP, Transport.TCP)
                on_server = sorted(_names(server))
                owned = sorted(proxy for _, _, proxy in ledger.open_fault_ownerships())
                if server.kind == EMBEDDED:
                    assert on_server == owned == ["sd-split1-media-udp", "sd-split1-signal"]
                else:
                    # The relay dies with this process: only the server's proxy is recorded.
                    assert on_server == owned == ["sd-split1-signal"]
            assert _names(server) == [] and ledger.open_fault_ownerships() == []
    finally:
        ledger.close()


async def test_udp_on_a_tcp_only_server_can_be_refused_before_anything_starts(
    server: Server,
) -> None:
    if server.kind == EMBEDDED:
        async with open_backend(server.url, needs={Transport.UDP}, udp="refuse") as backend:
            assert Transport.UDP in await backend.transports()
        return
    with pytest.raises(InvalidConfiguration, match="unset TOXIPROXY_URL") as refused:
        async with open_backend(server.url, needs={Transport.UDP}, udp="refuse"):
            pass
    assert "supportdrill proxy serve" in str(refused.value)
    assert _names(server) == []


HOLDER = textwrap.dedent(
    """\
    import asyncio, sys
    from supportdrill.definitions.faults import FaultPlan, FaultPhase, PhaseKind, ToxicPlan
    from supportdrill.definitions.toxics import Transport
    from supportdrill.faults.guard import FaultSession
    from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
    from supportdrill.store import RunStore

    async def main(url, store_path, run_id):
        plan = FaultPlan("held", phases=(FaultPhase(PhaseKind.HOLD, (
            ToxicPlan("latency", Transport.TCP, attributes={"latency": 100}),)),))
        with RunStore(store_path) as store:
            backend = ToxiproxyBackend(url)
            async with FaultSession(backend, run_id=run_id, ledger=store) as session:
                await session.add_proxy("signal", "127.0.0.1:9")
                await session.apply(plan)
                print("faulted", flush=True)
                await asyncio.Event().wait()

    asyncio.run(main(*sys.argv[1:]))
    """
)


def test_sigkill_mid_fault_then_cleanup_removes_everything(server: Server, tmp_path: Path) -> None:
    """The harness is SIGKILLed with its proxy and toxic on a server of its own; ``supportdrill
    cleanup`` removes them, as its ledger recorded them."""
    with running(server.kind) as own:
        _kill_and_clean(own, tmp_path)


def _kill_and_clean(server: Server, where: Path) -> None:
    store = where / "runs.db"
    with RunStore(store) as runs:
        run_id = runs.create_run(
            drill="d", vendor="v", desk="simulated", severity="P0", started_at=datetime.now(UTC)
        )
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, server.url, str(store), run_id],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "faulted\n"
            proxy = httpx.get(f"{server.url}/proxies/sd-{run_id}-signal", timeout=5).json()
            assert [t["type"] for t in proxy["toxics"]] == ["latency", "latency"]
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait(10)
    assert holder.returncode == -signal.SIGKILL
    assert _names(server) == [f"sd-{run_id}-signal"]  # left behind: what cleanup is for
    cleanup = subprocess.run(
        [sys.executable, "-m", "supportdrill.cli", "--store", str(store), "cleanup"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TOXIPROXY_URL": server.url},
    )
    assert cleanup.returncode == 0, cleanup.stderr
    assert f"removed sd-{run_id}-signal" in cleanup.stdout
    assert _names(server) == []
    with RunStore(store) as runs:
        assert runs.open_fault_ownerships() == []
