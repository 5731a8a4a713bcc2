"""Diagnosis accuracy: did the vendor's replies name the fault we injected, and when?

We know the ground truth of every drill's fault — no other tool does. :func:`ground_truth` reads
it off the timeline's ``fault.injected`` event: its **region** (the drill's region string and the
place names in it), its **kind** (loss, latency, bandwidth, blackout; from the toxics' types) and
its **direction** (upstream, downstream or both; from the toxics' streams).

:func:`diagnose` reads every vendor reply from T0 on, in the desk's time order, and finds what
each one *claims*: the places, kinds and directions it names (with the sentence that named them,
quoted), and the kinds it rules out ("no packet loss on our side"). It then answers:

* **time to a correct diagnosis**: T0 → the reply by which the vendor has named both the fault's
  region and one of its kinds (DESIGN.md: "region, kind"); the direction is judged and shown
  but not required, since a support engineer rarely states it;
* **wrong first**: whether, before that reply (or at all, if it never came), a reply named a kind
  the fault did not have, a place that is not the fault's region, a direction the fault did not
  have, or ruled out a kind the fault did have.

Matching is on words, not meaning, and on what the desk let us store (the excerpt: the first 280
characters of each reply, whitespace flattened); quoted customer text after ``On … wrote:`` or
``>`` is skipped so our own ticket read back to us is not the vendor's diagnosis. A reply that
says "that region" names no region: the vendor has to say where. Every claim carries its quote,
so a reader can check the judgement. Pure: no I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..timeline import FaultInjected, ReplyClass, TicketFiled, Timeline, VendorReply


class FaultKind(enum.StrEnum):
    LOSS = "loss"
    LATENCY = "latency"
    BANDWIDTH = "bandwidth"
    BLACKOUT = "blackout"


class Direction(enum.StrEnum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


class Judgement(enum.StrEnum):
    """The whole run's diagnosis, as one word for a report cell."""

    CORRECT = "correct"
    """Region and a right kind named, nothing wrong before."""
    CORRECT_AFTER_WRONG = "correct_after_wrong"
    PARTIAL = "partial"
    """Something right named (region or kind), never both, nothing wrong."""
    WRONG = "wrong"
    """Something wrong named, and never corrected to region and kind."""
    NOT_NAMED = "not_named"
    """Replies came, none named region, kind or direction."""
    NO_REPLY = "no_reply"
    NOT_APPLICABLE = "not_applicable"
    """No fault was injected, or no ticket was filed."""


# Toxiproxy toxic types (and our pseudo toxic ``down``) → the kind of fault a person would name.
TOXIC_KINDS: dict[str, FaultKind] = {
    "loss": FaultKind.LOSS,
    "latency": FaultKind.LATENCY,
    "bandwidth": FaultKind.BANDWIDTH,
    "slow_close": FaultKind.LATENCY,
    "slicer": FaultKind.LATENCY,
    "down": FaultKind.BLACKOUT,
    "timeout": FaultKind.BLACKOUT,
    "reset_peer": FaultKind.BLACKOUT,
    "limit_data": FaultKind.BLACKOUT,
}

