//! The history in PostgreSQL (`--state postgres://…`, or
//! `LUCIA_HARNESS_STATE_URL`): the same runs, scenario results, alert state
//! and transitions as [`super::sqlite`], in a database that outlives the
//! machine (Render replaces a service's disk on every deploy; Supabase is
//! PostgreSQL) and that several `serve` replicas share.
//!
//! - **Schema**: versioned SQL migrations (`migrations/V*.sql`), embedded at
//!   build time and applied by refinery, which records them in its own
//!   `refinery_schema_history` table. refinery drives the same rust-postgres
//!   client as everything else here (sqlx would bring a second driver), and
//!   refuses a database holding a migration this build does not know
//!   (`abort_missing`): a newer schema is [`HistoryError::TooNew`], exit 2.
//!   Two replicas starting together migrate one after the other, under an
//!   advisory lock.
//! - **Connection, TLS, messages**: [`super::pg_link`] (the client on a
//!   thread of its own, verified TLS, the URL shown without its password).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::Client;
use reporters::{Claim, RunReport, Status};

use super::history::{
    AlertState, FeatureTiming, History, HistoryError, RunResult, RunRow, ScenarioId, ScenarioPoint,
    Silence, TransitionRow, Trigger, feature_timings_of, stored_report,
};
use super::pg_link::{Link, pg};
use super::uptime::{KEPT_DAYS, hour_counts};

mod views;

use views::{count, small};

mod embedded {
    refinery::embed_migrations!("src/record/migrations");
}

/// The advisory lock two replicas take to migrate one at a time.
const MIGRATION_LOCK: i64 = 0x6c75_6369_615f_6d69; // "lucia_mi"

/// The newest migration this build carries.
pub fn schema_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

/// The history in one PostgreSQL database.
#[derive(Debug)]
pub struct PostgresHistory {
    link: Link,
}

impl PostgresHistory {
    /// Connects, migrates the schema forward (refusing a newer one).
    pub fn open(url: &str) -> Result<Self, HistoryError> {
        let store = Self {
            link: Link::open(url)?,
        };
        store.call(migrate)?;
        Ok(store)
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client, &Path) -> Result<T, HistoryError> + Send + 'static,
    ) -> Result<T, HistoryError> {
        self.link.call(f)
    }

    /// Whether the connection is encrypted (TLS), as the server sees it.
    pub fn encrypted(&self) -> Result<bool, HistoryError> {
        self.call(|c, path| {
            c.query_one(
                "SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
                &[],
            )
            .map(|r| r.get(0))
            .map_err(|e| pg(path, &e))
        })
    }

    /// The version of the newest migration applied to the database.
    pub fn applied_version(&self) -> Result<i64, HistoryError> {
        self.call(|c, path| {
            c.query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM refinery_schema_history",
                &[],
            )
            .map(|r| r.get(0))
            .map_err(|e| pg(path, &e))
        })
    }
}

/// Applies what migrations are missing, one replica at a time.
fn migrate(c: &mut Client, path: &Path) -> Result<(), HistoryError> {
    c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|e| pg(path, &e))?;
    let ran = embedded::migrations::runner()
        .set_abort_missing(true)
        .set_abort_divergent(true)
        .set_grouped(true)
        .run(c);
    let _ = c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    match ran {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.kind() {
            refinery::error::Kind::MissingVersion(m) => HistoryError::TooNew {
                path: path.to_owned(),
                found: i64::from(m.version()),
                known: schema_version(),
            },
            _ => HistoryError::Database {
                path: path.to_owned(),
                message: format!("migrating the schema: {e}"),
            },
        }),
    }
}

