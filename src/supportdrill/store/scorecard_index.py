"""The vendor scorecard's index: each finished run's figures, written when it ends, so the
scorecard reads running totals and a few index walks instead of scoring every timeline again.

Three tables are kept in the transaction that indexes a run:

* ``figure_totals``: every count the scorecard shows, per vendor, schedule, severity, window,
  hour of the week and simulated-or-not;
* ``figure_values``: one row per figure a run has, ordered by (bucket, value), where the bucket
  (:func:`rank_bucket`) only ever grows with the value;
* ``figure_buckets``: how many values each bucket holds, per group, each group the scorecard
  can ask for (one window or all, one schedule or all) kept as its own key range.

A percentile needs the values at one or two ranks. The server adds up the group's bucket counts
in bucket order and answers the bucket holding each rank and how many values lie below it
(a few hundred counts, not the values); one walk along the index from that bucket's start then
reads the rank. A walk steps over one bucket's values (about 1/32 of a doubling wide), not
every value below the rank, so a scorecard over 100,000 runs costs about what one over a
thousand does. The arithmetic that turns ranks into percentiles is the scorer's
(``measure.quantiles.quantile_of``), so the figures equal those of scoring every run again.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import StoreError
from .backend import Tx
from .connection import Database, stamp
from .model import FIGURES, TALLY_COUNTS, FigureTally, IndexedRun, RankQuery, RunFigureRow

_CHUNK = 500
_BUCKETS_PER_DOUBLING = 32
_PG_TYPES = {"hour_of_week": "integer"}
_FIGURE_COLUMNS = ", ".join(f"{figure}_s" for figure in FIGURES)
_Deltas = defaultdict[tuple[Any, ...], Counter[str]]


def rank_bucket(value: float) -> int:
    """A bucket number that never decreases as ``value`` grows: 0 for zero, then
    ``_BUCKETS_PER_DOUBLING`` buckets per power of two (exact: ``frexp`` splits the float)."""
    if not math.isfinite(value):
        raise StoreError(f"a figure must be a finite number, not {value!r}")
    if value == 0:
        return 0
    mantissa, exponent = math.frexp(abs(value))  # abs(value) = mantissa * 2**exponent
    # mantissa is in [0.5, 1): its first five bits after the leading one pick the bucket.
    step = (exponent + 1100) * _BUCKETS_PER_DOUBLING + int(
        (mantissa - 0.5) * 2 * _BUCKETS_PER_DOUBLING
    )
    return step if value > 0 else -step


def _in(items: Sequence[Any]) -> str:
    return f"({','.join('?' * len(items))})"


def _microseconds(seconds: float | None) -> int:
    # The outage is a difference of two timestamps: whole microseconds, so sums are exact.
    return 0 if seconds is None else round(seconds * 1_000_000)


def _values(row: RunFigureRow) -> tuple[float | None, ...]:
    return (
        row.acknowledgement_s,
        row.first_human_s,
        row.resolution_s,
        row.time_to_correct_s,
        row.outage_s,
    )


def _counts(row: RunFigureRow) -> dict[str, int]:
    counts = {
        "runs": 1,
        "met": int(row.met),
        "judged": int(row.judged),
        "pending": int(row.pending),
        "diagnosable": int(row.diagnosable),
        "correct": int(row.correct),
        "wrong_first": int(row.wrong_first),
        "outage_open": int(row.outage_s is not None and row.outage_open),
        "outage_us": _microseconds(row.outage_s),
    }
    for figure, value in zip(FIGURES, _values(row), strict=True):
        counts[figure] = int(value is not None)
    return counts


class ScorecardIndex(Database):
    """The index half of :class:`~supportdrill.store.runs.RunStore`."""

    # ---- writing

    def save_index(self, runs: Iterable[IndexedRun], *, scorer_version: int) -> int:
        """Index finished runs (replacing what was indexed for them before), in one
        transaction: their rows, the totals and the bucket counts move together."""
        batch = list(runs)
        if not batch:
            return 0
        now = stamp(datetime.now(UTC))
        ids = sorted({run.run_id for run in batch})
        with self._transaction() as tx:
            found: dict[str, tuple[str, str, str]] = {}
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                rows = tx.execute(
                    "SELECT run_id, vendor, severity, status FROM runs "
                    f"WHERE run_id IN {_in(chunk)} ORDER BY run_id" + self.backend.for_update(),
                    # Two indexers of one run (a scorecard catching up, a reindex) take turns.
                    chunk,
                ).fetchall()
                found.update({row[0]: (row[1], row[2], row[3]) for row in rows})
            for run in batch:
                if run.run_id not in found:
                    raise StoreError(f"no run {run.run_id!r} in {self.where}")
                if found[run.run_id][2] != "finished":
                    raise StoreError(f"run {run.run_id!r} has not ended: nothing to index")
            totals, buckets = self._forget(tx, ids)
            indexed, values = [], []
            for run in batch:
                vendor, severity = found[run.run_id][:2]
                indexed.append(_indexed_row(run, vendor, severity, scorer_version, now))
                if run.figures is not None:
                    values.extend(_value_rows(run, vendor, run.figures))
                    _count(totals, buckets, vendor, run.schedule, int(run.simulated), run.figures)
            tx.executemany(
                "INSERT INTO run_figures (run_id, scorer_version, scored_at, counted, vendor, "
                f"schedule, simulated, {_ROW_COLUMNS}) VALUES ({', '.join('?' * 25)})",
                indexed,
            )
            if values:
                tx.executemany(
                    "INSERT INTO figure_values (figure, vendor, severity, bucket, value, run_id, "
                    "time_window, schedule, simulated, hour_of_week) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    values,
                )
            _add(tx, totals, buckets)
        return len(batch)

    def _forget(self, tx: Tx, ids: Sequence[str]) -> tuple[_Deltas, _Deltas]:
        """Take ``ids`` out of the index; the (negative) changes to totals and buckets."""
        totals: _Deltas = defaultdict(Counter)
        buckets: _Deltas = defaultdict(Counter)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for row in tx.execute(
                f"SELECT vendor, schedule, simulated, {_ROW_COLUMNS} FROM run_figures "
                f"WHERE counted = 1 AND run_id IN {_in(chunk)}",
                chunk,
            ).fetchall():
                _count(totals, buckets, row[0], row[1], int(row[2]), _row(row[3:]), sign=-1)
            tx.execute(f"DELETE FROM figure_values WHERE run_id IN {_in(chunk)}", chunk)
            tx.execute(f"DELETE FROM run_figures WHERE run_id IN {_in(chunk)}", chunk)
        return totals, buckets

    def analyze_index(self) -> None:
        """After indexing many runs at once: let the planner see the index tables' sizes."""
        self.backend.analyze(("run_figures", "figure_values", "figure_buckets", "figure_totals"))

    def unindexed_runs(self, scorer_version: int) -> list[str]:
        """Finished runs with no index row from ``scorer_version``, oldest first."""
        if self._fully_indexed(scorer_version):
            return []
        rows = self._query(
            "SELECT r.run_id FROM runs r LEFT JOIN run_figures f ON f.run_id = r.run_id "
            "WHERE r.status = 'finished' AND (f.run_id IS NULL OR f.scorer_version <> ?) "
            "ORDER BY r.started_at, r.run_id",
            (scorer_version,),
        )
        return [str(row[0]) for row in rows]

    def _fully_indexed(self, scorer_version: int) -> bool:
        # Two index-only counts and one index probe instead of joining every run: the usual
        # answer, "nothing missing", costs no scan of the runs' table.
        finished = self._query("SELECT COUNT(*) FROM runs WHERE status = 'finished'")
        indexed = self._query("SELECT COUNT(*) FROM run_figures")
        stale = self._query(
            "SELECT 1 FROM run_figures WHERE scorer_version < ? OR scorer_version > ? LIMIT 1",
            (scorer_version, scorer_version),
        )
        return int(finished[0][0]) == int(indexed[0][0]) and not stale

    def drop_index(self) -> None:
        """Forget the whole index (``supportdrill reindex`` then writes it again)."""
        with self._transaction() as tx:
            for table in ("figure_values", "figure_buckets", "figure_totals", "run_figures"):
                tx.execute(f"DELETE FROM {table}")

    # ---- reading

    def figure_tallies(
        self,
        *,
        vendors: Sequence[str] = (),
        severity: str | None = None,
        include_simulated: bool = False,
    ) -> tuple[FigureTally, ...]:
        """The running totals, simulated runs left out unless included (call inside
        :meth:`snapshot` with :meth:`figure_values` for one consistent answer)."""
        clauses, parameters = _filters(vendors, severity, include_simulated)
        sums = ", ".join(f"SUM({column})" for column in TALLY_COUNTS)
        rows = self._query(
            "SELECT vendor, schedule, severity, time_window, hour_of_week, "
            f"SUM(CASE WHEN simulated = 1 THEN runs ELSE 0 END), {sums} FROM figure_totals "
            f"WHERE 1 = 1{clauses} "
            "GROUP BY vendor, schedule, severity, time_window, hour_of_week",
            parameters,
        )
        return tuple(
            FigureTally(str(row[0]), str(row[1]), str(row[2]), str(row[3]), *map(int, row[4:]))
            for row in rows
            if int(row[6])  # totals of runs since taken out are zero, not absent
        )

    def figure_values(
        self, queries: Sequence[RankQuery], *, include_simulated: bool = False
    ) -> tuple[tuple[float, ...], ...]:
        """For each query, the values at its ranks, ascending."""
        starts = self._bucket_starts(queries, include_simulated)
        walks = [_walk(query, starts) for query in queries]
        simulated = "" if include_simulated else " AND f.simulated = 0"
        if self.backend.dialect == "postgresql":
            answers = self._walk_together(walks, simulated)
        else:
            # SQLite runs in this process: a statement per walk costs microseconds.
            answers = self.backend.query_many(
                [
                    (
                        "SELECT f.value FROM figure_values f WHERE "
                        + " AND ".join(f"f.{column} = ?" for column, _ in walk.equal)
                        + ("" if walk.bucket is None else " AND f.bucket >= ?")
                        + f"{simulated} ORDER BY f.bucket, f.value LIMIT ? OFFSET ?",
                        [*walk.values(), walk.count, walk.offset],
                    )
                    for walk in walks
                ]
            )
        found = []
        for query, rows in zip(queries, answers, strict=True):
            if len(rows) != query.count:
                raise StoreError(f"{self.where}: the scorecard index changed while it was read")
            found.append(tuple(float(row[-1]) for row in rows))
        return tuple(found)

    def _walk_together(self, walks: Sequence[_Walk], simulated: str) -> list[list[Any]]:
        """On PostgreSQL, the walks of one shape as one statement: their parameters as
        arrays, unnested and joined LATERALly to the walk, so the server runs them all (each
        still an index walk) for one round trip and one plan, not one per walk."""
        shapes: dict[tuple[tuple[str, ...], bool], list[int]] = defaultdict(list)
        for number, walk in enumerate(walks):
            shapes[walk.shape()].append(number)
        statements: list[tuple[str, Sequence[Any]]] = []
        for (columns, bucketed), numbers in shapes.items():
            names = ["k", *columns, *(["bucket"] * bucketed), "lim", "off"]
            types = ["integer", *(_PG_TYPES.get(c, "text") for c in columns)]
            types += ["integer"] * bucketed + ["bigint", "bigint"]
            rows = [[number, *walks[number].values(), walks[number].count, walks[number].offset]
                    for number in numbers]  # fmt: skip
            # Stored text compares bytewise (COLLATE "C"): the parameters are read the same way.
            conditions = [
                f"f.{column} = w.{column}" + ("" if column == "hour_of_week" else ' COLLATE "C"')
                for column in columns
            ]
            conditions += ["f.bucket >= w.bucket"] * bucketed
            statements.append(
                (
                    f"SELECT w.k, v.value FROM unnest({', '.join(f'?::{t}[]' for t in types)}) "
                    f"AS w({', '.join(names)}) CROSS JOIN LATERAL (SELECT f.bucket, f.value "
                    f"FROM figure_values f WHERE {' AND '.join(conditions)}{simulated} "
                    "ORDER BY f.bucket, f.value LIMIT w.lim OFFSET w.off) AS v "
                    "ORDER BY w.k, v.bucket, v.value",
                    [list(column) for column in zip(*rows, strict=True)],
                )
            )
        answers: list[list[Any]] = [[] for _ in walks]
        for found in self.backend.query_many(statements):
            for number, value in found:
                answers[int(number)].append((value,))
        return answers

    def _bucket_starts(
        self, queries: Sequence[RankQuery], include_simulated: bool
    ) -> dict[tuple[Any, ...], tuple[int, int]]:
        """For each rank a query walks to (not by hour): the bucket holding it, and how many
        of the group's values lie in the buckets below. The server adds the bucket counts up
        in bucket order and answers only the buckets that hold a wanted rank: one statement
        per group, a few rows each."""
        ranks: dict[tuple[Any, ...], set[int]] = defaultdict(set)
        for query in queries:
            if query.hour_of_week is None:
                ranks[_scope(query)].add(query.rank)
        scopes = sorted(ranks, key=repr)
        simulated = "" if include_simulated else " AND simulated = 0"
        statements: list[tuple[str, Sequence[Any]]] = []
        for figure, vendor, severity, window, schedule in scopes:
            where = "figure = ? AND vendor = ? AND severity = ? AND span = ? AND time_window = ? "
            where += "AND schedule = ?"
            span = (window is None) + 2 * (schedule is None)
            parameters: list[Any] = [figure, vendor, severity, span, window or "", schedule or ""]
            wanted = sorted(ranks[(figure, vendor, severity, window, schedule)])
            if self.backend.dialect == "postgresql":
                # One statement text for every group: the server plans it once.
                holds = "EXISTS (SELECT 1 FROM unnest(?::bigint[]) AS r (k) "
                holds += "WHERE upto > r.k AND upto - n <= r.k)"
                parameters.append(wanted)
            else:
                holds = " OR ".join(["(upto > ? AND upto - n <= ?)"] * len(wanted))
                parameters += [rank for rank in wanted for _ in range(2)]
            statements.append(
                (
                    "SELECT bucket, upto - n, upto FROM (SELECT bucket, SUM(n) AS n, "
                    "SUM(SUM(n)) OVER (ORDER BY bucket) AS upto FROM figure_buckets "
                    f"WHERE {where}{simulated} GROUP BY bucket) AS c WHERE {holds} "
                    "ORDER BY bucket",
                    parameters,
                )
            )
        found: dict[tuple[Any, ...], tuple[int, int]] = {}
        for scope, rows in zip(scopes, self.backend.query_many(statements), strict=True):
            spans = [(int(before), int(upto), int(bucket)) for bucket, before, upto in rows]
            for rank in ranks[scope]:
                holding = [
                    (bucket, before) for before, upto, bucket in spans if before <= rank < upto
                ]
                if not holding:
                    raise StoreError(f"{self.where}: the scorecard index changed while it was read")
                found[(*scope, rank)] = holding[0]
        return found


