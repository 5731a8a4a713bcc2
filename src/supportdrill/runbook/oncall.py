"""The on-call's side of a desk: what the scripted responder does as the person paged.

The harness files tickets as the customer; a runbook drill also needs someone to answer them.
:class:`OnCall` is that someone's three actions, over each desk's own agent-side API:

* the simulated desk: ``POST /_agent/requests/{id}`` (comment and/or status), shown to the
  requester like the persona's own agent replies;
* PagerDuty: the REST API's "Update an incident" (``PUT /incidents/{id}`` with a ``From``
  header naming the responding user, status ``acknowledged`` or ``resolved``) and "Create a
  note" (``POST /incidents/{id}/notes``) — a user's acknowledgement is what the drill times;
* Jira Service Management: a public comment on the request as the agent
  (``POST /rest/servicedeskapi/request/{key}/comment``) and the issue's workflow transitions
  (``GET``/``POST /rest/api/3/issue/{key}/transitions``): acknowledging moves it to a status of
  category "indeterminate" (In Progress), resolving to one of category "done".

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
from ..errors import DeskProtocolError, DeskRejected, DeskUnavailable, InvalidConfiguration
from ..secrets import Redactor, resolve_secrets

TIMEOUT_S = 15.0


class OnCall(abc.ABC):
    """The person paged, acting on the ticket the drill filed."""

    def __init__(self, client: httpx.AsyncClient, desk: str) -> None:
        self.client = client
        self.desk = desk

    async def _send(self, method: str, path: str, body: Mapping[str, Any] | None) -> Any:
        try:
            answer = await self.client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise DeskUnavailable(f"{self.desk}: {method} {path}: {exc}") from exc
        if answer.status_code >= 400:
            raise DeskRejected(
                f"{self.desk}: {method} {path} answered {answer.status_code}: {answer.text[:200]}"
            )
        try:
            return answer.json() if answer.content else None
        except ValueError as exc:
            raise DeskProtocolError(f"{self.desk}: {method} {path}: not JSON") from exc

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


class JiraOnCall(OnCall):
    """The agent on Jira Service Management: public comments and workflow transitions."""

    def __init__(self, base_url: str, email: str, token: str) -> None:
        client = httpx.AsyncClient(
            base_url=base_url,
            auth=(email, token),
            headers={"Accept": "application/json"},
            timeout=TIMEOUT_S,
        )
        super().__init__(client, "jsm")

    async def _transition(self, key: str, category: str) -> None:
        path = f"/rest/api/3/issue/{key}/transitions"
        found = await self._send("GET", path, None)
        choices = found.get("transitions") if isinstance(found, dict) else None
        for choice in choices if isinstance(choices, list) else []:
            target = choice.get("to") if isinstance(choice, dict) else None
            status_category = target.get("statusCategory") if isinstance(target, dict) else None
            if isinstance(status_category, dict) and status_category.get("key") == category:
                await self._send("POST", path, {"transition": {"id": str(choice.get("id"))}})
                return
        raise DeskRejected(f"jsm: {key} has no transition to a status of category {category!r}")

    async def acknowledge(self, ticket_id: str, text: str) -> None:
        await self.comment(ticket_id, text or "Acknowledged.")
        await self._transition(ticket_id, "indeterminate")

    async def comment(self, ticket_id: str, text: str) -> None:
        path = f"/rest/servicedeskapi/request/{ticket_id}/comment"
        await self._send("POST", path, {"body": text, "public": True})

    async def resolve(self, ticket_id: str, text: str) -> None:
        if text:
            await self.comment(ticket_id, text)
        await self._transition(ticket_id, "done")


def open_oncall(
    desk: DeskConfig,
    *,
    simulated_url: str | None,
    responder: str,
    redactor: Redactor,
    token_env: str | None = None,
    env: Mapping[str, str] | None = None,
) -> OnCall:
    """The on-call for the drill's desk. ``simulated_url`` is the embedded desk's address.

    ``token_env`` (the drill's ``runbook.responder_token``) names the variable holding the
    responder's own token. PagerDuty acts as ``responder`` when it is an email (else the desk's
    ``from_email``), with that token or the desk's REST ``token``; Jira acts as the agent
    ``responder`` (an email) with that token, against the desk's ``url``.
    """
    source = os.environ if env is None else env
    if desk.kind is DeskKind.SIMULATED:
        url = simulated_url or desk.settings.get("url")
        if not url:
            raise InvalidConfiguration("the scripted responder needs the simulated desk's URL")
        return SimulatedOnCall(url)
    own = resolve_secrets({"responder_token": token_env}, source) if token_env else {}
    if desk.kind is DeskKind.PAGERDUTY:
        secrets = own or resolve_secrets(
            {k: v for k, v in desk.secrets.items() if k == "token"}, source
        )
        if not secrets:
            raise InvalidConfiguration("the scripted responder on PagerDuty needs the desk's token")
        token = next(iter(secrets.values()))
        redactor.add(token)
        email = responder if "@" in responder else desk.settings.get("from_email", "")
        if not email:
            raise InvalidConfiguration(
                "the scripted responder on PagerDuty acts as a user: give the runbook's "
                "responder as that user's email, or the desk's from_email"
            )
        url = desk.settings.get("url", "https://api.pagerduty.com")
        return PagerDutyOnCall(url, token.reveal(), email)
    if desk.kind is DeskKind.JSM:
        if not own or "@" not in responder:
            raise InvalidConfiguration(
                "the scripted responder on Jira acts as an agent: give the runbook's responder "
                "as the agent's email and runbook.responder_token as ${VARIABLE} holding its "
                "API token"
            )
        token = own["responder_token"]
        redactor.add(token)
        redactor.add_basic_auth(responder, token)
        return JiraOnCall(desk.settings.get("url", ""), responder, token.reveal())
    raise InvalidConfiguration(
        f"the scripted responder cannot act on a {desk.kind.value} desk yet "
        "(simulated, pagerduty and jsm can); follow the runbook by hand or with your own "
        "automation"
    )


__all__ = ["JiraOnCall", "OnCall", "PagerDutyOnCall", "SimulatedOnCall", "open_oncall"]
