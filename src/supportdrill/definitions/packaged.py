"""The example drills that ship inside the package, found the same way from a wheel or a checkout.

``drills/`` at the top of the repository is a link to this package's ``examples/`` folder, so the
README's paths work in a checkout while an installed wheel still carries every example (the demo
runs one of them).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import InvalidConfiguration

EXAMPLES_PACKAGE = "supportdrill.definitions"
EXAMPLES_FOLDER = "examples"
DEMO_PREFIX = "simulated-"


def examples_dir() -> Path:
    """The folder holding the packaged example drills (a real folder: wheels install unzipped)."""
    return Path(str(resources.files(EXAMPLES_PACKAGE).joinpath(EXAMPLES_FOLDER)))


def example_drills() -> tuple[Path, ...]:
    """Every packaged example drill, sorted by name."""
    return tuple(sorted(examples_dir().glob("*.yaml")))


def demo_personas() -> tuple[str, ...]:
    """The personas that have a simulated example drill, which ``supportdrill demo`` can run."""
    return tuple(
        path.stem.removeprefix(DEMO_PREFIX)
        for path in example_drills()
        if path.stem.startswith(DEMO_PREFIX)
    )


def demo_drill_path(persona: str) -> Path:
    """The packaged example drill for ``persona`` (the demo runs the business-hours one)."""
    path = examples_dir() / f"{DEMO_PREFIX}{persona}.yaml"
    if not path.is_file():
        known = ", ".join(demo_personas()) or "none (the package's example drills are missing)"
        raise InvalidConfiguration(f"no demo drill for persona {persona!r}; known: {known}")
    return path