fn run_row(r: &postgres::Row) -> RunRow {
    RunRow {
        id: r.get(0),
        environment: r.get(1),
        trigger: Trigger::parse(r.get(2)),
        result: RunResult::parse(r.get(3)),
        run_id: r.get(4),
        started_at: r.get(5),
        finished_at: r.get(6),
        duration_ms: r.get(7),
        passed: small(r.get(8)),
        failed: small(r.get(9)),
        flaky: small(r.get(10)),
        skipped: small(r.get(11)),
        known_gaps: small(r.get(12)),
        claim_outdated: small(r.get(13)),
        claim_violations: small(r.get(14)),
        drifted: small(r.get(15)),
        error: r.get(16),
        degraded: small(r.get(17)),
        maintenance: r.get(18),
    }
}

impl History for PostgresHistory {
    fn location(&self) -> &Path {
        self.link.location()
    }

    fn recover_interrupted(&self, now: DateTime<Utc>) -> Result<usize, HistoryError> {
        self.call(move |c, path| {
            c.execute(
                "UPDATE runs SET result = 'abandoned', finished_at = $1,
                 error = 'the harness stopped during this run (killed or crashed); it was not finished'
                 WHERE result = 'running'",
                &[&now],
            )
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            .map_err(|e| pg(path, &e))
        })
    }

    fn begin_run(
        &self,
        environment: &str,
        trigger: Trigger,
        started_at: DateTime<Utc>,
    ) -> Result<i64, HistoryError> {
        let environment = environment.to_owned();
        self.call(move |c, path| {
            c.query_one(
                "INSERT INTO runs (environment, trigger, result, started_at) VALUES ($1, $2, 'running', $3) RETURNING id",
                &[&environment, &trigger.as_str(), &started_at],
            )
            .map(|r| r.get(0))
            .map_err(|e| pg(path, &e))
        })
    }

