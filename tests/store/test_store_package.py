"""``supportdrill.store``'s public names: all there; where the store is needs none of the rest."""

from __future__ import annotations

import subprocess
import sys

import pytest

import supportdrill.store as store


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in store.__all__:
        assert getattr(store, name) is not None
    assert set(store.__all__) <= set(dir(store))
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = store.no_such_name


def test_the_store_location_loads_without_the_store() -> None:
    # The command line reads the default store path to build its parser.
    code = (
        "import sys\n"
        "from supportdrill.store.location import parse_store\n"
        "parse_store('runs.db')\n"
        "loaded = sorted(m for m in ('supportdrill.store.runs', 'supportdrill.timeline', "
        "'sqlite3') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
