"""``supportdrill.desks.simulated``'s public names: all there, the HTTP side loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import supportdrill.desks.simulated as simulated
import supportdrill.desks.simulated.launch  # noqa: F401  (the module, imported first)


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in simulated.__all__:
        assert getattr(simulated, name) is not None
    assert set(simulated.__all__) <= set(dir(simulated))
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = simulated.no_such_name


def test_launch_is_the_function_though_its_module_has_the_same_name() -> None:
    assert callable(simulated.launch)
    assert simulated.launch is sys.modules["supportdrill.desks.simulated.launch"].launch


def test_the_launch_rules_load_without_the_server_or_the_client() -> None:
    code = (
        "import sys\n"
        "from supportdrill.desks.simulated import DeskLaunch\n"
        "DeskLaunch(persona='business-hours-only')\n"
        "loaded = sorted(m for m in ('aiohttp', 'httpx') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