@dataclass(frozen=True)
class _Walk:
    """One index walk: the rows equal to ``equal``, from ``bucket`` on (None: from the
    start), ``offset`` values skipped, ``count`` values read."""

    equal: tuple[tuple[str, Any], ...]
    bucket: int | None
    count: int
    offset: int

    def shape(self) -> tuple[tuple[str, ...], bool]:
        return tuple(column for column, _ in self.equal), self.bucket is not None

    def values(self) -> list[Any]:
        found = [value for _, value in self.equal]
        return found if self.bucket is None else [*found, self.bucket]


def _walk(query: RankQuery, starts: dict[tuple[Any, ...], tuple[int, int]]) -> _Walk:
    equal: list[tuple[str, Any]] = [("figure", query.figure), ("vendor", query.vendor)]
    if query.hour_of_week is not None:
        # An hour of the week holds a few hundred runs at most: walk it from the start.
        equal.append(("hour_of_week", query.hour_of_week))
        if query.severity is not None:
            equal.append(("severity", query.severity))
        bucket, before = None, 0
    else:
        equal.append(("severity", query.severity))
        if query.window is not None:
            equal.append(("time_window", query.window))
        bucket, before = starts[(*_scope(query), query.rank)]
    if query.schedule is not None:
        equal.append(("schedule", query.schedule))
    return _Walk(tuple(equal), bucket, query.count, query.rank - before)


