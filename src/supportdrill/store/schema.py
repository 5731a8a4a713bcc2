"""The run store's schema and its migrations, one list for SQLite and PostgreSQL.

Each migration is applied once, in order, inside one transaction, and recorded in
``schema_migrations``. A store written by a newer supportdrill (a version this code does not
know) is refused rather than half-understood: its runs would be misread.

The scripts are written in the SQL both engines accept (TEXT timestamps, INTEGER flags, DOUBLE
PRECISION figures). On PostgreSQL the one SQLite-only clause, ``WITHOUT ROWID`` (a storage
hint), is dropped, and TEXT compares bytewise (``COLLATE "C"``) as it does on SQLite. A new
table for another part of the harness (the scheduler's leases, a run's fault lease) is a new
:class:`Migration` at the end of :data:`MIGRATIONS`, never an edit to one already released.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import StoreError
from .backend import Backend, Tx


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    script: str

    def statements(self, dialect: str) -> list[str]:
        script = self.script
        if dialect != "sqlite":
            # Byte order for text, as SQLite compares it: stored times sort as text, and
            # figures are ordered the same whatever locale the server was created with.
            script = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', script.replace("WITHOUT ROWID", ""))
        # Split on ';' (no statement here contains one inside a string).
        lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
        return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "runs, events, tickets, run state, fault ownership ledger",
        """
        CREATE TABLE runs (
            run_id       TEXT PRIMARY KEY,
            drill        TEXT NOT NULL,
            vendor       TEXT NOT NULL,
            desk         TEXT NOT NULL DEFAULT '',
            severity     TEXT NOT NULL DEFAULT '',
            drill_path   TEXT NOT NULL DEFAULT '',
            drill_digest TEXT NOT NULL DEFAULT '',
            drill_text   TEXT NOT NULL DEFAULT '',
            labels       TEXT NOT NULL DEFAULT '{}',
            started_at   TEXT NOT NULL,
            ended_at     TEXT,
            outcome      TEXT,
            status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished'))
        );
        CREATE INDEX runs_by_start ON runs (started_at);
        CREATE INDEX runs_by_vendor ON runs (vendor, started_at);
        CREATE INDEX runs_by_status ON runs (status);

        CREATE TABLE events (
            run_id      TEXT NOT NULL REFERENCES runs (run_id),
            seq         INTEGER NOT NULL,
            kind        TEXT NOT NULL,
            at          TEXT NOT NULL,
            observed_at TEXT NOT NULL,
            record      TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;

        CREATE TABLE tickets (
            run_id          TEXT NOT NULL REFERENCES runs (run_id),
            idempotency_key TEXT NOT NULL,
            desk            TEXT NOT NULL,
            recorded_at     TEXT NOT NULL,
            ticket_id       TEXT,
            created_at      TEXT,
            url             TEXT NOT NULL DEFAULT '',
            extra           TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (run_id, idempotency_key)
        );

        CREATE TABLE run_state (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            name   TEXT NOT NULL,
            value  TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        );

        -- Not tied to runs: the fault layer records a proxy before it touches it, even for a run
        -- whose row a crash kept from being written.
        CREATE TABLE fault_ownership (
            run_id      TEXT NOT NULL,
            backend_url TEXT NOT NULL,
            proxy       TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (run_id, backend_url, proxy)
        );
        """,
    ),
    Migration(
        2,
        "per-run scores and metrics, materialised when a run ends (the scorecard's index)",
        """
        -- One row per finished run that has been scored; vendor and severity are copied from
        -- runs so the scorecard reads one table per figure.
        CREATE TABLE run_scores (
            run_id         TEXT PRIMARY KEY REFERENCES runs (run_id),
            vendor         TEXT NOT NULL,
            severity       TEXT NOT NULL,
            simulated      INTEGER NOT NULL,
            sla_met        INTEGER NOT NULL,
            scorer_version INTEGER NOT NULL,
            scored_at      TEXT NOT NULL
        );

        -- One row per metric that started; name is pooled (next_reply_2 -> next_reply) and
        -- position keeps the scorecard's order.
        CREATE TABLE run_metrics (
            run_id     TEXT NOT NULL REFERENCES run_scores (run_id) ON DELETE CASCADE,
            position   INTEGER NOT NULL,
            name       TEXT NOT NULL,
            vendor     TEXT NOT NULL,
            severity   TEXT NOT NULL,
            simulated  INTEGER NOT NULL,
            ended      INTEGER NOT NULL,
            calendar_s DOUBLE PRECISION,
            business_s DOUBLE PRECISION,
            verdict    TEXT NOT NULL,
            PRIMARY KEY (run_id, position)
        ) WITHOUT ROWID;
        CREATE INDEX run_metrics_calendar ON run_metrics (vendor, severity, name, calendar_s);
        CREATE INDEX run_metrics_business ON run_metrics (vendor, severity, name, business_s);
        """,
    ),
    Migration(
        3,
        "the scorecard index with running totals, rebuilt (its rows are derived, never lost)",
        """
        -- Version 2's index tables go: everything in them is derived from the runs, and the
        -- next scorecard (or supportdrill reindex) scores the finished runs again.
        DROP TABLE run_metrics;
        DROP TABLE run_scores;

        -- One row per finished run that has been scored; vendor, severity and start are
        -- copied from runs so the scorecard reads one table per question.
        CREATE TABLE run_scores (
            run_id         TEXT PRIMARY KEY REFERENCES runs (run_id),
            vendor         TEXT NOT NULL,
            severity       TEXT NOT NULL,
            started_at     TEXT NOT NULL,
            simulated      INTEGER NOT NULL,
            sla_met        INTEGER NOT NULL,
            scorer_version INTEGER NOT NULL,
            scored_at      TEXT NOT NULL
        );
        CREATE INDEX run_scores_newest
            ON run_scores (vendor, severity, started_at, run_id, simulated);

        -- One row per metric that started; name is pooled (next_reply_2 -> next_reply) and
        -- position keeps the scorecard's order. Clustered by figure (on SQLite), so counting
        -- per vendor, severity and figure reads the table in order; the value indexes let the
        -- scorecard step straight to the percentile ranks, with or without simulated runs.
        CREATE TABLE run_metrics (
            vendor     TEXT NOT NULL,
            severity   TEXT NOT NULL,
            name       TEXT NOT NULL,
            run_id     TEXT NOT NULL REFERENCES run_scores (run_id),
            position   INTEGER NOT NULL,
            simulated  INTEGER NOT NULL,
            ended      INTEGER NOT NULL,
            calendar_s DOUBLE PRECISION,
            business_s DOUBLE PRECISION,
            verdict    TEXT NOT NULL,
            PRIMARY KEY (vendor, severity, name, run_id, position)
        ) WITHOUT ROWID;
        CREATE INDEX run_metrics_by_run ON run_metrics (run_id);
        CREATE INDEX run_metrics_calendar_all
            ON run_metrics (vendor, severity, name, ended, calendar_s, simulated);
        CREATE INDEX run_metrics_calendar_real
            ON run_metrics (vendor, severity, name, ended, simulated, calendar_s);
        CREATE INDEX run_metrics_business_all
            ON run_metrics (vendor, severity, name, ended, business_s, simulated);
        CREATE INDEX run_metrics_business_real
            ON run_metrics (vendor, severity, name, ended, simulated, business_s);

        -- Running totals per vendor, severity, figure and simulated-or-not, kept in the same
        -- transaction as the rows they count: the scorecard's counts without a scan.
        CREATE TABLE score_totals (
            vendor    TEXT NOT NULL,
            severity  TEXT NOT NULL,
            simulated INTEGER NOT NULL,
            runs      INTEGER NOT NULL,
            sla_met   INTEGER NOT NULL,
            PRIMARY KEY (vendor, severity, simulated)
        );
        CREATE TABLE metric_totals (
            vendor     TEXT NOT NULL,
            severity   TEXT NOT NULL,
            name       TEXT NOT NULL,
            simulated  INTEGER NOT NULL,
            runs       INTEGER NOT NULL,
            ended      INTEGER NOT NULL,
            met        INTEGER NOT NULL,
            breached   INTEGER NOT NULL,
            pending    INTEGER NOT NULL,
            n_calendar INTEGER NOT NULL,
            n_business INTEGER NOT NULL,
            PRIMARY KEY (vendor, severity, name, simulated)
        );
        """,
    ),
    Migration(
        4,
        "the scorecard index answers 'is any finished run missing?' without a scan",
        """
        CREATE INDEX run_scores_by_version ON run_scores (scorer_version);
        """,
    ),
    Migration(
        5,
        "the vendor scorecard's index: each run's figures, rank buckets, totals per hour of week",
        """
        -- Version 3's tables fed a comparison no command shows any more: they go, and the
        -- next scorecard (or supportdrill reindex) indexes the finished runs again.
        DROP TABLE run_metrics;
        DROP TABLE metric_totals;
        DROP TABLE score_totals;
        DROP TABLE run_scores;

        -- One row per finished run that has been indexed (counted = 0: it had no events, so
        -- the scorecard has no row for it). The figures and flags are the scorer's, kept so a
        -- run can be taken out of the totals and buckets exactly as it was put in.
        CREATE TABLE run_figures (
            run_id            TEXT PRIMARY KEY REFERENCES runs (run_id),
            scorer_version    INTEGER NOT NULL,
            scored_at         TEXT NOT NULL,
            counted           INTEGER NOT NULL,
            vendor            TEXT NOT NULL,
            schedule          TEXT NOT NULL,
            severity          TEXT NOT NULL,
            simulated         INTEGER NOT NULL,
            filed_at          TEXT NOT NULL,
            time_window       TEXT NOT NULL,
            hour_of_week      INTEGER NOT NULL,
            verdict           TEXT NOT NULL,
            diagnosis         TEXT NOT NULL,
            met               INTEGER NOT NULL,
            judged            INTEGER NOT NULL,
            pending           INTEGER NOT NULL,
            diagnosable       INTEGER NOT NULL,
            correct           INTEGER NOT NULL,
            wrong_first       INTEGER NOT NULL,
            acknowledgement_s DOUBLE PRECISION,
            first_human_s     DOUBLE PRECISION,
            resolution_s      DOUBLE PRECISION,
            time_to_correct_s DOUBLE PRECISION,
            outage_s          DOUBLE PRECISION,
            outage_open       INTEGER NOT NULL
        );
        CREATE INDEX run_figures_by_version ON run_figures (scorer_version);

        -- One row per figure a run has (a figure that never came has none), ordered within
        -- its group by (bucket, value): an index walk reaches any rank after skipping the
        -- buckets below it (counted in figure_buckets), not every value below it.
        CREATE TABLE figure_values (
            figure       TEXT NOT NULL,
            vendor       TEXT NOT NULL,
            severity     TEXT NOT NULL,
            bucket       INTEGER NOT NULL,
            value        DOUBLE PRECISION NOT NULL,
            run_id       TEXT NOT NULL,
            time_window  TEXT NOT NULL,
            schedule     TEXT NOT NULL,
            simulated    INTEGER NOT NULL,
            hour_of_week INTEGER NOT NULL,
            PRIMARY KEY (figure, vendor, severity, bucket, value, run_id)
        ) WITHOUT ROWID;
        CREATE INDEX figure_values_by_run ON figure_values (run_id);
        CREATE INDEX figure_values_all
            ON figure_values (figure, vendor, severity, bucket, value, simulated, schedule);
        CREATE INDEX figure_values_window
            ON figure_values (figure, vendor, severity, time_window, bucket, value, simulated,
                              schedule);
        CREATE INDEX figure_values_hour
            ON figure_values (figure, vendor, hour_of_week, bucket, value, severity, simulated,
                              schedule);

        -- How many values each bucket holds, per group: kept in the same transaction as the
        -- values, so a rank is found by adding up a few hundred counts. Each value is counted
        -- four times: in its window and schedule (span 0), in every window of its schedule
        -- (span 1, time_window ''), in its window over every schedule (span 2, schedule ''),
        -- and over both (span 3): whichever group the scorecard asks for is one key range.
        CREATE TABLE figure_buckets (
            figure      TEXT NOT NULL,
            vendor      TEXT NOT NULL,
            severity    TEXT NOT NULL,
            span        INTEGER NOT NULL,
            time_window TEXT NOT NULL,
            schedule    TEXT NOT NULL,
            simulated   INTEGER NOT NULL,
            bucket      INTEGER NOT NULL,
            n           INTEGER NOT NULL,
            PRIMARY KEY (figure, vendor, severity, span, time_window, schedule, simulated, bucket)
        ) WITHOUT ROWID;

        -- Running totals per vendor, schedule, severity, window, hour of week and
        -- simulated-or-not: every count the scorecard shows, without a scan. outage_us is the
        -- outages' exact sum in microseconds.
        CREATE TABLE figure_totals (
            vendor            TEXT NOT NULL,
            schedule          TEXT NOT NULL,
            severity          TEXT NOT NULL,
            time_window       TEXT NOT NULL,
            hour_of_week      INTEGER NOT NULL,
            simulated         INTEGER NOT NULL,
            runs              INTEGER NOT NULL,
            met               INTEGER NOT NULL,
            judged            INTEGER NOT NULL,
            pending           INTEGER NOT NULL,
            diagnosable       INTEGER NOT NULL,
            correct           INTEGER NOT NULL,
            wrong_first       INTEGER NOT NULL,
            acknowledgement   INTEGER NOT NULL,
            first_human       INTEGER NOT NULL,
            resolution        INTEGER NOT NULL,
            time_to_correct   INTEGER NOT NULL,
            outage            INTEGER NOT NULL,
            outage_open       INTEGER NOT NULL,
            outage_us         BIGINT NOT NULL,
            PRIMARY KEY (vendor, schedule, severity, time_window, hour_of_week, simulated)
        ) WITHOUT ROWID;
        """,
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version


def current_version(tx: Tx) -> int:
    """The highest migration applied, 0 for an empty database."""
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    row = tx.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(row[0])


def migrate(backend: Backend) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION`; the version it is at afterwards."""
    try:
        # A store already up to date (nearly every open) is only read: no write lock taken, so
        # a reader needs no write permission and does not queue behind a writer.
        rows = backend.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        if int(rows[0][0]) == SCHEMA_VERSION:
            return SCHEMA_VERSION
    except StoreError:
        pass  # a new store (no such table yet), or one to refuse: decided under the lock
    # Two processes opening a new store at once must not both apply migration 1: SQLite's
    # BEGIN IMMEDIATE and PostgreSQL's advisory lock make the second wait, then find it done.
    with backend.transaction() as tx:
        backend.exclusive(tx, "migrations")
        version = current_version(tx)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{backend.where}: the store has schema version {version}, newer than this "
                f"supportdrill knows ({SCHEMA_VERSION}); upgrade supportdrill to read it"
            )
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            for statement in migration.statements(backend.dialect):
                tx.execute(statement)
            tx.execute(
                "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, datetime.now(UTC).isoformat()),
            )
            version = migration.version
    return version
