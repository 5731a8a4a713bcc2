"""Shared HTTP plumbing for the desk adapters: one ``httpx.AsyncClient`` with errors mapped.

Every adapter that speaks HTTP (Zendesk, JSM, Freshdesk, GitHub, PagerDuty, Statuspage) sends
through :class:`DeskHttp`, so the mapping from transport failures and status codes to
:mod:`supportdrill.errors` is written once:

- connection errors and 5xx → :class:`~supportdrill.errors.DeskUnavailable`
- timeouts → :class:`~supportdrill.errors.DeskTimeout`
- 429, and a 403 that says it is a rate limit (GitHub: ``x-ratelimit-remaining: 0`` or a
  ``Retry-After``) → :class:`~supportdrill.errors.DeskRateLimited`, ``retry_after`` from
  ``Retry-After`` (seconds or an HTTP date), else GitHub's ``x-ratelimit-reset`` (epoch
  seconds), else PagerDuty's ``ratelimit-reset`` (seconds from now)
- other 401/403 → :class:`~supportdrill.errors.DeskAuthFailed`, other 4xx →
  :class:`~supportdrill.errors.DeskRejected`
- redirects: a GET follows them (GitHub answers 301 for a transferred issue; httpx drops our
  credentials if the new place is another origin); a redirect left over, or one to a write, is
  never success and its body is never parsed (:class:`DeskRedirected`, a
  :class:`~supportdrill.errors.DeskProtocolError`, with the status and ``Location``)
- a body that is not the JSON we asked for → :class:`~supportdrill.errors.DeskProtocolError`

Every error text passes through the desk's :class:`~supportdrill.secrets.Redactor`, and
every answer carries the desk's clock (``Date`` header) for skew, and its ``ETag``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..errors import (
    DeskAuthFailed,
    DeskProtocolError,
    DeskRateLimited,
    DeskRejected,
    DeskTimeout,
    DeskUnavailable,
)
from ..secrets import Redactor

USER_AGENT = "supportdrill/0.1 (+support drill harness)"
BODY_EXCERPT = 300


class DeskRedirected(DeskProtocolError):
    """A redirect that was not followed (one to a write, or left over): the desk did not act
    on the request. ``location`` is where it pointed; an adapter that knows what the redirect
    means (GitHub's transferred issue) re-resolves the ticket instead of parsing its body."""

    def __init__(self, message: str, *, status: int, location: str | None) -> None:
        self.status = status
        self.location = location
        super().__init__(message)

    @property
    def permanent(self) -> bool:
        """301/308: the new place is to be used from now on (302/303/307 are for this once)."""
        return self.status in (301, 308)


@dataclass(frozen=True)
class HttpAnswer:
    """One successful (2xx or 304) answer."""

    status: int
    data: Any
    """Decoded JSON (``None`` for an empty body or a 304)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Response headers, lower-case names."""
    server_time: datetime | None = None
    etag: str | None = None
    moved: bool = False
    """A permanent redirect (301/308) was followed to get here: the thing asked for lives
    elsewhere now, and the answer (GitHub's issue names its own ``url``) says where."""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def parse_http_date(value: str | None) -> datetime | None:
    """An RFC 7231 HTTP date as aware UTC, or None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds from now: delta-seconds or an HTTP date; None if unusable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        moment = parse_http_date(text)
        if moment is None:
            return None
        return max(0.0, (moment - now).total_seconds())
    return max(0.0, seconds)


def rate_limit_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds a rate-limited answer asks us to wait, from its headers (lower-case names):
    ``Retry-After``, GitHub's ``x-ratelimit-reset`` (epoch seconds) or PagerDuty's
    ``ratelimit-reset`` (seconds from now); None when none of them says."""
    retry_after = parse_retry_after(headers.get("retry-after"), now)
    if retry_after is not None:
        return retry_after
    for name, epoch in (("x-ratelimit-reset", True), ("ratelimit-reset", False)):
        text = headers.get(name, "").strip()
        try:
            value = float(text)
        except ValueError:
            continue
        return max(0.0, value - now.timestamp()) if epoch else max(0.0, value)
    return None


def is_rate_limit(status: int, headers: Mapping[str, str]) -> bool:
    """429, or a 403 that says it is a rate limit (GitHub's primary and secondary limits)."""
    if status == 429:
        return True
    return status == 403 and (
        headers.get("x-ratelimit-remaining", "").strip() == "0" or "retry-after" in headers
    )


def next_link(headers: Mapping[str, str]) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 ``Link`` header (GitHub, Freshdesk), if any."""
    for part in headers.get("link", "").split(","):
        url, _, params = part.partition(";")
        rels = {
            item.strip().removeprefix("rel=").strip('"')
            for item in params.split(";")
            if item.strip().startswith("rel=")
        }
        if "next" in " ".join(rels).split():
            return url.strip().removeprefix("<").removesuffix(">")
    return None


MAX_PAGES = 50
"""A bound on any one listing (50 pages of 100 = 5000 items): a desk that keeps answering "more"
must not keep a drill's poll going for ever."""


def parse_timestamp(value: object, what: str) -> datetime:
    """An ISO 8601 timestamp from a desk answer as aware UTC, or :class:`DeskProtocolError`."""
    if not isinstance(value, str) or not value:
        raise DeskProtocolError(f"{what}: expected an ISO 8601 timestamp, got {value!r}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # JSM and some Java desks write +0000 rather than +00:00.
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise DeskProtocolError(f"{what}: unreadable timestamp {value!r}") from exc
    if moment.tzinfo is None:
        raise DeskProtocolError(f"{what}: timestamp without a time zone {value!r}")
    return moment.astimezone(UTC)


def require(data: Any, key: str, what: str) -> Any:
    """``data[key]`` of a JSON object, or :class:`DeskProtocolError` naming what is missing."""
    if not isinstance(data, Mapping):
        raise DeskProtocolError(f"{what}: expected a JSON object, got {type(data).__name__}")
    if key not in data or data[key] is None:
        raise DeskProtocolError(f"{what}: missing field {key!r}")
    return data[key]


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


class DeskHttp:
    """An ``httpx.AsyncClient`` bound to one desk, mapping every failure into ``DeskError``."""

    def __init__(
        self,
        base_url: str,
        *,
        desk: str,
        redactor: Redactor | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 20.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.desk = desk
        self.redactor = redactor or Redactor()
        merged = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        merged.update(headers or {})
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            headers=merged,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def _say(self, text: str) -> str:
        return self.redactor.redact(f"{self.desk}: {text}")

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        etag: str | None = None,
        headers: Mapping[str, str] | None = None,
        expect_json: bool = True,
    ) -> HttpAnswer:
        """Send one request; a 2xx (or a 304 to ``etag``) comes back, anything else raises."""
        extra = dict(headers or {})
        target = httpx.URL(url)
        if target.is_absolute_url and _origin(target) != _origin(self._client.base_url):
            # A next-page link or a redirect named by the desk: our credentials go nowhere else.
            raise DeskProtocolError(self._say(f"{method} {url}: not on the desk's own origin"))
        if etag:
            extra["If-None-Match"] = etag
        where = f"{method} {url}"
        try:
            # Reads follow redirects (a transferred GitHub issue answers 301); a write does not,
            # because httpx would turn a redirected POST into a GET.
            response = await self._client.request(
                method,
                url,
                params=params,
                json=json_body,
                headers=extra,
                follow_redirects=method in ("GET", "HEAD"),
            )
        except httpx.TimeoutException as exc:
            raise DeskTimeout(
                self._say(f"{where}: no answer in time ({type(exc).__name__})")
            ) from exc
        except httpx.HTTPError as exc:
            raise DeskUnavailable(self._say(f"{where}: {type(exc).__name__}: {exc}")) from exc
        return self._answer(where, response, etag, expect_json)

    def _answer(
        self, where: str, response: httpx.Response, etag: str | None, expect_json: bool
    ) -> HttpAnswer:
        status = response.status_code
        lower = {key.lower(): value for key, value in response.headers.items()}
        server_time = parse_http_date(lower.get("date"))
        moved = any(step.status_code in (301, 308) for step in response.history)
        if status == 304 and etag:
            return HttpAnswer(status, None, lower, server_time, lower.get("etag", etag), moved)
        if not 200 <= status < 300:
            self._raise_for(where, response, lower, server_time)
        data: Any = None
        if expect_json and response.content.strip():
            try:
                data = json.loads(response.content)
            except (ValueError, UnicodeDecodeError) as exc:
                raise DeskProtocolError(
                    self._say(
                        f"{where}: answer {status} is not JSON: {response.content[:BODY_EXCERPT]!r}"
                    )
                ) from exc
        return HttpAnswer(status, data, lower, server_time, lower.get("etag"), moved)

    def _raise_for(
        self,
        where: str,
        response: httpx.Response,
        headers: Mapping[str, str],
        server_time: datetime | None,
    ) -> None:
        status = response.status_code
        excerpt = self.redactor.redact(response.text[:BODY_EXCERPT])
        message = self._say(f"{where}: HTTP {status}: {excerpt}".rstrip(": "))
        if is_rate_limit(status, headers):
            now = server_time or datetime.now(UTC)
            raise DeskRateLimited(message, retry_after=rate_limit_wait(headers, now))
        if 300 <= status < 400:
            where_to = headers.get("location")
            raise DeskRedirected(
                self._say(
                    f"{where}: HTTP {status} redirect to {where_to or 'nowhere'} was not followed"
                ),
                status=status,
                location=where_to,
            )
        if status in (401, 403):
            raise DeskAuthFailed(message, status=status, body=excerpt)
        if 400 <= status < 500:
            raise DeskRejected(message, status=status, body=excerpt)
        # 5xx, and anything that is neither success nor error (1xx): the desk is not answering
        # as it should.
        raise DeskUnavailable(message, status=status)

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        etag: str | None = None,
    ) -> HttpAnswer:
        return await self.request("GET", url, params=params, etag=etag)

    async def post(self, url: str, body: Any) -> HttpAnswer:
        return await self.request("POST", url, json_body=body)

    async def put(self, url: str, body: Any) -> HttpAnswer:
        return await self.request("PUT", url, json_body=body)

    async def aclose(self) -> None:
        await self._client.aclose()


async def linked_pages(
    http: DeskHttp, url: str, *, params: Mapping[str, str | int] | None = None
) -> AsyncGenerator[HttpAnswer, None]:
    """Every page of a listing that pages with ``Link: <…>; rel="next"`` (GitHub, Freshdesk),
    first page first, at most :data:`MAX_PAGES`. A caller looking for one item stops early."""
    answer = await http.get(url, params=params)
    for _ in range(MAX_PAGES):
        yield answer
        following = next_link(answer.headers)
        if following is None:
            return
        answer = await http.get(following)


def json_list(data: Any, key: str | None, what: str) -> list[Any]:
    """``data[key]`` (or ``data`` itself) as a list, or :class:`DeskProtocolError`."""
    value = require(data, key, what) if key is not None else data
    if not isinstance(value, list):
        raise DeskProtocolError(f"{what}: expected a list, got {type(value).__name__}")
    return value


def json_object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise DeskProtocolError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data
