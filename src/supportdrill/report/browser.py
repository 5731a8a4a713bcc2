"""Open a report in a real browser — headless Chromium over the Chrome DevTools Protocol — and
say what happened: JavaScript errors, console and network errors, every request the page made,
and a full-page screenshot.

This is how the tests hold the HTML report to its promise (opens offline, nothing fetched, no
script errors) and how CI writes a screenshot of it as an artefact. It drives the browser the way
Puppeteer does, with the protocol's own messages over one WebSocket (aiohttp's client, already a
dependency): ``Target.createTarget`` + ``attachToTarget`` (flat sessions), ``Runtime``, ``Log``
and ``Network`` events, ``Page.navigate``, ``Page.captureScreenshot``.

Chromium is found as ``chromium`` (Debian's package), ``chromium-browser`` or
``google-chrome`` on PATH, or ``$SUPPORTDRILL_CHROMIUM``; :func:`find_chromium` returns None
when there is none, so tests can skip.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from ..errors import SupportdrillError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


class BrowserError(SupportdrillError):
    """Chromium could not be started or driven."""


@dataclass(frozen=True)
class PageReport:
    """What opening a page in the browser showed."""

    url: str
    title: str
    js_errors: tuple[str, ...]
    """Uncaught exceptions and ``console.error`` calls."""
    log_errors: tuple[str, ...]
    """The browser's own error log: failed loads, Content-Security-Policy violations…"""
    requests: tuple[str, ...]
    """Every URL the page requested, the page itself included."""
    screenshot: bytes
    probes: dict[str, Any] = field(default_factory=dict)
    """The values of the JavaScript expressions asked for, evaluated after load."""

    @property
    def external_requests(self) -> tuple[str, ...]:
        return tuple(url for url in self.requests if not url.startswith(LOCAL_SCHEMES))


def find_chromium() -> str | None:
    given = os.environ.get("SUPPORTDRILL_CHROMIUM")
    if given:
        return given
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


class _Session:
    """One DevTools WebSocket: numbered commands, their answers, and a queue of events."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self.pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)
            elif "method" in data:
                self.events.put_nowait(data)

    async def send(self, method: str, session: str | None = None, **params: Any) -> Any:
        number = next(self.ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[number] = future
        await self.socket.send_str(json.dumps(message))
        answer = await asyncio.wait_for(future, timeout=30)
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error'].get('message', answer['error'])}")
        return answer.get("result", {})

    async def close(self) -> None:
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


async def _devtools_url(profile: Path, process: asyncio.subprocess.Process) -> str:
    """Chromium writes its port and browser WebSocket path to DevToolsActivePort."""
    marker = profile / "DevToolsActivePort"
    for _ in range(300):
        if process.returncode is not None:
            raise BrowserError(f"chromium exited with {process.returncode} before it was ready")
        if marker.exists():
            lines = marker.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        await asyncio.sleep(0.1)
    raise BrowserError("chromium did not open its DevTools port within 30 s")


def _describe_exception(params: dict[str, Any]) -> str:
    details = params.get("exceptionDetails", {})
    exception = details.get("exception", {})
    return str(exception.get("description") or details.get("text") or details)


def _collect(event: dict[str, Any], js: list[str], log: list[str], requests: list[str]) -> None:
    method, params = event["method"], event.get("params", {})
    if method == "Runtime.exceptionThrown":
        js.append(_describe_exception(params))
    elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
        js.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
    elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        log.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
    elif method == "Network.requestWillBeSent":
        requests.append(params["request"]["url"])


async def open_page(
    path: Path,
    *,
    chromium: str | None = None,
    width: int = 1280,
    probes: Sequence[str] = (),
    settle_s: float = 0.5,
) -> PageReport:
    """Open ``path`` in headless Chromium, wait for its load event (and ``settle_s`` more for
    late errors), evaluate ``probes``, and take a full-page screenshot ``width`` pixels wide."""
    binary = chromium or find_chromium()
    if binary is None:
        raise BrowserError("no chromium on PATH (apt-get install chromium)")
    url = path.resolve().as_uri()
    profile = Path(tempfile.mkdtemp(prefix="supportdrill-chromium-"))
    try:
        process = await asyncio.create_subprocess_exec(
            binary,
            "--headless=new",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,  # its helper processes in one group, ended with it
        )
        try:
            endpoint = await _devtools_url(profile, process)
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(endpoint, max_msg_size=0) as socket,
            ):
                session = _Session(socket)
                try:
                    return await _visit(session, url, width, probes, settle_s)
                finally:
                    with contextlib.suppress(Exception):
                        await session.send("Browser.close")
                    await session.close()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise BrowserError(f"driving chromium failed: {exc}") from exc
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout=10)
                except TimeoutError:
                    process.kill()
                    await process.wait()
            await _end_group(process.pid)
    finally:
        await _remove_profile(profile)


async def _end_group(group: int) -> None:
    """Chromium's helper processes outlive its main one by a moment and go on writing into the
    profile: the whole group is killed, and given a moment to be gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    for _ in range(50):
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.1)


async def _remove_profile(profile: Path) -> None:
    """The profile goes with the check; removal is retried for a few seconds should anything
    still write into it, and what is left after that is not the page check's failure."""
    for _ in range(50):
        try:
            shutil.rmtree(profile)
            return
        except FileNotFoundError:
            return
        except OSError:
            await asyncio.sleep(0.1)
    shutil.rmtree(profile, ignore_errors=True)


async def _visit(
    session: _Session, url: str, width: int, probes: Sequence[str], settle_s: float
) -> PageReport:
    target = await session.send("Target.createTarget", url="about:blank")
    attached = await session.send(
        "Target.attachToTarget", targetId=target["targetId"], flatten=True
    )
    sid = attached["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        await session.send(f"{domain}.enable", sid)
    await session.send(
        "Emulation.setDeviceMetricsOverride",
        sid,
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=False,
    )
    js: list[str] = []
    log: list[str] = []
    requests: list[str] = []
    await session.send("Page.navigate", sid, url=url)

    async def until_loaded() -> None:
        while True:
            event = await session.events.get()
            if event.get("sessionId") == sid:
                _collect(event, js, log, requests)
                if event["method"] == "Page.loadEventFired":
                    return

    await asyncio.wait_for(until_loaded(), timeout=60)
    await asyncio.sleep(settle_s)
    while not session.events.empty():
        event = session.events.get_nowait()
        if event.get("sessionId") == sid:
            _collect(event, js, log, requests)
    values: dict[str, Any] = {}
    for expression in probes:
        result = await session.send(
            "Runtime.evaluate", sid, expression=expression, returnByValue=True
        )
        values[expression] = result.get("result", {}).get("value")
    title = await session.send("Runtime.evaluate", sid, expression="document.title")
    metrics = await session.send("Page.getLayoutMetrics", sid)
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = await session.send(
        "Page.captureScreenshot",
        sid,
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
    )
    return PageReport(
        url=url,
        title=str(title.get("result", {}).get("value", "")),
        js_errors=tuple(js),
        log_errors=tuple(log),
        requests=tuple(requests),
        screenshot=base64.b64decode(shot["data"]),
        probes=values,
    )
