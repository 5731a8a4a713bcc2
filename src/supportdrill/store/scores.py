"""The scorecard index: each finished run's metrics, written when it ends, aggregated in SQL.

A run's figures never change once it has ended, so they are computed once (by the report
layer, which owns scoring) and kept in ``run_scores`` / ``run_metrics``, with running totals per
vendor, severity and figure (``score_totals`` / ``metric_totals``) kept in the same transaction.
The vendor scorecard then reads its counts from the totals, each maximum as one index step, and
each percentile as one index walk to its two ranks, instead of loading and re-scoring every
timeline. ``scorer_version`` marks which scoring code wrote a row; rows from another version
count as missing and are scored again.

Percentiles are the same as ``measure.aggregate.percentile`` (linear interpolation between
ranks ``floor(f·(n-1))`` and the next): SQL finds the two ranks, Python interpolates with the
same arithmetic, so both paths give the same float.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from ..errors import StoreError
from .backend import Tx
from .connection import Database, stamp
from .figures import METRIC_COUNTS, read_figures
from .model import GroupFigures, RunScore

_CHUNK = 500
_Deltas = defaultdict[tuple[Any, ...], Counter[str]]
_OLDMETRIC_COUNTS = (
    "COUNT(*), SUM(ended), SUM(CASE WHEN verdict = 'met' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN verdict = 'breached' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN verdict = 'pending' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN ended = 1 AND calendar_s IS NOT NULL THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN ended = 1 AND business_s IS NOT NULL THEN 1 ELSE 0 END)"
)


def _in(ids: Sequence[str]) -> str:
    return f"({','.join('?' * len(ids))})"


class ScoreTables(Database):
    """The index half of :class:`~supportdrill.store.runs.RunStore`."""

    def save_scores(self, scores: Iterable[RunScore], *, scorer_version: int) -> int:
        """Index finished runs' scores (replacing any earlier ones), in one transaction."""
        batch = list(scores)
        if not batch:
            return 0
        now = stamp(datetime.now(UTC))
        ids = sorted({score.run_id for score in batch})
        with self._transaction() as tx:
            found: dict[str, tuple[str, str, str, str]] = {}
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                rows = tx.execute(
                    "SELECT run_id, vendor, severity, started_at, status FROM runs "
                    f"WHERE run_id IN {_in(chunk)} ORDER BY run_id" + self.backend.for_update(),
                    # Two indexers of one run (a scorecard catching up, a reindex) take turns.
                    chunk,
                ).fetchall()
                found.update({row[0]: (row[1], row[2], row[3], row[4]) for row in rows})
            for score in batch:
                if score.run_id not in found:
                    raise StoreError(f"no run {score.run_id!r} in {self.where}")
                if found[score.run_id][3] != "finished":
                    raise StoreError(f"run {score.run_id!r} has not ended: nothing to index")
            runs_delta, metrics_delta = self._forget(tx, ids)
            tx.executemany(
                "INSERT INTO run_scores (run_id, vendor, severity, started_at, simulated, "
                "sla_met, scorer_version, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        score.run_id,
                        *found[score.run_id][:3],
                        int(score.simulated),
                        int(score.sla_met),
                        scorer_version,
                        now,
                    )
                    for score in batch
                ],
            )
            rows = []
            for score in batch:
                vendor, severity = found[score.run_id][:2]
                # update(), not +=: Counter's + drops the negative counts _forget put there.
                runs_delta[(vendor, severity, int(score.simulated))].update(
                    runs=1, sla_met=int(score.sla_met)
                )
                for metric in score.metrics:
                    rows.append(
                        (
                            vendor,
                            severity,
                            metric.name,
                            score.run_id,
                            metric.position,
                            int(score.simulated),
                            int(metric.ended),
                            metric.calendar_s,
                            metric.business_s,
                            metric.verdict,
                        )
                    )
                    metrics_delta[(vendor, severity, metric.name, int(score.simulated))].update(
                        runs=1,
                        ended=int(metric.ended),
                        met=int(metric.verdict == "met"),
                        breached=int(metric.verdict == "breached"),
                        pending=int(metric.verdict == "pending"),
                        n_calendar=int(metric.ended and metric.calendar_s is not None),
                        n_business=int(metric.ended and metric.business_s is not None),
                    )
            if rows:
                tx.executemany(
                    "INSERT INTO run_metrics (vendor, severity, name, run_id, position, "
                    "simulated, ended, calendar_s, business_s, verdict) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            _add_totals(tx, runs_delta, metrics_delta)
        return len(batch)

    def _forget(self, tx: Tx, ids: Sequence[str]) -> tuple[_Deltas, _Deltas]:
        """Delete ``ids``' index rows; the totals' deltas that takes (negative counts)."""
        runs_delta: _Deltas = defaultdict(Counter)
        metrics_delta: _Deltas = defaultdict(Counter)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for vendor, severity, simulated, runs, sla_met in tx.execute(
                "SELECT vendor, severity, simulated, COUNT(*), SUM(sla_met) FROM run_scores "
                f"WHERE run_id IN {_in(chunk)} GROUP BY vendor, severity, simulated",
                chunk,
            ).fetchall():
                runs_delta[(vendor, severity, int(simulated))] = Counter(
                    runs=-int(runs), sla_met=-int(sla_met)
                )
            for row in tx.execute(
                f"SELECT vendor, severity, name, simulated, {_OLDMETRIC_COUNTS} FROM run_metrics "
                f"WHERE run_id IN {_in(chunk)} GROUP BY vendor, severity, name, simulated",
                chunk,
            ).fetchall():
                key = (row[0], row[1], row[2], int(row[3]))
                metrics_delta[key] = Counter(
                    {name: -int(value) for name, value in zip(METRIC_COUNTS, row[4:], strict=True)}
                )
            tx.execute(f"DELETE FROM run_metrics WHERE run_id IN {_in(chunk)}", chunk)
            tx.execute(f"DELETE FROM run_scores WHERE run_id IN {_in(chunk)}", chunk)
        return runs_delta, metrics_delta

    def analyze_scores(self) -> None:
        """After indexing many runs at once: let the planner see the index tables' sizes."""
        self.backend.analyze(("run_scores", "run_metrics", "score_totals", "metric_totals"))

    def unscored_runs(self, scorer_version: int) -> list[str]:
        """Finished runs with no index row from ``scorer_version``, oldest first."""
        if self._fully_indexed(scorer_version):
            return []
        rows = self._query(
            "SELECT r.run_id FROM runs r LEFT JOIN run_scores s ON s.run_id = r.run_id "
            "WHERE r.status = 'finished' AND (s.run_id IS NULL OR s.scorer_version <> ?) "
            "ORDER BY r.started_at, r.run_id",
            (scorer_version,),
        )
        return [str(row[0]) for row in rows]

    def _fully_indexed(self, scorer_version: int) -> bool:
        # Index-only counts (the runs' status index, the totals, the version index) instead of
        # joining every run: the usual answer, "nothing missing", costs no scan of the runs.
        finished = self._query("SELECT COUNT(*) FROM runs WHERE status = 'finished'")
        indexed = self._query("SELECT COALESCE(SUM(runs), 0) FROM score_totals")
        stale = self._query(
            "SELECT 1 FROM run_scores WHERE scorer_version < ? OR scorer_version > ? LIMIT 1",
            (scorer_version, scorer_version),
        )
        return int(finished[0][0]) == int(indexed[0][0]) and not stale

    def drop_scores(self) -> None:
        """Forget the whole index (``supportdrill reindex`` then writes it again)."""
        with self._transaction() as tx:
            for table in ("run_metrics", "run_scores", "metric_totals", "score_totals"):
                tx.execute(f"DELETE FROM {table}")

    def score_figures(
        self,
        *,
        vendors: Sequence[str] = (),
        severity: str | None = None,
        include_simulated: bool = False,
    ) -> tuple[GroupFigures, ...]:
        """Every indexed run, summarised per vendor and severity (vendors in name order), as of
        one moment: a drill ending meanwhile is either wholly in the figures or not at all."""
        with self.backend.snapshot():
            return read_figures(
                self._query, self.backend.query_many, vendors, severity, include_simulated
            )


def _add_totals(tx: Tx, runs_delta: _Deltas, metrics_delta: _Deltas) -> None:
    # Keys in sorted order: two writers lock shared totals rows in one order, so never deadlock.
    if runs_delta:
        tx.executemany(
            "INSERT INTO score_totals (vendor, severity, simulated, runs, sla_met) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (vendor, severity, simulated) DO UPDATE SET "
            "runs = score_totals.runs + excluded.runs, "
            "sla_met = score_totals.sla_met + excluded.sla_met",
            [(*key, delta["runs"], delta["sla_met"]) for key, delta in sorted(runs_delta.items())],
        )
    if metrics_delta:
        columns = ", ".join(METRIC_COUNTS)
        updates = ", ".join(f"{c} = metric_totals.{c} + excluded.{c}" for c in METRIC_COUNTS)
        tx.executemany(
            f"INSERT INTO metric_totals (vendor, severity, name, simulated, {columns}) "
            f"VALUES (?, ?, ?, ?, {', '.join('?' * len(METRIC_COUNTS))}) "
            f"ON CONFLICT (vendor, severity, name, simulated) DO UPDATE SET {updates}",
            [
                (*key, *(delta[c] for c in METRIC_COUNTS))
                for key, delta in sorted(metrics_delta.items())
            ],
        )
