"""Reading the scorecard index: per vendor and severity, every figure's counts, p50, p90 and max.

A handful of statements whatever the store's size (a server round trip costs more than an index
step): the totals give the counts; one statement holds, per figure and clock, the walks along an
index to the two ranks each percentile needs (``LIMIT 2 OFFSET rank``, from whichever end is
nearer) and the one step to the maximum; one or two more find the order in which the scorecard
meets the figures. Percentiles are interpolated with ``measure.aggregate.percentile``'s own
arithmetic, so the figures equal those of scoring every timeline again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import StoreError
from .model import GroupFigures, MetricFigures

METRIC_COUNTS = ("runs", "ended", "met", "breached", "pending", "n_calendar", "n_business")
_CHUNK = 500

Query = Callable[[str, Sequence[Any]], list[Any]]
QueryMany = Callable[[Sequence[tuple[str, Sequence[Any]]]], list[list[Any]]]
Figure = tuple[str, str, str]
"""vendor, severity, figure name."""


def _in(items: Sequence[Any]) -> str:
    return f"({','.join('?' * len(items))})"


def read_figures(
    query: Query,
    query_many: QueryMany,
    vendors: Sequence[str],
    severity: str | None,
    include_simulated: bool,
) -> tuple[GroupFigures, ...]:
    """The scorecard's figures from the index (call inside one read snapshot)."""
    clauses, parameters = _filters(vendors, severity, include_simulated)
    groups = [
        row
        for row in query(
            "SELECT vendor, severity, SUM(runs), SUM(sla_met), "
            "SUM(CASE WHEN simulated = 1 THEN runs ELSE 0 END) "
            f"FROM score_totals WHERE 1 = 1{clauses} GROUP BY vendor, severity",
            parameters,
        )
        if row[2]
    ]
    counts = [
        row
        for row in query(
            f"SELECT vendor, severity, name, {', '.join(f'SUM({c})' for c in METRIC_COUNTS)} "
            f"FROM metric_totals WHERE 1 = 1{clauses} GROUP BY vendor, severity, name",
            parameters,
        )
        if row[3]
    ]
    values = _values(
        query_many,
        [(tuple(row[:3]), int(row[8]), int(row[9])) for row in counts],
        include_simulated,
    )
    by_group: dict[tuple[str, str], list[MetricFigures]] = {}
    for vendor, sev, name, runs, ended, met, breached, pending, _, _ in counts:
        found = values[(vendor, sev, name)]
        by_group.setdefault((vendor, sev), []).append(
            MetricFigures(
                name=name,
                runs=int(runs),
                ended=int(ended),
                p50_calendar_s=found[0],
                p90_calendar_s=found[1],
                max_calendar_s=found[2],
                p50_business_s=found[3],
                p90_business_s=found[4],
                max_business_s=found[5],
                met=int(met),
                breached=int(breached),
                pending=int(pending),
            )
        )
    names = {key: {figure.name for figure in figures} for key, figures in by_group.items()}
    order = _first_appearance(query, names, include_simulated)
    result = []
    # Sorted here, not in SQL, so the order is Python's whatever the server's collation.
    for vendor, sev, runs, sla_met, simulated in sorted(groups, key=lambda g: (g[0], g[1])):
        figures = by_group.get((vendor, sev), [])
        figures.sort(key=lambda figure: order[(vendor, sev, figure.name)])
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


