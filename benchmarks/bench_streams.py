"""How many loopback test streams one machine sustains, and how fast faults are detected.

Two measurements (``python benchmarks/bench_streams.py --help``):

``capacity``
    N publisher/viewer pairs of 640x360@30 with the health sampler on, for a few seconds each,
    in one process or spread over P processes. A stream "holds" when its mean fps over the
    measured window is ≥ 28. Prints, per N: mean/min fps, median glass-to-glass latency, and
    CPU per stream (process CPU time / wall time / N, all processes added up).

``detect``
    One 640x360@30 stream through the embedded Toxiproxy's UDP proxy. For each fault kind
    (latency 300 ms, bandwidth 25 KB/s, loss 10 %, blackout, flapping blackout 1 s on / 1 s
    off), ``--runs`` times: wait healthy, inject, time until the judge says degraded, lift,
    wait recovered. Prints p50 and max detection latency per kind.

Everything runs on 127.0.0.1. Numbers are from whatever machine runs this: re-measure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import statistics
import sys
import time
from dataclasses import dataclass

from supportdrill.definitions.scenarios import StreamPlan, StreamThresholds
from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.server import EmbeddedToxiproxy
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend
from supportdrill.media.base import Stream, open_stream
from supportdrill.media.judge import TransitionKind

BENCH_PLAN = StreamPlan(
    scenario="bench",
    width=640,
    height=360,
    fps=30,
    thresholds=StreamThresholds(min_fps=24.0),
)


# -- capacity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamResult:
    fps: float
    latency_ms: float | None


async def _run_streams(
    count: int, seconds: float, via_proxy: bool
) -> tuple[list[StreamResult], float]:
    """``count`` streams for ``seconds`` (after a 2 s warm-up); results and CPU seconds used."""
    async with contextlib.AsyncExitStack() as stack:
        backend = None
        if via_proxy:
            server = await stack.enter_async_context(EmbeddedToxiproxy())
            backend = ToxiproxyBackend(server.url)
            stack.push_async_callback(backend.aclose)
        streams: list[Stream] = []
        for index in range(count):
            stream = open_stream(
                BENCH_PLAN, fault_backend=backend, proxy_name_prefix=f"bench{index}-"
            )
            await stack.enter_async_context(stream)
            streams.append(stream)
        await asyncio.sleep(2.0)
        for stream in streams:
            await stream.health()  # start the measured window here
        cpu_start = time.process_time()
        fps: list[list[float]] = [[] for _ in streams]
        latency: list[list[float]] = [[] for _ in streams]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(BENCH_PLAN.sample_seconds)
            for index, stream in enumerate(streams):
                sample = (await stream.judged()).sample
                fps[index].append(sample.fps)
                if sample.latency_ms is not None:
                    latency[index].append(sample.latency_ms)
        cpu = time.process_time() - cpu_start
    results = [
        StreamResult(statistics.fmean(f), statistics.median(lat) if lat else None)
        for f, lat in zip(fps, latency, strict=True)
    ]
    return results, cpu


def _worker(count: int, seconds: float, via_proxy: bool, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    results, cpu = asyncio.run(_run_streams(count, seconds, via_proxy))
    out.put(([(r.fps, r.latency_ms) for r in results], cpu))


def capacity(counts: list[int], processes: int, seconds: float, via_proxy: bool) -> None:
    route = "through the embedded UDP proxy" if via_proxy else "direct on 127.0.0.1"
    print(f"640x360@30 VP8+Opus streams, {route}, {processes} process(es), {seconds:g} s each")
    header = ("streams", "mean fps", "min fps", "≥28 fps", "lat p50", "CPU/stream")
    print("{:>7} {:>8} {:>7} {:>7} {:>8} {:>10}".format(*header))
    context = multiprocessing.get_context("spawn")
    for total in counts:
        shares = [
            total // processes + (1 if i < total % processes else 0) for i in range(processes)
        ]
        shares = [share for share in shares if share]
        queue = context.Queue()
        workers = [
            context.Process(target=_worker, args=(share, seconds, via_proxy, queue))
            for share in shares
        ]
        for worker in workers:
            worker.start()
        results: list[tuple[float, float | None]] = []
        cpu = 0.0
        for _ in workers:
            got, used = queue.get(timeout=seconds + 120)
            results.extend(got)
            cpu += used
        for worker in workers:
            worker.join()
        fps = [f for f, _ in results]
        lat = [lat for _, lat in results if lat is not None]
        holding = sum(1 for f in fps if f >= 28.0)
        print(
            f"{total:>7} {statistics.fmean(fps):>8.1f} {min(fps):>7.1f} {holding:>4}/{total:<2} "
            f"{statistics.median(lat) if lat else float('nan'):>6.0f}ms "
            f"{100 * cpu / seconds / total:>8.0f} %",
            flush=True,
        )


# -- detection latency ----------------------------------------------------------------------

FAULTS: dict[str, list[ToxicSpec]] = {
    "latency": [ToxicSpec("f-latency", "latency", attributes={"latency": 300})],
    "bandwidth": [ToxicSpec("f-bandwidth", "bandwidth", attributes={"rate": 25})],
    "loss": [ToxicSpec("f-loss", "loss", attributes={"probability": 0.10})],
    "blackout": [ToxicSpec("f-blackout", "blackhole")],
    "flapping": [ToxicSpec("f-flap", "blackhole")],
}
FLAP_ON_S = 1.0
FLAP_OFF_S = 1.0


async def _until(stream: Stream, kind: TransitionKind, within_s: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        await asyncio.sleep(stream.interval_s)
        judged = await stream.judged()
        if judged.transition is not None and judged.transition.kind is kind:
            return time.monotonic() - started
    return None


async def _flap(backend: ToxiproxyBackend, proxy: str, toxic: ToxicSpec) -> None:
    while True:
        await backend.add_toxic(proxy, toxic)
        await asyncio.sleep(FLAP_ON_S)
        await backend.remove_toxic(proxy, toxic.name)
        await asyncio.sleep(FLAP_OFF_S)


async def detect(kinds: list[str], runs: int) -> None:
    async with EmbeddedToxiproxy() as server:
        backend = ToxiproxyBackend(server.url)
        stream = open_stream(BENCH_PLAN, fault_backend=backend, proxy_name_prefix="bench-")
        try:
            async with stream:
                (proxy,) = stream.media_proxies
                if await _until(stream, TransitionKind.BASELINE_HEALTHY, 20.0) is None:
                    sys.exit("the stream never became healthy: nothing to measure")
                print(
                    f"detection latency over {runs} run(s) each, 640x360@30, sampled every "
                    f"{stream.interval_s:g} s, degraded after "
                    f"{BENCH_PLAN.thresholds.degrade_after} bad samples"
                )
                print(
                    f"{'fault':>10} {'p50 s':>6} {'max s':>6} {'missed':>6} {'recovery p50 s':>14}"
                )
                for kind in kinds:
                    detected: list[float] = []
                    recovered: list[float] = []
                    missed = 0
                    for _ in range(runs):
                        flapper: asyncio.Task[None] | None = None
                        if kind == "flapping":
                            flapper = asyncio.create_task(_flap(backend, proxy, FAULTS[kind][0]))
                        else:
                            for toxic in FAULTS[kind]:
                                await backend.add_toxic(proxy, toxic)
                        took = await _until(stream, TransitionKind.DEGRADED, 15.0)
                        if flapper is not None:
                            flapper.cancel()
                            with contextlib.suppress(asyncio.CancelledError):
                                await flapper
                        for toxic in FAULTS[kind]:
                            held = await backend.proxy(proxy)
                            if held is not None and held.toxic(toxic.name) is not None:
                                await backend.remove_toxic(proxy, toxic.name)
                        if took is None:
                            missed += 1
                            continue
                        detected.append(took)
                        back = await _until(stream, TransitionKind.RECOVERED, 30.0)
                        if back is not None:
                            recovered.append(back)
                    p50 = statistics.median(detected) if detected else float("nan")
                    worst = max(detected) if detected else float("nan")
                    rec = statistics.median(recovered) if recovered else float("nan")
                    print(
                        f"{kind:>10} {p50:>6.2f} {worst:>6.2f} {missed:>6} {rec:>14.2f}", flush=True
                    )
                print(f"outages during the run: {len(stream.outages)}")
        finally:
            await backend.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capacity", help="streams per machine at ≥ 28 fps")
    cap.add_argument("--counts", default="1,4,6,8,10", help="comma-separated stream counts")
    cap.add_argument("--processes", type=int, default=1)
    cap.add_argument("--seconds", type=float, default=8.0)
    cap.add_argument("--direct", action="store_true", help="no proxy: peers talk directly")
    det = sub.add_parser("detect", help="fault detection latency, p50 and max")
    det.add_argument("--runs", type=int, default=10)
    det.add_argument("--faults", default=",".join(FAULTS), help=f"any of {', '.join(FAULTS)}")
    args = parser.parse_args()
    if args.command == "capacity":
        counts = [int(part) for part in args.counts.split(",") if part.strip()]
        capacity(counts, max(1, args.processes), args.seconds, not args.direct)
    else:
        kinds = [part.strip() for part in args.faults.split(",") if part.strip()]
        unknown = [kind for kind in kinds if kind not in FAULTS]
        if unknown:
            parser.error(f"unknown fault kinds {unknown}; known: {', '.join(FAULTS)}")
        asyncio.run(detect(kinds, max(1, args.runs)))


if __name__ == "__main__":
    main()
