"""The drill's ``stream:`` section: which test stream to run and what counts as healthy.

A :class:`StreamPlan` says what the synthetic stream looks like (resolution, fps, bitrate, audio,
video), where it goes (the loopback target through the fault layer, or a vendor's WHIP endpoint),
how often its health is sampled, and the :class:`StreamThresholds` that decide degraded and
recovered. Five built-in scenarios come from live-streaming practice; a drill picks one and may
override any field::

    stream:
      scenario: showroom          # showroom | social-1v1 | voice-room | game-voice | ecommerce-live
      target: loopback            # loopback | whip
      path: udp                   # udp (embedded proxy) | turn-tcp (coturn behind a TCP proxy)
      resolution: 640x360
      fps: 30
      thresholds: {max_loss_pct: 3, max_latency_rise_ms: 150}

The ``whip`` target publishes to a vendor's WHIP ingest (RFC 9725) and plays the stream back
through the vendor's WHEP endpoint; both URLs may be environment references, and the Bearer
token must be one (a drill never holds a secret)::

    stream:
      target: whip
      whip_url: https://ingest.vendor.example/whip/drill     # or ${VENDOR_WHIP_URL}
      whep_url: ${VENDOR_WHEP_URL}
      token: ${VENDOR_WHIP_TOKEN}

Where the threshold numbers come from (see shared/research/webrtc-testing-anchors.md):

- Loss above 5 % is a network issue in webrtc-issue-detector (``highPacketLossThresholdPct``) and
  the edge of BytePlus RTC's "Good" level (uplink loss < 5 %).
- End-to-end delay under 600 ms and RTT under 250 ms are BytePlus RTC's "Good" level; 250 ms RTT
  is also webrtc-issue-detector's ``highRttThresholdMs``.
- Jitter under 30 ms is Microsoft Teams' network target for real-time media (any 15 s).
- A track frozen for 30 % or more of an interval is webrtc-issue-detector's frozen-video rule;
  a freeze itself is the W3C webrtc-stats ``freezeCount`` rule.
- MOS bands (BAD 2.1, POOR 2.6, FAIR 3.1, GOOD 3.8) are webrtc-issue-detector's ``MosQuality``.
- Bitrates: Azure Communication Services needs 1.2 Mbps for 720p30 and 500 kbps for 360p30.
- 600 ms connect time for 1v1 social is the target named in the drill issue (connect time is
  what users of a 1v1 app feel first).
- The latency *rise* over the stream's own baseline (``max_latency_rise_ms``) catches an added
  delay even where the absolute figure stays inside the "Good" band: a stream that jumps from
  40 ms to 340 ms has been hit by something, and a drill must see that within seconds.

This module is pure: nothing here imports aiortc or touches the network.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any

from .reader import Section, suggest


class PlanInvalid(ValueError):
    """A stream plan that cannot be streamed; ``keys`` are the drill keys that could fix it."""

    def __init__(self, message: str, *keys: str) -> None:
        super().__init__(message)
        self.keys = keys


class StreamTarget(enum.StrEnum):
    """Where the stream is published."""

    LOOPBACK = "loopback"
    """Publisher and viewer peers in the harness, media through the fault layer."""
    WHIP = "whip"
    """A vendor's WHIP ingest (RFC 9725), played back over WHEP."""


class MediaPath(enum.StrEnum):
    """How loopback media crosses the fault layer (the whip target is always ``udp``)."""

    UDP = "udp"
    """ICE over loopback host candidates, every datagram through the fault layer's UDP relay."""
    TURN_TCP = "turn-tcp"
    """Relay-only ICE through a coturn TURN/TCP allocation, behind a Toxiproxy TCP proxy."""


@dataclass(frozen=True)
class StreamThresholds:
    """Per-scenario limits; a sample outside any of them is unhealthy, with that as the reason.

    ``None`` switches a check off (e.g. video checks on an audio-only scenario).
    """

    min_fps: float | None = None
    """Frames per second the viewer must receive (video, or audio frames when audio-only)."""
    max_frozen_fraction: float = 0.3
    """Share of a sample interval spent frozen (W3C freeze rule) before it counts as frozen."""
    max_latency_ms: float | None = 600.0
    """Glass-to-glass latency, absolute."""
    max_latency_rise_ms: float | None = 200.0
    """Glass-to-glass latency above the stream's own baseline (its best recent figure)."""
    max_loss_pct: float | None = 5.0
    max_jitter_ms: float | None = 30.0
    max_rtt_ms: float | None = None
    """Publisher-side RTT; off by default because aiortc's figure lags by seconds."""
    min_mos: float | None = 3.1
    min_bitrate_kbps: float | None = None
    max_connect_ms: float = 3000.0
    """Offer to ICE+DTLS connected; checked on the baseline and on every reconnection."""
    max_first_frame_ms: float = 5000.0
    """Offer to the first decoded frame."""
    degrade_after: int = 2
    """Consecutive unhealthy samples before the stream is called degraded."""
    recover_after: int = 4
    """Consecutive healthy samples before a degraded stream is called recovered."""

    def __post_init__(self) -> None:
        if self.degrade_after < 1 or self.recover_after < 1:
            raise ValueError("degrade_after and recover_after must be at least 1")
        if not 0.0 < self.max_frozen_fraction <= 1.0:
            raise ValueError("max_frozen_fraction must be in (0, 1]")