def _values(
    query_many: QueryMany, wanted: Sequence[tuple[Figure, int, int]], include_simulated: bool
) -> dict[Figure, list[float | None]]:
    """Per figure: p50, p90, max in calendar time, then the same in business time."""
    result: dict[Figure, list[float | None]] = {figure: [None] * 6 for figure, _, _ in wanted}
    parts: list[tuple[str, Sequence[Any]]] = []  # one statement and its parameters per walk
    ranks: list[tuple[Figure, int, float, int]] = []  # figure, slot, position, low
    for index, (figure, n_cal, n_bus) in enumerate(wanted):
        for clock, (column, count) in enumerate((("calendar_s", n_cal), ("business_s", n_bus))):
            if count == 0:
                continue
            head = (
                f"SELECT ? AS k, {column} AS x FROM run_metrics WHERE vendor = ? "
                f"AND severity = ? AND name = ? AND ended = 1"
                f"{'' if include_simulated else ' AND simulated = 0'} "
                f"AND {column} IS NOT NULL ORDER BY {column}"
            )
            base = index * 6 + clock * 3
            for slot, fraction in enumerate((0.5, 0.9)):
                position = fraction * (count - 1)
                low = math.floor(position)
                high = min(low + 1, count - 1)
                if count - 1 - high < low:  # nearer the top (p90): walk down from the maximum
                    walk = [base + slot, *figure, high - low + 1, count - 1 - high]
                    parts.append((f"{head} DESC LIMIT ? OFFSET ?", walk))
                else:
                    walk = [base + slot, *figure, high - low + 1, low]
                    parts.append((f"{head} LIMIT ? OFFSET ?", walk))
                ranks.append((figure, clock * 3 + slot, position, low))
            parts.append((f"{head} DESC LIMIT 1", [base + 2, *figure]))
    found: dict[int, list[float]] = {}
    # One small statement per walk, all sent at once (a long UNION ALL costs more to plan).
    for rows in query_many(parts):
        for key, value in rows:
            found.setdefault(int(key), []).append(float(value))
    keys = {figure: index * 6 for index, (figure, _, _) in enumerate(wanted)}
    for figure, slot, position, low in ranks:
        values = sorted(found.get(keys[figure] + slot, []))
        if not values:
            raise StoreError("the scorecard index changed while it was read")
        # measure.aggregate.percentile's arithmetic, on the two ranks.
        result[figure][slot] = values[0] + (values[-1] - values[0]) * (position - low)
    for figure, base in keys.items():
        for slot in (2, 5):
            if base + slot in found:
                result[figure][slot] = found[base + slot][0]
    return result


def _first_appearance(
    query: Query, names: dict[tuple[str, str], set[str]], include_simulated: bool
) -> dict[Figure, tuple[int, int]]:
    """Each figure's place in the order the scorecard meets it: newest run first, then by its
    position in that run (what ``measure.aggregate`` does walking the runs in that order).
    The newest few runs of every group in one statement; further back only when a name is
    still missing (a figure only old runs have)."""
    order: dict[Figure, tuple[int, int]] = {}
    simulated = "" if include_simulated else " AND simulated = 0"
    pending = {key for key, wanted in names.items() if wanted}
    offset, size = 0, 16
    while pending:
        keys = sorted(pending)
        sql = " UNION ALL ".join(
            f"SELECT * FROM (SELECT vendor, severity, started_at, run_id FROM run_scores "
            f"WHERE vendor = ? "
            f"AND severity = ?{simulated} ORDER BY started_at DESC, run_id DESC "
            f"LIMIT ? OFFSET ?) AS g{number}"
            for number in range(len(keys))
        )
        runs = query(sql, [value for key in keys for value in (*key, size, offset)])
        newest: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for vendor, sev, started_at, run_id in runs:
            newest.setdefault((vendor, sev), []).append((str(started_at), str(run_id)))
        counted = {key: len(found) for key, found in newest.items()}
        rank: dict[str, tuple[tuple[str, str], int]] = {}
        for key, found in newest.items():
            # Ranked here: UNION ALL promises no order, and Python's is the rescoring path's.
            for place, (_, run_id) in enumerate(sorted(found, reverse=True)):
                rank[run_id] = (key, offset + place)
        ids = list(rank)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for run_id, position, name in query(
                f"SELECT run_id, position, name FROM run_metrics WHERE run_id IN {_in(chunk)}",
                chunk,
            ):
                (vendor, sev), place = rank[str(run_id)]
                figure = (vendor, sev, str(name))
                if figure not in order or (place, int(position)) < order[figure]:
                    order[figure] = (place, int(position))
        pending = {
            key
            for key in keys
            if counted.get(key, 0) == size and any((*key, name) not in order for name in names[key])
        }
        offset += size
        size = min(size * 4, _CHUNK)  # a name seen only in old runs: look further, faster
    return order


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
