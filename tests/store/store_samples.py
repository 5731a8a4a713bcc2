"""Samples for the run store tests: one event of every kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportdrill.timeline import (
    AlertDelivery,
    BaselineHealthy,
    CustomerMessage,
    DeskGap,
    DeskSlaClock,
    DrillEnded,
    DrillStarted,
    Event,
    FaultInjected,
    FaultLifted,
    Note,
    Outcome,
    Phase,
    PhaseChanged,
    ReplyClass,
    ResolutionKind,
    StatusCategory,
    StreamDegraded,
    StreamHealth,
    StreamRecovered,
    TicketFiled,
    TicketFiling,
    TicketResolved,
    TicketStatus,
    VendorProactiveContact,
    VendorReply,
)

T0 = datetime(2026, 1, 2, 20, 0, 0, 123456, tzinfo=UTC)


def every_event_kind() -> list[Event]:
    """One event of every kind, every field set away from its default."""

    def at(minutes: float) -> dict[str, object]:
        moment = T0 + timedelta(minutes=minutes)
        return {"at": moment, "observed_at": moment + timedelta(seconds=2), "precision_s": 1.5}

    return [
        DrillStarted(
            **at(0),
            drill="jakarta-p0",
            vendor="acme",
            desk="simulated",
            severity="P0",
            drill_digest="ab" * 32,
            timezone="Asia/Jakarta",
            **({"simulated_clock": "AcceleratedClock(rate=6000)"} if _has_simulated() else {}),
        ),
        PhaseChanged(**at(0.1), phase=Phase.BASELINE),
        BaselineHealthy(**at(0.2), evidence={"fps": 29.5, "loss": 0.0}),
        FaultInjected(
            **at(1),
            profile="sea-mobile-peak",
            region="Jakarta",
            symptom="freeze",
            toxics=("a", "b"),
        ),
        StreamDegraded(**at(1.2), reasons=("fps<15",), evidence={"fps": 4.0}),
        AlertDelivery(
            **at(1.25),
            alert="breach",
            channel="webhook",
            target="https://hooks.example.test/services",
            delivered=False,
            attempts=3,
            status="503",
            error="service unavailable",
        ),
        StreamHealth(**at(1.3), metrics={"fps": 4.0, "rtt_ms": 480.0}, healthy=False),
        VendorProactiveContact(**at(1.5), source="statuspage", reference="inc-1", title="Edge"),
        TicketFiling(**at(2), idempotency_key="run-1-ticket", subject="[P0][DRILL] down"),
        TicketFiled(
            **at(2.1),
            ticket_id="17",
            url="http://127.0.0.1:1/hc/requests/17",
            submitted_at=T0 + timedelta(minutes=2),
            clock_skew_s=-0.8,
            recovered=True,
        ),
        CustomerMessage(**at(3), message_id="17501", excerpt="logs attached"),
        VendorReply(
            **at(4),
            message_id="17002",
            classification=ReplyClass.HUMAN,
            author="Dewi",
            author_role="agent",
            channel="web",
            excerpt="looking now",
            reasons=("agent role", "no auto headers"),
        ),
        TicketStatus(**at(5), status="open", category=StatusCategory.OPEN),
        TicketResolved(**at(60), how=ResolutionKind.TICKET_SOLVED, detail="solved"),
        FaultLifted(**at(61), reason="resolved"),
        StreamRecovered(**at(62), evidence={"fps": 30.0}),
        DeskGap(**at(30), until=T0 + timedelta(minutes=31), error="DeskTimeout", attempts=3),
        DeskSlaClock(
            **at(62),
            metric="first_response",
            vendor_name="reply_time",
            source="tickets/show_many?include=slas",
            started_at=T0,
            breach_at=T0 + timedelta(minutes=15),
            completed_at=T0 + timedelta(minutes=9),
            goal_s=900.0,
            elapsed_s=540.0,
            breached=False,
            paused=True,
            business_hours=True,
        ),
        Note(**at(63), text="café ☕ — unicode survives", level="warning"),
        AlertDelivery(
            **at(63),
            alert="breach",
            channel="email",
            target="smtp://127.0.0.1:2525 to oncall@example.com",
            delivered=False,
            attempts=3,
            status="451",
            error="busy",
        ),
        DrillEnded(**at(64), outcome=Outcome.COMPLETED, reason="ticket solved"),
    ]


def _has_simulated() -> bool:
    return "simulated_clock" in DrillStarted.__dataclass_fields__
