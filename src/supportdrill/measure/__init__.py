"""Metrics, SLA verdicts, business-hours calendars, reply classification: pure functions."""

from __future__ import annotations

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
