"""Exactly-once filing across SIGKILLs: the harness dies after the desk filed but before the store
heard back, the desk itself is killed and restarted from its state file, and resuming finds the
same ticket — one ticket on the desk, checked by counting them there."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from supportdrill.desks.simulated import SimulatedDesk, idempotency_tag
from supportdrill.store import RunStore
from supportdrill.timeline import TicketFiling
from supportdrill.vocabulary import TicketDraft

DESK = textwrap.dedent(
    """
    import asyncio, sys
    from supportdrill.desks.simulated import serve_desk

    asyncio.run(serve_desk("127.0.0.1", 0, persona="responsive-24x7", timezone="Asia/Jakarta",
                           state_path=sys.argv[1], ready=lambda url: print(url, flush=True)))
    """
)

HARNESS = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import UTC, datetime
    from supportdrill.vocabulary import TicketDraft
    from supportdrill.desks.simulated import SimulatedDesk
    from supportdrill.store import RunStore
    from supportdrill.timeline import TicketFiling

    async def main(store_path, url):
        store = RunStore(store_path)
        now = datetime.now(UTC)
        run_id = store.create_run(drill="crash", vendor="acme", started_at=now)
        key = run_id + "-p0"
        # The key is committed before the desk is called: that is what makes resume safe.
        store.set_idempotency_key(run_id, key, desk="simulated")
        store.append(run_id, TicketFiling(at=now, observed_at=now, idempotency_key=key))
        desk = SimulatedDesk(url)
        ref = await desk.file(TicketDraft("[P0][DRILL] crash", "Frozen video.", "P0"),
                              idempotency_key=key)
        print(run_id, ref.ticket_id, flush=True)
        await asyncio.sleep(3600)  # waiting for the vendor; killed here, ref never stored

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def _start(script: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line, f"child exited with {process.wait(timeout=30)} before answering"
    return process, line


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


async def test_resume_after_sigkill_files_no_second_ticket(tmp_path: Path) -> None:
    state, store_path = tmp_path / "desk.json", tmp_path / "runs.db"
    desk_process, url = _start(DESK, str(state))
    harness = None
    try:
        harness, line = _start(HARNESS, str(store_path), url)
        run_id, ticket_id = line.split()
        _kill(harness)
        _kill(desk_process)
        assert harness.returncode == desk_process.returncode == -signal.SIGKILL

        desk_process, url = _start(DESK, str(state))  # the desk comes back from its state file
        with RunStore(store_path) as store:
            assert [run.run_id for run in store.unfinished_runs()] == [run_id]
            key = store.idempotency_key(run_id)
            assert key == f"{run_id}-p0"
            assert store.ticket_ref(run_id) is None
            assert store.events(run_id).first(TicketFiling) is not None

            desk = SimulatedDesk(url)
            try:
                draft = TicketDraft("[P0][DRILL] crash", "Frozen video.", "P0")
                ref = await desk.file(draft, idempotency_key=key)
            finally:
                await desk.close()
            store.set_ticket_ref(run_id, key, ref)
            assert store.ticket_ref(run_id) == ref

        assert ref.ticket_id == ticket_id
        assert ref.extra["found_by"] == "idempotency_tag"
        async with httpx.AsyncClient(base_url=url) as client:
            listing = (await client.get("/api/v2/requests")).json()
        tagged = [r for r in listing["requests"] if idempotency_tag(key) in r["tags"]]
        assert listing["count"] == 1 and len(tagged) == 1
    finally:
        for process in (harness, desk_process):
            if process is not None and process.poll() is None:
                _kill(process)
