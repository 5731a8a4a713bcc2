"""``supportdrill.measure``'s public names load on first use (PEP 562) and are all there."""

from __future__ import annotations

import subprocess
import sys

import pytest

import supportdrill.measure as measure


def test_every_public_name_resolves_and_is_listed() -> None:
    assert measure.__all__ == sorted(measure.__all__)
    for name in measure.__all__:
        assert getattr(measure, name) is not None
    assert set(measure.__all__) <= set(dir(measure))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = measure.no_such_name


def test_importing_one_module_loads_neither_the_classifier_nor_holidays() -> None:
    # The scorecard imports measure.fleet; the reply classifier, the evaluation and the
    # holiday tables are for scoring a run, which reading the index never does.
    code = (
        "import sys, supportdrill.measure.fleet\n"
        "loaded = sorted(m for m in ('holidays', 'supportdrill.measure.classify', "
        "'supportdrill.measure.evaluation') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
