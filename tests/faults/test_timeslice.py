"""The short time slice the standalone server asks Linux for (timeslice.py)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

CHECK = """
import ctypes, struct
from supportdrill.faults.server.timeslice import SLICE_NS, ask_for_short_slice
assert ask_for_short_slice()
out = ctypes.create_string_buffer(56)
libc = ctypes.CDLL(None, use_errno=True)
assert libc.syscall({getattr}, 0, out, 56, 0) == 0
print(struct.unpack("IIQiIQQQII", out.raw)[5] == SLICE_NS)
"""


def _kernel() -> tuple[int, int]:
    major, minor = platform.release().split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


@pytest.mark.skipif(
    not sys.platform.startswith("linux")
    or platform.machine() not in ("x86_64", "aarch64")
    or _kernel() < (6, 12),
    reason="custom slices are Linux 6.12's (EEVDF)",
)
def test_the_kernel_keeps_the_slice_asked_for() -> None:
    number = {"x86_64": 315, "aarch64": 275}[platform.machine()]
    # In a process of its own: the test runner's scheduling is left alone.
    out = subprocess.run(
        [sys.executable, "-c", CHECK.format(getattr=number)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "True"


def test_elsewhere_nothing_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from supportdrill.faults.server import timeslice

    monkeypatch.setattr(timeslice.platform, "machine", lambda: "sparc64")
    assert timeslice.ask_for_short_slice() is False
