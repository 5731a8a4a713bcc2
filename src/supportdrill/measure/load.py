"""Viewer-surge figures: join success, time to first frame, failures by kind, viewers reached.

The load processes report every finished join (:class:`Join`) and, once a second, how many
viewers are running and watching; :func:`window_figures` turns one sample window of those into
figures, :func:`judge_window` holds them against the drill's :class:`LoadThresholds`, and
:class:`LoadJudge` turns unhealthy windows in a row into the ``degraded`` transition the runner
acts on, the way the probe stream's judge does. :func:`surge_summary` is the whole surge, from
the timeline's ``load.sample`` events. Pure.

Percentiles are taken over the joins themselves (never an average of window percentiles), the
same interpolated quantile as the scorecard's, and a window too small to judge says so rather
than passing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..definitions.load import LoadThresholds
from ..timeline import LoadSample, LoadSummary, Timeline
from .quantiles import percentile


@dataclass(frozen=True)
class Join:
    """One viewer's join attempt, as a load process reported it."""

    ok: bool
    first_ms: float | None = None
    """Time to first frame (or first byte) when it joined."""
    failure: str = ""
    """Why it did not join, or a playback error after it did (``ok`` is then true)."""


@dataclass(frozen=True)
class WindowFigures:
    """The load figures of one window."""

    joins: int
    joined: int
    first_p50_ms: float | None
    first_p95_ms: float | None
    failures: Mapping[str, int] = field(default_factory=dict)

    @property
    def success_pct(self) -> float | None:
        return None if self.joins == 0 else 100.0 * self.joined / self.joins


def window_figures(joins: Iterable[Join]) -> WindowFigures:
    """Figures for the joins one window saw (failed joins and playback errors by kind)."""
    attempts = 0
    firsts: list[float] = []
    failures: Counter[str] = Counter()
    for join in joins:
        if join.failure:
            failures[join.failure] += 1
        if join.ok and join.first_ms is None:
            continue  # a playback error of a viewer that had joined earlier: not an attempt
        attempts += 1
        if join.ok and join.first_ms is not None:
            firsts.append(join.first_ms)
    return WindowFigures(
        joins=attempts,
        joined=len(firsts),
        first_p50_ms=percentile(firsts, 0.5),
        first_p95_ms=percentile(firsts, 0.95),
        failures=MappingProxyType(dict(sorted(failures.items()))),
    )


def judge_window(figures: WindowFigures, thresholds: LoadThresholds) -> tuple[str, ...] | None:
    """What is wrong with a window (empty: healthy); ``None`` when it is too small to judge."""
    if figures.joins < thresholds.min_joins:
        return None
    problems: list[str] = []
    success = figures.success_pct
    floor = thresholds.min_join_success_pct
    if floor is not None and success is not None and success < floor:
        problems.append(
            f"viewers: join success {success:.1f} % < {floor:g} % "
            f"({figures.joined}/{figures.joins}{_failure_text(figures.failures)})"
        )
    ceiling = thresholds.max_first_frame_p95_ms
    p95 = figures.first_p95_ms
    if ceiling is not None and p95 is not None and p95 > ceiling:
        problems.append(f"viewers: time to first frame p95 {p95:.0f} ms > {ceiling:g} ms")
    return tuple(problems)


def _failure_text(failures: Mapping[str, int]) -> str:
    if not failures:
        return ""
    return "; " + ", ".join(f"{kind} ×{count}" for kind, count in failures.items())


@dataclass
class LoadJudge:
    """Unhealthy windows in a row → ``"degraded"``; as many healthy ones → ``"recovered"``."""

    thresholds: LoadThresholds
    degraded: bool = False
    _run: int = 0

    def step(self, problems: tuple[str, ...] | None) -> str | None:
        """The transition this window causes, if any (an unjudged window keeps the count)."""
        if problems is None:
            return None
        unhealthy = bool(problems)
        if unhealthy == self.degraded:
            self._run = 0
            return None
        self._run += 1
        if self._run < self.thresholds.degrade_after:
            return None
        self._run = 0
        self.degraded = unhealthy
        return "degraded" if unhealthy else "recovered"


@dataclass(frozen=True)
class SurgeFigures:
    """A whole surge: what the report and the ticket quote."""

    joins: int = 0
    joined: int = 0
    first_p50_ms: float | None = None
    first_p95_ms: float | None = None
    failures: Mapping[str, int] = field(default_factory=dict)
    viewers_reached: int = 0
    users_reached: int = 0
    mode: str = ""
    planned_viewers: int = 0
    workers: int = 0

    @property
    def success_pct(self) -> float | None:
        return None if self.joins == 0 else 100.0 * self.joined / self.joins

    def lines(self) -> list[str]:
        """Plain lines for a ticket or a report (no figure is rounded into a better one)."""
        success = self.success_pct
        what = "first frame" if self.mode == "whep" else "first byte"
        rows = [
            f"viewer surge ({self.mode or 'unknown mode'}): {self.planned_viewers} planned, "
            f"{self.users_reached} started, {self.viewers_reached} watching at most",
            "joins: "
            + (
                "none finished"
                if success is None
                else f"{self.joined}/{self.joins} succeeded ({success:.1f} %)"
            ),
        ]
        if self.first_p50_ms is not None and self.first_p95_ms is not None:
            rows.append(
                f"time to {what}: p50 {self.first_p50_ms:.0f} ms, p95 {self.first_p95_ms:.0f} ms"
            )
        if self.failures:
            rows.append("failures: " + _failure_text(self.failures).removeprefix("; "))
        return rows


def summarise(joins: Iterable[Join], *, viewers_reached: int, users_reached: int) -> SurgeFigures:
    """A surge's figures from every join it saw."""
    figures = window_figures(joins)
    return SurgeFigures(
        joins=figures.joins,
        joined=figures.joined,
        first_p50_ms=figures.first_p50_ms,
        first_p95_ms=figures.first_p95_ms,
        failures=figures.failures,
        viewers_reached=viewers_reached,
        users_reached=users_reached,
    )


def surge_summary(
    timeline: Timeline, *, mode: str = "", planned_viewers: int = 0
) -> SurgeFigures | None:
    """The surge of a run: its ``load.summary``, or (a surge still running, or a run cut short)
    the totals its latest ``load.sample`` carried; ``None`` without either.

    ``mode`` and ``planned_viewers`` name the surge when only samples are there.
    """
    summary = timeline.last(LoadSummary)
    if summary is not None:
        return SurgeFigures(
            joins=summary.joins,
            joined=summary.joined,
            first_p50_ms=summary.first_p50_ms,
            first_p95_ms=summary.first_p95_ms,
            failures=MappingProxyType(dict(summary.failures)),
            viewers_reached=summary.viewers_reached,
            users_reached=summary.users_reached,
            mode=summary.mode,
            planned_viewers=summary.planned_viewers,
            workers=summary.workers,
        )
    samples = timeline.all(LoadSample)
    if not samples:
        return None
    latest = samples[-1]
    return SurgeFigures(
        joins=latest.total_joins,
        joined=latest.total_joined,
        first_p50_ms=latest.total_first_p50_ms,
        first_p95_ms=latest.total_first_p95_ms,
        failures=MappingProxyType(dict(latest.total_failures)),
        viewers_reached=max(sample.watching for sample in samples),
        users_reached=max(sample.users for sample in samples),
        mode=mode,
        planned_viewers=planned_viewers,
    )
