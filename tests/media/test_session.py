"""The drill's path: the run's FaultSession owns the media proxy and applies a built-in profile."""

from __future__ import annotations

from supportdrill.definitions.faults import BUILTIN_PROFILES
from supportdrill.faults.guard import FaultSession
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.media.base import open_stream
from supportdrill.media.judge import TransitionKind

from .test_loopback import PLAN, watch_for


class MemoryLedger:
    """The FaultLedger protocol, in memory (the store keeps it in SQLite for real runs)."""

    def __init__(self) -> None:
        self.open: set[tuple[str, str, str]] = set()

    def record_fault_ownership(self, run_id: str, backend_url: str, proxy: str) -> None:
        self.open.add((run_id, backend_url, proxy))

    def open_fault_ownerships(self) -> list[tuple[str, str, str]]:
        return sorted(self.open)

    def clear_fault_ownership(self, run_id: str, proxy: str) -> None:
        self.open = {entry for entry in self.open if entry[::2] != (run_id, proxy)}


async def test_a_builtin_profile_applied_by_the_fault_session_degrades_the_stream(
    backend: ToxiproxyBackend,
) -> None:
    ledger = MemoryLedger()
    async with FaultSession(backend, run_id="media1", ledger=ledger) as session:
        stream = open_stream(PLAN, session=session)
        async with stream:
            assert stream.media_proxies == ("sd-media1-media-udp",)
            assert ledger.open_fault_ownerships() == [
                ("media1", backend.url, "sd-media1-media-udp")
            ]
            await watch_for(stream, TransitionKind.BASELINE_HEALTHY, 10.0)
            await session.apply(BUILTIN_PROFILES["blackout"].plan())
            degraded, _, _ = await watch_for(stream, TransitionKind.DEGRADED, 8.0)
            await session.lift()
            await watch_for(stream, TransitionKind.RECOVERED, 15.0)
        # The stream does not delete a proxy the session owns: the session does, on close.
        assert await backend.proxy("sd-media1-media-udp") is not None
    assert await backend.proxy("sd-media1-media-udp") is None
    assert ledger.open_fault_ownerships() == []
    assert degraded.transition is not None
    assert any(reason.startswith("fps 0.0") for reason in degraded.transition.reasons)