_KIND_WORDS: dict[FaultKind, tuple[str, ...]] = {
    FaultKind.LOSS: (
        r"packet[- ]?loss",
        r"(?<!total )(?<!complete )\bloss\b",
        r"\blossy\b",
        r"dropp(?:ed|ing) (?:udp |rtp |media )?packets",
        r"packets? (?:are |were )?(?:being )?dropped",
    ),
    FaultKind.LATENCY: (
        r"\blatenc(?:y|ies)\b",
        r"\bdelay(?:s|ed)?\b",
        r"\brtt\b",
        r"round[- ]trip",
        r"\bjitter\b",
    ),
    FaultKind.BANDWIDTH: (
        r"\bbandwidth\b",
        r"\bthroughput\b",
        r"\bthrottl\w*",
        r"\bcapacity\b",
        r"\brate[- ]limit\w*",
    ),
    FaultKind.BLACKOUT: (
        r"\boutage\b",
        r"\bblackout\b",
        r"\bunreachable\b",
        r"connections? (?:was |were |are |is )?refused",
        r"\boffline\b",
        r"\b(?:is|was|went) down\b",
        r"\bno connectivity\b",
        r"(?:total|complete) loss of (?:service|connectivity)",
    ),
}
_DIRECTION_WORDS: dict[Direction, tuple[str, ...]] = {
    Direction.UPSTREAM: (r"\bupstream\b", r"\buplink\b", r"\bupload\b", r"\bingest\b"),
    Direction.DOWNSTREAM: (
        r"\bdownstream\b",
        r"\bdownlink\b",
        r"\bdownload\b",
        r"\bplayback\b",
        r"\begress\b",
    ),
}
_BOTH_DIRECTIONS = re.compile(r"\bboth directions\b|\bbidirectional\b|\bin and out\b", re.I)
_NEGATION = re.compile(
    r"\b(?:no|not|without|isn't|is not|aren't|are not|don't see|do not see|cannot see|can't see"
    r"|ruled out|rule out|nor)\b[^.;:!?]{0,40}$",
    re.I,
)
_ZONE_NAME = re.compile(r"\b[A-Z][A-Za-z]+/[A-Z][A-Za-z_+-]+(?:/[A-Z][A-Za-z_+-]+)?")
"""An IANA zone ("Asia/Jakarta") in a reply states office hours, not where the fault is."""
_QUOTE_START = re.compile(r"\bOn [^.]{0,120}? wrote:|(?:^|\s)>\s", re.I)
_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;]?")

PLACES: tuple[str, ...] = (
    "Africa",
    "Amsterdam",
    "Asia",
    "Australia",
    "Bangkok",
    "Beijing",
    "Brazil",
    "Cape Town",
    "China",
    "Dubai",
    "Europe",
    "Frankfurt",
    "Hong Kong",
    "India",
    "Indonesia",
    "Jakarta",
    "Japan",
    "Johannesburg",
    "Korea",
    "Lagos",
    "Latin America",
    "London",
    "Los Angeles",
    "Malaysia",
    "Manila",
    "Middle East",
    "Mumbai",
    "North America",
    "Oregon",
    "Paris",
    "Philippines",
    "Riyadh",
    "São Paulo",
    "Sao Paulo",
    "Saudi Arabia",
    "Seoul",
    "Shanghai",
    "Singapore",
    "Southeast Asia",
    "Sydney",
    "Taiwan",
    "Thailand",
    "Tokyo",
    "US East",
    "US West",
    "Vietnam",
    "Virginia",
)
"""Places a vendor may name. A reply naming one of these that is not part of the fault's region
names a wrong region. A drill's own region words are always recognised as well."""


@dataclass(frozen=True)
class GroundTruth:
    """What we injected, as a vendor could name it."""

    region: str
    places: tuple[str, ...]
    """The names that count as naming the region: its comma-separated parts and the known
    places inside it ("Jakarta, Indonesia (Southeast Asia)" → Jakarta, Indonesia, Southeast
    Asia)."""
    kinds: frozenset[FaultKind]
    directions: frozenset[Direction]


@dataclass(frozen=True)
class Claim:
    """What one vendor reply said about the fault."""

    message_id: str
    at: datetime
    after_t0_s: float
    places: tuple[str, ...]
    kinds: frozenset[FaultKind]
    ruled_out: frozenset[FaultKind]
    directions: frozenset[Direction]
    quotes: tuple[str, ...]
    """The sentences that named something, verbatim from the stored excerpt."""
    right: tuple[str, ...]
    """What it named that matches the fault: ``region Jakarta``, ``kind loss``…"""
    wrong: tuple[str, ...]
    """What it named that does not: ``kind bandwidth``, ``region Tokyo``, ``ruled out loss``…"""


