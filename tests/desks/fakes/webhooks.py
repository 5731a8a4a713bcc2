"""Webhook deliveries as PagerDuty and Jira Cloud send them: documented payloads, signed.

- PagerDuty v3 (developer.pagerduty.com/docs/webhooks, "Overview" and "Verifying Signatures"):
  the ``incident.priority_updated`` example payload below is the documented one, with the event
  type, incident id, ``incident_key`` and status put in; ``X-PagerDuty-Signature: v1=<hex
  HMAC-SHA256 of the raw body>``, comma-separated when several secrets sign during a rotation.
- Jira Cloud (developer.atlassian.com/cloud/jira/platform/webhooks/): ``{"timestamp",
  "webhookEvent": "jira:issue_updated" | "comment_created", "issue": {"id", "key", ...}}``;
  with a secret, ``X-Hub-Signature: sha256=<hex HMAC-SHA256>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pagerduty_payload(
    event_type: str, incident_id: str, incident_key: str, status: str = "acknowledged"
) -> dict[str, Any]:
    """The documented v3 webhook (``incident.priority_updated`` example), for our incident."""
    return {
        "event": {
            "id": "5ac64822-4adc-4fda-ade0-410becf0de4f",
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": "2020-10-02T18:45:22.169Z",
            "agent": {
                "html_url": "https://acme.pagerduty.com/users/PLH1HKV",
                "id": "PLH1HKV",
                "self": "https://api.pagerduty.com/users/PLH1HKV",
                "summary": "Tenex Engineer",
                "type": "user_reference",
            },
            "client": {"name": "PagerDuty"},
            "data": {
                "id": incident_id,
                "type": "incident",
                "self": f"https://api.pagerduty.com/incidents/{incident_id}",
                "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
                "number": 2,
                "status": status,
                "incident_key": incident_key,
                "created_at": "2020-04-09T15:16:27Z",
                "title": "A little bump in the road",
                "service": {
                    "html_url": "https://acme.pagerduty.com/services/PF9KMXH",
                    "id": "PF9KMXH",
                    "self": "https://api.pagerduty.com/services/PF9KMXH",
                    "summary": "API Service",
                    "type": "service_reference",
                },
                "assignees": [
                    {
                        "html_url": "https://acme.pagerduty.com/users/PTUXL6G",
                        "id": "PTUXL6G",
                        "self": "https://api.pagerduty.com/users/PTUXL6G",
                        "summary": "User 123",
                        "type": "user_reference",
                    }
                ],
                "urgency": "high",
                "resolve_reason": None,
            },
        }
    }


def pagerduty_note_payload(incident_id: str) -> dict[str, Any]:
    """The documented ``incident.annotated`` shape: ``data`` is an ``incident_note``."""
    return {
        "event": {
            "id": "01BRB6ZP4M6T8ZG4X6BP63ZB9O",
            "event_type": "incident.annotated",
            "resource_type": "incident",
            "occurred_at": "2020-10-02T18:45:22.169Z",
            "agent": None,
            "client": None,
            "data": {
                "incident": {
                    "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
                    "id": incident_id,
                    "self": f"https://api.pagerduty.com/incidents/{incident_id}",
                    "summary": "A little bump in the road",
                    "type": "incident_reference",
                },
                "id": "P2LA89X",
                "content": "I sure am glad we are using PagerDuty!",
                "trimmed": False,
                "type": "incident_note",
            },
        }
    }


def jira_payload(event: str, issue_key: str, issue_id: str = "10002") -> dict[str, Any]:
    """A Jira Cloud issue or comment webhook about ``issue_key``."""
    payload: dict[str, Any] = {
        "timestamp": int(time.time() * 1000),
        "webhookEvent": event,
        "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"},
        "issue": {
            "id": issue_id,
            "self": f"https://acme.atlassian.net/rest/api/2/issue/{issue_id}",
            "key": issue_key,
            "fields": {"summary": "[P0][DRILL] Stream degraded", "status": {"name": "Done"}},
        },
    }
    if event.startswith("comment_"):
        payload["comment"] = {
            "id": "10000",
            "body": "Looking at the SEA edge now.",
            "author": payload["user"],
            "created": "2026-11-22T03:04:00.000+0000",
        }
    else:
        payload["issue_event_type_name"] = "issue_generic"
        payload["changelog"] = {
            "id": "10100",
            "items": [{"field": "status", "fromString": "Open", "toString": "Done"}],
        }
    return payload


def encode(payload: dict[str, Any]) -> bytes:
    # Not json.dumps' default separators: the signature must hold for the exact bytes sent.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def pagerduty_headers(body: bytes, *secrets: str) -> dict[str, str]:
    signature = ",".join(f"v1={hex_hmac(secret, body)}" for secret in secrets)
    return {"Content-Type": "application/json", "X-PagerDuty-Signature": signature}


def jira_headers(body: bytes, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature": f"sha256={hex_hmac(secret, body)}",
    }


async def deliver(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST one delivery as the desk does; its HTTP status."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as answer,
    ):
        await answer.read()
        return answer.status
