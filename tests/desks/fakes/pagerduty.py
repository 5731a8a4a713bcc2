"""A fake PagerDuty: Events API v2 (``POST /v2/enqueue``) and the REST API parts we read.

Shapes follow developer.pagerduty.com: "Send an Event" (``202 {"status": "success",
"message": "Event processed", "dedup_key": ...}``; a repeated trigger with an open dedup_key
joins the existing alert), "List incidents" (``incident_key`` filter) and "List log entries for
an incident" (``type`` such as ``acknowledge_log_entry``, ``agent: {type: "user_reference" |
"service_reference" | "integration_reference", summary}``, ``channel: {type}``, ``created_at``),
paged with ``offset``/``limit``/``more``. "Create a note" requires a ``From`` header naming a user
of the account and leaves an ``annotate_log_entry`` by that user, as PagerDuty does.
Responses are validated against PagerDuty's OpenAPI description in tests/desks/contracts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .server import FakeServer, stamp

ROUTING_KEY = "R0UT1NGKEYFAKE000000000000000000"
RESPONDER = {"id": "PXPGF42", "type": "user_reference", "summary": "Earline Greenholt"}
USERS = [
    {"id": "PXPGF42", "type": "user", "name": "Earline Greenholt", "email": "earline@example.test"},
    {"id": "PDRILL1", "type": "user", "name": "Drill Bot", "email": "oncall@example.test"},
]


class FakePagerDuty(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.incidents: dict[str, dict[str, Any]] = {}
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.creations = 0
        self.on_trigger: Callable[[dict[str, Any]], None] | None = None
        """Called with each new incident (a test's responder starts from here)."""
        self._ids = itertools.count(1)
        r = self.app.router
        r.add_post("/v2/enqueue", self.enqueue)
        r.add_get("/incidents", self.list_incidents)
        r.add_get("/incidents/{id}/log_entries", self.log_entries)
        r.add_post("/incidents/{id}/notes", self.add_note)
        r.add_put("/incidents/{id}", self.update_incident)
        r.add_get("/abilities", self.abilities)
        r.add_get("/users", self.list_users)

    def _entry(
        self,
        incident: str,
        kind: str,
        agent: dict[str, Any],
        channel: str,
        summary: str | None = None,
    ) -> None:
        self.entries[incident].append(
            {
                "id": f"Q{next(self._ids):012d}",
                "type": kind,
                "summary": kind.replace("_log_entry", "").capitalize(),
                "created_at": stamp(),
                "agent": agent,
                "channel": {"type": channel, **({"summary": summary} if summary else {})},
            }
        )

    def human_note(self, incident: str, text: str) -> None:
        self._entry(incident, "annotate_log_entry", RESPONDER, "note", text)

    def ack_timeout(self, incident: str) -> None:
        """The acknowledgement timed out: PagerDuty unacknowledges the incident."""
        self.incidents[incident]["status"] = "triggered"
        timeout = {"id": "PEYSGVF", "type": "service_reference", "summary": "Checkout API"}
        self._entry(incident, "unacknowledge_log_entry", timeout, "timeout")

    def human_ack(self, incident: str) -> None:
        agent = RESPONDER
        self.incidents[incident]["status"] = "acknowledged"
        self._entry(incident, "acknowledge_log_entry", agent, "website")

    def human_resolve(self, incident: str) -> None:
        agent = {"id": "PXPGF42", "type": "user_reference", "summary": "Earline Greenholt"}
        self.incidents[incident]["status"] = "resolved"
        self._entry(incident, "resolve_log_entry", agent, "website")

    def open_incident(self, key: str, title: str) -> dict[str, Any]:
        """A trigger that no open incident with ``key`` absorbed opens a new incident (so a key
        names several incidents once the first is resolved)."""
        integration = {"id": "PEYSGVF", "type": "service_reference", "summary": "Checkout API"}
        self.creations += 1
        number = next(self._ids)
        incident_id = f"PT4KHLK{number}"
        incident = {
            "id": incident_id,
            "incident_number": 1233 + number,
            "incident_key": key,
            "status": "triggered",
            "created_at": stamp(),
            "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
            "title": title,
        }
        self.incidents[incident_id] = incident
        self.entries[incident_id] = []
        self._entry(incident_id, "trigger_log_entry", integration, "api")
        if self.on_trigger is not None:
            self.on_trigger(incident)
        return incident

    def _by_key(self, key: str) -> dict[str, Any] | None:
        for incident in self.incidents.values():
            if incident["incident_key"] == key and incident["status"] != "resolved":
                return incident
        return None

    async def enqueue(self, request: web.Request) -> web.Response:
        data = await request.json()
        if data.get("routing_key") != ROUTING_KEY:
            return web.json_response(
                {"status": "invalid event", "message": "Event object is invalid"}, status=400
            )
        key = data["dedup_key"]
        # The log entries of Events API actions name the service (AgentReference's types are
        # user_reference, service_reference and integration_reference).
        integration = {"id": "PEYSGVF", "type": "service_reference", "summary": "Checkout API"}
        incident = self._by_key(key)
        action = data["event_action"]
        if action == "trigger" and incident is None:
            self.open_incident(key, data["payload"]["summary"])
        elif incident is not None and action in ("acknowledge", "resolve"):
            incident["status"] = "acknowledged" if action == "acknowledge" else "resolved"
            self._entry(incident["id"], f"{action}_log_entry", integration, "api")
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": key}, status=202
        )

    async def list_incidents(self, request: web.Request) -> web.Response:
        """ "List incidents": the ``incident_key`` filter, paged with ``limit`` (default 25, at
        most 100), ``offset`` and ``more``. The order without ``sort_by`` is not documented;
        this fake lists newest first, so nothing may depend on the order."""
        key = request.query.get("incident_key")
        items = [i for i in self.incidents.values() if key in (None, i["incident_key"])]
        newest_first = request.query.get("sort_by", "created_at:desc") != "created_at:asc"
        items.sort(key=lambda i: (i["created_at"], i["incident_number"]), reverse=newest_first)
        limit = min(100, int(request.query.get("limit", "25")))
        offset = int(request.query.get("offset", "0"))
        return web.json_response(
            {
                "incidents": items[offset : offset + limit],
                "limit": limit,
                "offset": offset,
                "more": offset + limit < len(items),
                "total": None,
            }
        )

    async def log_entries(self, request: web.Request) -> web.Response:
        entries = list(reversed(self.entries[request.match_info["id"]]))
        limit = int(request.query.get("limit", "25"))
        offset = int(request.query.get("offset", "0"))
        page = entries[offset : offset + limit]
        return web.json_response(
            {
                "log_entries": page,
                "limit": limit,
                "offset": offset,
                "more": offset + limit < len(entries),
                "total": None,
            }
        )

    async def list_users(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "").lower()
        users = [u for u in USERS if query in u["email"] or query in u["name"].lower()]
        return web.json_response(
            {"users": users, "limit": 25, "offset": 0, "more": False, "total": None}
        )

    async def add_note(self, request: web.Request) -> web.Response:
        sender = request.headers.get("From", "")
        user = next((u for u in USERS if u["email"] == sender), None)
        if user is None:
            return web.json_response(
                {
                    "error": {
                        "message": "Invalid Input Provided",
                        "code": 2001,
                        "errors": ["Requester User Not Found"],
                    }
                },
                status=400,
            )
        data = await request.json()
        content = data["note"]["content"]
        incident = request.match_info["id"]
        reference = {"id": user["id"], "type": "user_reference", "summary": user["name"]}
        self._entry(incident, "annotate_log_entry", reference, "note", content)
        note = {"id": "PWL7QXS", "user": reference, "content": content, "created_at": stamp()}
        return web.json_response({"note": note})

    async def update_incident(self, request: web.Request) -> web.Response:
        """ "Update an incident": a user (``From``) acknowledges or resolves it; the log entry's
        agent is that user (``user_reference``), as PagerDuty records a person's action."""
        user = request.headers.get("From")
        if not user:
            return web.json_response({"error": {"message": "From header required"}}, status=400)
        incident = self.incidents.get(request.match_info["id"])
        if incident is None:
            return web.json_response({"error": {"message": "Not Found"}}, status=404)
        data = await request.json()
        status = data.get("incident", {}).get("status")
        if status not in ("acknowledged", "resolved"):
            return web.json_response({"error": {"message": "Invalid status"}}, status=400)
        incident["status"] = status
        known = next((u for u in USERS if u["email"] == user), None)
        agent = {
            "id": known["id"] if known else "PRSP0ND",
            "type": "user_reference",
            "summary": known["name"] if known else user,
        }
        kind = "acknowledge_log_entry" if status == "acknowledged" else "resolve_log_entry"
        self._entry(incident["id"], kind, agent, "website")
        return web.json_response({"incident": incident})

    async def abilities(self, request: web.Request) -> web.Response:
        return web.json_response({"abilities": ["teams", "read_only_users", "urgencies"]})
