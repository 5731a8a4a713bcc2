"""A watcher for a vendor's public Atlassian Statuspage: did they tell us before we told them?

Statuspage's public API (no auth; e.g. ``https://status.example.com/api/v2/``) serves
``summary.json`` (overall ``status.indicator``, components, unresolved incidents) and
``incidents.json`` (the recent incidents, each with ``created_at``, ``status``, ``impact``,
``resolved_at`` and ``incident_updates``). An incident created at or before our ticket's T0 is
a proactive contact (``vendor.proactive_contact`` with the incident's own ``created_at``); one
created after is recorded too, as a note, since it still shows when the vendor went public.

This is not a :class:`~supportdrill.desks.base.Desk`: nothing is filed, only watched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

from ..clock import Clock, RealClock
from ..definitions.desk_settings import StatuspageSettings
from ..timeline import Event, Note, VendorProactiveContact
from .http import DeskHttp, json_list, json_object, parse_timestamp, require


@dataclass(frozen=True)
class StatusIncident:
    """One incident as the status page shows it."""

    incident_id: str
    name: str
    status: str
    """investigating, identified, monitoring, resolved, postmortem (or scheduled states)."""
    impact: str
    created_at: datetime
    resolved_at: datetime | None = None
    shortlink: str = ""
    components: tuple[str, ...] = ()
    updates: int = 0


@dataclass(frozen=True)
class StatusSnapshot:
    """One look at the page."""

    indicator: str
    """none, minor, major, critical (or ``unchanged`` when the page answered 304)."""
    incidents: tuple[StatusIncident, ...]
    server_time: datetime | None


def _incident(item: object) -> StatusIncident:
    data = json_object(item, "statuspage incident")
    resolved = data.get("resolved_at")
    return StatusIncident(
        incident_id=str(require(data, "id", "incident")),
        name=str(data.get("name") or ""),
        status=str(data.get("status") or ""),
        impact=str(data.get("impact") or ""),
        created_at=parse_timestamp(require(data, "created_at", "incident"), "created_at"),
        resolved_at=parse_timestamp(resolved, "resolved_at") if resolved else None,
        shortlink=str(data.get("shortlink") or ""),
        components=tuple(
            str(json_object(c, "component").get("name") or "")
            for c in json_list(data.get("components") or [], None, "components")
        ),
        updates=len(json_list(data.get("incident_updates") or [], None, "incident_updates")),
    )


class StatuspageWatcher:
    """Reads ``summary.json`` and ``incidents.json`` of one page, with conditional requests."""

    def __init__(self, http: DeskHttp, *, clock: Clock | None = None) -> None:
        self.http = http
        self.clock: Clock = clock or RealClock()
        self._etag: str | None = None
        self._known: dict[str, StatusIncident] = {}
        self._reported: set[str] = set()

    async def snapshot(self) -> StatusSnapshot:
        """The page's indicator and every incident it lists (unresolved and recent)."""
        summary = await self.http.get("/api/v2/summary.json", etag=self._etag)
        if summary.not_modified:
            return StatusSnapshot("unchanged", tuple(self._known.values()), summary.server_time)
        self._etag = summary.etag
        status = json_object(require(summary.data, "status", "summary.json"), "status")
        for item in json_list(
            json_object(summary.data, "summary").get("incidents") or [], None, "incidents"
        ):
            incident = _incident(item)
            self._known[incident.incident_id] = incident
        recent = await self.http.get("/api/v2/incidents.json")
        for item in json_list(recent.data, "incidents", "incidents.json"):
            incident = _incident(item)
            self._known[incident.incident_id] = incident
        return StatusSnapshot(
            indicator=str(status.get("indicator") or "none"),
            incidents=tuple(self._known.values()),
            server_time=summary.server_time,
        )

    def events(
        self, snapshot: StatusSnapshot, *, t0: datetime, since: datetime | None = None
    ) -> list[Event]:
        """Timeline events for incidents not reported before.

        Only incidents created after ``since`` (the drill's start, so last week's outage is
        not counted) are considered. At or before ``t0``: proactive contact; after: a note.
        """
        now = self.clock.now()
        made: list[Event] = []
        for incident in sorted(snapshot.incidents, key=lambda i: i.created_at):
            if incident.incident_id in self._reported:
                continue
            if since is not None and incident.created_at < since:
                continue
            self._reported.add(incident.incident_id)
            title = f"{incident.name} ({incident.impact or 'no impact'}, {incident.status})"
            if incident.created_at <= t0:
                made.append(
                    VendorProactiveContact(
                        at=incident.created_at,
                        observed_at=now,
                        source="statuspage",
                        reference=incident.shortlink or incident.incident_id,
                        title=title,
                    )
                )
            else:
                made.append(
                    Note(
                        at=incident.created_at,
                        observed_at=now,
                        text=f"status page incident opened after the ticket: {title} "
                        f"{incident.shortlink or incident.incident_id}",
                    )
                )
        return made

    async def close(self) -> None:
        await self.http.aclose()


def open_statuspage(
    settings: StatuspageSettings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> StatuspageWatcher:
    """A watcher for the vendor's public status page (no credentials: it is public)."""
    return StatuspageWatcher(
        DeskHttp(settings.url, desk="statuspage", transport=transport), clock=clock
    )
