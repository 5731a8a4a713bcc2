"""The reply classifier: was a vendor message written by a person, by automation, or can't we tell?

A message is HUMAN only when every one of these holds (research/support-desk-apis.md,
"Definitions the harness should adopt"):

* the author is an agent (the desk says so, or the author is a known agent of the vendor);
* nothing says it came from a rule, trigger, automation, bot or app (channel, the desk's own
  automated flag, known bots, bot-like author names such as ``Automation for Jira`` or ``x[bot]``,
  a ``system`` author role);
* it carries no auto-reply mail headers (RFC 3834 ``Auto-Submitted`` other than ``no``,
  ``X-Autoreply``, ``Precedence: bulk``, ``List-Id``, ``Return-Path: <>`` and the like);
* it does not match the vendor's acknowledgement templates or a common auto-ack phrasing;
* it was not posted within ``system_window_s`` of filing by a sender we cannot positively
  identify as a person (triggers often post through an agent account within seconds);
* it did not arrive through an API channel (Zendesk ``via.channel`` ``api``, via type 5) unless
  the desk itself says a person wrote it: such a comment comes from a script or an integration
  using an agent's credentials, so the agent role proves nothing about who typed it. It is not
  certain enough to call AUTO either (an integration may relay a person's words), so it is
  UNCLASSIFIED, with that reason.

Any automation signal makes it AUTO. Otherwise, when a requirement for HUMAN cannot be checked
(typically: the desk does not show the author's role), it is UNCLASSIFIED, never HUMAN. Every
decision lists the signals behind it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..clock import require_aware
from ..errors import InvalidInput
from ..timeline import ReplyClass
from ..vocabulary import AuthorRole, DeskReply

AUTOMATED_CHANNELS = frozenset(
    {"rule", "trigger", "automation", "bot", "app", "system", "workflow", "auto_reply"}
)
"""Channels (Zendesk ``via.channel`` and the like) that mean a machine posted the message."""

UNATTRIBUTED_CHANNELS = frozenset({"api"})
"""Channels through which scripts and integrations post as an agent: not a person's proof."""

BUILTIN_ACK_PATTERNS: tuple[str, ...] = (
    r"\bwe(?: have|'ve)? received your (?:request|ticket|message|e-?mail|case|enquiry)",
    r"\bthis is an? automated (?:message|response|reply|notification|e-?mail)",
    r"\bthis (?:message|e-?mail) (?:was|has been|is) (?:sent )?automatically",
    r"\bdo not reply (?:to this|directly)",
    r"\b(?:ticket|case|request) (?:number|no\.?|id|#)\s*[:#]?\s*[\w-]+ has been "
    r"(?:created|opened|logged|received|submitted)",
    r"\byour (?:ticket|case|request) (?:has been|was) (?:created|opened|logged|received|submitted)",
    r"\ban? (?:agent|engineer|member of our (?:support )?team) will (?:get back to you|respond|"
    r"be in touch|contact you|reply) (?:shortly|soon|as soon as)",
    r"\bout of (?:the )?office\b",
    r"\bauto(?:matic|mated)?[- ]?(?:reply|response|acknowledge?ment)\b",
)
"""Common auto-acknowledgement phrasings, matched case-insensitively anywhere in the body.

A person who writes "we have received your request" is classified AUTO: a missed human reply
costs a late TTFHR, a false human reply would pass an SLA that was breached.
"""

_BOT_NAMES = re.compile(
    r"\[bot\]$|\bbot$|^automation for jira$|^jira automation$|^(?:no-?reply|do-?not-?reply|"
    r"mailer-daemon|postmaster)\b|@(?:no-?reply|do-?not-?reply)\b",
    re.IGNORECASE,
)
_PRECEDENCE_AUTO = frozenset({"bulk", "junk", "list", "auto_reply"})
_PRESENCE_MARKERS = ("x-loop", "list-id", "list-unsubscribe", "feedback-id")
_AUTOREPLY_FLAGS = ("x-autoreply", "x-autorespond", "x-autoresponder")
_FALSE_WORDS = frozenset({"no", "false", "0", "off"})


class ClassifierError(InvalidInput):
    """A vendor acknowledgement template that is not a valid regular expression."""


@dataclass(frozen=True)
class Classification:
    """What a vendor message was, and every signal that decided it."""

    cls: ReplyClass
    reasons: tuple[str, ...]


def is_vendor_message(reply: DeskReply) -> bool:
    """A public message not posted by us: the only kind the classifier and the metrics judge."""
    return reply.public and not reply.from_us


@functools.lru_cache(maxsize=128)
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ClassifierError(
                f"acknowledgement template {pattern!r} is not a valid regular expression: {exc}"
            ) from exc
    return tuple(compiled)


def _named(reply: DeskReply, names: Sequence[str]) -> str | None:
    """The name in ``names`` that is this reply's author id or name (case-insensitive)."""
    wanted = {name.strip().casefold() for name in names if name.strip()}
    for candidate in (reply.author_id, reply.author_name):
        if candidate and candidate.strip().casefold() in wanted:
            return candidate
    return None


