"""Opt-in checks against real desks (marker ``live``): credentials, permissions, visibility.

Each test reads a drill file named by an environment variable, with that drill's own secret
variables set, and runs ``check_desk`` on it — nothing is filed (a ticket on a real desk is a
drill, run with consent, not a test). For example::

    SUPPORTDRILL_LIVE_ZENDESK=drills/zendesk-p0-offhours.yaml \
    ACME_ZENDESK_EMAIL=... ACME_ZENDESK_TOKEN=... pytest -m live tests/desks/test_live_desks.py
"""

from __future__ import annotations

import os

import pytest

from supportdrill.definitions.loader import load_drill
from supportdrill.desks.check import check_desk

pytestmark = pytest.mark.live

KINDS = ("ZENDESK", "JSM", "FRESHDESK", "EMAIL", "GITHUB", "PAGERDUTY")


@pytest.mark.parametrize("kind", KINDS)
async def test_live_desk_check(kind: str) -> None:
    variable = f"SUPPORTDRILL_LIVE_{kind}"
    path = os.environ.get(variable)
    if not path:
        pytest.skip(f"set {variable} to a drill file (and its secrets) to check a real desk")
    drill = load_drill(path)
    lines = await check_desk(drill.vendor.desk)
    assert lines and lines[-1].startswith(f"{kind.lower()}: sees ")
