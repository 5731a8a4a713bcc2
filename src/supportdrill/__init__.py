"""supportdrill: time a streaming vendor's support desk against its SLA, with a real fault.

The public names (pinned by ``tests/test_public_api.py``)::

    import supportdrill

    drill = supportdrill.load_drill("drills/simulated-slow.yaml")   # validated, frozen
    run = supportdrill.run_drill("drills/simulated-slow.yaml", store="runs.db")
    run.outcome, run.evaluation.verdict, run.reports["markdown"]
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING

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
from .lazy import lazy_names as _lazy_names

if TYPE_CHECKING:
    from .definitions.loader import build_drill, load_drill
    from .definitions.model import Drill
    from .library import aresume_run, arun_drill, run_drill
    from .measure.evaluation import Evaluation
    from .session import DrillRun
    from .timeline import Outcome, Timeline

# Loaded on first use (PEP 562): ``import supportdrill`` stays light, so the command line starts
# fast and a Ctrl-C while it starts ends quietly.
_LAZY = {
    "build_drill": "definitions.loader",
    "load_drill": "definitions.loader",
    "Drill": "definitions.model",
    "aresume_run": "library",
    "arun_drill": "library",
    "run_drill": "library",
    "Evaluation": "measure.evaluation",
    "DrillRun": "session",
    "Outcome": "timeline",
    "Timeline": "timeline",
}


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, globals())


__all__ = [
    "DeskError",
    "Drill",
    "DrillFailed",
    "DrillRun",
    "Evaluation",
    "FaultError",
    "InvalidConfiguration",
    "InvalidDrill",
    "InvalidInput",
    "Outcome",
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
