"""Metrics, SLA verdicts, business-hours calendars, reply classification: pure functions.

The names below load on first use (PEP 562): a command that needs one module of this package
(the scorecard needs :mod:`.fleet`, not the reply classifier or the evaluation) loads only that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_names as _lazy_names

if TYPE_CHECKING:
    from .calendar import (
        CoverageError,
        business_deadline,
        business_seconds,
        has_hours,
        is_covered,
        next_covered,
        validate_coverage,
    )
    from .classify import (
        BUILTIN_ACK_PATTERNS,
        Classification,
        ClassifierError,
        classify_reply,
        header_markers,
        is_vendor_message,
    )
    from .evaluation import Evaluation, LiveDeadline, ReplyCounts, evaluate, live_deadlines
    from .quantiles import percentile
    from .verdicts import Metric, Verdict

_LAZY = {
    "CoverageError": "calendar",
    "business_deadline": "calendar",
    "business_seconds": "calendar",
    "has_hours": "calendar",
    "is_covered": "calendar",
    "next_covered": "calendar",
    "validate_coverage": "calendar",
    "BUILTIN_ACK_PATTERNS": "classify",
    "Classification": "classify",
    "ClassifierError": "classify",
    "classify_reply": "classify",
    "header_markers": "classify",
    "is_vendor_message": "classify",
    "Evaluation": "evaluation",
    "LiveDeadline": "evaluation",
    "ReplyCounts": "evaluation",
    "evaluate": "evaluation",
    "live_deadlines": "evaluation",
    "percentile": "quantiles",
    "Metric": "verdicts",
    "Verdict": "verdicts",
}


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, globals())


__all__ = [
    "BUILTIN_ACK_PATTERNS",
    "Classification",
    "ClassifierError",
    "CoverageError",
    "Evaluation",
    "LiveDeadline",
    "Metric",
    "ReplyCounts",
    "Verdict",
    "business_deadline",
    "business_seconds",
    "classify_reply",
    "evaluate",
    "has_hours",
    "header_markers",
    "is_covered",
    "is_vendor_message",
    "live_deadlines",
    "next_covered",
    "percentile",
    "validate_coverage",
]
