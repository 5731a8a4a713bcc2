"""The adapter for the simulated desk: :class:`SimulatedDesk`, a
:class:`~supportdrill.desks.base.Desk` speaking the desk's Zendesk-like Requests API through the
shared :class:`~supportdrill.desks.http.DeskHttp`.

It is written the way a real requester-side adapter must be: find before filing (exactly once
across crashes, by an idempotency tag on the ticket, plus an ``Idempotency-Key`` header for a
retried POST), every vendor time taken from the desk's own ``created_at`` and ``Date``, and every
transport or HTTP failure mapped into :mod:`supportdrill.errors` at this boundary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ...definitions.desk_settings import SimulatedSettings
from ...errors import DeskProtocolError, InvalidConfiguration
from ...timeline import StatusCategory
from ...vocabulary import (
    AuthorRole,
    DeskCapabilities,
    DeskEvent,
    DeskPoll,
    DeskReply,
    DeskStatusChange,
    TicketDraft,
    TicketRef,
)
from ..base import Desk, OpenContext
from ..http import DeskHttp, HttpAnswer, json_object
from ..tracking import SEVERITY_WORDS, Cursor

_ROLES: Mapping[str, str] = {"agent": AuthorRole.AGENT, "end-user": AuthorRole.END_USER}
_AUTOMATED_CHANNELS = frozenset({"rule", "automation", "trigger"})


def idempotency_tag(key: str) -> str:
    """The tag that marks the ticket filed under ``key`` (desk tags are short lower-case words)."""
    return "sdkey-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def _time(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise DeskProtocolError(f"simulated desk: {what}: expected a timestamp, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise DeskProtocolError(f"simulated desk: {what}: bad timestamp {value!r}") from exc
    if moment.tzinfo is None:
        raise DeskProtocolError(f"simulated desk: {what}: timestamp {value!r} has no zone")
    return moment.astimezone(UTC)


def _get(data: object, key: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        raise DeskProtocolError(f"simulated desk: {what}.{key} missing or of the wrong type")
    return value


def _automated_hint(channel: str, role: str, auto_header: bool) -> bool | None:
    if channel in _AUTOMATED_CHANNELS or auto_header:
        return True
    # "web" is an agent typing in the desk's own interface: a person. Anything posted through
    # the API may be an integration using an agent's account, so it stays undecided.
    if channel == "web" and role == AuthorRole.AGENT:
        return False
    return None


def _since(cursor: Cursor) -> datetime | None:
    """The latest desk timestamp a poll has seen (the shared cursor's ``at`` position).

    Desk timestamps are whole seconds, so several events can share one: the cursor's ``seen``
    keeps the keys of the events seen *at* that timestamp, and only those.
    """
    text = cursor.get("at")
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise DeskProtocolError(f"simulated desk: bad poll cursor position {text!r}") from exc
    return moment


def _advanced(cursor: Cursor, items: Iterable[tuple[datetime, str]]) -> Cursor:
    latest, seen = _since(cursor), set(cursor.seen)
    for at, key in items:
        if latest is None or at > latest:
            latest, seen = at, {key}
        elif at == latest:
            seen.add(key)
    if latest is None:
        return cursor
    return Cursor(seen=tuple(sorted(seen)), extra=(("at", latest.isoformat()),))


def _is_new(cursor: Cursor, at: datetime, key: str) -> bool:
    latest = _since(cursor)
    if latest is None or at > latest:
        return True
    return at == latest and key not in cursor.seen


class SimulatedDesk(Desk):
    """The simulated vendor desk at ``base_url``."""

    name = "simulated"
    capabilities = DeskCapabilities(
        author_roles=True,
        channels=True,
        status_history=True,
        notes=(
            "simulated desk: its times are its clock's — simulated time when it runs on a "
            "virtual or accelerated clock; its replies come from a scripted persona",
        ),
    )

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        persona: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.persona = persona
        self.timeout_s = timeout_s
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = DeskHttp(
            self.base_url, desk="simulated desk", headers=headers, timeout=timeout_s
        )

    @classmethod
    def from_settings(cls, settings: SimulatedSettings, context: OpenContext) -> SimulatedDesk:
        """A client for a simulated desk already running at ``settings.url``."""
        if settings.url is None:
            raise InvalidConfiguration(
                "desk simulated: open_desk builds a client for a running simulated desk and "
                "needs its url; the runner starts an embedded one itself"
            )
        token = context.secret(settings.token).reveal() if settings.token is not None else None
        return cls(settings.url, token=token, persona=settings.persona)

    # ---- HTTP, with errors mapped by the shared boundary code (desks/http.py)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any], HttpAnswer]:
        answer = await self.http.request(
            method, path, params=params, json_body=json, headers=headers
        )
        data = json_object(answer.data, f"simulated desk: {method} {path}")
        return dict(data), answer

    # ---- Desk

    def _ref(self, request: object, *, found: bool) -> TicketRef:
        ticket_id = _get(request, "id", int, "request")
        created = _time(_get(request, "created_at", str, "request"), "request.created_at")
        extra = {"api_url": str(_get(request, "url", str, "request"))}
        if found:
            extra["found_by"] = "idempotency_tag"
        return TicketRef(
            desk=self.name,
            ticket_id=str(ticket_id),
            created_at=created,
            url=f"{self.base_url}/hc/requests/{ticket_id}",
            extra=extra,
        )

    async def find(self, *, idempotency_key: str) -> TicketRef | None:
        data, _ = await self._call(
            "GET",
            "/api/v2/requests/search",
            params={"query": f"tag:{idempotency_tag(idempotency_key)}"},
        )
        requests = _get(data, "requests", list, "search")
        if not requests:
            return None
        # More than one would mean a filing escaped us; the earliest is the drill's T0.
        earliest = min(requests, key=lambda request: _get(request, "id", int, "request"))
        return self._ref(earliest, found=True)

    async def file(self, draft: TicketDraft, *, idempotency_key: str) -> TicketRef:
        existing = await self.find(idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        priority = SEVERITY_WORDS.get(draft.severity.upper())
        if priority is None:
            raise InvalidConfiguration(f"simulated desk: unknown severity {draft.severity!r}")
        tags = [*draft.tags, idempotency_tag(idempotency_key)]
        if self.persona:
            tags.append(f"persona-{self.persona}")
        payload = {
            "request": {
                "subject": draft.subject,
                "comment": {"body": draft.body},
                "priority": priority,
                "tags": tags,
            }
        }
        data, _ = await self._call(
            "POST",
            "/api/v2/requests",
            json=payload,
            headers={"Idempotency-Key": idempotency_tag(idempotency_key)},
        )
        return self._ref(_get(data, "request", dict, "answer"), found=False)

    async def poll(self, ref: TicketRef, *, since: str | None = None) -> DeskPoll:
        cursor = Cursor.decode(since)
        path = f"/api/v2/requests/{ref.ticket_id}"
        ticket, _ = await self._call("GET", path)
        request = _get(ticket, "request", dict, "answer")
        requester = _get(request, "requester_id", int, "request")
        at = _since(cursor)
        params = {"since": at.isoformat()} if at is not None else None
        data, answer = await self._call("GET", f"{path}/comments", params=params)
        users = {
            _get(user, "id", int, "users"): user for user in _get(data, "users", list, "comments")
        }
        keyed: list[tuple[datetime, str, DeskEvent]] = []
        for comment in _get(data, "comments", list, "comments"):
            reply = self._reply(comment, users, requester)
            keyed.append((reply.created_at, f"c{reply.message_id}", reply))
        for index, entry in enumerate(_get(request, "status_history", list, "request")):
            change = self._status(entry)
            keyed.append((change.at, f"s{index}", change))
        keyed.sort(key=lambda item: item[0])
        fresh = [(at, key, event) for at, key, event in keyed if _is_new(cursor, at, key)]
        advanced = _advanced(cursor, [(at, key) for at, key, _ in fresh])
        return DeskPoll(
            events=tuple(event for _, _, event in fresh),
            cursor=advanced.encode() if _since(advanced) is not None else None,
            server_time=answer.server_time,
        )

    def _reply(self, comment: object, users: Mapping[int, object], requester: int) -> DeskReply:
        author = _get(comment, "author_id", int, "comment")
        user = users.get(author)
        role = (
            _ROLES.get(str(user.get("role")), AuthorRole.UNKNOWN)
            if isinstance(user, dict)
            else AuthorRole.UNKNOWN
        )
        via = comment.get("via") if isinstance(comment, dict) else None
        channel = str(via.get("channel", "")) if isinstance(via, dict) else ""
        metadata = comment.get("metadata") if isinstance(comment, dict) else None
        raw_headers = metadata.get("headers", {}) if isinstance(metadata, dict) else {}
        headers = (
            {str(k).lower(): str(v) for k, v in raw_headers.items()}
            if isinstance(raw_headers, dict)
            else {}
        )
        auto_header = (
            headers.get("auto-submitted", "no").lower() != "no" or "x-autoreply" in headers
        )
        return DeskReply(
            message_id=str(_get(comment, "id", int, "comment")),
            created_at=_time(_get(comment, "created_at", str, "comment"), "comment.created_at"),
            body=str(_get(comment, "body", str, "comment")),
            author_id=str(author),
            author_name=str(user.get("name", "")) if isinstance(user, dict) else "",
            author_role=role,
            channel=channel,
            public=bool(_get(comment, "public", bool, "comment")),
            from_us=author == requester,
            automated_hint=_automated_hint(channel, role, auto_header),
            headers=headers,
        )

    @staticmethod
    def _status(entry: object) -> DeskStatusChange:
        status = str(_get(entry, "status", str, "status_history"))
        try:
            category = StatusCategory(status)
        except ValueError as exc:
            raise DeskProtocolError(f"simulated desk: unknown status {status!r}") from exc
        at = _time(_get(entry, "at", str, "status_history"), "status_history.at")
        return DeskStatusChange(status=status, category=category, at=at)

    async def comment(self, ref: TicketRef, text: str) -> datetime:
        data, _ = await self._call(
            "PUT",
            f"/api/v2/requests/{ref.ticket_id}",
            json={"request": {"comment": {"body": text}}},
        )
        request = _get(data, "request", dict, "answer")
        return _time(_get(request, "updated_at", str, "request"), "request.updated_at")

    async def check(self) -> list[str]:
        data, answer = await self._call("GET", "/api/v2/users/me")
        user = _get(data, "user", dict, "answer")
        lines = [
            f"simulated desk at {self.base_url}: signed in as {user.get('name')} "
            f"({user.get('role')})"
        ]
        control, _ = await self._call("GET", "/_control")
        lines.append(f"persona {control.get('persona')}: {control.get('description')}")
        desk_now = answer.server_time
        if desk_now is not None:
            lines.append(f"desk clock {desk_now.isoformat()} ({control.get('clock')})")
        lines.append("sees: author roles, channels, status history with desk timestamps")
        return lines

    async def close(self) -> None:
        await self.http.aclose()
