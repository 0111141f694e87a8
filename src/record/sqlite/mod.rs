//! Durable history in SQLite (`state/harness.db`): runs, scenario results
//! and alert state, so a restarted `serve` (or the next cron'd
//! `run --alert`) knows what it knew before.
//!
//! One file, WAL journal, schema versioned with `PRAGMA user_version` and
//! migrated forward on open. Every write that belongs together is one
//! transaction: a `kill -9` leaves either the whole run or none of it. A run
//! is recorded as `running` when it starts; one still `running` when the
//! store is opened again was interrupted and is marked `abandoned`.
//!
//! Nothing secret is stored: reports are already scrubbed by the run's
//! redactor, and run errors name variables, never their values.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reporters::{Claim, RunReport, Status};
use rusqlite::{Connection, OptionalExtension as _, params, params_from_iter};

use super::history::{
    AlertState, FeatureTiming, History, HistoryError, RunResult, RunRow, ScenarioId, ScenarioPoint,
    Silence, TransitionRow, Trigger, feature_timings_of, stored_report,
};
use super::uptime::{KEPT_DAYS, hour_counts};

mod rows;
mod views;

use rows::{count, parse_ts, scenario_id, small, ts};

/// The schema this build writes. Older files are migrated forward; a newer
/// file is refused (an older harness must not write into it).
pub const SCHEMA_VERSION: i64 = 5;

/// The history in one SQLite file.
#[derive(Debug)]
pub struct SqliteHistory {
    conn: Connection,
    path: PathBuf,
}

/// The migrations, in order: migration N brings a file to schema version N
/// (`sqlite_migrations/`: the same tables as Postgres's, SQLite's types).
const MIGRATIONS: [&str; 5] = [
    include_str!("../sqlite_migrations/1_history.sql"),
    include_str!("../sqlite_migrations/2_leases.sql"),
    include_str!("../sqlite_migrations/3_scenario_last.sql"),
    include_str!("../sqlite_migrations/4_operators_view.sql"),
    include_str!("../sqlite_migrations/5_uptime_hours.sql"),
];

impl SqliteHistory {
    /// Opens (creating it and its directory when missing) and migrates.
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| HistoryError::Open {
                path: path.to_owned(),
                message: format!("cannot create {}: {e}", dir.display()),
            })?;
        }
        let conn = Connection::open(path).map_err(|e| HistoryError::Open {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Self::init(conn, path)
    }

    /// A private in-memory store (tests, and `run --alert` dry runs).
    pub fn in_memory() -> Result<Self, HistoryError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| HistoryError::Open {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Self::init(conn, &path)
    }

    fn init(conn: Connection, path: &Path) -> Result<Self, HistoryError> {
        let mut store = Self {
            conn,
            path: path.to_owned(),
        };
        store
            .conn
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| store.sql(e))?;
        // WAL: readers never block the writer, and a killed writer leaves the
        // last committed transaction intact. NORMAL sync is durable against a
        // process crash (only a power loss may drop the last commit).
        store
            .conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| store.sql(e))?;
        store.migrate()?;
        Ok(store)
    }

    fn sql(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<(), HistoryError> {
        let found: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        if found > SCHEMA_VERSION {
            return Err(HistoryError::TooNew {
                path: self.path.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|source| HistoryError::Sql {
                path: path.clone(),
                source,
            })?;
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let version = i64::try_from(i + 1).unwrap_or(i64::MAX);
            if version > found {
                tx.execute_batch(sql)
                    .and_then(|()| tx.pragma_update(None, "user_version", version))
                    .map_err(|source| HistoryError::Sql {
                        path: path.clone(),
                        source,
                    })?;
            }
        }
        tx.commit()
            .map_err(|source| HistoryError::Sql { path, source })
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, HistoryError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sql(e))
    }

    /// `PRAGMA integrity_check`: `"ok"` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| self.sql(e))?;
        Ok(rows.join("\n"))
    }
}

