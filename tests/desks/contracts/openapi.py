"""Hold an HTTP exchange to a vendor's published OpenAPI description.

:class:`Contract` loads one of the cut-down descriptions beside this file and checks

- a request: the method and path are a documented operation, every required query parameter and
  header (``From`` on a PagerDuty note...) is there, and a JSON body validates against the
  operation's request schema;
- a response: its JSON validates against the schema documented for its status code.

OpenAPI 3.0 schemas are JSON Schema draft 4 plus ``nullable``; :func:`_json_schema` turns
``nullable: true`` into a ``null`` alternative so ``jsonschema`` can validate them, and reads
``oneOf`` as ``anyOf`` (see there).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jsonschema

if TYPE_CHECKING:
    from fakes.server import Exchange

HERE = Path(__file__).parent
_IGNORED_HEADERS = {"accept", "content-type", "authorization", "user-agent"}


def _json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    # Vendors write oneOf where their branches overlap (PagerDuty's Channel: {"type": "api"}
    # matches several); the documented meaning is "one of these shapes", i.e. anyOf.
    out = {("anyOf" if key == "oneOf" else key): _json_schema(value) for key, value in node.items()}
    if out.pop("nullable", False):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


ERRATA: dict[str, list[tuple[tuple[str, ...], Any, str]]] = {
    "pagerduty": [
        (
            ("components", "schemas", "AcknowledgeLogEntry", "allOf", 1, "properties", "type"),
            {"enum": ["acknowledge_log_entry"], "type": "string"},
            # The one place the description says "acknowledgement_log_entry"; its LogEntry
            # enum, its examples (5 times) and the live API say "acknowledge_log_entry".
            "self-contradictory enum in the published description",
        )
    ],
    "zendesk": [
        (
            ("components", "schemas", "TicketMetricsByTicketMetricIdResponse", "properties"),
            {
                "ticket_metric": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/TicketMetricObject"},
                        {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/TicketMetricObject"},
                            "maxItems": 1,
                        },
                    ]
                }
            },
            # The description writes a list (its example has one item); the live API answers
            # one object, as the docs' "JSON format" shows a ticket metric (pbu-projects/z4j,
            # TESTING.md, "Known Zendesk API Defects"). Either is accepted, and read.
            "ticket_metric is one object, not a list, in the live API",
        )
    ],
}
"""Where a published description contradicts itself, the correction and why (kept small)."""

ALIASES: dict[str, list[tuple[str, str, str]]] = {
    "zendesk": [
        (
            "/api/v2/tickets/{ticket_id}/metrics",
            "/api/v2/ticket_metrics/{ticket_metric_id}",
            # "Show Ticket Metrics" returns "a specific metric, or the metrics of a specific
            # ticket"; the ticket's form is this path (used by Zendesk's clients: zenpy issue
            # #571, z4j's showTicketMetricsByTicket), which the description does not list.
            "the ticket's own path of Show Ticket Metrics",
        )
    ],
}
"""Documented paths missing from a description, checked as the operation they are."""


class Contract:
    def __init__(self, vendor: str, *, strip_suffix: str = "") -> None:
        self.vendor = vendor
        self.doc = json.loads((HERE / f"{vendor}.openapi.json").read_text())
        for where, value, _why in ERRATA.get(vendor, []):
            node: Any = self.doc
            for key in where[:-1]:
                node = node[key]
            node[where[-1]] = value
        for path, operation_path, _why in ALIASES.get(vendor, []):
            self.doc["paths"][path] = self.doc["paths"][operation_path]
        self.components = _json_schema(self.doc.get("components", {}))
        self.strip_suffix = strip_suffix
        servers = self.doc.get("servers") or [{"url": ""}]
        self.base_path = urlsplit(servers[0]["url"]).path.rstrip("/")
        self._templates = [
            (re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(p)) + "$"), p)
            for p in self.doc["paths"]
        ]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        """The documented operation for ``method path``; AssertionError when there is none."""
        path = path.removesuffix(self.strip_suffix) if self.strip_suffix else path
        path = path.removeprefix(self.base_path) if self.base_path else path
        for pattern, template in self._templates:
            if pattern.match(path):
                operation = self.doc["paths"][template].get(method.lower())
                assert operation is not None, f"{self.vendor}: {method} {template} undocumented"
                shared = self.doc["paths"][template].get("parameters", [])
                return template, {
                    **operation,
                    "parameters": shared + operation.get("parameters", []),
                }
        raise AssertionError(f"{self.vendor}: no documented path matches {method} {path}")

    def _deref(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            kind, name = node["$ref"].split("/")[2:4]
            node = self.doc["components"][kind][name]
        return node

    def _validate(self, schema: Any, value: Any, what: str) -> None:
        wrapped = {**_json_schema(schema), "components": self.components}
        errors = sorted(
            jsonschema.Draft4Validator(wrapped).iter_errors(value), key=lambda e: list(e.path)
        )
        assert not errors, f"{self.vendor}: {what}: " + "; ".join(
            f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message[:200]}" for e in errors[:5]
        )

    def check_request(self, exchange: Exchange) -> str:
        template, operation = self.operation(exchange.method, exchange.path)
        where = f"{exchange.method} {template}"
        headers = {k.lower(): v for k, v in exchange.headers.items()}
        for parameter in map(self._deref, operation["parameters"]):
            name, place = parameter["name"], parameter["in"]
            if not parameter.get("required") or place == "path":
                continue
            if place == "query":
                assert name in exchange.query, f"{self.vendor}: {where}: query {name!r} missing"
            elif place == "header" and name.lower() not in _IGNORED_HEADERS:
                assert name.lower() in headers, f"{self.vendor}: {where}: header {name!r} missing"
        body = self._deref(operation.get("requestBody"))
        if body and exchange.body is not None:
            media = body.get("content", {}).get("application/json")
            if media and "schema" in media:
                self._validate(media["schema"], exchange.body, f"{where} request body")
        elif body and body.get("required"):
            raise AssertionError(f"{self.vendor}: {where}: a request body is required")
        return where

    def documents(self, exchange: Exchange) -> bool:
        """Whether the operation documents the status of ``exchange``'s answer."""
        _, operation = self.operation(exchange.method, exchange.path)
        return str(exchange.status) in operation.get("responses", {})

    def check_response(self, exchange: Exchange) -> str:
        template, operation = self.operation(exchange.method, exchange.path)
        where = f"{exchange.method} {template} → {exchange.status}"
        responses = operation.get("responses", {})
        response = self._deref(
            responses.get(str(exchange.status))
            or responses.get(f"{str(exchange.status)[0]}XX")
            or responses.get("default")
        )
        assert response is not None, f"{self.vendor}: {where}: status not documented"
        media = (response.get("content") or {}).get("application/json")
        if media is None:
            media = next(iter((response.get("content") or {}).values()), None)
        if media is not None and "schema" in media and exchange.answer is not None:
            self._validate(media["schema"], exchange.answer, where)
        return where

    def examples(self, method: str, template: str, status: str = "200") -> list[Any]:
        """The documented example payloads of one response."""
        operation = self.doc["paths"][template][method]
        response = self._deref(operation["responses"][status])
        media = next(iter(response.get("content", {}).values()))
        found = [media["example"]] if "example" in media else []
        for example in media.get("examples", {}).values():
            value = self._deref(example).get("value")
            # GitHub writes {"value": {"$ref": ...}} pointing at a named example.
            if isinstance(value, dict) and "$ref" in value:
                value = self._deref(value).get("value")
            found.append(value)
        # Atlassian's examples are JSON text.
        decoded = [json.loads(item) if isinstance(item, str) else item for item in found]
        return [copy.deepcopy(item) for item in decoded if item is not None]
