"""Builders for test timelines: events at offsets from T0, observed a few seconds later."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from supportdrill.definitions.model import Coverage, SlaTarget, Weekday, WeeklyInterval
from supportdrill.timeline import (
    CustomerMessage,
    Event,
    ReplyClass,
    StatusCategory,
    TicketFiled,
    TicketStatus,
    VendorReply,
)

POLL_S = 5.0

COMMON_P0 = SlaTarget(
    first_response=timedelta(minutes=15),
    update_cadence=timedelta(hours=1),
    resolution=timedelta(hours=4),
)
SHANGHAI_OFFICE = Coverage(
    timezone="Asia/Shanghai",
    weekly=tuple(
        WeeklyInterval(day, time(9), time(18))
        for day in (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
    ),
    holiday_country="CN",
    label="Mon-Fri 09:00-18:00",
)
ALWAYS = Coverage.twenty_four_seven("Asia/Shanghai")


class Builder:
    """Events relative to ``t0``; every vendor-side event is observed one poll later."""

    def __init__(self, t0: datetime, *, skew_s: float = 0.0) -> None:
        self.t0 = t0
        self.events: list[Event] = [
            TicketFiled(at=t0, observed_at=t0, ticket_id="48213", clock_skew_s=skew_s)
        ]

    def at(self, offset: timedelta) -> dict[str, object]:
        moment = self.t0 + offset
        return {"at": moment, "observed_at": moment + timedelta(seconds=POLL_S)}

    def reply(
        self, offset: timedelta, cls: ReplyClass = ReplyClass.HUMAN, **extra: object
    ) -> Builder:
        extra.setdefault("author_role", "agent")
        self.events.append(
            VendorReply(
                **self.at(offset),  # type: ignore[arg-type]
                message_id=f"m{len(self.events)}",
                classification=cls,
                **extra,  # type: ignore[arg-type]
            )
        )
        return self

    def status(self, offset: timedelta, category: StatusCategory) -> Builder:
        self.events.append(
            TicketStatus(
                **self.at(offset),  # type: ignore[arg-type]
                precision_s=POLL_S,
                status=category.value,
                category=category,
            )
        )
        return self

    def customer(self, offset: timedelta) -> Builder:
        self.events.append(
            CustomerMessage(**self.at(offset), message_id=f"c{len(self.events)}")  # type: ignore[arg-type]
        )
        return self

    def add(self, event: Event) -> Builder:
        self.events.append(event)
        return self


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