def header_markers(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The auto-reply markers among mail ``headers`` (names in any case), one line each."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    found = []
    submitted = lowered.get("auto-submitted")
    if submitted is not None and submitted.lower() != "no":
        found.append(f"header Auto-Submitted: {submitted}")
    for name in _AUTOREPLY_FLAGS:
        value = lowered.get(name)
        if value is not None and value.lower() not in _FALSE_WORDS:
            found.append(f"header {name}: {value}")
    for name in ("precedence", "x-precedence"):
        value = lowered.get(name)
        if value is not None and value.lower() in _PRECEDENCE_AUTO:
            found.append(f"header {name}: {value}")
    found.extend(f"header {name} present" for name in _PRESENCE_MARKERS if name in lowered)
    if lowered.get("return-path") == "<>":
        found.append("header Return-Path: <> (null sender)")
    return tuple(found)


def _automation_signals(
    reply: DeskReply, ack_templates: Sequence[str], bots: Sequence[str]
) -> list[str]:
    signals = []
    if reply.automated_hint is True:
        signals.append("desk marks it automated")
    channel = reply.channel.strip().lower()
    # Adapters write "channel:source" (Zendesk "rule:trigger"); either part can say automation.
    if not AUTOMATED_CHANNELS.isdisjoint(channel.split(":")):
        signals.append(f"posted via channel {channel!r}")
    if reply.author_role == AuthorRole.SYSTEM:
        signals.append("author role is system")
    bot = _named(reply, bots)
    if bot is not None:
        signals.append(f"author {bot!r} is a known bot")
    else:
        for name in (reply.author_name, reply.author_id):
            if name and _BOT_NAMES.search(name.strip()):
                signals.append(f"author {name!r} looks like a bot or automated sender")
                break
    signals.extend(header_markers(reply.headers))
    for pattern in _compile(tuple(ack_templates)):
        if pattern.search(reply.body):
            signals.append(f"matches the vendor's acknowledgement template /{pattern.pattern}/")
    for pattern in _compile(BUILTIN_ACK_PATTERNS):
        match = pattern.search(reply.body)
        if match:
            signals.append(f"matches a common auto-ack phrasing: {match.group(0)!r}")
    return signals


def classify_reply(
    reply: DeskReply,
    *,
    ticket_created_at: datetime,
    ack_templates: Sequence[str] = (),
    agents: Sequence[str] = (),
    bots: Sequence[str] = (),
    system_window_s: float = 60,
) -> Classification:
    """Classify one vendor message; see the module docstring for the rules.

    Raises ``ValueError`` for a message that is not the vendor's (:func:`is_vendor_message`),
    and :class:`ClassifierError` for an acknowledgement template that is not a regex.
    """
    require_aware(ticket_created_at, "ticket_created_at")
    require_aware(reply.created_at, "reply.created_at")
    if not is_vendor_message(reply):
        what = "our own message" if reply.from_us else "a private note"
        raise ValueError(f"message {reply.message_id!r} is {what}, not a vendor reply")
    automated = _automation_signals(reply, ack_templates, bots)
    if automated:
        return Classification(ReplyClass.AUTO, tuple(automated))

    reasons = []
    known_agent = _named(reply, agents)
    person = known_agent is not None or reply.automated_hint is False
    if known_agent is not None:
        reasons.append(f"author {known_agent!r} is a known agent")
    elif reply.author_role == AuthorRole.AGENT:
        reasons.append("author role is agent")
    elif reply.author_role == AuthorRole.END_USER:
        reasons.append("author is an end user, not one of the vendor's agents")
        return Classification(ReplyClass.UNCLASSIFIED, tuple(reasons))
    else:
        reasons.append("desk does not show the author's role and the author is not a known agent")
        return Classification(ReplyClass.UNCLASSIFIED, tuple(reasons))

    channel = reply.channel.strip().lower()
    if channel.split(":")[0] in UNATTRIBUTED_CHANNELS and reply.automated_hint is not False:
        reasons.append(
            f"posted via channel {channel!r}: a script or integration using an agent's "
            "credentials, not the agent workspace; cannot tell whether a person wrote it"
        )
        return Classification(ReplyClass.UNCLASSIFIED, tuple(reasons))

    after_s = (reply.created_at - ticket_created_at).total_seconds()
    if after_s < system_window_s and not person:
        reasons.append(
            f"posted {after_s:.0f}s after filing, within the {system_window_s:g}s window in which "
            "triggers answer, by a sender not known to be a person"
        )
        return Classification(ReplyClass.UNCLASSIFIED, tuple(reasons))

    if reply.automated_hint is False:
        reasons.append("desk marks it as written by a person")
    reasons.append(f"no automation signal (channel {reply.channel or 'not shown'})")
    if reply.headers:
        reasons.append("no auto-reply headers")
        if any(name.lower() == "x-auto-response-suppress" for name in reply.headers):
            reasons.append("X-Auto-Response-Suppress asks us not to auto-reply; not a marker")
    reasons.append("does not match an acknowledgement template")
    return Classification(ReplyClass.HUMAN, tuple(reasons))
