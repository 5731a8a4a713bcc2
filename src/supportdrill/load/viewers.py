"""The surge's viewers as Locust users, one class per mode (runs inside Locust processes only).

Each viewer joins once when Locust starts it (``on_start``), reports the join to
:data:`RECORD` — joined or not, time to first frame or first byte, or the kind of failure — and
then keeps watching until Locust stops it in the ramp down: a playback error after the join is
reported too, with ``first_ms`` left empty. Locust's own request statistics get the same
requests (``fire``), so its console and CSV figures agree with ours.

Importing this module means importing Locust, which monkey-patches the process for gevent:
only the locustfile imports it, never the harness.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urljoin

import requests
from gevent.lock import Semaphore
from locust import User, constant, task

from . import signalling

Record = Callable[[dict[str, Any]], None]


def _nothing(_: dict[str, Any]) -> None:
    """Replaced by the locustfile with its recorder."""


RECORD: list[Record] = [_nothing]
ICE_TRIES = 5
ICE_WAIT_S = 0.5


def record(**fields: Any) -> None:
    RECORD[0](fields)


def _options(user: User) -> Any:
    return user.environment.parsed_options


class Viewer(User):
    """What every surge viewer shares: its options, its HTTP session, its join report."""

    abstract = True
    wait_time = constant(1)
    mode: ClassVar[str] = ""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        options = _options(self)
        self.url: str = options.sd_url
        self.timeout_s: float = options.sd_join_timeout
        self.token_env: str = options.sd_token_env or ""
        self.http = requests.Session()
        token = os.environ.get(self.token_env, "") if self.token_env else ""
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"
        self.joined = False

    def fire(self, name: str, started: float, *, failure: str = "", length: int = 0) -> None:
        self.environment.events.request.fire(
            request_type=self.mode,
            name=name,
            response_time=(time.perf_counter() - started) * 1000.0,
            response_length=length,
            exception=RuntimeError(failure) if failure else None,
            context={},
        )

    def joined_now(self, started: float) -> None:
        self.joined = True
        first_ms = (time.perf_counter() - started) * 1000.0
        record(kind="join", ok=True, first_ms=first_ms)
        self.fire("join", started)
        WATCHING.add(1)

    def failed(self, started: float, failure: str) -> None:
        if self.joined:
            record(kind="join", ok=True, first_ms=None, failure=failure)
            self.fire("playback", started, failure=failure)
        else:
            record(kind="join", ok=False, failure=failure)
            self.fire("join", started, failure=failure)

    def on_stop(self) -> None:
        if self.joined:
            WATCHING.add(-1)
            self.joined = False
        self.http.close()


class _Counter:
    """Viewers joined and still watching, in this process."""

    def __init__(self) -> None:
        self.value = 0

    def add(self, step: int) -> None:
        self.value += step


WATCHING = _Counter()


def http_failure(exc: BaseException) -> str:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"http_{exc.response.status_code}"
    if isinstance(exc, requests.Timeout | socket.timeout):
        return "timeout"
    if isinstance(exc, requests.ConnectionError):
        return "connect_refused"
    return "error"


class WhepSignallingViewer(Viewer):
    """The WHEP offer/answer and one ICE check, then the session is deleted (no DTLS, no media).

    A signalling viewer holds nothing open after its join, so it counts as watching while
    Locust keeps it, and simply joins once."""

    mode = "whep-signalling"

    def on_start(self) -> None:
        started = time.perf_counter()
        ours = signalling.Credentials.new()
        resource = ""
        try:
            response = self.http.post(
                self.url,
                data=signalling.recvonly_offer(ours),
                headers={"Content-Type": "application/sdp"},
                timeout=self.timeout_s,
            )
            response.raise_for_status()
            resource = urljoin(self.url, response.headers.get("Location", ""))
            theirs = signalling.answer_ice(response.text)
            if not self._check(ours, theirs):
                self.failed(started, "ice_failed")
                return
            self.joined_now(started)
        except signalling.AnswerUnusable as exc:
            self.failed(started, exc.kind)
        except (requests.RequestException, OSError) as exc:
            self.failed(started, http_failure(exc))
        finally:
            if resource:
                # A delete that fails is the vendor's to time out; the join is already counted.
                with contextlib.suppress(requests.RequestException):
                    self.http.delete(resource, timeout=self.timeout_s)

    def _check(self, ours: signalling.Credentials, theirs: signalling.AnswerIce) -> bool:
        transaction, packet = signalling.binding_request(ours, theirs)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(ICE_WAIT_S)
            for _ in range(ICE_TRIES):
                sock.sendto(packet, (theirs.host, theirs.port))
                try:
                    data, _ = sock.recvfrom(2048)
                except TimeoutError:
                    continue
                if signalling.is_binding_success(data, transaction, theirs):
                    return True
        return False

    @task
    def watch(self) -> None:
        """A viewer refused tries again, as a player's refresh does; a joined one idles."""
        if not self.joined:
            self.on_start()


