"""supportdrill: time a streaming vendor's support desk against its SLA, with a real fault.

The public names (pinned by ``tests/test_public_api.py``)::

    import supportdrill

    drill = supportdrill.load_drill("drills/simulated-slow.yaml")   # validated, frozen
    run = supportdrill.run_drill("drills/simulated-slow.yaml", store="runs.db")
    run.outcome, run.scorecard.verdict, run.reports["markdown"]
"""

from __future__ import annotations

__version__ = "0.1.0"

from .definitions.loader import build_drill, load_drill
from .definitions.model import Drill
from .errors import (
    DeskError,
    DrillFailed,
    FaultError,
    InvalidConfiguration,
    InvalidDrill,
    InvalidInput,
    StoreError,
    StreamError,
    SupportdrillError,
)
from .library import aresume_run, arun_drill, run_drill
from .measure.scorecard import Scorecard
from .session import DrillRun
from .timeline import Outcome, Timeline

__all__ = [
    "DeskError",
    "Drill",
    "DrillFailed",
    "DrillRun",
    "FaultError",
    "InvalidConfiguration",
    "InvalidDrill",
    "InvalidInput",
    "Outcome",
    "Scorecard",
    "StoreError",
    "StreamError",
    "SupportdrillError",
    "Timeline",
    "__version__",
    "aresume_run",
    "arun_drill",
    "build_drill",
    "load_drill",
    "run_drill",
]