def _scope(query: RankQuery) -> tuple[Any, ...]:
    return (query.figure, query.vendor, query.severity, query.window, query.schedule)


_ROW_COLUMNS = (
    "severity, filed_at, time_window, hour_of_week, verdict, diagnosis, met, judged, pending, "
    f"diagnosable, correct, wrong_first, {_FIGURE_COLUMNS}, outage_open"
)


def _row(values: Sequence[Any]) -> RunFigureRow:
    """A :class:`RunFigureRow` back from the ``_ROW_COLUMNS`` of ``run_figures``."""
    figures = [None if value is None else float(value) for value in values[12:17]]
    return RunFigureRow(
        severity=str(values[0]),
        filed_at=datetime.fromisoformat(str(values[1])),
        window=str(values[2]),
        hour_of_week=int(values[3]),
        verdict=str(values[4]),
        diagnosis=str(values[5]),
        met=bool(values[6]),
        judged=bool(values[7]),
        pending=bool(values[8]),
        diagnosable=bool(values[9]),
        correct=bool(values[10]),
        wrong_first=bool(values[11]),
        acknowledgement_s=figures[0],
        first_human_s=figures[1],
        resolution_s=figures[2],
        time_to_correct_s=figures[3],
        outage_s=figures[4],
        outage_open=bool(values[17]),
    )