class _Agent:
    """This process's media agent (started on first use, ended with the process)."""

    lock = Semaphore()
    process: subprocess.Popen[str] | None = None
    url = ""

    @classmethod
    def address(cls) -> str:
        with cls.lock:
            if cls.process is None or cls.process.poll() is not None:
                cls.process = subprocess.Popen(
                    [sys.executable, "-m", "supportdrill.load.agent"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                assert cls.process.stdout is not None
                line = cls.process.stdout.readline()
                match = re.search(r"http://\S+", line)
                if match is None:
                    raise RuntimeError(f"the media agent did not start: {line!r}")
                cls.url = match.group(0)
            return cls.url

    @classmethod
    def stop(cls) -> None:
        if cls.process is not None and cls.process.poll() is None:
            assert cls.process.stdin is not None
            cls.process.stdin.close()  # the agent exits when its stdin closes
            try:
                cls.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                cls.process.kill()
        cls.process = None


class WhepViewer(Viewer):
    """A real WebRTC subscriber, played by this process's media agent."""

    mode = "whep"
    STALL_S = 3.0

    def on_start(self) -> None:
        started = time.perf_counter()
        self.viewer_id = ""
        self.stalled = False
        agent = _Agent.address()
        try:
            response = self.http.post(
                f"{agent}/viewers",
                data=json.dumps(
                    {"url": self.url, "timeout_s": self.timeout_s, "token_env": self.token_env}
                ),
                timeout=self.timeout_s + 5,
            )
            response.raise_for_status()
            result = response.json()
        except requests.RequestException as exc:
            self.failed(started, f"agent_{http_failure(exc)}")
            return
        if not result.get("ok"):
            self.failed(started, str(result.get("failure", "error")))
            return
        self.viewer_id = str(result["id"])
        self.joined = True
        record(kind="join", ok=True, first_ms=float(result["first_ms"]))
        self.environment.events.request.fire(
            request_type=self.mode,
            name="join",
            response_time=float(result["first_ms"]),
            response_length=0,
            exception=None,
            context={},
        )
        WATCHING.add(1)

    @task
    def watch(self) -> None:
        if not self.viewer_id:
            self.on_start()  # refused: try again, as a player's refresh does
            return
        agent = _Agent.address()
        started = time.perf_counter()
        try:
            state = self.http.get(f"{agent}/viewers/{self.viewer_id}", timeout=5).json()
        except requests.RequestException:
            return
        stalled = float(state.get("idle_s", 0.0)) > self.STALL_S
        if stalled and not self.stalled:
            self.failed(started, "stalled")
        self.stalled = stalled

    def on_stop(self) -> None:
        if self.viewer_id:
            # The agent ends with this process anyway.
            with contextlib.suppress(requests.RequestException):
                self.http.delete(f"{_Agent.address()}/viewers/{self.viewer_id}", timeout=10)
        super().on_stop()


class HlsViewer(Viewer):
    """A player: the playlist, then the newest segment; joined at its first byte."""

    mode = "hls"
    parts = False

    def on_start(self) -> None:
        self.seen: set[str] = set()
        self.target_s = 1.0
        started = time.perf_counter()
        try:
            uri = self._newest()
            if uri is None:
                self.failed(started, "empty_playlist")
                return
            self._fetch(uri, started, join=True)
        except (requests.RequestException, OSError) as exc:
            self.failed(started, http_failure(exc))

    def _newest(self) -> str | None:
        response = self.http.get(self.url, timeout=self.timeout_s)
        response.raise_for_status()
        text = response.text
        target = re.search(r"#EXT-X-TARGETDURATION:(\d+(?:\.\d+)?)", text)
        if target:
            self.target_s = float(target.group(1))
        uris = re.findall(r'#EXT-X-PART:[^\n]*URI="([^"]+)"', text) if self.parts else []
        if not uris:
            uris = [line for line in text.splitlines() if line and not line.startswith("#")]
        return urljoin(self.url, uris[-1]) if uris else None

    def _fetch(self, uri: str, started: float, *, join: bool) -> None:
        self.seen.add(uri)
        with self.http.get(uri, timeout=self.timeout_s, stream=True) as response:
            response.raise_for_status()
            first = True
            length = 0
            for chunk in response.iter_content(chunk_size=16384):
                if first and join:
                    self.joined_now(started)
                first = False
                length += len(chunk)
        if not join:
            self.fire("segment", started, length=length)

    @task
    def watch(self) -> None:
        if not self.joined:
            self.on_start()  # refused: try again, as a player's refresh does
            return
        started = time.perf_counter()
        try:
            uri = self._newest()
            if uri is not None and uri not in self.seen:
                self._fetch(uri, started, join=False)
        except (requests.RequestException, OSError) as exc:
            self.failed(started, http_failure(exc))

    def wait_time(self) -> float:
        """A player polls the playlist once a target duration (LL-HLS: once a part)."""
        return self.target_s / (4 if self.parts else 1)


class LlHlsViewer(HlsViewer):
    """LL-HLS: the newest part of the playlist rather than the newest whole segment."""

    mode = "ll-hls"
    parts = True


class HttpFlvViewer(Viewer):
    """One long GET of the FLV stream; joined at the first tag's first byte."""

    mode = "http-flv"
    HEADER = 13  # FLV header (9) and PreviousTagSize0 (4)

    def on_start(self) -> None:
        started = time.perf_counter()
        self.response: requests.Response | None = None
        try:
            response = self.http.get(self.url, timeout=self.timeout_s, stream=True)
            response.raise_for_status()
            head = response.raw.read(self.HEADER + 1)
            if len(head) < self.HEADER + 1 or not head.startswith(b"FLV"):
                response.close()
                self.failed(started, "not_flv")
                return
            self.response = response
            self.joined_now(started)
        except (requests.RequestException, OSError) as exc:
            self.failed(started, http_failure(exc))

    @task
    def watch(self) -> None:
        if self.response is None:
            if not self.joined:
                self.on_start()  # refused: try again, as a player's refresh does
            return
        started = time.perf_counter()
        try:
            if not self.response.raw.read(4096):
                self.failed(started, "stream_ended")
                self.response = None
        except (requests.RequestException, OSError) as exc:
            self.failed(started, http_failure(exc))
            self.response = None

    def on_stop(self) -> None:
        if self.response is not None:
            self.response.close()
        super().on_stop()


def start_agent() -> None:
    """Start this process's media agent now (it imports aiortc: seconds, before the surge)."""
    _Agent.address()


def agent_ready() -> bool:
    """This process's media agent is up (or was never needed: see :func:`start_agent`)."""
    return bool(_Agent.url) and _Agent.process is not None and _Agent.process.poll() is None


def stop_agent() -> None:
    """End this process's media agent, if it started one."""
    _Agent.stop()


VIEWERS: dict[str, type[Viewer]] = {
    cls.mode: cls
    for cls in (WhepViewer, WhepSignallingViewer, HlsViewer, LlHlsViewer, HttpFlvViewer)
}