@dataclass(frozen=True)
class StreamPlan:
    """The test stream of one drill."""

    scenario: str
    target: StreamTarget = StreamTarget.LOOPBACK
    path: MediaPath = MediaPath.UDP
    width: int = 640
    height: int = 360
    fps: int = 30
    bitrate_kbps: int = 500
    """The scenario's nominal video bitrate, reported with the stream. Not enforced on the
    loopback target: aiortc's VP8 encoder sets its own rate from REMB, between 250 and 1500 kbps."""
    video: bool = True
    audio: bool = True
    tone_hz: float = 440.0
    """Frequency of the audio tone; 0 sends silence."""
    sample_interval: timedelta = timedelta(milliseconds=500)
    dead_after: timedelta = timedelta(seconds=20)
    """No media for this long, or a failed connection, and the peers are rebuilt (an outage)."""
    thresholds: StreamThresholds = StreamThresholds()
    whip_url: str | None = None
    """The vendor's WHIP ingest endpoint, or ``${VARIABLE}`` naming where it is."""
    whep_url: str | None = None
    """The vendor's WHEP playback endpoint for the same stream, or ``${VARIABLE}``."""
    token_env: str | None = None
    """The environment variable holding the endpoints' Bearer token (never the token)."""
    description: str = ""
    source: str = ""
    """Where the scenario's numbers come from."""

    def __post_init__(self) -> None:
        if not (self.video or self.audio):
            raise PlanInvalid("a stream needs video, audio or both", "video", "audio")
        if self.width < 64 or self.height < 64 or self.width % 2 or self.height % 2:
            raise PlanInvalid(
                f"resolution {self.width}x{self.height}: need even sides of ≥ 64", "resolution"
            )
        if not 1 <= self.fps <= 60:
            raise PlanInvalid(f"fps {self.fps}: must be 1 to 60", "fps")
        if self.target is StreamTarget.WHIP and not self.whip_url:
            raise PlanInvalid("target whip needs whip_url", "target")
        if self.target is StreamTarget.WHIP and not self.whep_url:
            raise PlanInvalid(
                "target whip needs whep_url (the stream is watched through WHEP)", "target"
            )
        if self.target is StreamTarget.WHIP and self.path is not MediaPath.UDP:
            # The vendor's media is UDP to its own servers; there is no TURN leg to impair.
            raise PlanInvalid("target whip takes path udp", "path")

    @property
    def resolution(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def sample_seconds(self) -> float:
        return self.sample_interval.total_seconds()


_VIDEO_SOURCE = (
    "webrtc-issue-detector (loss 5 %, frozen 30 %, MOS bands), BytePlus RTC quality levels "
    "(delay < 600 ms), Microsoft Teams network targets (jitter < 30 ms), Azure Communication "
    "Services bitrates"
)

BUILTIN_SCENARIOS: dict[str, StreamPlan] = {
    "showroom": StreamPlan(
        scenario="showroom",
        width=1280,
        height=720,
        fps=30,
        bitrate_kbps=1500,
        description="Showroom live: 720p30 at a high bitrate, a product shown in detail.",
        thresholds=StreamThresholds(min_fps=24.0, min_bitrate_kbps=250.0, min_mos=3.1),
        source=_VIDEO_SOURCE + "; ACS: 1.2 Mbps for 720p30",
    ),
    "social-1v1": StreamPlan(
        scenario="social-1v1",
        width=640,
        height=360,
        fps=30,
        bitrate_kbps=500,
        description="1v1 social: a private call where connect time is what users feel first.",
        thresholds=StreamThresholds(
            min_fps=24.0,
            max_latency_ms=400.0,
            max_connect_ms=600.0,
            max_first_frame_ms=1000.0,
            min_mos=3.8,
        ),
        source=_VIDEO_SOURCE + "; 600 ms connect target from the drill issue; MOS GOOD 3.8",
    ),
    "voice-room": StreamPlan(
        scenario="voice-room",
        video=False,
        description="Voice-chat room: audio only, many listeners, speech must stay intelligible.",
        thresholds=StreamThresholds(
            min_fps=40.0,  # Opus sends 50 frames of 20 ms a second
            max_latency_rise_ms=200.0,
            min_mos=3.1,
        ),
        source="webrtc-issue-detector (loss 5 %, MOS FAIR 3.1); Teams jitter < 30 ms",
    ),
    "game-voice": StreamPlan(
        scenario="game-voice",
        video=False,
        description="Game voice: low-latency audio between players; delay matters most.",
        thresholds=StreamThresholds(
            min_fps=45.0,
            max_latency_ms=150.0,
            max_latency_rise_ms=100.0,
            max_loss_pct=3.0,
            max_jitter_ms=30.0,
            min_mos=3.8,
            degrade_after=2,
            recover_after=4,
        ),
        source=(
            "Teams targets (RTT < 100 ms, jitter < 30 ms); Opensignal games experience "
            "(latency, jitter, loss); MOS GOOD 3.8"
        ),
    ),
    "ecommerce-live": StreamPlan(
        scenario="ecommerce-live",
        width=960,
        height=540,
        fps=25,
        bitrate_kbps=1000,
        description="E-commerce live: a host selling on camera to many viewers; steady video.",
        thresholds=StreamThresholds(min_fps=20.0, min_bitrate_kbps=250.0, min_mos=3.1),
        source=_VIDEO_SOURCE,
    ),
}

_PLAN_KEYS = (
    "scenario",
    "target",
    "path",
    "resolution",
    "fps",
    "bitrate_kbps",
    "video",
    "audio",
    "tone_hz",
    "sample_interval",
    "dead_after",
    "thresholds",
    "whip_url",
    "whep_url",
    "token",
)
_FLOAT_THRESHOLDS = tuple(
    item.name
    for item in fields(StreamThresholds)
    if item.name not in ("degrade_after", "recover_after")
)
_RESOLUTION = re.compile(r"(\d+)x(\d+)")
ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
"""``${VARIABLE}``: a value the drill names instead of holding (group 1 is the name)."""


def _parse_resolution(value: Any) -> tuple[int, int]:
    match = _RESOLUTION.fullmatch(str(value).strip())
    if match is None:
        raise ValueError(f"{value!r} is not a resolution; write WIDTHxHEIGHT, e.g. 640x360")
    return int(match.group(1)), int(match.group(2))


def _parse_thresholds(section: Section, base: StreamThresholds) -> StreamThresholds:
    section.only((*_FLOAT_THRESHOLDS, "degrade_after", "recover_after"))
    changes: dict[str, Any] = {}
    for name in _FLOAT_THRESHOLDS:
        if name in section:
            if section.raw(name, None) is None:
                changes[name] = None  # an explicit null switches the check off
                continue
            changes[name] = section.number(name, minimum=0.0)
    for name in ("degrade_after", "recover_after"):
        if name in section:
            changes[name] = section.integer(name, minimum=1)
    for required in ("max_frozen_fraction", "max_connect_ms", "max_first_frame_ms"):
        if required in changes and changes[required] is None:
            section.fail("cannot be switched off", required)
    try:
        return replace(base, **changes)
    except ValueError as exc:
        section.fail(str(exc))


def parse_stream_section(section: Section) -> StreamPlan:
    """The drill's ``stream:`` mapping as a :class:`StreamPlan`; errors name file:line:field."""
    section.only(_PLAN_KEYS)
    name = section.string("scenario", "showroom")
    if name not in BUILTIN_SCENARIOS:
        section.fail(
            f"unknown scenario {name!r}{suggest(name, sorted(BUILTIN_SCENARIOS))}", "scenario"
        )
    plan = BUILTIN_SCENARIOS[name]
    changes: dict[str, Any] = {}
    if "target" in section:
        changes["target"] = section.choice("target", StreamTarget)
    if "path" in section:
        changes["path"] = section.choice("path", MediaPath)
    if "resolution" in section:
        changes["width"], changes["height"] = section.parsed("resolution", _parse_resolution)
    if "fps" in section:
        changes["fps"] = section.integer("fps", minimum=1)
    if "bitrate_kbps" in section:
        changes["bitrate_kbps"] = section.integer("bitrate_kbps", minimum=1)
    for flag in ("video", "audio"):
        if flag in section:
            changes[flag] = section.boolean(flag)
    if "tone_hz" in section:
        changes["tone_hz"] = section.number("tone_hz", minimum=0.0, maximum=20000.0)
    for key in ("sample_interval", "dead_after"):
        if key in section:
            changes[key] = section.duration(key)
    for key in ("whip_url", "whep_url"):
        if key in section:
            url = section.string(key)
            if not ENV_REFERENCE.match(url) and not url.startswith(("http://", "https://")):
                section.fail("must be an http:// or https:// URL, or ${VARIABLE}", key)
            changes[key] = url
    if "token" in section:
        reference = ENV_REFERENCE.match(section.string("token"))
        if reference is None:
            section.fail(
                "put the token in an environment variable and write ${VARIABLE_NAME} here",
                "token",
            )
        changes["token_env"] = reference.group(1)
    if "thresholds" in section:
        changes["thresholds"] = _parse_thresholds(section.section("thresholds"), plan.thresholds)
    if changes.get("video") is False and "thresholds" not in section and plan.video:
        # A video scenario turned audio-only: its video frame-rate floor no longer applies.
        changes["thresholds"] = replace(plan.thresholds, min_fps=40.0, min_bitrate_kbps=None)
    try:
        stream = replace(plan, **changes)
    except PlanInvalid as exc:
        # Name the key the error is about, not merely one that was given (fps, not resolution).
        section.fail(str(exc), next((key for key in exc.keys if key in section), None))
    return stream
