"""The on-call's side of a desk: what the scripted responder does as the person paged.

The harness files tickets as the customer; a runbook drill also needs someone to answer them.
:class:`OnCall` is that someone's three actions, over each desk's own agent-side API:

* the simulated desk: ``POST /_agent/requests/{id}`` (comment and/or status), shown to the
  requester like the persona's own agent replies;
* PagerDuty: the REST API's "Update an incident" (``PUT /incidents/{id}`` with a ``From``
  header naming the responding user, status ``acknowledged`` or ``resolved``) and "Create a
  note" (``POST /incidents/{id}/notes``) — a user's acknowledgement is what the drill times.

Errors are mapped to :class:`~supportdrill.errors.DeskError` at this boundary; the responder
records them on the timeline and carries on with the runbook, as a person would.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Mapping
from typing import Any

import httpx

from ..definitions.model import DeskConfig, DeskKind
from ..errors import DeskRejected, DeskUnavailable, InvalidConfiguration
from ..secrets import Redactor, resolve_secrets

TIMEOUT_S = 15.0


class OnCall(abc.ABC):
    """The person paged, acting on the ticket the drill filed."""

    def __init__(self, client: httpx.AsyncClient, desk: str) -> None:
        self.client = client
        self.desk = desk

    async def _send(self, method: str, path: str, body: Mapping[str, Any]) -> None:
        try:
            answer = await self.client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise DeskUnavailable(f"{self.desk}: {method} {path}: {exc}") from exc
        if answer.status_code >= 400:
            raise DeskRejected(
                f"{self.desk}: {method} {path} answered {answer.status_code}: {answer.text[:200]}"
            )

    @abc.abstractmethod
    async def acknowledge(self, ticket_id: str, text: str) -> None: ...

    @abc.abstractmethod
    async def comment(self, ticket_id: str, text: str) -> None: ...

    @abc.abstractmethod
    async def resolve(self, ticket_id: str, text: str) -> None: ...

    async def close(self) -> None:
        await self.client.aclose()


class SimulatedOnCall(OnCall):
    """The vendor's agent on the simulated desk (its persona ``silent`` leaves it all to us)."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=TIMEOUT_S)
        super().__init__(client, "simulated")

    async def _act(self, ticket_id: str, text: str, status: str | None) -> None:
        body: dict[str, Any] = {"comment": text}
        if status is not None:
            body["status"] = status
        await self._send("POST", f"/_agent/requests/{ticket_id}", body)

    async def acknowledge(self, ticket_id: str, text: str) -> None:
        await self._act(ticket_id, text or "Acknowledged.", "open")

    async def comment(self, ticket_id: str, text: str) -> None:
        await self._act(ticket_id, text, None)

    async def resolve(self, ticket_id: str, text: str) -> None:
        await self._act(ticket_id, text or "Resolved.", "solved")


class PagerDutyOnCall(OnCall):
    """The paged user on PagerDuty: acknowledges and resolves as themselves (REST API)."""

    def __init__(self, base_url: str, token: str, user_email: str) -> None:
        client = httpx.AsyncClient(
            base_url=base_url,
            headers={
                "Authorization": f"Token token={token}",
                "Accept": "application/vnd.pagerduty+json;version=2",
                "From": user_email,
            },
            timeout=TIMEOUT_S,
        )
        super().__init__(client, "pagerduty")

    async def _status(self, ticket_id: str, status: str) -> None:
        body = {"incident": {"type": "incident_reference", "status": status}}
        await self._send("PUT", f"/incidents/{ticket_id}", body)

    async def acknowledge(self, ticket_id: str, text: str) -> None:
        await self._status(ticket_id, "acknowledged")
        if text:
            await self.comment(ticket_id, text)

    async def comment(self, ticket_id: str, text: str) -> None:
        await self._send("POST", f"/incidents/{ticket_id}/notes", {"note": {"content": text}})

    async def resolve(self, ticket_id: str, text: str) -> None:
        if text:
            await self.comment(ticket_id, text)
        await self._status(ticket_id, "resolved")


def open_oncall(
    desk: DeskConfig,
    *,
    simulated_url: str | None,
    responder: str,
    redactor: Redactor,
    env: Mapping[str, str] | None = None,
) -> OnCall:
    """The on-call for the drill's desk. ``simulated_url`` is the embedded desk's address.

    PagerDuty uses the desk's ``url`` and REST ``token``, acting as ``responder`` when it is an
    email address (PagerDuty's ``From``), else as the desk's ``from_email``.
    """
    if desk.kind is DeskKind.SIMULATED:
        url = simulated_url or desk.settings.get("url")
        if not url:
            raise InvalidConfiguration("the scripted responder needs the simulated desk's URL")
        return SimulatedOnCall(url)
    if desk.kind is DeskKind.PAGERDUTY:
        secrets = resolve_secrets(
            {k: v for k, v in desk.secrets.items() if k == "token"},
            os.environ if env is None else env,
        )
        if "token" not in secrets:
            raise InvalidConfiguration("the scripted responder on PagerDuty needs the desk's token")
        redactor.add(secrets["token"])
        email = responder if "@" in responder else desk.settings.get("from_email", "")
        if not email:
            raise InvalidConfiguration(
                "the scripted responder on PagerDuty acts as a user: give the runbook's "
                "responder as that user's email, or the desk's from_email"
            )
        url = desk.settings.get("url", "https://api.pagerduty.com")
        return PagerDutyOnCall(url, secrets["token"].reveal(), email)
    raise InvalidConfiguration(
        f"the scripted responder cannot act on a {desk.kind.value} desk yet "
        "(simulated and pagerduty can); follow the runbook by hand or with your own automation"
    )


__all__ = ["OnCall", "PagerDutyOnCall", "SimulatedOnCall", "open_oncall"]