    fn finish_run(&mut self, id: i64, report: &RunReport) -> Result<(), HistoryError> {
        let json = serde_json::to_string(report).map_err(|e| HistoryError::Corrupt {
            path: self.link.location().to_owned(),
            message: e.to_string(),
        })?;
        let report = report.clone();
        self.call(move |c, path| {
            let err = |e: postgres::Error| pg(path, &e);
            let mut tx = c.transaction().map_err(err)?;
            // Counted into the hourly uptime once: not again when written again.
            let first = tx
                .query_opt("SELECT result = 'running' FROM runs WHERE id = $1", &[&id])
                .map_err(err)?
                .is_some_and(|r| r.get::<_, bool>(0));
            let s = &report.summary;
            tx.execute(
                "UPDATE runs SET result = $2, run_id = $3, started_at = $4, finished_at = $5, duration_ms = $6,
                 passed = $7, failed = $8, flaky = $9, skipped = $10, known_gaps = $11, claim_outdated = $12,
                 claim_violations = $13, drifted = $14, report = $15, error = NULL, degraded = $16,
                 maintenance = $17 WHERE id = $1",
                &[
                    &id,
                    &RunResult::of(&report).as_str(),
                    &report.run_id,
                    &report.started_at,
                    &report.finished_at,
                    &report.duration_ms,
                    &count(s.passed),
                    &count(s.failed),
                    &count(s.flaky),
                    &count(s.skipped),
                    &count(s.known_gaps),
                    &count(s.claim_outdated),
                    &count(s.claim_violations),
                    &count(s.drifted),
                    &json,
                    &count(s.degraded),
                    &report.maintenance,
                ],
            )
            .map_err(err)?;
            // Written again (a retry after a failure half-way): the same results, once.
            tx.execute("DELETE FROM scenario_results WHERE run = $1", &[&id])
                .map_err(err)?;
            tx.execute("DELETE FROM feature_timings WHERE run = $1", &[&id])
                .map_err(err)?;
            let timings = feature_timings_of(&report);
            let t_features: Vec<&str> = timings.iter().map(|t| t.0.as_str()).collect();
            let t_requests: Vec<i64> = timings.iter().map(|t| i64::from(t.1)).collect();
            let t_p50: Vec<f64> = timings.iter().map(|t| t.2).collect();
            let t_p95: Vec<f64> = timings.iter().map(|t| t.3).collect();
            tx.execute(
                "INSERT INTO feature_timings (run, environment, feature, requests, p50_ms, p95_ms)
                 SELECT $1, $2, f, n, a, b
                 FROM UNNEST($3::TEXT[], $4::BIGINT[], $5::DOUBLE PRECISION[], $6::DOUBLE PRECISION[]) AS u(f, n, a, b)",
                &[&id, &report.series(), &t_features, &t_requests, &t_p50, &t_p95],
            )
            .map_err(err)?;
            // Every scenario in two statements (arrays unnested), not two
            // round trips each.
            let scs = &report.scenarios;
            let features: Vec<&str> = scs.iter().map(|s| s.feature.as_str()).collect();
            let names: Vec<&str> = scs.iter().map(|s| s.scenario.as_str()).collect();
            let statuses: Vec<&str> = scs.iter().map(|s| s.status.as_str()).collect();
            let areas: Vec<&str> = scs.iter().map(|s| s.area()).collect();
            let claims: Vec<Option<&str>> = scs.iter().map(|s| s.claim.map(Claim::as_str)).collect();
            let kinds: Vec<Option<&str>> = scs
                .iter()
                .map(|s| s.error.as_ref().map(|e| e.kind.as_str()))
                .collect();
            let messages: Vec<Option<&str>> = scs
                .iter()
                .map(|s| s.error.as_ref().map(|e| e.message.as_str()))
                .collect();
            let durations: Vec<f64> = scs.iter().map(|s| s.duration_ms).collect();
            let attempts: Vec<i64> = scs.iter().map(|s| i64::from(s.attempts)).collect();
            let series = report.series();
            tx.execute(
                "INSERT INTO scenario_results (run, environment, area, feature, scenario, status, claim,
                 error_kind, error_message, duration_ms, attempts, finished_at)
                 SELECT $1, $2, a, f, sc, st, cl, k, m, d, n, $3
                 FROM UNNEST($4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[],
                             $10::TEXT[], $11::DOUBLE PRECISION[], $12::BIGINT[])
                      AS u(a, f, sc, st, cl, k, m, d, n)",
                &[
                    &id,
                    &series,
                    &report.finished_at,
                    &areas,
                    &features,
                    &names,
                    &statuses,
                    &claims,
                    &kinds,
                    &messages,
                    &durations,
                    &attempts,
                ],
            )
            .map_err(err)?;
            tx.execute(
                "INSERT INTO scenario_last (environment, feature, scenario, status, finished_at)
                 SELECT DISTINCT $1, f, sc, st, $2::TIMESTAMPTZ
                 FROM UNNEST($3::TEXT[], $4::TEXT[], $5::TEXT[]) AS u(f, sc, st)
                 ON CONFLICT (environment, feature, scenario, status) DO UPDATE SET
                 finished_at = GREATEST(scenario_last.finished_at, excluded.finished_at)",
                &[&series, &report.finished_at, &features, &names, &statuses],
            )
            .map_err(err)?;
            if first && let Some(h) = hour_counts(&report) {
                views::add_hours(&mut tx, &series, &h).map_err(err)?;
            }
            tx.commit().map_err(err)
        })
    }

    fn end_run(
        &self,
        id: i64,
        result: RunResult,
        finished_at: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), HistoryError> {
        let reason = reason.to_owned();
        self.call(move |c, path| {
            c.execute(
                "UPDATE runs SET result = $2, finished_at = $3, error = $4 WHERE id = $1",
                &[&id, &result.as_str(), &finished_at, &reason],
            )
            .map(|_| ())
            .map_err(|e| pg(path, &e))
        })
    }

    fn latest_report(&self, environment: &str) -> Result<Option<RunReport>, HistoryError> {
        let environment = environment.to_owned();
        self.call(move |c, path| {
            let row = c
                .query_opt(
                    "SELECT report FROM runs WHERE environment = $1 AND report IS NOT NULL ORDER BY id DESC LIMIT 1",
                    &[&environment],
                )
                .map_err(|e| pg(path, &e))?;
            stored_report(path, row.as_ref().map(|r| r.get::<_, &str>(0)))
        })
    }

    fn run_report(&self, id: i64) -> Result<Option<RunReport>, HistoryError> {
        self.call(move |c, path| {
            let row = c
                .query_opt(
                    "SELECT report FROM runs WHERE id = $1 AND report IS NOT NULL",
                    &[&id],
                )
                .map_err(|e| pg(path, &e))?;
            stored_report(path, row.as_ref().map(|r| r.get::<_, &str>(0)))
        })
    }

    fn uptime(&self, environment: &str, since: DateTime<Utc>) -> Result<(u64, u64), HistoryError> {
        let environment = environment.to_owned();
        self.call(move |c, path| views::uptime(c, &environment, since).map_err(|e| pg(path, &e)))
    }

    fn history(&self, environment: &str, limit: usize) -> Result<Vec<RunRow>, HistoryError> {
        let environment = environment.to_owned();
        self.call(move |c, path| {
            c.query(
                "SELECT id, environment, trigger, result, run_id, started_at, finished_at, duration_ms,
                 passed, failed, flaky, skipped, known_gaps, claim_outdated, claim_violations, drifted, error,
                 degraded, maintenance
                 FROM runs WHERE environment = $1 ORDER BY id DESC LIMIT $2",
                &[&environment, &count(limit)],
            )
            .map(|rows| rows.iter().map(run_row).collect())
            .map_err(|e| pg(path, &e))
        })
    }

    fn scenario_uptime(
        &self,
        environment: &str,
        ids: &[ScenarioId],
        since: &[DateTime<Utc>],
    ) -> Result<HashMap<ScenarioId, Vec<(u64, u64)>>, HistoryError> {
        let (environment, ids, since) = (environment.to_owned(), ids.to_vec(), since.to_vec());
        self.call(move |c, path| {
            views::scenario_uptime(c, &environment, &ids, &since).map_err(|e| pg(path, &e))
        })
    }

    fn scenario_points(
        &self,
        environment: &str,
        ids: &[ScenarioId],
        limit: usize,
    ) -> Result<HashMap<ScenarioId, Vec<ScenarioPoint>>, HistoryError> {
        let (environment, ids) = (environment.to_owned(), ids.to_vec());
        self.call(move |c, path| {
            views::scenario_points(c, &environment, &ids, limit).map_err(|e| pg(path, &e))
        })
    }

    fn feature_timings(
        &self,
        environment: &str,
        runs: usize,
    ) -> Result<Vec<FeatureTiming>, HistoryError> {
        let environment = environment.to_owned();
        self.call(move |c, path| {
            views::feature_timings(c, &environment, runs).map_err(|e| pg(path, &e))
        })
    }

    fn add_silence(&self, s: &Silence) -> Result<i64, HistoryError> {
        let s = s.clone();
        self.call(move |c, path| views::add_silence(c, &s).map_err(|e| pg(path, &e)))
    }

    fn silences(
        &self,
        environment: Option<&str>,
        now: DateTime<Utc>,
        include_past: bool,
    ) -> Result<Vec<Silence>, HistoryError> {
        let environment = environment.map(str::to_owned);
        self.call(move |c, path| {
            views::silences(c, environment.as_deref(), now, include_past).map_err(|e| pg(path, &e))
        })
    }

    fn end_silence(&self, id: i64, at: DateTime<Utc>) -> Result<Option<Silence>, HistoryError> {
        self.call(move |c, path| views::end_silence(c, id, at).map_err(|e| pg(path, &e)))
    }

    fn environments(&self) -> Result<Vec<String>, HistoryError> {
        self.call(|c, path| {
            c.query(
                "SELECT DISTINCT environment FROM runs ORDER BY environment",
                &[],
            )
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
            .map_err(|e| pg(path, &e))
        })
    }

    fn last_seen(
        &self,
        environment: &str,
        statuses: &[Status],
    ) -> Result<HashMap<ScenarioId, DateTime<Utc>>, HistoryError> {
        let environment = environment.to_owned();
        let statuses: Vec<String> = statuses.iter().map(|s| s.as_str().to_owned()).collect();
        self.call(move |c, path| {
            c.query(
                "SELECT feature, scenario, MAX(finished_at) FROM scenario_last
                 WHERE environment = $1 AND status = ANY($2)
                 GROUP BY feature, scenario",
                &[&environment, &statuses],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        (
                            ScenarioId {
                                feature: r.get(0),
                                scenario: r.get(1),
                            },
                            r.get(2),
                        )
                    })
                    .collect()
            })
            .map_err(|e| pg(path, &e))
        })
    }

    fn alert_states(
        &self,
        environment: &str,
    ) -> Result<HashMap<ScenarioId, AlertState>, HistoryError> {
        let environment = environment.to_owned();
        self.call(move |c, path| {
            c.query(
                "SELECT feature, scenario, consecutive_failures, alerting, since FROM alert_state
                 WHERE environment = $1",
                &[&environment],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        (
                            ScenarioId {
                                feature: r.get(0),
                                scenario: r.get(1),
                            },
                            AlertState {
                                consecutive_failures: small(r.get(2)),
                                alerting: r.get(3),
                                since: r.get(4),
                            },
                        )
                    })
                    .collect()
            })
            .map_err(|e| pg(path, &e))
        })
    }

    fn save_alerts(
        &mut self,
        environment: &str,
        run: Option<i64>,
        states: &HashMap<ScenarioId, AlertState>,
        transitions: &[TransitionRow],
    ) -> Result<(), HistoryError> {
        let environment = environment.to_owned();
        let states = states.clone();
        let transitions = transitions.to_vec();
        self.call(move |c, path| {
            let err = |e: postgres::Error| pg(path, &e);
            let mut tx = c.transaction().map_err(err)?;
            let up = tx
                .prepare(
                    "INSERT INTO alert_state (environment, feature, scenario, consecutive_failures, alerting, since)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (environment, feature, scenario) DO UPDATE SET
                     consecutive_failures = excluded.consecutive_failures, alerting = excluded.alerting,
                     since = excluded.since",
                )
                .map_err(err)?;
            for (id, st) in &states {
                tx.execute(
                    &up,
                    &[
                        &environment,
                        &id.feature,
                        &id.scenario,
                        &i64::from(st.consecutive_failures),
                        &st.alerting,
                        &st.since,
                    ],
                )
                .map_err(err)?;
            }
            let ins = tx
                .prepare(
                    "INSERT INTO alert_transitions (environment, feature, scenario, kind, at, run, consecutive_failures, event_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .map_err(err)?;
            for t in &transitions {
                tx.execute(
                    &ins,
                    &[
                        &t.environment,
                        &t.feature,
                        &t.scenario,
                        &t.kind,
                        &t.at,
                        &run,
                        &i64::from(t.consecutive_failures),
                        &t.event_id,
                    ],
                )
                .map_err(err)?;
            }
            tx.commit().map_err(err)
        })
    }

    fn transitions(&self, environment: &str) -> Result<Vec<TransitionRow>, HistoryError> {
        let environment = environment.to_owned();
        self.call(move |c, path| {
            c.query(
                "SELECT environment, feature, scenario, kind, at, consecutive_failures, event_id
                 FROM alert_transitions WHERE environment = $1 ORDER BY id",
                &[&environment],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| TransitionRow {
                        environment: r.get(0),
                        feature: r.get(1),
                        scenario: r.get(2),
                        kind: r.get(3),
                        at: r.get(4),
                        consecutive_failures: small(r.get(5)),
                        event_id: r.get(6),
                    })
                    .collect()
            })
            .map_err(|e| pg(path, &e))
        })
    }

    fn prune(&self, environment: &str, keep: usize) -> Result<usize, HistoryError> {
        let environment = environment.to_owned();
        let before = Utc::now() - chrono::Duration::days(KEPT_DAYS);
        self.call(move |c, path| {
            c.execute(
                "DELETE FROM uptime_hours WHERE environment = $1 AND hour < $2",
                &[&environment, &before],
            )
            .map_err(|e| pg(path, &e))?;
            c.execute(
                "DELETE FROM uptime_days WHERE environment = $1 AND day < $2",
                &[&environment, &before],
            )
            .map_err(|e| pg(path, &e))?;
            c.execute(
                "DELETE FROM runs WHERE environment = $1 AND result <> 'running' AND id NOT IN
                 (SELECT id FROM runs WHERE environment = $1 ORDER BY id DESC LIMIT $2)",
                &[&environment, &count(keep)],
            )
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            .map_err(|e| pg(path, &e))
        })
    }

    /// Every commit is already durable on the server: nothing to move.
    fn flush(&self) -> Result<(), HistoryError> {
        Ok(())
    }

    fn shared(&self) -> bool {
        true
    }

    /// The clock is the database's (`now()`): replicas on machines whose
    /// clocks disagree still agree on when a lease expired.
    fn lease(
        &self,
        schedule: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<i64>, HistoryError> {
        let (schedule, holder) = (schedule.to_owned(), holder.to_owned());
        let ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        self.call(move |c, path| {
            c.query_opt(
                "INSERT INTO leases (schedule, holder, generation, expires_at)
                 VALUES ($1, $2, 1, now() + $3::BIGINT * interval '1 millisecond')
                 ON CONFLICT (schedule) DO UPDATE SET holder = excluded.holder,
                 generation = CASE WHEN leases.holder = excluded.holder THEN leases.generation ELSE leases.generation + 1 END,
                 expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at < now()
                 RETURNING generation",
                &[&schedule, &holder, &ms],
            )
            .map(|r| r.map(|r| r.get(0)))
            .map_err(|e| pg(path, &e))
        })
    }

    fn release(&self, schedule: &str, holder: &str) -> Result<(), HistoryError> {
        let (schedule, holder) = (schedule.to_owned(), holder.to_owned());
        self.call(move |c, path| {
            c.execute(
                "DELETE FROM leases WHERE schedule = $1 AND holder = $2",
                &[&schedule, &holder],
            )
            .map(|_| ())
            .map_err(|e| pg(path, &e))
        })
    }

    fn abandon_running(
        &self,
        environment: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, HistoryError> {
        let environment = environment.to_owned();
        self.call(move |c, path| {
            c.execute(
                "UPDATE runs SET result = 'abandoned', finished_at = $2,
                 error = 'the replica that ran it lost its lease (killed, or cut off from the state database) before it finished'
                 WHERE environment = $1 AND result = 'running'",
                &[&environment, &now],
            )
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            .map_err(|e| pg(path, &e))
        })
    }
}

#[cfg(test)]
mod tests {
    //! What only the Postgres store has; the behaviour both backends share
    //! is `record/suite.rs`.
    use super::*;
    use crate::record::suite::FreshDatabase;

    #[test]
    fn the_schema_is_migrated_by_refinery_and_a_newer_one_is_refused() {
        let db = FreshDatabase::new();
        let s = PostgresHistory::open(&db.url).expect("open");
        assert_eq!(s.applied_version().expect("v"), schema_version());
        assert!(schema_version() >= 1);
        drop(s);
        // Opening again applies nothing and keeps the data's schema.
        let s = PostgresHistory::open(&db.url).expect("reopen");
        assert_eq!(s.applied_version().expect("v"), schema_version());
        drop(s);
        // A migration this build does not carry: a newer harness wrote here.
        let newer = schema_version() + 1;
        db.client()
            .execute(
                "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES ($1, 'from_the_future', '2026-12-02T00:00:00Z', '0')",
                &[&i32::try_from(newer).expect("small")],
            )
            .expect("plant a newer migration");
        let e = PostgresHistory::open(&db.url).expect_err("refused");
        assert!(
            matches!(e, HistoryError::TooNew { found, known, .. } if found == newer && known == schema_version()),
            "{e}"
        );
        assert!(e.to_string().contains("newer than this harness"), "{e}");
    }

    /// refinery panics on a schema history it cannot parse: the store says
    /// so, the process goes on.
    #[test]
    fn a_malformed_schema_history_is_an_error_not_a_panic() {
        let db = FreshDatabase::new();
        drop(PostgresHistory::open(&db.url).expect("open"));
        db.client()
            .execute(
                "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (99, 'x', 'yesterday', '0')",
                &[],
            )
            .expect("plant");
        let e = PostgresHistory::open(&db.url).expect_err("refused");
        assert!(e.to_string().contains("cannot read"), "{e}");
    }

    #[test]
    fn two_replicas_opening_together_migrate_once() {
        let db = FreshDatabase::new();
        let url = db.url.clone();
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || PostgresHistory::open(&url).map(|_| ()))
            })
            .collect();
        for o in opens {
            o.join().expect("thread").expect("open");
        }
        let n: i64 = db
            .client()
            .query_one("SELECT COUNT(*) FROM refinery_schema_history", &[])
            .expect("count")
            .get(0);
        assert_eq!(n, schema_version());
    }

    #[test]
    fn what_cannot_be_opened_is_said_without_the_password() {
        let canary = "pw-canary-9f2c";
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        for (url, says) in [
            (
                format!("postgres://lucia:{canary}@127.0.0.1:{port}/h"),
                "refused",
            ),
            (
                format!("postgres://no_such_role_x:{canary}@127.0.0.1:5432/postgres"),
                "no_such_role_x",
            ),
            (
                format!("postgres://postgres:{canary}@127.0.0.1:5432/no_such_database_x"),
                "no_such_database_x",
            ),
            (
                format!("postgres://lucia:{canary}@127.0.0.1:notaport/h"),
                "not a Postgres URL",
            ),
        ] {
            let e = PostgresHistory::open(&url).expect_err("cannot open");
            let text = e.to_string();
            assert!(text.contains(says), "{url}: {text}");
            assert!(!text.contains(canary), "the password leaked: {text}");
            assert!(text.contains("127.0.0.1"), "names where: {text}");
        }
    }

    /// PostgreSQL on 127.0.0.1 serves TLS with a certificate from the
    /// sandbox's CA (`scripts/test` sets it up): `verify-full` with that CA
    /// as `sslrootcert` connects encrypted; `require` without it is refused,
    /// because the certificate is verified against the public roots.
    #[test]
    fn tls_is_verified_against_the_roots_and_sslrootcert() {
        let db = FreshDatabase::new();
        let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/sandbox/certs/sandbox-ca.pem");
        let url = format!("{}?sslmode=verify-full&sslrootcert={ca}", db.url);
        let s = PostgresHistory::open(&url).unwrap_or_else(|e| {
            panic!("{e} (scripts/test gives PostgreSQL a certificate for 127.0.0.1)")
        });
        assert!(s.encrypted().expect("ssl"), "the session is encrypted");
        s.begin_run("local", Trigger::Cli, Utc::now())
            .expect("write");
        let plain = PostgresHistory::open(&db.url).expect("plain");
        assert!(!plain.encrypted().expect("ssl"));
        let e = PostgresHistory::open(&format!("{}?sslmode=require", db.url))
            .expect_err("an unknown issuer is refused");
        assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
        let e = PostgresHistory::open(&format!("{}?sslmode=require&sslrootcert=/nope.pem", db.url))
            .expect_err("a missing CA file");
        assert!(e.to_string().contains("sslrootcert /nope.pem"), "{e}");
    }
}
