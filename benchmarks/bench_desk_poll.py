"""How long one desk poll takes against a local fake Zendesk, and how fast redaction is.

    python benchmarks/bench_desk_poll.py [COMMENTS] [POLLS]

Prints the median and p95 of a requester-mode poll (comments + status, two HTTP round trips on
127.0.0.1) with COMMENTS comments on the ticket, an agent-mode (audits) poll, and the
redaction rate of a 10 kB error text against 20 known secrets.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "desks"))

from fakes.zendesk import AGENT, FakeZendesk

from supportdrill.desks.http import DeskHttp
from supportdrill.desks.zendesk import ZendeskDesk
from supportdrill.secrets import Redactor
from supportdrill.vocabulary import TicketDraft

TOKEN = "bench-token-0123456789"


async def _polls(desk: ZendeskDesk, ref: object, polls: int) -> list[float]:
    times = []
    for _ in range(polls):
        start = time.perf_counter()
        await desk.poll(ref)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{name:36s} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms")


async def main(comments: int, polls: int) -> None:
    fake = FakeZendesk(token=TOKEN)
    await fake.start()
    try:
        for agent in (False, True):
            desk = ZendeskDesk(
                DeskHttp(fake.url, desk="zendesk", auth=("bench@example.test/token", TOKEN)),
                agent_mode=agent,
            )
            ref = await desk.file(
                TicketDraft(subject="bench", body="b", severity="P0"),
                idempotency_key=f"bench-{agent}",
            )
            for index in range(comments):
                fake.comment(int(ref.ticket_id), AGENT, f"update {index}")
            label = "agent (audits)" if agent else "requester (comments+status)"
            summary(f"poll, {comments} comments, {label}", await _polls(desk, ref, polls))
            await desk.close()
    finally:
        await fake.stop()
    redactor = Redactor([f"secret-value-{i:04d}-abcdef" for i in range(20)])
    text = ("x" * 500 + "secret-value-0007-abcdef") * 20
    start = time.perf_counter()
    rounds = 2000
    for _ in range(rounds):
        redactor.redact(text)
    elapsed = time.perf_counter() - start
    print(f"redact 10 kB, 20 secrets                {rounds / elapsed:9.0f} texts/s")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(args[0] if args else 50, args[1] if len(args) > 1 else 200))
