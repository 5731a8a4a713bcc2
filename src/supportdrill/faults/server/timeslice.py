"""Ask Linux for a short CPU time slice, so a delayed chunk leaves on time on a busy machine.

A latency toxic sleeps, then must run the moment its delay is over. On a machine where other
work keeps the CPUs busy, how soon a woken process runs is up to the scheduler: Linux's EEVDF
scheduler (6.6 on) lets a task ask for a shorter slice (``sched_setattr``'s ``sched_runtime`` for
SCHED_OTHER, 6.12 on), which gives it an earlier deadline, so it is picked sooner when it wakes;
it then runs for shorter turns, which a process that sleeps almost all the time never notices.
No privilege is needed. On other systems, or older kernels, nothing changes.
"""

from __future__ import annotations

import ctypes
import platform
import struct
import sys

SLICE_NS = 100_000
"""0.1 ms: the shortest slice the kernel accepts."""

_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}


def ask_for_short_slice(nanoseconds: int = SLICE_NS) -> bool:
    """Set this thread's slice; whether the kernel took it."""
    number = _SCHED_SETATTR.get(platform.machine())
    if not sys.platform.startswith("linux") or number is None:
        return False
    # struct sched_attr: size, policy (SCHED_OTHER), flags, nice, priority, runtime, deadline,
    # period, util_min, util_max.
    attr = struct.pack("IIQiIQQQII", 56, 0, 0, 0, 0, nanoseconds, 0, 0, 0, 0)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.syscall(number, 0, ctypes.create_string_buffer(attr, 56), 0)) == 0
    except (OSError, AttributeError):
        return False
