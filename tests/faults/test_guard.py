"""The rollback guard: own proxies only, removed and verified on every exit, leftovers cleaned."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from supportdrill.definitions.faults import (
    BUILTIN_PROFILES,
    FaultPhase,
    FaultPlan,
    PhaseKind,
    ToxicPlan,
)
from supportdrill.definitions.toxics import Direction, Transport
from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.guard import FaultSession, cleanup_leftovers
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend

from .conftest import SqliteLedger

LATENCY = FaultPlan(
    "custom",
    phases=(
        FaultPhase(
            PhaseKind.HOLD, (ToxicPlan("latency", Transport.TCP, attributes={"latency": 50}),)
        ),
    ),
)


async def test_session_applies_and_removes_only_its_own(
    backend: ToxiproxyBackend, ledger: SqliteLedger, echo_port: int
) -> None:
    other = await backend.create_proxy("someone-else", "127.0.0.1:0", f"127.0.0.1:{echo_port}")
    await backend.add_toxic(other.name, ToxicSpec("theirs", "latency"))
    async with FaultSession(backend, run_id="r1", ledger=ledger) as faults:
        made = await faults.add_proxy("signalling", f"127.0.0.1:{echo_port}")
        assert made.name == "sd-r1-signalling"
        assert ledger.open_fault_ownerships() == [("r1", backend.url, "sd-r1-signalling")]
        await faults.apply(LATENCY)
        held = await backend.proxy("sd-r1-signalling")
        assert held is not None and {t.direction for t in held.toxics} == set(Direction)
        await faults.lift()
        held = await backend.proxy("sd-r1-signalling")
        assert held is not None and held.toxics == ()
    assert [p.name for p in await backend.state()] == ["someone-else"]
    assert (await backend.proxy("someone-else")).toxic("theirs") is not None  # type: ignore[union-attr]
    assert ledger.open_fault_ownerships() == []


async def test_removed_on_exception_and_cancellation(
    backend: ToxiproxyBackend, ledger: SqliteLedger, echo_port: int
) -> None:
    with pytest.raises(RuntimeError):
        async with FaultSession(backend, run_id="r2", ledger=ledger) as faults:
            await faults.add_proxy("media", f"127.0.0.1:{echo_port}")
            await faults.apply(LATENCY)
            raise RuntimeError("drill broke")
    assert await backend.state() == ()

    started = asyncio.Event()

    async def drill() -> None:
        async with FaultSession(backend, run_id="r3", ledger=ledger) as faults:
            await faults.add_proxy("media", f"127.0.0.1:{echo_port}")
            await faults.apply(LATENCY)
            started.set()
            await asyncio.sleep(3600)

    task = asyncio.ensure_future(drill())
    await started.wait()
    task.cancel()  # what SIGTERM becomes in the runner
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await backend.state() == ()
    assert ledger.open_fault_ownerships() == []


async def test_phases_ramp_flap_and_down(
    backend: ToxiproxyBackend, ledger: SqliteLedger, echo_port: int
) -> None:
    ramp = ToxicPlan(
        "bandwidth",
        Transport.TCP,
        (Direction.DOWNSTREAM,),
        attributes={"rate": 100},
        start={"rate": 500},
    )
    plan = FaultPlan(
        "custom",
        phases=(
            FaultPhase(PhaseKind.RAMP, (ramp,), timedelta(seconds=0.2), steps=4),
            FaultPhase(
                PhaseKind.FLAP,
                (ToxicPlan("down", Transport.TCP),),
                timedelta(seconds=0.2),
                period=timedelta(seconds=0.1),
            ),
            FaultPhase(PhaseKind.HOLD, (ramp,), until="first_human_response"),
        ),
    )
    async with FaultSession(backend, run_id="r4", ledger=ledger) as faults:
        await faults.add_proxy("turn", f"127.0.0.1:{echo_port}")
        await faults.apply(plan)
        first = await backend.proxy("sd-r4-turn")
        assert first is not None and first.toxics[0].attributes["rate"] == 400
        # The phases take about 0.5 s; a loaded CI machine gets up to 15 s to play them.
        deadline = asyncio.get_running_loop().time() + 15.0
        while faults.changes[-1][1] != "phase 3 hold":
            assert asyncio.get_running_loop().time() < deadline, faults.changes
            await asyncio.sleep(0.05)
        steps = [what for _, what in faults.changes]
        assert steps[:4] == [f"phase 1 ramp step {n}" for n in range(1, 5)]
        assert "phase 2 flap off" in steps and steps[-1] == "phase 3 hold"
        held = await backend.proxy("sd-r4-turn")
        assert held is not None and held.enabled and held.toxics[0].attributes["rate"] == 100


async def test_builtin_profile_applies_to_matching_protocols(
    backend: ToxiproxyBackend, ledger: SqliteLedger, echo_port: int, udp_echo: tuple[int, object]
) -> None:
    async with FaultSession(backend, run_id="r5", ledger=ledger) as faults:
        await faults.add_proxy("signalling", f"127.0.0.1:{echo_port}")
        await faults.add_proxy("media", f"127.0.0.1:{udp_echo[0]}", transport="udp")
        await faults.apply(BUILTIN_PROFILES["sea-mobile-peak"].plan())
        media = await backend.proxy("sd-r5-media")
        signalling = await backend.proxy("sd-r5-signalling")
        assert media is not None and {t.type for t in media.toxics} == {
            "latency",
            "bandwidth",
            "loss",
        }
        assert signalling is not None and {t.type for t in signalling.toxics} == {"latency"}
    assert await backend.state() == ()


CHILD = textwrap.dedent(
    """
    import asyncio, sqlite3, sys
    from supportdrill.faults.guard import FaultSession
    from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
    from supportdrill.definitions.faults import BUILTIN_PROFILES
    sys.path.insert(0, sys.argv[4])
    from tests.faults.conftest import SqliteLedger

    async def main():
        backend = ToxiproxyBackend(sys.argv[1])
        async with FaultSession(backend, run_id="killed", ledger=SqliteLedger(sys.argv[2])) as f:
            await f.add_proxy("signalling", sys.argv[3])
            await f.apply(BUILTIN_PROFILES["latency-spike"].plan())
            sys.stdout.write("applied\\n")
            sys.stdout.flush()
            await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )


async def test_sigkill_mid_fault_then_cleanup(tmp_path: Path, echo_port: int) -> None:
    server = await _spawn("-m", "supportdrill.faults.server", "--port", "0")
    try:
        assert server.stdout is not None
        line = (await asyncio.wait_for(server.stdout.readline(), 20)).decode()
        url = line.split()[-1]
        ledger_path = str(tmp_path / "ledger.sqlite")
        repo = str(Path(__file__).resolve().parents[2])
        child = await _spawn("-c", CHILD, url, ledger_path, f"127.0.0.1:{echo_port}", repo)
        assert child.stdout is not None
        assert await asyncio.wait_for(child.stdout.readline(), 20) == b"applied\n"
        os.kill(child.pid, signal.SIGKILL)
        await child.wait()
        backend = ToxiproxyBackend(url)
        left = await backend.proxy("sd-killed-signalling")
        assert left is not None and left.toxics  # the fault outlived the harness...
        ledger = SqliteLedger(ledger_path)
        leftovers = await cleanup_leftovers(ledger, ToxiproxyBackend)
        assert leftovers.removed == ("sd-killed-signalling",)  # ...until the next cleanup
        assert leftovers.not_removed == ()
        assert await backend.state() == ()
        assert ledger.open_fault_ownerships() == []
        ledger.close()
        await backend.aclose()
    finally:
        server.kill()
        await server.wait()
