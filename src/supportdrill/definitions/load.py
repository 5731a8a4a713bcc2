"""The drill's ``load:`` section: a surge of viewers on the stream's viewing side.

A surge is a profile in four parts, played by Locust in processes of its own
(:mod:`supportdrill.load`): viewers join at a steady rate until ``peak_viewers`` are watching
(``ramp_up``), stay for ``hold`` (or until the runner lifts the drill's faults), and leave over
``ramp_down``. Each viewer is one of five kinds (``mode``)::

    load:
      mode: whep                  # whep | whep-signalling | hls | ll-hls | http-flv
      url: ${VENDOR_WHEP_URL}     # default for the whep modes: the stream's whep_url
      peak_viewers: 200
      ramp_up: 30s
      hold: until_lifted          # or a duration
      ramp_down: 10s
      workers: 0                  # 0: Locust's local runner; N: a master waiting for N workers
      thresholds: {min_join_success_pct: 95, max_first_frame_p95_ms: 3000}

- ``whep``: a real WebRTC subscriber through the vendor's WHEP endpoint (offer, ICE, DTLS, media);
  it counts as joined at its first decoded video frame.
- ``whep-signalling``: the WHEP offer/answer and one ICE connectivity check, then the session is
  deleted; joined when the vendor's ICE agent answers the check. Cheap: many per process.
- ``hls`` / ``ll-hls``: the playlist, then the newest segment (LL-HLS: the newest part);
  joined at the segment's first byte. ``http-flv``: one long GET, joined at the first FLV tag.

The load figures judge the stream too: a window of joins whose success rate falls below
``min_join_success_pct``, or whose 95th-percentile time to first frame (first byte for the HTTP
modes) exceeds ``max_first_frame_p95_ms``, is unhealthy, and ``degrade_after`` unhealthy windows
in a row call the stream degraded, exactly as the probe stream's own samples can. A load and a
network ``fault:`` can be combined: both start at the fault phase and are lifted together.

Pure: nothing here imports Locust or touches the network.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import timedelta

from .reader import Section
from .scenarios import ENV_REFERENCE

MAX_VIEWERS = 100_000
"""A typo guard: more viewers than any one drill should start (Locust's own master tops out
well below this per machine)."""


class LoadMode(enum.StrEnum):
    """What each simulated viewer does."""

    WHEP = "whep"
    WHEP_SIGNALLING = "whep-signalling"
    HLS = "hls"
    LL_HLS = "ll-hls"
    HTTP_FLV = "http-flv"

    @property
    def webrtc(self) -> bool:
        return self in (LoadMode.WHEP, LoadMode.WHEP_SIGNALLING)

    @property
    def first(self) -> str:
        """What the time-to-first figure measures for this mode."""
        return "first frame" if self is LoadMode.WHEP else "first byte"


@dataclass(frozen=True)
class LoadThresholds:
    """When the load figures call the stream degraded (``None`` switches a check off)."""

    min_join_success_pct: float | None = 90.0
    max_first_frame_p95_ms: float | None = 5000.0
    degrade_after: int = 2
    """Consecutive unhealthy windows before the load calls the stream degraded."""
    min_joins: int = 3
    """A window with fewer join attempts is not judged (too few to say anything)."""


@dataclass(frozen=True)
class LoadPlan:
    """One drill's viewer surge."""

    mode: LoadMode
    peak_viewers: int
    ramp_up: timedelta
    hold: timedelta | None
    """``None``: hold until the runner lifts the drill's faults."""
    ramp_down: timedelta
    url: str | None = None
    """Where viewers go; ``None``: the stream's ``whep_url`` (whep modes only)."""
    workers: int = 0
    """0: Locust's local runner. N: a Locust master that waits for N workers."""
    spawn_workers: bool = True
    """With ``workers``: start them on this machine (else ``supportdrill load worker``)."""
    master_host: str = "127.0.0.1"
    master_port: int = 5557
    join_timeout: timedelta = timedelta(seconds=10)
    sample_interval: timedelta = timedelta(seconds=2)
    expect_degraded_within: timedelta = timedelta(seconds=60)
    thresholds: LoadThresholds = LoadThresholds()

    @property
    def spawn_rate(self) -> float:
        """Viewers joining per second during the ramp up."""
        return self.peak_viewers / max(self.ramp_up.total_seconds(), 1e-3)

    @property
    def leave_rate(self) -> float:
        """Viewers leaving per second during the ramp down."""
        return self.peak_viewers / max(self.ramp_down.total_seconds(), 1e-3)

    def describe(self) -> str:
        """``"load: 40 whep viewers, ramp 10s, hold until lifted, ramp down 5s"``."""
        hold = "until lifted" if self.hold is None else f"{self.hold.total_seconds():g}s"
        where = "local runner" if self.workers == 0 else f"{self.workers} Locust workers"
        return (
            f"load: {self.peak_viewers} {self.mode} viewers, ramp up "
            f"{self.ramp_up.total_seconds():g}s, hold {hold}, ramp down "
            f"{self.ramp_down.total_seconds():g}s ({where})"
        )