def _indexed_row(
    run: IndexedRun, vendor: str, severity: str, scorer_version: int, now: str
) -> tuple[Any, ...]:
    head = (
        run.run_id,
        scorer_version,
        now,
        int(run.figures is not None),
        vendor,
        run.schedule,
        int(run.simulated),
    )
    row = run.figures
    if row is None:  # kept only to say "indexed": no figure, counted nowhere
        return (*head, severity, now, "", -1, "", "", *([0] * 6), *([None] * len(FIGURES)), 0)
    return (
        *head,
        row.severity,
        stamp(row.filed_at),
        row.window,
        row.hour_of_week,
        row.verdict,
        row.diagnosis,
        int(row.met),
        int(row.judged),
        int(row.pending),
        int(row.diagnosable),
        int(row.correct),
        int(row.wrong_first),
        *_values(row),
        int(row.outage_open),
    )


def _value_rows(run: IndexedRun, vendor: str, row: RunFigureRow) -> list[tuple[Any, ...]]:
    return [
        (
            figure,
            vendor,
            row.severity,
            rank_bucket(value),
            value,
            run.run_id,
            row.window,
            run.schedule,
            int(run.simulated),
            row.hour_of_week,
        )
        for figure, value in zip(FIGURES, _values(row), strict=True)
        if value is not None
    ]


