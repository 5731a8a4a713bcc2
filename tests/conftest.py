"""Suite-wide: pytester, for the pytest plugin's tests (tests/runbook/test_pytest_plugin.py); and
how the suite shares two workers (``scripts/check`` runs pytest-xdist with ``--dist loadgroup``).

Most of the suite's wall time is waiting (drills in processes of their own, vendors on
accelerated clocks, servers starting), so two workers halve it. Three rules keep that honest:

- The in-process aiortc streams are timing-sensitive (frames encoded in Python threads, judged
  against wall-clock bounds): they form one group, so no two of them ever compete for the cores,
  and they run first, while the other worker takes the short in-process tests.
- A module with a module-scoped fixture (one demo run, one mail server login, one command run
  for several assertions) stays on one worker, so its fixture runs once.
- The long tests (``slow``: drills in real time, chaos, kills) come last, where two of them
  overlapping costs nothing but the wait; the few that take over a minute (``LONGEST``) first
  among them, so that none of those is the one left running alone at the end.

Without xdist (``-n 0`` or ``-p no:xdist``) the order is the same and nothing else changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent

# In-process WebRTC streams: real aiortc peers judged against wall-clock bounds.
MEDIA = (
    "media/",
    "run/test_runner_stream.py",
    "run/test_runner_load.py",
    "runbook/test_failover.py",
)

# Over a minute each (a drill's full timeout, several drills in a row): started first among the
# slow tests. Only the order depends on this list.
LONGEST = (
    "cli/test_demo.py",
    "run/test_chaos.py",
    "run/test_live_ownership.py",
    "runbook/test_runbook_drills.py",
)


def _where(item: pytest.Item) -> str:
    return Path(str(item.path)).resolve().relative_to(TESTS).as_posix()


def _group(item: pytest.Item) -> str | None:
    where = _where(item)
    if where.startswith(MEDIA):
        return "media"
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info is not None else ()
    if any(fixture.scope == "module" for chain in definitions for fixture in chain):
        return where
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    groups = {id(item): _group(item) for item in items}
    for item in items:
        group = groups[id(item)]
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))

    def own_rank(item: pytest.Item) -> int:
        if not item.get_closest_marker("slow"):
            return 1
        return 2 if _where(item).startswith(LONGEST) else 3

    # One rank per group (its lowest-placed test's), so a module-scoped fixture is not torn down
    # and set up again between a module's short and long tests.
    ranks: dict[str, int] = {"media": 0}
    for item in items:
        group = groups[id(item)]
        if group is not None and group != "media":
            ranks[group] = max(ranks.get(group, 1), own_rank(item))

    def rank(item: pytest.Item) -> int:
        group = groups[id(item)]
        return ranks[group] if group is not None else own_rank(item)

    items.sort(key=rank)  # stable: collection order within each rank
