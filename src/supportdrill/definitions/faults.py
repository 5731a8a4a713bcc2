"""The drill's ``fault:`` section, and the built-in fault profiles with their sources.

A fault is a list of phases; each phase is a set of toxics held for a while (``hold``, or until
the runner lifts it on an event), stepped towards their values (``ramp``), or switched on and
off (``flap``). A profile is a named, cited plan. Numbers in a profile are the source's; each
toxic applies them in both directions unless the source gives directions separately.
Pure: no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

from .reader import Section, suggest
from .toxics import (
    AttributeValue,
    Direction,
    ToxicInvalid,
    Transport,
    check_attributes,
    check_toxicity,
    toxic_types,
)

DOWN = "down"
"""A pseudo toxic: the proxy is disabled, so connections are refused (edge outage)."""

BOTH = (Direction.UPSTREAM, Direction.DOWNSTREAM)


class PhaseKind(enum.StrEnum):
    HOLD = "hold"
    RAMP = "ramp"
    FLAP = "flap"


@dataclass(frozen=True)
class ToxicPlan:
    type: str
    transport: Transport
    directions: tuple[Direction, ...] = BOTH
    toxicity: float = 1.0
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    start: Mapping[str, AttributeValue] = field(default_factory=dict)
    """For a ramp: the values at its start (the toxic's ``attributes`` are the end)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))
        object.__setattr__(self, "start", MappingProxyType(dict(self.start)))

    def at(self, fraction: float) -> Mapping[str, AttributeValue]:
        """Attributes ``fraction`` (0..1) of the way from ``start`` to ``attributes``."""
        values = dict(self.attributes)
        for key, begin in self.start.items():
            end = self.attributes.get(key, begin)
            if isinstance(end, bool) or isinstance(begin, bool):
                continue
            mixed = begin + (end - begin) * fraction
            values[key] = round(mixed) if isinstance(end, int) else mixed
        return values


@dataclass(frozen=True)
class FaultPhase:
    kind: PhaseKind
    toxics: tuple[ToxicPlan, ...]
    duration: timedelta | None = None
    """None: hold until the runner lifts the fault (``until`` names the event)."""
    period: timedelta | None = None
    steps: int = 1
    until: str | None = None


@dataclass(frozen=True)
class FaultPlan:
    profile: str
    region: str = ""
    symptom: str = ""
    phases: tuple[FaultPhase, ...] = ()
    expect_degraded_within: timedelta = timedelta(seconds=10)
    source: str = ""
    expect_recovered_within: timedelta | None = None
    """How long viewers may see the outage: stream degraded → stream recovered, judged as a
    stream expectation (a runbook's failover must restore the stream this fast)."""

    @property
    def transports(self) -> frozenset[Transport]:
        return frozenset(t.transport for phase in self.phases for t in phase.toxics)


@dataclass(frozen=True)
class FaultProfile:
    name: str
    region: str
    symptom: str
    source: str
    phases: tuple[FaultPhase, ...]
    numbers: str
    """The source's figures, as ``supportdrill profiles`` shows them."""

    def plan(self, expect_degraded_within: timedelta = timedelta(seconds=10)) -> FaultPlan:
        return FaultPlan(
            self.name, self.region, self.symptom, self.phases, expect_degraded_within, self.source
        )


# -- building profiles from network conditions ---------------------------------------------


def _conditions(
    *,
    down_kbps: float | None = None,
    up_kbps: float | None = None,
    latency_ms: int = 0,
    jitter_ms: int = 0,
    loss_pct: float = 0.0,
    burst: float = 1.0,
) -> tuple[ToxicPlan, ...]:
    """Media (UDP) toxics for the conditions, plus latency on TCP signalling/TURN."""
    udp, tcp = Transport.UDP, Transport.TCP
    toxics: list[ToxicPlan] = []
    if latency_ms or jitter_ms:
        timing = {"latency": latency_ms, "jitter": jitter_ms}
        toxics.append(ToxicPlan("latency", udp, attributes={**timing, "reorder": False}))
        toxics.append(ToxicPlan("latency", tcp, attributes=timing))
    for kbps, direction in ((down_kbps, Direction.DOWNSTREAM), (up_kbps, Direction.UPSTREAM)):
        if kbps:
            toxics.append(ToxicPlan("bandwidth", udp, (direction,), attributes={"rate": kbps / 8}))
    if loss_pct:
        attrs = {"probability": loss_pct / 100, "burst": burst}
        toxics.append(ToxicPlan("loss", udp, attributes=attrs))
    return tuple(toxics)


def _hold(toxics: tuple[ToxicPlan, ...]) -> tuple[FaultPhase, ...]:
    return (FaultPhase(PhaseKind.HOLD, toxics),)


TESTRTC = (
    "testRTC test profile configurations, https://testrtc.com/docs/test-profile-configurations/"
)
LOADERO = (
    "Loadero network conditions, "
    "https://wiki.loadero.com/test-creation/participant-configuration/network-conditions/"
)

# name: (bandwidth kbps, latency ms, loss %) — testRTC's table, word for word.
_TESTRTC = {
    "call-drop": (50, 500, 20.0),
    "dsl": (8000, 40, 0.5),
    "very-bad-network": (1000, 500, 10.0),
    "wifi": (30000, 40, 0.2),
    "wifi-high-packet-loss": (30000, 40, 5.0),
    "regular-2.5g": (150, 200, 3.0),
    "regular-3g": (750, 250, 1.5),
    "poor-3g": (400, 350, 5.0),
    "regular-4g": (4000, 0, 2.0),
    "poor-4g": (4000, 350, 5.0),
    "unstable-4g": (4000, 500, 10.0),
    "high-latency-4g": (4000, 600, 0.2),
    "high-packet-loss-4g": (4000, 5, 20.0),
    "50-percent-packet-loss": (40000, 10, 50.0),
}

# name: (down kbps, up kbps, loss %, latency ms, jitter ms) — Loadero's table (incoming first).
_LOADERO = {
    "4g": (100000, 50000, 0.2, 45, 15),
    "3.5g": (20000, 10000, 0.5, 150, 10),
    "3g": (1200, 1200, 0.5, 250, 50),
    "gprs": (80, 20, 1.0, 650, 100),
    "edge": (200, 260, 1.0, 650, 100),
    "asymmetric": (500, 1000, 0.0, 50, 10),
    "satellite-phone": (1000, 256, 0.0, 600, 0),
    "high-latency": (None, None, 0.0, 500, 50),
}


def _builtin() -> dict[str, FaultProfile]:
    profiles: dict[str, FaultProfile] = {}

    def add(
        name: str,
        region: str,
        symptom: str,
        source: str,
        numbers: str,
        phases: tuple[FaultPhase, ...],
    ) -> None:
        profiles[name] = FaultProfile(name, region, symptom, source, phases, numbers)

    for name, (kbps, latency, loss) in _TESTRTC.items():
        add(
            f"testrtc-{name}",
            "any",
            f"testRTC {name}",
            TESTRTC,
            f"{kbps} kbps, {latency} ms, {loss}% loss",
            _hold(_conditions(down_kbps=kbps, up_kbps=kbps, latency_ms=latency, loss_pct=loss)),
        )
    for name, (down, up, loss, latency, jitter) in _LOADERO.items():
        add(
            f"loadero-{name}",
            "any",
            f"Loadero {name}",
            LOADERO,
            f"{down or '-'}/{up or '-'} kbps, {loss}% loss, {latency} ms ± {jitter} ms",
            _hold(
                _conditions(
                    down_kbps=down, up_kbps=up, latency_ms=latency, jitter_ms=jitter, loss_pct=loss
                )
            ),
        )
    for pct in (5, 10, 20, 50, 100):
        add(
            f"loadero-{pct}-percent-packetloss",
            "any",
            f"{pct}% packet loss",
            LOADERO,
            f"{pct}% loss",
            _hold(_conditions(loss_pct=pct)),
        )
    regional = [
        # name, region, symptom, numbers (down, up kbps, one-way ms, jitter, loss %, burst), source
        (
            "sea-mobile-peak",
            "Southeast Asia",
            "mobile congestion at evening peak",
            (9000, 3000, 47, 30, 2.0, 3.0),
            "Opensignal 2019 Malaysia 4G 9 Mbps at 10pm peak; Ookla Q4 2022 PH mobile 47 ms "
            "(Smart); Teams jitter limit 30 ms; testRTC Regular 4G 2% loss, in bursts",
        ),
        (
            "middle-east-out-of-region",
            "Middle East",
            "media served from Europe",
            (32200, 13100, 99, 15, 0.5, 1.0),
            "Meqyas Q1 2019 Saudi mobile 32.2/13.1 Mbps; SpeedChecker/SAMENA 2021 (traffic "
            "tromboned via Europe); cloudping ap-east-1→eu-central-1 198.5 ms RTT ≈ 99 ms each "
            "way; testRTC DSL 0.5% loss",
        ),
        (
            "latam-4g",
            "Latin America",
            "4G with distant media region",
            (27200, 8500, 62, 20, 2.0, 1.0),
            "Opensignal Jan 2024 Brazil 27.2/8.5 Mbps; mobiletime 2018 Brazil 4G latency "
            "61.2-65.1 ms; testRTC Regular 4G 2% loss",
        ),
        (
            "africa-3g",
            "Africa",
            "3G with long path to Europe",
            (2890, 750, 96, 50, 1.5, 2.0),
            "Ookla Q2 2022 Africa median 2.89 Mbps (Guinea); Ookla Q2 2023 Cameroon 191 ms ≈ "
            "96 ms each way; testRTC Regular 3G 750 kbps up, 1.5% loss; Loadero 3G 50 ms jitter",
        ),
        (
            "japan",
            "Japan",
            "good mobile, media in Hong Kong",
            (54700, 10000, 26, 5, 0.2, 1.0),
            "Opensignal Oct 2024 au 54.7 Mbps; cloudping ap-east-1→ap-northeast-1 52.6 ms RTT; "
            "testRTC Wifi 0.2% loss",
        ),
        (
            "us-west",
            "US West",
            "mobile, media in Hong Kong",
            (30000, 10000, 73, 10, 0.2, 1.0),
            "cloudping ap-east-1→us-west-2 146 ms RTT; Ookla Q4 2023 T-Mobile 50 ms; testRTC Wifi "
            "30 Mbps, 0.2% loss",
        ),
        (
            "eu",
            "Europe",
            "DSL, media in Hong Kong",
            (8000, 8000, 99, 10, 0.5, 1.0),
            "cloudping ap-east-1→eu-central-1 198.5 ms RTT; testRTC DSL 8 Mbps, 0.5% loss",
        ),
    ]
    for name, region, symptom, (down, up, latency, jitter, loss, burst), source in regional:
        add(
            name,
            region,
            symptom,
            source,
            f"{down}/{up} kbps, +{latency} ms ± {jitter} ms each way, {loss}% loss (burst {burst})",
            _hold(
                _conditions(
                    down_kbps=down,
                    up_kbps=up,
                    latency_ms=latency,
                    jitter_ms=jitter,
                    loss_pct=loss,
                    burst=burst,
                )
            ),
        )
    aiortc = "research/aiortc-feasibility.md (faults on the TURN TCP leg, measured)"
    collapse = (
        ToxicPlan("bandwidth", Transport.UDP, attributes={"rate": 50.0}, start={"rate": 2500.0}),
        ToxicPlan("bandwidth", Transport.TCP, attributes={"rate": 50}, start={"rate": 2500}),
    )
    add(
        "bandwidth-collapse",
        "any",
        "bandwidth collapses",
        aiortc,
        "20 Mbps → 50 KB/s in 5 steps over 30 s, then held",
        (
            FaultPhase(PhaseKind.RAMP, collapse, timedelta(seconds=30), steps=5),
            FaultPhase(PhaseKind.HOLD, collapse),
        ),
    )
    blackout = (
        ToxicPlan("blackhole", Transport.UDP),
        ToxicPlan("timeout", Transport.TCP, attributes={"timeout": 0}),
    )
    add(
        "blackout",
        "any",
        "no media, sockets open",
        aiortc,
        "all data dropped, connections open (lifting closes TCP ones, as Toxiproxy does)",
        _hold(blackout),
    )
    flap = (
        ToxicPlan("bandwidth", Transport.UDP, attributes={"rate": 125.0}),
        ToxicPlan("bandwidth", Transport.TCP, attributes={"rate": 125}),
    )
    add(
        "flapping-link",
        "any",
        "link flaps between 10 and 1 Mbit/s",
        "jitsi-meet-torture BandwidthEstimationTest tc schedule 10mbit,60 / 1mbit,60",
        "1 Mbit/s for 60 s every 120 s",
        (FaultPhase(PhaseKind.FLAP, flap, period=timedelta(seconds=120)),),
    )
    spike = (
        ToxicPlan(
            "latency", Transport.UDP, attributes={"latency": 300, "jitter": 0, "reorder": False}
        ),
        ToxicPlan("latency", Transport.TCP, attributes={"latency": 300, "jitter": 0}),
    )
    add("latency-spike", "any", "latency spike", aiortc, "+300 ms each way", _hold(spike))
    outage = (ToxicPlan(DOWN, Transport.UDP), ToxicPlan(DOWN, Transport.TCP))
    add(
        "edge-outage",
        "any",
        "edge refuses connections",
        "Toxiproxy README: a proxy that is down (enabled: false) refuses connections",
        "proxies disabled: connection refused",
        _hold(outage),
    )
    return profiles


BUILTIN_PROFILES: Mapping[str, FaultProfile] = MappingProxyType(_builtin())


def format_profiles() -> str:
    """The table ``supportdrill profiles`` prints: name, numbers, transports, source."""
    lines = []
    for profile in BUILTIN_PROFILES.values():
        transports = sorted({t.transport.value for p in profile.phases for t in p.toxics})
        kinds = "+".join(dict.fromkeys(p.kind.value for p in profile.phases))
        lines.append(f"{profile.name:34} {profile.numbers}  [{kinds}; {'/'.join(transports)}]")
        lines.append(f"{'':34} source: {profile.source}")
    return "\n".join(lines)


# -- parsing ----------------------------------------------------------------------------------


def _toxic(section: Section) -> tuple[ToxicPlan, ...]:
    section.only(["type", "protocol", "stream", "toxicity", "attributes", "from"])
    transport = section.choice("protocol", Transport, Transport.UDP)
    kind = section.string("type")
    directions_text = section.string("stream", "both")
    if directions_text not in ("both", "upstream", "downstream"):
        section.fail(f"{directions_text!r} is not one of both, upstream, downstream", "stream")
    directions = BOTH if directions_text == "both" else (Direction(directions_text),)
    toxicity = section.number("toxicity", 1.0)
    try:
        check_toxicity(toxicity)
    except ToxicInvalid as exc:
        section.fail(exc.message, "toxicity")
    values: list[dict[str, AttributeValue]] = []
    for key in ("attributes", "from"):
        raw = section.section(key, None)
        names = raw.names() if raw is not None else []
        given = {name: raw.raw(name) for name in names} if raw is not None else {}
        if kind == DOWN:
            if given:
                section.fail("a 'down' proxy takes no attributes", key)
            values.append({})
            continue
        try:
            checked = check_attributes(transport, kind, given)
        except ToxicInvalid as exc:
            if exc.field == "type":
                known = [*sorted(check_types(transport)), DOWN]
                section.fail(
                    f"unknown {transport} toxic type {kind!r}{suggest(kind, known)}", "type"
                )
            assert raw is not None
            raw.fail(exc.message, exc.field)
        values.append(
            {k: v for k, v in checked.items() if k in given} if key == "from" else checked
        )
    return (ToxicPlan(kind, transport, directions, toxicity, values[0], values[1]),)


def check_types(transport: Transport) -> list[str]:
    return list(toxic_types(transport))


def _phase(section: Section) -> FaultPhase:
    section.only(["kind", "toxics", "duration", "period", "steps", "until"])
    kind = section.choice("kind", PhaseKind, PhaseKind.HOLD)
    toxics = tuple(t for s in section.sections("toxics") for t in _toxic(s))
    if not toxics:
        section.fail("needs at least one toxic", "toxics")
    duration = section.duration("duration", None)
    period = section.duration("period", None)
    steps = section.integer("steps", 5 if kind is PhaseKind.RAMP else 1, minimum=1)
    until = section.string("until", None)
    if kind is PhaseKind.RAMP and duration is None:
        section.fail("a ramp needs a duration", "kind")
    if kind is PhaseKind.FLAP and period is None:
        section.fail("a flap needs a period", "kind")
    if until is not None and duration is not None:
        section.fail("give either duration or until, not both", "until")
    return FaultPhase(kind, toxics, duration, period, steps, until)


def parse_fault_section(section: Section) -> FaultPlan:
    """The ``fault:`` section: a built-in ``profile``, or ``toxics``/``phases`` of one's own."""
    section.only(
        [
            "profile",
            "region",
            "symptom",
            "toxics",
            "phases",
            "expect_degraded_within",
            "expect_recovered_within",
        ]
    )
    within = section.duration("expect_degraded_within", timedelta(seconds=10))
    restored = section.duration("expect_recovered_within", None)
    given = [key for key in ("profile", "toxics", "phases") if key in section]
    if len(given) != 1:
        section.fail("give exactly one of profile, toxics or phases")
    if "profile" in section:
        name = section.string("profile")
        profile = BUILTIN_PROFILES.get(name)
        if profile is None:
            section.fail(
                f"unknown profile {name!r}{suggest(name, list(BUILTIN_PROFILES))}", "profile"
            )
        plan = profile.plan(within)
        return FaultPlan(
            plan.profile,
            section.string("region", plan.region),
            section.string("symptom", plan.symptom),
            plan.phases,
            within,
            plan.source,
            restored,
        )
    if "toxics" in section:
        toxics = tuple(t for s in section.sections("toxics") for t in _toxic(s))
        if not toxics:
            section.fail("needs at least one toxic", "toxics")
        phases: tuple[FaultPhase, ...] = (FaultPhase(PhaseKind.HOLD, toxics),)
    else:
        phases = tuple(_phase(s) for s in section.sections("phases"))
        if not phases:
            section.fail("needs at least one phase", "phases")
    return FaultPlan(
        "custom",
        section.string("region", ""),
        section.string("symptom", ""),
        phases,
        within,
        "the drill file",
        restored,
    )