def _count(
    totals: _Deltas,
    buckets: _Deltas,
    vendor: str,
    schedule: str,
    simulated: int,
    row: RunFigureRow,
    *,
    sign: int = 1,
) -> None:
    # update(), not +=: Counter's + drops the negative counts a forgotten run puts there.
    key = (vendor, schedule, row.severity, row.window, row.hour_of_week, simulated)
    totals[key].update({name: sign * count for name, count in _counts(row).items()})
    for figure, value in zip(FIGURES, _values(row), strict=True):
        if value is not None:
            bucket = rank_bucket(value)
            for span, window, series in (
                (0, row.window, schedule),
                (1, "", schedule),
                (2, row.window, ""),
                (3, "", ""),
            ):
                group = (figure, vendor, row.severity, span, window, series, simulated)
                buckets[(*group, bucket)].update(n=sign)


def _add(tx: Tx, totals: _Deltas, buckets: _Deltas) -> None:
    # Keys in sorted order: two writers lock shared rows in one order, so never deadlock.
    if totals:
        columns = ", ".join(TALLY_COUNTS)
        updates = ", ".join(f"{c} = figure_totals.{c} + excluded.{c}" for c in TALLY_COUNTS)
        tx.executemany(
            "INSERT INTO figure_totals (vendor, schedule, severity, time_window, hour_of_week, "
            f"simulated, {columns}) VALUES ({', '.join('?' * (6 + len(TALLY_COUNTS)))}) "
            "ON CONFLICT (vendor, schedule, severity, time_window, hour_of_week, simulated) "
            f"DO UPDATE SET {updates}",
            [(*key, *(delta[c] for c in TALLY_COUNTS)) for key, delta in sorted(totals.items())],
        )
    if buckets:
        tx.executemany(
            "INSERT INTO figure_buckets (figure, vendor, severity, span, time_window, schedule, "
            "simulated, bucket, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (figure, vendor, severity, span, time_window, schedule, simulated, "
            "bucket) DO UPDATE SET n = figure_buckets.n + excluded.n",
            [(*key, delta["n"]) for key, delta in sorted(buckets.items())],
        )


def _filters(
    vendors: Sequence[str], severity: str | None, include_simulated: bool
) -> tuple[str, list[Any]]:
    clauses = ""
    parameters: list[Any] = []
    if vendors:
        clauses += f" AND vendor IN {_in(vendors)}"
        parameters.extend(vendors)
    if severity is not None:
        clauses += " AND severity = ?"
        parameters.append(severity)
    if not include_simulated:
        clauses += " AND simulated = 0"
    return clauses, parameters
