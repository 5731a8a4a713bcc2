"""A fake public Statuspage (``/api/v2/summary.json``, ``/api/v2/incidents.json``).

Shapes follow the public API as documented on every Statuspage (e.g.
confluence.status.atlassian.com/api): ``summary.json`` = ``{page, status: {indicator,
description}, components, incidents, scheduled_maintenances}``; an incident has ``id, name,
status, impact, created_at, resolved_at, shortlink, incident_updates[], components[]``. The
shapes are held to the documented payloads in tests/desks/contracts/documented.json.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from .server import FakeServer, stamp

_DOCUMENTED = json.loads((Path(__file__).parents[1] / "contracts" / "documented.json").read_text())[
    "statuspage"
]
PAGE = _DOCUMENTED["summary_response"]["payload"]["page"]
COMPONENT = _DOCUMENTED["summary_response"]["payload"]["components"][0]


class FakeStatuspage(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.incidents: list[dict[str, Any]] = []
        self.not_modified = 0
        self.app.router.add_get("/api/v2/summary.json", self.summary)
        self.app.router.add_get("/api/v2/incidents.json", self.list)

    def open_incident(self, name: str, created: datetime, impact: str = "major") -> None:
        incident_id = f"p31zjtct2jer{len(self.incidents)}"
        self.incidents.append(
            {
                "id": incident_id,
                "name": name,
                "status": "investigating",
                "impact": impact,
                "created_at": stamp(created),
                "updated_at": stamp(created),
                "monitoring_at": None,
                "resolved_at": None,
                "shortlink": f"http://stspg.io/{incident_id[:6]}",
                "page_id": "y2j98763l56x",
                "incident_updates": [
                    {
                        "id": f"u{incident_id}",
                        "status": "investigating",
                        "body": "We are investigating elevated packet loss in Southeast Asia.",
                        "created_at": stamp(created),
                        "display_at": stamp(created),
                        "updated_at": stamp(created),
                        "incident_id": incident_id,
                    }
                ],
                "components": [dict(COMPONENT, id="c1", name="Media relay (ap-southeast-1)")],
            }
        )

    async def summary(self, request: web.Request) -> web.Response:
        unresolved = [i for i in self.incidents if i["resolved_at"] is None]
        payload = {
            "page": dict(PAGE, name="Acme RTC", url=self.url),
            "status": {
                "indicator": "major" if unresolved else "none",
                "description": "Partial System Outage" if unresolved else "All Systems Operational",
            },
            "components": [
                dict(
                    COMPONENT,
                    id="c1",
                    name="Media relay (ap-southeast-1)",
                    status="major_outage" if unresolved else "operational",
                )
            ],
            "incidents": unresolved,
            "scheduled_maintenances": [],
        }
        etag = '"' + hashlib.sha1(json.dumps(payload).encode()).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.json_response(payload, headers={"ETag": etag})

    async def list(self, request: web.Request) -> web.Response:
        return web.json_response({"page": dict(PAGE, url=self.url), "incidents": self.incidents})