@dataclass(frozen=True)
class Diagnosis:
    """The run's diagnosis accuracy."""

    judgement: Judgement
    truth: GroundTruth | None
    claims: tuple[Claim, ...]
    """Every reply that named anything, in the desk's time order."""
    replies: int
    """Vendor replies read (from T0 on)."""
    correct_at: datetime | None
    time_to_correct_s: float | None
    """T0 → the reply by which region and a right kind had both been named."""
    region_named_s: float | None
    kind_named_s: float | None
    direction_named_s: float | None
    wrong_first: Claim | None
    """The first reply with something wrong, if it came before the correct diagnosis (or there
    was none)."""

    @property
    def wrong_before_correct(self) -> bool:
        return self.wrong_first is not None


def _parts(region: str) -> list[str]:
    head = region.split("(", 1)[0]
    return [part.strip() for part in re.split(r"[,/;]", head) if len(part.strip()) >= 2]


def _named(name: str, text: str, *, whole_word: bool = True) -> bool:
    end = r"(?!\w)" if whole_word else ""
    return re.search(rf"(?<!\w){re.escape(name)}{end}", text, re.I) is not None


def ground_truth(fault: FaultInjected, places: Sequence[str] = PLACES) -> GroundTruth:
    """The fault's region, kinds and directions from its ``fault.injected`` event.

    Toxic descriptions read ``"hold: udp loss probability=0.15 (upstream,downstream)"`` or
    ``"hold: udp down (connections refused)"``; a description without streams is both ways.
    """
    kinds: set[FaultKind] = set()
    directions: set[Direction] = set()
    for toxic in fault.toxics:
        words = toxic.split(":", 1)[-1].split()
        kind = next((TOXIC_KINDS[word] for word in words if word in TOXIC_KINDS), None)
        if kind is not None:
            kinds.add(kind)
        streams = re.search(r"\(([a-z,]+)\)", toxic)
        named = set(streams.group(1).split(",")) if streams else {"upstream", "downstream"}
        directions.update(d for d in Direction if d.value in named)
    found = _parts(fault.region)
    # "Southeast Asian viewers" is in Southeast Asia (and in Asia): a place may start a word.
    found += [
        place
        for place in places
        if _named(place, fault.region, whole_word=False) and place not in found
    ]
    return GroundTruth(
        region=fault.region,
        places=tuple(found),
        kinds=frozenset(kinds),
        directions=frozenset(directions),
    )


def _own_words(excerpt: str) -> str:
    """The vendor's own text: up to where a quote of our message starts."""
    quote = _QUOTE_START.search(excerpt)
    own = excerpt[: quote.start()] if quote else excerpt
    return _ZONE_NAME.sub("", own)


def _kinds_in(sentence: str) -> tuple[set[FaultKind], set[FaultKind]]:
    named: set[FaultKind] = set()
    ruled_out: set[FaultKind] = set()
    for kind, patterns in _KIND_WORDS.items():
        for pattern in patterns:
            for match in re.finditer(pattern, sentence, re.I):
                negated = _NEGATION.search(sentence[: match.start()]) is not None
                (ruled_out if negated else named).add(kind)
    return named, ruled_out - named


def _directions_in(sentence: str) -> set[Direction]:
    if _BOTH_DIRECTIONS.search(sentence):
        return set(Direction)
    return {
        direction
        for direction, patterns in _DIRECTION_WORDS.items()
        if any(re.search(pattern, sentence, re.I) for pattern in patterns)
    }


