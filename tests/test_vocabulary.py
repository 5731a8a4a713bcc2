"""The desk boundary's words live outside the adapter package: measure/ and store/ use them
without importing desks/, and there is one VendorClockReader."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import supportdrill
from supportdrill.vocabulary import VendorClock, VendorClockReader

PACKAGE = Path(supportdrill.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of the supportdrill modules ``path`` imports."""
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    package = parts[:-1] if path.name != "__init__.py" else parts
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("package", ["measure", "store"])
def test_measure_and_store_import_nothing_from_desks(package: str) -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / package).rglob("*.py")
        for name in _imported_modules(path)
        if name.startswith("supportdrill.desks")
    }
    assert not offenders


def test_vendor_clock_reader_is_defined_once() -> None:
    definitions = [
        path.relative_to(PACKAGE)
        for path in PACKAGE.rglob("*.py")
        if "class VendorClockReader" in path.read_text()
    ]
    assert [str(p) for p in definitions] == ["vocabulary.py"]


def test_vendor_clock_reader_is_checked_at_runtime() -> None:
    class Reader:
        async def vendor_clocks(self, ref: object) -> tuple[VendorClock, ...]:
            return ()

    assert isinstance(Reader(), VendorClockReader)
    assert not isinstance(object(), VendorClockReader)
