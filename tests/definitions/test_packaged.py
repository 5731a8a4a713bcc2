"""The example drills ship inside the package: found the same way from a wheel or a checkout."""

from __future__ import annotations

import pytest

from supportdrill.definitions.loader import load_drill
from supportdrill.definitions.packaged import (
    demo_drill_path,
    demo_personas,
    example_drills,
    examples_dir,
)
from supportdrill.errors import InvalidConfiguration


def test_every_packaged_example_is_a_valid_drill() -> None:
    drills = example_drills()
    assert len(drills) >= 10
    assert all(path.parent == examples_dir() for path in drills)
    for path in drills:
        assert load_drill(path).name


def test_the_demo_personas_are_the_simulated_examples() -> None:
    personas = demo_personas()
    assert "business-hours-only" in personas and "responsive-24x7" in personas
    assert demo_drill_path("business-hours-only").name == "simulated-business-hours-only.yaml"


def test_an_unknown_persona_names_the_known_ones() -> None:
    with pytest.raises(InvalidConfiguration, match=r"known: .*business-hours-only"):
        demo_drill_path("no-such-persona")