_KEYS = (
    "mode",
    "url",
    "peak_viewers",
    "ramp_up",
    "hold",
    "ramp_down",
    "workers",
    "spawn_workers",
    "master_host",
    "master_port",
    "join_timeout",
    "sample_interval",
    "expect_degraded_within",
    "thresholds",
)
UNTIL_LIFTED = "until_lifted"


def _thresholds(section: Section) -> LoadThresholds:
    section.only(("min_join_success_pct", "max_first_frame_p95_ms", "degrade_after", "min_joins"))
    values: dict[str, float | None] = {}
    for key, maximum in (("min_join_success_pct", 100.0), ("max_first_frame_p95_ms", None)):
        value: float | None = None  # an explicit null switches the check off
        if key not in section or section.raw(key, None) is not None:
            value = section.number(key, getattr(LoadThresholds, key), maximum=maximum)
            if value is not None and value <= 0:
                section.fail("must be more than zero (or null to switch the check off)", key)
        values[key] = value
    if values["min_join_success_pct"] is None and values["max_first_frame_p95_ms"] is None:
        section.fail("switches every check off: the load could never call the stream degraded")
    return LoadThresholds(
        min_join_success_pct=values["min_join_success_pct"],
        max_first_frame_p95_ms=values["max_first_frame_p95_ms"],
        degrade_after=section.integer("degrade_after", 2, minimum=1),
        min_joins=section.integer("min_joins", 3, minimum=1),
    )


def parse_load_section(section: Section) -> LoadPlan:
    """The drill's ``load:`` mapping as a :class:`LoadPlan`; errors name file:line:field."""
    section.only(_KEYS)
    mode: LoadMode = section.choice("mode", LoadMode)
    url = section.string("url", None)
    if (
        url is not None
        and not ENV_REFERENCE.match(url)
        and not url.startswith(("http://", "https://"))
    ):
        section.fail("must be an http:// or https:// URL, or ${VARIABLE}", "url")
    if url is None and not mode.webrtc:
        section.fail(f"mode {mode} needs the playback URL (the playlist or the FLV stream)", "url")
    peak = section.integer("peak_viewers", minimum=1)
    if peak > MAX_VIEWERS:
        section.fail(f"at most {MAX_VIEWERS} viewers, got {peak}", "peak_viewers")
    hold: timedelta | None
    if section.raw("hold", None) == UNTIL_LIFTED:
        hold = None
    else:
        hold = section.duration("hold", None)
        if hold is None:
            section.fail(f"is required: a duration, or {UNTIL_LIFTED}", "hold", line=section.line)
    workers = section.integer("workers", 0, minimum=0)
    if workers > peak:
        section.fail(f"{workers} workers for {peak} viewers: some would have none", "workers")
    port = section.integer("master_port", 5557, minimum=1)
    if port > 65535:
        section.fail(f"not a port: {port}", "master_port")
    interval = section.duration("sample_interval", timedelta(seconds=2))
    if interval < timedelta(seconds=1):
        section.fail("must be at least 1s: Locust reports once a second", "sample_interval")
    ramp_up = section.duration("ramp_up", timedelta(seconds=10))
    if peak / ramp_up.total_seconds() > 1000:
        section.fail(
            f"{math.ceil(peak / ramp_up.total_seconds())} joins a second is more than one "
            "Locust process can start; lengthen the ramp up",
            "ramp_up",
        )
    thresholds = section.section("thresholds", None)
    return LoadPlan(
        mode=mode,
        peak_viewers=peak,
        ramp_up=ramp_up,
        hold=hold,
        ramp_down=section.duration("ramp_down", timedelta(seconds=5)),
        url=url,
        workers=workers,
        spawn_workers=section.boolean("spawn_workers", True),
        master_host=section.string("master_host", "127.0.0.1"),
        master_port=port,
        join_timeout=section.duration("join_timeout", timedelta(seconds=10)),
        sample_interval=interval,
        expect_degraded_within=section.duration("expect_degraded_within", timedelta(seconds=60)),
        thresholds=LoadThresholds() if thresholds is None else _thresholds(thresholds),
    )
