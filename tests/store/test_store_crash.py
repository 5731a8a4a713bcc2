"""Crash safety: a process appending events, killed with SIGKILL, leaves every committed event."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from supportdrill.store import RunStore
from supportdrill.timeline import Note

CHILD = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from supportdrill.store import RunStore
    from supportdrill.timeline import Note

    store = RunStore(sys.argv[1])
    run_id = store.create_run(drill="crash", vendor="acme", started_at=datetime.now(UTC))
    print(run_id, flush=True)
    index = 0
    while True:
        index += 1
        now = datetime.now(UTC)
        store.append(run_id, Note(at=now, observed_at=now, text=f"note {index}"))
        print(index, flush=True)  # only after append() returned: committed
    """
)


def test_sigkill_while_appending_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    try:
        run_id = child.stdout.readline().strip()
        acknowledged = 0
        while acknowledged < 150:
            line = child.stdout.readline()
            assert line, f"child died early with {child.poll()}"
            acknowledged = int(line)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    with RunStore(path) as store:
        texts = [note.text for note in store.events(run_id).all(Note)]
        record = store.get_run(run_id)
        unfinished = [summary.run_id for summary in store.unfinished_runs()]
    # Everything the child was told is committed is there, in order, with no gaps; at most the
    # appends in flight when it died may have landed too.
    assert len(texts) >= acknowledged
    assert texts == [f"note {index}" for index in range(1, len(texts) + 1)]
    assert record.event_count == len(texts)
    assert unfinished == [run_id]
