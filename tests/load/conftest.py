"""The loopback surge origin, in a process of its own (as ``supportdrill load origin`` runs it)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from supportdrill.load import locust_available


@pytest.fixture
def origin() -> Iterator[dict[str, str]]:
    """``{"SURGE_WHIP_URL": ..., "SURGE_HLS_URL": ...}`` of an origin with capacity 4, max 6."""
    if not locust_available():
        pytest.skip("Locust is not installed (pip install 'supportdrill[load]')")
    command = ("load", "origin", "--port", "0", "--capacity", "4", "--max-viewers", "6")
    process = subprocess.Popen(
        [sys.executable, "-m", "supportdrill", *command],
        stdout=subprocess.PIPE,
        text=True,
    )
    urls: dict[str, str] = {}
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "serving on" in line:
                break
            name, _, value = line.strip().partition("=")
            urls[name] = value
        assert urls.get("SURGE_HLS_URL", "").startswith("http://127.0.0.1:")
        yield urls
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
