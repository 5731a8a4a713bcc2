"""The reply classifier: each automation signal, the missing-signal cases, and properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportdrill.measure.classify import (
    BUILTIN_ACK_PATTERNS,
    ClassifierError,
    classify_reply,
    header_markers,
    is_vendor_message,
)
from supportdrill.timeline import ReplyClass
from supportdrill.vocabulary import AuthorRole, DeskReply

T0 = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)
HUMAN_BODY = "Hi, I'm looking at the Jakarta edge now. Can you send the viewer's trace id?"

AGENT = DeskReply(
    message_id="c-2",
    created_at=T0 + timedelta(minutes=12),
    body=HUMAN_BODY,
    author_id="4711",
    author_name="Wang Li",
    author_role=AuthorRole.AGENT,
    channel="web",
)


def classify(reply: DeskReply, **kwargs: object) -> ReplyClass:
    return classify_reply(reply, ticket_created_at=T0, **kwargs).cls  # type: ignore[arg-type]


def test_agent_reply_with_no_automation_signal_is_human() -> None:
    result = classify_reply(AGENT, ticket_created_at=T0, ack_templates=[r"ACME-\d+ queued"])
    assert result.cls is ReplyClass.HUMAN
    assert "author role is agent" in result.reasons
    assert "no automation signal (channel web)" in result.reasons


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"automated_hint": True}, "desk marks it automated"),
        ({"channel": "Rule"}, "posted via channel 'rule'"),
        ({"channel": "automation"}, "posted via channel 'automation'"),
        ({"author_role": AuthorRole.SYSTEM}, "author role is system"),
        ({"author_name": "Automation for Jira"}, "looks like a bot"),
        ({"author_name": "", "author_id": "dependabot[bot]"}, "looks like a bot"),
        ({"author_name": "Acme Support Bot"}, "looks like a bot"),
        ({"author_name": "noreply@acme.example"}, "looks like a bot"),
        ({"author_name": "support@no-reply.acme.example"}, "looks like a bot"),
    ],
)
def test_automation_signals_make_it_auto(change: dict[str, object], reason: str) -> None:
    result = classify_reply(replace(AGENT, **change), ticket_created_at=T0)  # type: ignore[arg-type]
    assert result.cls is ReplyClass.AUTO
    assert any(reason in line for line in result.reasons), result.reasons


def test_known_bot_wins_over_agent_role() -> None:
    result = classify_reply(AGENT, ticket_created_at=T0, bots=["wang li"])
    assert result.cls is ReplyClass.AUTO
    assert result.reasons == ("author 'Wang Li' is a known bot",)


@pytest.mark.parametrize(
    ("headers", "marker"),
    [
        ({"auto-submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Auto-Submitted": "auto-generated"}, "Auto-Submitted: auto-generated"),
        ({"x-autoreply": "yes"}, "x-autoreply: yes"),
        ({"x-autorespond": "1"}, "x-autorespond"),
        ({"x-autoresponder": "true"}, "x-autoresponder"),
        ({"precedence": "bulk"}, "precedence: bulk"),
        ({"precedence": "auto_reply"}, "precedence: auto_reply"),
        ({"x-precedence": "junk"}, "x-precedence: junk"),
        ({"x-loop": "support@acme.example"}, "x-loop present"),
        ({"list-id": "<support.acme.example>"}, "list-id present"),
        ({"list-unsubscribe": "<mailto:u@acme.example>"}, "list-unsubscribe present"),
        ({"feedback-id": "1:acme"}, "feedback-id present"),
        ({"return-path": "<>"}, "null sender"),
    ],
)
def test_auto_reply_headers_make_it_auto(headers: dict[str, str], marker: str) -> None:
    result = classify_reply(replace(AGENT, headers=headers), ticket_created_at=T0)
    assert result.cls is ReplyClass.AUTO
    assert any(marker in line for line in result.reasons), result.reasons


@pytest.mark.parametrize(
    "headers",
    [
        {"auto-submitted": "no"},
        {"x-autoreply": "no"},
        {"precedence": "first-class"},
        {"return-path": "<agent@acme.example>"},
        {"x-auto-response-suppress": "All"},
    ],
)
def test_headers_that_are_not_markers(headers: dict[str, str]) -> None:
    assert header_markers(headers) == ()
    result = classify_reply(replace(AGENT, headers=headers), ticket_created_at=T0)
    assert result.cls is ReplyClass.HUMAN
    assert "no auto-reply headers" in result.reasons


def test_auto_response_suppress_is_noted_but_not_a_marker() -> None:
    reply = replace(AGENT, headers={"X-Auto-Response-Suppress": "All"})
    result = classify_reply(reply, ticket_created_at=T0)
    assert result.cls is ReplyClass.HUMAN
    assert any("X-Auto-Response-Suppress" in line for line in result.reasons)


@pytest.mark.parametrize(
    "body",
    [
        "Thank you. We have received your request and will respond within our SLA.",
        "We've received your ticket.",
        "THIS IS AN AUTOMATED MESSAGE. Please do not reply to this email.",
        "Ticket #48213 has been created.",
        "Your case has been logged with priority Urgent.",
        "An engineer will get back to you shortly.",
        "I am out of the office until Monday.",
        "Automatic reply: Re: [P0][DRILL] Stream degraded",
        "This email was sent automatically by Acme Desk.",
    ],
)
def test_common_auto_ack_phrasings(body: str) -> None:
    result = classify_reply(replace(AGENT, body=body), ticket_created_at=T0)
    assert result.cls is ReplyClass.AUTO
    assert any("common auto-ack phrasing" in line for line in result.reasons)


def test_vendor_ack_template() -> None:
    reply = replace(AGENT, body="Acme RTC: request ACME-1234 is in our P0 queue")
    result = classify_reply(reply, ticket_created_at=T0, ack_templates=[r"request ACME-\d+ is in"])
    assert result.cls is ReplyClass.AUTO
    assert result.reasons == (
        r"matches the vendor's acknowledgement template /request ACME-\d+ is in/",
    )
    assert classify(reply) is ReplyClass.HUMAN


def test_bad_ack_template_is_a_clear_error() -> None:
    with pytest.raises(ClassifierError, match=r"'\(unclosed' is not a valid regular expression"):
        classify_reply(AGENT, ticket_created_at=T0, ack_templates=["(unclosed"])


def test_unknown_role_is_unclassified_never_human() -> None:
    email = replace(AGENT, author_role=AuthorRole.UNKNOWN, channel="", headers={"x-mailer": "x"})
    result = classify_reply(email, ticket_created_at=T0)
    assert result.cls is ReplyClass.UNCLASSIFIED
    assert result.reasons == (
        "desk does not show the author's role and the author is not a known agent",
    )


def test_known_agent_without_role_is_human() -> None:
    email = replace(AGENT, author_role=AuthorRole.UNKNOWN, author_id="wang.li@acme.example")
    result = classify_reply(email, ticket_created_at=T0, agents=["Wang.Li@acme.example", " "])
    assert result.cls is ReplyClass.HUMAN
    assert result.reasons[0] == "author 'wang.li@acme.example' is a known agent"


def test_end_user_author_is_unclassified() -> None:
    result = classify_reply(replace(AGENT, author_role=AuthorRole.END_USER), ticket_created_at=T0)
    assert result.cls is ReplyClass.UNCLASSIFIED
    assert "end user" in result.reasons[0]


def test_agent_account_answering_within_the_system_window_is_unclassified() -> None:
    fast = replace(AGENT, created_at=T0 + timedelta(seconds=20))
    result = classify_reply(fast, ticket_created_at=T0)
    assert result.cls is ReplyClass.UNCLASSIFIED
    assert "posted 20s after filing, within the 60s window" in result.reasons[-1]
    # Outside a shorter window, or with positive evidence of a person, it is human.
    assert classify(fast, system_window_s=10) is ReplyClass.HUMAN
    assert classify(replace(fast, automated_hint=False)) is ReplyClass.HUMAN
    assert classify(fast, agents=["4711"]) is ReplyClass.HUMAN


def test_person_flag_is_listed() -> None:
    result = classify_reply(replace(AGENT, automated_hint=False), ticket_created_at=T0)
    assert "desk marks it as written by a person" in result.reasons


def test_our_own_messages_and_private_notes_are_not_vendor_replies() -> None:
    ours = replace(AGENT, from_us=True)
    note = replace(AGENT, public=False)
    assert is_vendor_message(AGENT)
    assert not is_vendor_message(ours)
    assert not is_vendor_message(note)
    with pytest.raises(ValueError, match="our own message"):
        classify_reply(ours, ticket_created_at=T0)
    with pytest.raises(ValueError, match="a private note"):
        classify_reply(note, ticket_created_at=T0)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="ticket_created_at must be timezone-aware"):
        classify_reply(AGENT, ticket_created_at=datetime(2026, 11, 21))


def test_builtin_patterns_leave_ordinary_support_answers_alone() -> None:
    answers = [
        HUMAN_BODY,
        "Thanks for the details, we see packet loss on our SG PoP and are rerouting.",
        "Could you reply with the session id so we can check the TURN logs?",
        "The fix is deployed; please confirm the stream is back.",
    ]
    for body in answers:
        assert classify(replace(AGENT, body=body)) is ReplyClass.HUMAN, body
    assert len(BUILTIN_ACK_PATTERNS) >= 5


SIGNALS = st.fixed_dictionaries(
    {
        "author_role": st.sampled_from(
            [AuthorRole.AGENT, AuthorRole.END_USER, AuthorRole.SYSTEM, AuthorRole.UNKNOWN, ""]
        ),
        "channel": st.sampled_from(["", "web", "email", "api", "rule", "trigger", "app"]),
        "automated_hint": st.sampled_from([None, True, False]),
        "headers": st.dictionaries(
            st.sampled_from(["auto-submitted", "precedence", "x-mailer", "list-id"]),
            st.sampled_from(["no", "bulk", "auto-replied", "Acme Mailer"]),
            max_size=2,
        ),
        "body": st.sampled_from([HUMAN_BODY, "We have received your request.", ""]),
        "created_at": st.integers(0, 3600).map(lambda s: T0 + timedelta(seconds=s)),
    }
)


@given(signals=SIGNALS)
def test_human_requires_every_signal(signals: dict[str, object]) -> None:
    reply = replace(AGENT, **signals)  # type: ignore[arg-type]
    result = classify_reply(reply, ticket_created_at=T0)
    assert result.reasons
    if result.cls is ReplyClass.HUMAN:
        assert reply.author_role == AuthorRole.AGENT
        assert reply.automated_hint is not True
        assert reply.channel not in {"rule", "trigger", "app"}
        assert reply.channel != "api" or reply.automated_hint is False
        assert header_markers(reply.headers) == ()
        assert "received your request" not in reply.body
    if reply.author_role in (AuthorRole.UNKNOWN, "") and result.cls is not ReplyClass.AUTO:
        assert result.cls is ReplyClass.UNCLASSIFIED


@pytest.mark.parametrize("channel", ["api", "API", "api:integration"])
def test_api_comment_by_an_agent_is_unclassified_with_the_reason(channel: str) -> None:
    # Zendesk via type 5: a script or integration posting through an agent account. The role
    # says agent, but nobody can tell whether a person wrote it (research/support-desk-apis.md,
    # Zendesk (c)).
    for reply in (
        replace(AGENT, channel=channel),
        replace(AGENT, channel=channel, created_at=T0 + timedelta(seconds=5)),
    ):
        result = classify_reply(reply, ticket_created_at=T0, agents=["Wang Li"])
        assert result.cls is ReplyClass.UNCLASSIFIED
        assert any("script or integration" in reason for reason in result.reasons)


def test_api_comment_the_desk_marks_as_a_person_is_human() -> None:
    result = classify_reply(
        replace(AGENT, channel="api", automated_hint=False), ticket_created_at=T0
    )
    assert result.cls is ReplyClass.HUMAN
    assert "desk marks it as written by a person" in result.reasons


def test_api_comment_with_an_ack_phrasing_is_auto() -> None:
    reply = replace(AGENT, channel="api", body="We have received your request #88.")
    assert classify(reply) is ReplyClass.AUTO


@pytest.mark.parametrize("channel", ["rule:trigger", "web:automation", "email:rule"])
def test_automation_in_either_part_of_a_channel_source_pair_is_auto(channel: str) -> None:
    result = classify_reply(replace(AGENT, channel=channel), ticket_created_at=T0)
    assert result.cls is ReplyClass.AUTO
    assert f"posted via channel {channel!r}" in result.reasons