def read_claim(
    reply: VendorReply, t0: datetime, truth: GroundTruth, places: Sequence[str] = PLACES
) -> Claim:
    """What ``reply`` names, judged against ``truth``."""
    text = _own_words(reply.excerpt)
    found_places: list[str] = []
    kinds: set[FaultKind] = set()
    ruled_out: set[FaultKind] = set()
    directions: set[Direction] = set()
    quotes: list[str] = []
    candidates = [*truth.places, *(p for p in places if p not in truth.places)]
    for sentence in (s.strip() for s in _SENTENCE.findall(text)):
        here = [place for place in candidates if _named(place, sentence)]
        # "Southeast Asia" names one place, not also "Asia".
        here = [p for p in here if not any(p != o and _named(p, o) for o in here)]
        named, negated = _kinds_in(sentence)
        ways = _directions_in(sentence)
        if here or named or negated or ways:
            quotes.append(sentence)
        found_places += [place for place in here if place not in found_places]
        kinds |= named
        ruled_out |= negated
        directions |= ways
    ruled_out -= kinds
    right = [f"region {place}" for place in found_places if place in truth.places]
    right += [f"kind {kind}" for kind in sorted(kinds & truth.kinds)]
    right += [f"direction {d}" for d in sorted(directions & truth.directions)]
    wrong = [f"region {place}" for place in found_places if place not in truth.places]
    wrong += [f"kind {kind}" for kind in sorted(kinds - truth.kinds)]
    wrong += [f"ruled out {kind}" for kind in sorted(ruled_out & truth.kinds)]
    wrong += [f"direction {d}" for d in sorted(directions - truth.directions)]
    return Claim(
        message_id=reply.message_id,
        at=reply.at,
        after_t0_s=(reply.at - t0).total_seconds(),
        places=tuple(found_places),
        kinds=frozenset(kinds),
        ruled_out=frozenset(ruled_out),
        directions=frozenset(directions),
        quotes=tuple(quotes),
        right=tuple(right),
        wrong=tuple(wrong),
    )


def _first(claims: Iterable[Claim], prefix: str) -> Claim | None:
    return next((c for c in claims if any(item.startswith(prefix) for item in c.right)), None)


def _seconds(claim: Claim | None) -> float | None:
    return None if claim is None else claim.after_t0_s


def _judgement(
    replies: int, claims: Sequence[Claim], correct: Claim | None, wrong: Claim | None
) -> Judgement:
    if correct is not None:
        return Judgement.CORRECT if wrong is None else Judgement.CORRECT_AFTER_WRONG
    if wrong is not None:
        return Judgement.WRONG
    if any(claim.right for claim in claims):
        return Judgement.PARTIAL
    return Judgement.NOT_NAMED if replies else Judgement.NO_REPLY


def diagnose(
    timeline: Timeline,
    *,
    places: Sequence[str] = PLACES,
    include_auto: bool = False,
) -> Diagnosis:
    """The diagnosis accuracy of ``timeline``'s vendor replies against its injected fault.

    Automatic replies are skipped unless ``include_auto`` (an acknowledgement that repeats the
    ticket's subject or names the office's time zone is not a diagnosis); unclassified replies
    are read, since a diagnosis is a diagnosis whoever typed it.
    """
    fault = timeline.first(FaultInjected)
    t0 = timeline.first(TicketFiled)
    if fault is None or t0 is None:
        return Diagnosis(Judgement.NOT_APPLICABLE, None, (), 0, None, None, None, None, None, None)
    truth = ground_truth(fault, places)
    replies = sorted(
        (
            reply
            for reply in timeline.all(VendorReply)
            if reply.at >= t0.at and (include_auto or reply.classification is not ReplyClass.AUTO)
        ),
        key=lambda reply: reply.at,
    )
    read = [read_claim(reply, t0.at, truth, places) for reply in replies]
    claims = tuple(claim for claim in read if claim.quotes)
    region = _first(claims, "region ")
    kind = _first(claims, "kind ")
    correct = None
    if region is not None and kind is not None:
        correct = region if region.at >= kind.at else kind
    wrong = next(
        (c for c in claims if c.wrong and (correct is None or c.at < correct.at)),
        None,
    )
    return Diagnosis(
        judgement=_judgement(len(replies), claims, correct, wrong),
        truth=truth,
        claims=claims,
        replies=len(replies),
        correct_at=None if correct is None else correct.at,
        time_to_correct_s=_seconds(correct),
        region_named_s=_seconds(region),
        kind_named_s=_seconds(kind),
        direction_named_s=_seconds(_first(claims, "direction ")),
        wrong_first=wrong,
    )


__all__ = [
    "PLACES",
    "TOXIC_KINDS",
    "Claim",
    "Diagnosis",
    "Direction",
    "FaultKind",
    "GroundTruth",
    "Judgement",
    "diagnose",
    "ground_truth",
    "read_claim",
]
