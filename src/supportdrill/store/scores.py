"""The scorecard index: each finished run's metrics, written when it ends, aggregated in SQL.

A run's figures never change once it has ended, so they are computed once (by the report
layer, which owns scoring) and kept in ``run_scores`` / ``run_metrics``. The vendor scorecard
then reads counts, maxima and the two percentile ranks per figure straight from SQL instead of
loading and re-scoring every timeline. ``scorer_version`` marks which scoring code wrote a row;
rows from another version count as missing and are scored again.

Percentiles are the same as ``measure.aggregate.percentile`` (linear interpolation between
ranks ``floor(f·(n-1))`` and the next): SQL picks the two ranks, Python interpolates with the
same arithmetic, so both paths give the same float.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from ..errors import StoreError
from .connection import Database, stamp
from .model import GroupFigures, MetricFigures, RunScore

# (f·(n-1)) floored with integer arithmetic both engines share; equal to Python's float floor
# for f = 0.5 and 0.9 at any count a store can hold.
_RANKS = {0.5: ("(n - 1) / 2", 1, 2), 0.9: ("(9 * (n - 1)) / 10", 9, 10)}


class ScoreTables(Database):
    """The index half of :class:`~supportdrill.store.runs.RunStore`."""

    def save_scores(self, scores: Iterable[RunScore], *, scorer_version: int) -> int:
        """Index finished runs' scores (replacing any earlier ones), in one transaction."""
        batch = list(scores)
        if not batch:
            return 0
        now = stamp(datetime.now(UTC))
        with self._transaction() as tx:
            ids = [score.run_id for score in batch]
            found: dict[str, tuple[str, str, str]] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = tx.execute(
                    "SELECT run_id, vendor, severity, status FROM runs "
                    f"WHERE run_id IN ({','.join('?' * len(chunk))})" + self.backend.for_update(),
                    # Two indexers of one run (a scorecard catching up, a reindex) take turns.
                    chunk,
                ).fetchall()
                found.update({row[0]: (row[1], row[2], row[3]) for row in rows})
            for score in batch:
                if score.run_id not in found:
                    raise StoreError(f"no run {score.run_id!r} in {self.where}")
                if found[score.run_id][2] != "finished":
                    raise StoreError(f"run {score.run_id!r} has not ended: nothing to index")
            tx.executemany("DELETE FROM run_metrics WHERE run_id = ?", [(i,) for i in ids])
            tx.executemany("DELETE FROM run_scores WHERE run_id = ?", [(i,) for i in ids])
            tx.executemany(
                "INSERT INTO run_scores (run_id, vendor, severity, simulated, sla_met, "
                "scorer_version, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        score.run_id,
                        *found[score.run_id][:2],
                        int(score.simulated),
                        int(score.sla_met),
                        scorer_version,
                        now,
                    )
                    for score in batch
                ],
            )
            metric_rows = [
                (
                    score.run_id,
                    metric.position,
                    metric.name,
                    *found[score.run_id][:2],
                    int(score.simulated),
                    int(metric.ended),
                    metric.calendar_s,
                    metric.business_s,
                    metric.verdict,
                )
                for score in batch
                for metric in score.metrics
            ]
            if metric_rows:
                tx.executemany(
                    "INSERT INTO run_metrics (run_id, position, name, vendor, severity, "
                    "simulated, ended, calendar_s, business_s, verdict) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    metric_rows,
                )
        return len(batch)

    def unscored_runs(self, scorer_version: int) -> list[str]:
        """Finished runs with no index row from ``scorer_version``, oldest first."""
        rows = self._query(
            "SELECT r.run_id FROM runs r LEFT JOIN run_scores s ON s.run_id = r.run_id "
            "WHERE r.status = 'finished' AND (s.run_id IS NULL OR s.scorer_version <> ?) "
            "ORDER BY r.started_at, r.run_id",
            (scorer_version,),
        )
        return [str(row[0]) for row in rows]

    def drop_scores(self) -> None:
        """Forget the whole index (``supportdrill reindex`` then writes it again)."""
        with self._transaction() as tx:
            tx.execute("DELETE FROM run_metrics")
            tx.execute("DELETE FROM run_scores")

    def score_figures(
        self,
        *,
        vendors: Sequence[str] = (),
        severity: str | None = None,
        include_simulated: bool = False,
    ) -> tuple[GroupFigures, ...]:
        """Every indexed run, summarised per vendor and severity (vendors in name order)."""
        where, parameters = _filters(vendors, severity, include_simulated)
        groups = self._query(
            "SELECT vendor, severity, COUNT(*), SUM(sla_met), SUM(simulated) FROM run_scores "
            f"WHERE 1 = 1{where} GROUP BY vendor, severity ORDER BY vendor, severity",
            parameters,
        )
        counts = self._query(
            "SELECT vendor, severity, name, COUNT(*), SUM(ended), "
            "SUM(CASE WHEN verdict = 'met' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN verdict = 'breached' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN verdict = 'pending' THEN 1 ELSE 0 END), "
            "MAX(CASE WHEN ended = 1 THEN calendar_s END), "
            "MAX(CASE WHEN ended = 1 THEN business_s END) "
            f"FROM run_metrics WHERE 1 = 1{where} GROUP BY vendor, severity, name",
            parameters,
        )
        ranks = {
            column: self._ranks(column, where, parameters)
            for column in ("calendar_s", "business_s")
        }
        by_group: dict[tuple[str, str], list[MetricFigures]] = {}
        for vendor, sev, name, runs, ended, met, breached, pending, max_cal, max_bus in counts:
            key = (vendor, sev, name)
            cal, bus = ranks["calendar_s"].get(key), ranks["business_s"].get(key)
            by_group.setdefault((vendor, sev), []).append(
                MetricFigures(
                    name=name,
                    runs=int(runs),
                    ended=int(ended),
                    p50_calendar_s=_percentile(cal, 0.5),
                    p90_calendar_s=_percentile(cal, 0.9),
                    max_calendar_s=None if max_cal is None else float(max_cal),
                    p50_business_s=_percentile(bus, 0.5),
                    p90_business_s=_percentile(bus, 0.9),
                    max_business_s=None if max_bus is None else float(max_bus),
                    met=int(met),
                    breached=int(breached),
                    pending=int(pending),
                )
            )
        result = []
        for vendor, sev, runs, sla_met, simulated in groups:
            figures = by_group.get((vendor, sev), [])
            order = self._first_appearance(
                vendor, sev, {f.name for f in figures}, include_simulated
            )
            figures.sort(key=lambda figure: order[figure.name])
            result.append(
                GroupFigures(
                    vendor=vendor,
                    severity=sev,
                    runs=int(runs),
                    sla_met=int(sla_met),
                    simulated=int(simulated),
                    metrics=tuple(figures),
                )
            )
        return tuple(result)

    def _ranks(
        self, column: str, where: str, parameters: list[Any]
    ) -> dict[tuple[str, str, str], tuple[int, dict[int, float]]]:
        """Per figure: how many values, and the values at the ranks the percentiles need."""
        wanted = " OR ".join(f"i = {rank} OR i = {rank} + 1" for rank, _, _ in _RANKS.values())
        rows = self._query(
            "WITH ranked AS (SELECT vendor, severity, name, "
            f"{column} AS x, ROW_NUMBER() OVER (PARTITION BY vendor, severity, name "
            f"ORDER BY {column}) - 1 AS i, COUNT(*) OVER (PARTITION BY vendor, severity, name) "
            f"AS n FROM run_metrics WHERE ended = 1 AND {column} IS NOT NULL{where}) "
            f"SELECT vendor, severity, name, n, i, x FROM ranked WHERE {wanted}",
            parameters,
        )
        found: dict[tuple[str, str, str], tuple[int, dict[int, float]]] = {}
        for vendor, sev, name, n, i, x in rows:
            found.setdefault((vendor, sev, name), (int(n), {}))[1][int(i)] = float(x)
        return found

    def _first_appearance(
        self, vendor: str, severity: str, names: set[str], include_simulated: bool
    ) -> dict[str, tuple[int, int]]:
        """Each name's place in the order the scorecard meets it: newest run first, then by its
        position in that run (what ``measure.aggregate`` does walking the runs in that order)."""
        order: dict[str, tuple[int, int]] = {}
        simulated = "" if include_simulated else " AND s.simulated = 0"
        offset, size = 0, 16
        while len(order) < len(names):
            run_ids = [
                str(row[0])
                for row in self._query(
                    "SELECT s.run_id FROM run_scores s JOIN runs r ON r.run_id = s.run_id "
                    f"WHERE s.vendor = ? AND s.severity = ?{simulated} "
                    "ORDER BY r.started_at DESC, r.run_id DESC LIMIT ? OFFSET ?",
                    (vendor, severity, size, offset),
                )
            ]
            if not run_ids:
                break
            rank = {run_id: offset + index for index, run_id in enumerate(run_ids)}
            rows = self._query(
                "SELECT run_id, position, name FROM run_metrics "
                f"WHERE run_id IN ({','.join('?' * len(run_ids))})",
                run_ids,
            )
            for run_id, position, name in rows:
                place = (rank[run_id], int(position))
                if name not in order or place < order[name]:
                    order[name] = place
            offset += size
            size = min(size * 4, 500)  # a name seen only in old runs: look further, faster
        return order


def _filters(
    vendors: Sequence[str], severity: str | None, include_simulated: bool
) -> tuple[str, list[Any]]:
    clauses = ""
    parameters: list[Any] = []
    if vendors:
        clauses += f" AND vendor IN ({','.join('?' * len(vendors))})"
        parameters.extend(vendors)
    if severity is not None:
        clauses += " AND severity = ?"
        parameters.append(severity)
    if not include_simulated:
        clauses += " AND simulated = 0"
    return clauses, parameters


def _percentile(ranked: tuple[int, dict[int, float]] | None, fraction: float) -> float | None:
    # measure.aggregate.percentile's arithmetic on the two ranks SQL picked.
    if ranked is None:
        return None
    count, values = ranked
    _, numerator, denominator = _RANKS[fraction]
    position = fraction * (count - 1)
    low = (numerator * (count - 1)) // denominator
    high = min(low + 1, count - 1)
    return values[low] + (values[high] - values[low]) * (position - low)