impl History for SqliteHistory {
    fn location(&self) -> &Path {
        &self.path
    }

    /// Marks runs left `running` by a process that stopped as `abandoned`;
    /// returns how many. Call once, before any run starts.
    fn recover_interrupted(&self, now: DateTime<Utc>) -> Result<usize, HistoryError> {
        self.conn
            .execute(
                "UPDATE runs SET result = 'abandoned', finished_at = ?1,
                 error = 'the harness stopped during this run (killed or crashed); it was not finished'
                 WHERE result = 'running'",
                params![ts(now)],
            )
            .map_err(|e| self.sql(e))
    }

    /// Records that a run started; returns its id.
    fn begin_run(
        &self,
        environment: &str,
        trigger: Trigger,
        started_at: DateTime<Utc>,
    ) -> Result<i64, HistoryError> {
        self.conn
            .execute(
                "INSERT INTO runs (environment, trigger, result, started_at) VALUES (?1, ?2, 'running', ?3)",
                params![environment, trigger.as_str(), ts(started_at)],
            )
            .map_err(|e| self.sql(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records a finished run and its scenario results, in one transaction.
    fn finish_run(&mut self, id: i64, report: &RunReport) -> Result<(), HistoryError> {
        let json = serde_json::to_string(report).map_err(|e| HistoryError::Corrupt {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let path = self.path.clone();
        let sql = |source| HistoryError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        // Counted into the hourly uptime once: not again when written again.
        let first: bool = tx
            .query_row(
                "SELECT result = 'running' FROM runs WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?
            .unwrap_or(false);
        let s = &report.summary;
        tx.execute(
            "UPDATE runs SET result = ?2, run_id = ?3, started_at = ?4, finished_at = ?5, duration_ms = ?6,
             passed = ?7, failed = ?8, flaky = ?9, skipped = ?10, known_gaps = ?11, claim_outdated = ?12,
             claim_violations = ?13, drifted = ?14, report = ?15, error = NULL, degraded = ?16,
             maintenance = ?17 WHERE id = ?1",
            params![
                id,
                RunResult::of(report).as_str(),
                report.run_id,
                ts(report.started_at),
                ts(report.finished_at),
                report.duration_ms,
                count(s.passed),
                count(s.failed),
                count(s.flaky),
                count(s.skipped),
                count(s.known_gaps),
                count(s.claim_outdated),
                count(s.claim_violations),
                count(s.drifted),
                json,
                count(s.degraded),
                report.maintenance,
            ],
        )
        .map_err(sql)?;
        // Written again (a retry after a failure half-way): the same results, once.
        tx.execute("DELETE FROM scenario_results WHERE run = ?1", params![id])
            .map_err(sql)?;
        tx.execute("DELETE FROM feature_timings WHERE run = ?1", params![id])
            .map_err(sql)?;
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO feature_timings (run, environment, feature, requests, p50_ms, p95_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql)?;
            for (feature, n, p50, p95) in feature_timings_of(report) {
                ins.execute(params![id, report.series(), feature, n, p50, p95])
                    .map_err(sql)?;
            }
        }
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO scenario_results (run, environment, area, feature, scenario, status, claim,
                     error_kind, error_message, duration_ms, attempts, finished_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(sql)?;
            let finished = ts(report.finished_at);
            let mut last = tx
                .prepare(
                    "INSERT INTO scenario_last (environment, feature, scenario, status, finished_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (environment, feature, scenario, status) DO UPDATE SET
                     finished_at = max(finished_at, excluded.finished_at)",
                )
                .map_err(sql)?;
            for sc in &report.scenarios {
                last.execute(params![
                    report.series(),
                    sc.feature,
                    sc.scenario,
                    sc.status.as_str(),
                    finished,
                ])
                .map_err(sql)?;
                ins.execute(params![
                    id,
                    report.series(),
                    sc.area(),
                    sc.feature,
                    sc.scenario,
                    sc.status.as_str(),
                    sc.claim.map(Claim::as_str),
                    sc.error.as_ref().map(|e| e.kind.as_str()),
                    sc.error.as_ref().map(|e| e.message.as_str()),
                    sc.duration_ms,
                    sc.attempts,
                    finished,
                ])
                .map_err(sql)?;
            }
        }
        if first && let Some(c) = hour_counts(report) {
            views::add_hours(&tx, &report.series(), &c).map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    /// Records that a run could not run (`error`) or was stopped (`abandoned`).
    fn end_run(
        &self,
        id: i64,
        result: RunResult,
        finished_at: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "UPDATE runs SET result = ?2, finished_at = ?3, error = ?4 WHERE id = ?1",
                params![id, result.as_str(), ts(finished_at), reason],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// The report of the last finished run of `environment`.
    fn latest_report(&self, environment: &str) -> Result<Option<RunReport>, HistoryError> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT report FROM runs WHERE environment = ?1 AND report IS NOT NULL ORDER BY id DESC LIMIT 1",
                params![environment],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        stored_report(&self.path, json.as_deref())
    }

    fn run_report(&self, id: i64) -> Result<Option<RunReport>, HistoryError> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT report FROM runs WHERE id = ?1 AND report IS NOT NULL",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        stored_report(&self.path, json.as_deref())
    }

    fn uptime(&self, environment: &str, since: DateTime<Utc>) -> Result<(u64, u64), HistoryError> {
        views::uptime(&self.conn, environment, since).map_err(|e| self.sql(e))
    }

    /// The most recent runs of `environment`, newest first.
    fn history(&self, environment: &str, limit: usize) -> Result<Vec<RunRow>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, environment, trigger, result, run_id, started_at, finished_at, duration_ms,
                 passed, failed, flaky, skipped, known_gaps, claim_outdated, claim_violations, drifted, error,
                 degraded, maintenance
                 FROM runs WHERE environment = ?1 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![environment, count(limit)], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    environment: r.get(1)?,
                    trigger: Trigger::parse(&r.get::<_, String>(2)?),
                    result: RunResult::parse(&r.get::<_, String>(3)?),
                    run_id: r.get(4)?,
                    started_at: parse_ts(&r.get::<_, String>(5)?).unwrap_or_default(),
                    finished_at: r.get::<_, Option<String>>(6)?.as_deref().and_then(parse_ts),
                    duration_ms: r.get(7)?,
                    passed: small(r.get(8)?),
                    failed: small(r.get(9)?),
                    flaky: small(r.get(10)?),
                    skipped: small(r.get(11)?),
                    known_gaps: small(r.get(12)?),
                    claim_outdated: small(r.get(13)?),
                    claim_violations: small(r.get(14)?),
                    drifted: small(r.get(15)?),
                    error: r.get(16)?,
                    degraded: small(r.get(17)?),
                    maintenance: r.get(18)?,
                })
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| self.sql(e))?;
        Ok(rows)
    }

    fn scenario_uptime(
        &self,
        environment: &str,
        ids: &[ScenarioId],
        since: &[DateTime<Utc>],
    ) -> Result<HashMap<ScenarioId, Vec<(u64, u64)>>, HistoryError> {
        views::scenario_uptime(&self.conn, environment, ids, since).map_err(|e| self.sql(e))
    }

    fn scenario_points(
        &self,
        environment: &str,
        ids: &[ScenarioId],
        limit: usize,
    ) -> Result<HashMap<ScenarioId, Vec<ScenarioPoint>>, HistoryError> {
        views::scenario_points(&self.conn, environment, ids, limit).map_err(|e| self.sql(e))
    }

    fn feature_timings(
        &self,
        environment: &str,
        runs: usize,
    ) -> Result<Vec<FeatureTiming>, HistoryError> {
        views::feature_timings(&self.conn, environment, runs).map_err(|e| self.sql(e))
    }

    fn add_silence(&self, s: &Silence) -> Result<i64, HistoryError> {
        views::add_silence(&self.conn, s).map_err(|e| self.sql(e))
    }

    fn silences(
        &self,
        environment: Option<&str>,
        now: DateTime<Utc>,
        include_past: bool,
    ) -> Result<Vec<Silence>, HistoryError> {
        views::silences(&self.conn, environment, now, include_past).map_err(|e| self.sql(e))
    }

    fn end_silence(&self, id: i64, at: DateTime<Utc>) -> Result<Option<Silence>, HistoryError> {
        views::end_silence(&self.conn, id, at).map_err(|e| self.sql(e))
    }

    /// The environments with at least one recorded run.
    fn environments(&self) -> Result<Vec<String>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT environment FROM runs ORDER BY environment")
            .map_err(|e| self.sql(e))?;
        stmt.query_map([], |r| r.get(0))
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| self.sql(e))
    }

