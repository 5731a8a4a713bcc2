"""The long-running commands as a user starts them: ``--port 0`` prints the port actually bound,
and SIGTERM stops them cleanly (exit 0, no traceback)."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import httpx
import pytest

HARNESS = [sys.executable, "-m", "supportdrill.cli"]


@pytest.mark.parametrize(
    ("command", "probe"),
    [(["desk", "serve"], "/api/v2/requests"), (["proxy", "serve"], "/version")],
)
async def test_port_zero_prints_the_bound_port_and_sigterm_stops_cleanly(
    command: list[str], probe: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        *HARNESS,
        *command,
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found, line
        assert int(found.group(1)) != 0
        async with httpx.AsyncClient() as client:
            response = await client.get(found.group(0) + probe)
        assert response.status_code < 500
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()


async def test_profiles_lists_every_builtin_profile_with_its_source() -> None:
    from supportdrill.definitions.faults import BUILTIN_PROFILES

    process = await asyncio.create_subprocess_exec(
        *HARNESS, "profiles", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    text = out.decode()
    assert process.returncode == 0
    for name in BUILTIN_PROFILES:
        assert re.search(rf"^{re.escape(name)}\s", text, re.MULTILINE), name
    assert text.count("source:") == len(BUILTIN_PROFILES)