    fn last_seen(
        &self,
        environment: &str,
        statuses: &[Status],
    ) -> Result<HashMap<ScenarioId, DateTime<Utc>>, HistoryError> {
        let placeholders: Vec<String> =
            (0..statuses.len()).map(|i| format!("?{}", i + 2)).collect();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT feature, scenario, MAX(finished_at) FROM scenario_last
                 WHERE environment = ?1 AND status IN ({})
                 GROUP BY feature, scenario",
                placeholders.join(", ")
            ))
            .map_err(|e| self.sql(e))?;
        let values = std::iter::once(environment).chain(statuses.iter().map(|s| s.as_str()));
        let rows = stmt
            .query_map(params_from_iter(values), |r| {
                Ok((scenario_id(r)?, r.get::<_, String>(2)?))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| self.sql(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, t)| parse_ts(&t).map(|t| (id, t)))
            .collect())
    }

    /// The alert state of every scenario of `environment` seen so far.
    fn alert_states(
        &self,
        environment: &str,
    ) -> Result<HashMap<ScenarioId, AlertState>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT feature, scenario, consecutive_failures, alerting, since FROM alert_state
                 WHERE environment = ?1",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![environment], |r| {
                Ok((
                    scenario_id(r)?,
                    AlertState {
                        consecutive_failures: small(r.get(2)?),
                        alerting: r.get::<_, i64>(3)? != 0,
                        since: r.get::<_, Option<String>>(4)?.as_deref().and_then(parse_ts),
                    },
                ))
            })
            .and_then(Iterator::collect::<Result<HashMap<_, _>, _>>)
            .map_err(|e| self.sql(e))?;
        Ok(rows)
    }

    /// Saves the new alert states of a run and its transitions, together.
    fn save_alerts(
        &mut self,
        environment: &str,
        run: Option<i64>,
        states: &HashMap<ScenarioId, AlertState>,
        transitions: &[TransitionRow],
    ) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let sql = |source| HistoryError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        {
            let mut up = tx
                .prepare(
                    "INSERT INTO alert_state (environment, feature, scenario, consecutive_failures, alerting, since)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (environment, feature, scenario) DO UPDATE SET
                     consecutive_failures = excluded.consecutive_failures, alerting = excluded.alerting,
                     since = excluded.since",
                )
                .map_err(sql)?;
            for (id, st) in states {
                up.execute(params![
                    environment,
                    id.feature,
                    id.scenario,
                    st.consecutive_failures,
                    i64::from(st.alerting),
                    st.since.map(ts),
                ])
                .map_err(sql)?;
            }
            let mut ins = tx
                .prepare(
                    "INSERT INTO alert_transitions (environment, feature, scenario, kind, at, run, consecutive_failures, event_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sql)?;
            for t in transitions {
                ins.execute(params![
                    t.environment,
                    t.feature,
                    t.scenario,
                    t.kind,
                    ts(t.at),
                    run,
                    t.consecutive_failures,
                    t.event_id,
                ])
                .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Alert transitions of `environment`, oldest first.
    fn transitions(&self, environment: &str) -> Result<Vec<TransitionRow>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT environment, feature, scenario, kind, at, consecutive_failures, event_id
                 FROM alert_transitions WHERE environment = ?1 ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        stmt.query_map(params![environment], |r| {
            Ok(TransitionRow {
                environment: r.get(0)?,
                feature: r.get(1)?,
                scenario: r.get(2)?,
                kind: r.get(3)?,
                at: parse_ts(&r.get::<_, String>(4)?).unwrap_or_default(),
                consecutive_failures: small(r.get(5)?),
                event_id: r.get(6)?,
            })
        })
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| self.sql(e))
    }

    /// Keeps the newest `keep` runs of `environment` (with their scenario
    /// results) and its hourly and daily uptime of the last [`KEPT_DAYS`] days;
    /// returns how many runs were deleted. Alert state is never pruned.
    fn prune(&self, environment: &str, keep: usize) -> Result<usize, HistoryError> {
        let before = Utc::now() - chrono::Duration::days(KEPT_DAYS);
        self.conn
            .execute(
                "DELETE FROM uptime_hours WHERE environment = ?1 AND hour < ?2",
                params![environment, ts(before)],
            )
            .map_err(|e| self.sql(e))?;
        self.conn
            .execute(
                "DELETE FROM uptime_days WHERE environment = ?1 AND day < ?2",
                params![environment, ts(before)],
            )
            .map_err(|e| self.sql(e))?;
        self.conn
            .execute(
                "DELETE FROM runs WHERE environment = ?1 AND result != 'running' AND id NOT IN
                 (SELECT id FROM runs WHERE environment = ?1 ORDER BY id DESC LIMIT ?2)",
                params![environment, count(keep)],
            )
            .map_err(|e| self.sql(e))
    }

    /// The clock is this machine's: the processes sharing a file share it.
    fn lease(
        &self,
        schedule: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<i64>, HistoryError> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
        self.conn
            .query_row(
                "INSERT INTO leases (schedule, holder, generation, expires_at) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (schedule) DO UPDATE SET holder = excluded.holder,
                 generation = CASE WHEN leases.holder = excluded.holder THEN leases.generation ELSE leases.generation + 1 END,
                 expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at < ?4
                 RETURNING generation",
                params![schedule, holder, ts(until), ts(now)],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    fn release(&self, schedule: &str, holder: &str) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "DELETE FROM leases WHERE schedule = ?1 AND holder = ?2",
                params![schedule, holder],
            )
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    fn abandon_running(
        &self,
        environment: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, HistoryError> {
        self.conn
            .execute(
                "UPDATE runs SET result = 'abandoned', finished_at = ?2,
                 error = 'the replica that ran it lost its lease (killed, or cut off from the state database) before it finished'
                 WHERE environment = ?1 AND result = 'running'",
                params![environment, ts(now)],
            )
            .map_err(|e| self.sql(e))
    }

    /// Moves the WAL into the main file (on shutdown: one file to copy).
    fn flush(&self) -> Result<(), HistoryError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    //! What only the SQLite file has; the behaviour both backends share is
    //! `record/suite.rs`.
    use super::*;

    #[test]
    fn the_file_is_at_its_schema_version_and_sound_after_an_interrupted_run() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("nested/harness.db");
        {
            let s = SqliteHistory::open(&path).expect("open");
            assert_eq!(s.schema_version().expect("v"), SCHEMA_VERSION);
            s.begin_run("local", Trigger::Schedule, Utc::now())
                .expect("begin");
        }
        let s = SqliteHistory::open(&path).expect("reopen");
        assert_eq!(s.recover_interrupted(Utc::now()).expect("recover"), 1);
        assert_eq!(s.integrity_check().expect("check"), "ok");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("h.db");
        {
            let c = Connection::open(&path).expect("open");
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .expect("bump");
        }
        let e = SqliteHistory::open(&path).expect_err("refused");
        assert!(e.to_string().contains("newer than this harness"), "{e}");
    }
}
