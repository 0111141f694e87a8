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
//! - **Connection**: the synchronous `postgres` client on a thread of its
//!   own. The [`History`] trait is synchronous (SQLite is called in place),
//!   and that client drives its own small runtime, which cannot run inside
//!   the tokio runtime that calls the trait; one thread that owns the
//!   connection serialises the calls as the SQLite store's mutex does. A
//!   connection that broke is dropped and made again on the next call.
//! - **TLS**: `sslmode=require` (as Supabase needs), `verify-ca` or
//!   `verify-full` connects over rustls with the probes' root store (webpki
//!   roots) plus `sslrootcert=FILE` when given (Supabase's own CA, say).
//!   The certificate is always verified, also under `require`, where libpq
//!   would not: a harness that reports the truth must not write it to an
//!   impostor. `disable` and the default `prefer` connect in plain.
//! - **Messages** name the URL without its password, never the password.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::Client;
use reporters::{Claim, RunReport, Status};

use super::history::{
    AlertState, History, HistoryError, RunResult, RunRow, ScenarioId, TransitionRow, Trigger,
};

mod embedded {
    refinery::embed_migrations!("src/record/migrations");
}

/// The advisory lock two replicas take to migrate one at a time.
const MIGRATION_LOCK: i64 = 0x6c75_6369_615f_6d69; // "lucia_mi"

/// How long a connection may take, and a statement may run.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const STATEMENT_TIMEOUT: &str = "30s";

/// The newest migration this build carries.
pub fn schema_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

/// Whether `spec` names a Postgres database rather than a file.
pub fn is_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// `url` with its password (and any `password=` parameter) removed: what
/// messages and `/healthz` show.
pub fn redacted(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        // Not a URL the parser takes: keep the scheme and what follows the
        // user information (`user:password@`), drop the rest of the query.
        let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
        let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
        return format!("{scheme}://{rest}");
    };
    if u.password().is_some() {
        let _ = u.set_password(None);
    }
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != "password")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    u.to_string()
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The history in one PostgreSQL database.
#[derive(Debug)]
pub struct PostgresHistory {
    location: PathBuf,
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// How to reach the server: in plain, or over TLS verified against the
/// probes' roots and these extra CA certificates (`sslrootcert`).
#[derive(Clone, Debug)]
enum Transport {
    Plain,
    Tls { extra_ca_pem: Option<String> },
}

/// The libpq options rust-postgres does not read, taken out of `url`:
/// `sslrootcert=FILE` (read now) and the `sslmode`s `verify-ca` and
/// `verify-full` (TLS, verified, as `require` is here).
fn transport(url: &str) -> Result<(String, Transport), String> {
    let Ok(mut u) = url::Url::parse(url) else {
        return Ok((url.to_owned(), Transport::Plain));
    };
    let mut tls = false;
    let mut root_file = None;
    let mut kept = Vec::new();
    for (k, v) in u.query_pairs() {
        match (k.as_ref(), v.as_ref()) {
            ("sslmode", "require" | "verify-ca" | "verify-full") => {
                tls = true;
                kept.push(("sslmode".to_owned(), "require".to_owned()));
            }
            ("sslrootcert", file) => root_file = Some(file.to_owned()),
            _ => kept.push((k.into_owned(), v.into_owned())),
        }
    }
    let extra_ca_pem = match root_file {
        None => None,
        Some(f) => Some(
            std::fs::read_to_string(&f)
                .map_err(|e| format!("sslrootcert {f}: cannot read it: {e}"))?,
        ),
    };
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    let transport = if tls {
        Transport::Tls { extra_ca_pem }
    } else {
        Transport::Plain
    };
    Ok((u.to_string(), transport))
}

/// What the worker thread owns: the connection (made again when it broke).
struct Connection {
    config: postgres::Config,
    transport: Transport,
    location: PathBuf,
    client: Option<Client>,
}

impl Connection {
    fn connect(&self) -> Result<Client, HistoryError> {
        let open = |message: String| HistoryError::Open {
            path: self.location.clone(),
            message,
        };
        let mut client = if let Transport::Tls { extra_ca_pem } = &self.transport {
            let config = probes::probe::tls::client_config(extra_ca_pem.as_deref())
                .map_err(|e| open(format!("TLS: {}", e.message)))?;
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
            self.config.connect(tls)
        } else {
            self.config.connect(postgres::NoTls)
        }
        .map_err(|e| open(describe(&e)))?;
        client
            .batch_execute(&format!(
                "SET statement_timeout = '{STATEMENT_TIMEOUT}'; SET lock_timeout = '10s'"
            ))
            .map_err(|e| open(describe(&e)))?;
        Ok(client)
    }

    /// Runs `f` on the connection, connecting first when there is none; a
    /// connection that closed under `f` is dropped, to be made again.
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Client, &Path) -> Result<T, HistoryError>,
    ) -> Result<T, HistoryError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = Some(self.connect()?);
        }
        let Some(client) = self.client.as_mut() else {
            return Err(HistoryError::Open {
                path: self.location.clone(),
                message: "no connection".into(),
            });
        };
        let r = f(client, &self.location);
        if client.is_closed() {
            self.client = None;
        }
        r
    }
}

/// A Postgres error in words: the server's message, detail and hint for a
/// database error, the cause for a connection error. Never the password:
/// rust-postgres does not print its configuration.
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} ({})", db.message(), db.code().code());
        if let Some(d) = db.detail() {
            s.push_str(&format!("; {d}"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!("; hint: {h}"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(&format!(": {c}"));
        }
        source = cause.source();
    }
    s
}

fn pg(path: &Path, e: &postgres::Error) -> HistoryError {
    HistoryError::Database {
        path: path.to_owned(),
        message: describe(e),
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn small(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

impl PostgresHistory {
    /// Connects, migrates the schema forward (refusing a newer one) and
    /// starts the thread that owns the connection.
    pub fn open(url: &str) -> Result<Self, HistoryError> {
        let location = PathBuf::from(redacted(url));
        let open = |message: String| HistoryError::Open {
            path: location.clone(),
            message,
        };
        let (url, transport) = transport(url).map_err(open)?;
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e: postgres::Error| open(format!("not a Postgres URL: {}", describe(&e))))?;
        if config.get_hosts().is_empty() {
            return Err(open("the URL names no host".into()));
        }
        config.connect_timeout(CONNECT_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.application_name("lucia-harness");
        let mut conn = Connection {
            config,
            transport,
            location: location.clone(),
            client: None,
        };
        // Everything, connecting first, happens on the worker: the caller
        // may be a tokio runtime's thread, where the client cannot block.
        let (jobs, queue) = mpsc::channel::<Job>();
        let worker = std::thread::Builder::new()
            .name("history-postgres".into())
            .spawn(move || {
                for job in queue {
                    job(&mut conn);
                }
            })
            .map_err(|e| open(format!("cannot start its thread: {e}")))?;
        let store = Self {
            location,
            jobs: Some(jobs),
            worker: Some(worker),
        };
        store.call(migrate)?;
        Ok(store)
    }

    /// Runs `f` on the worker's connection and waits for its answer.
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client, &Path) -> Result<T, HistoryError> + Send + 'static,
    ) -> Result<T, HistoryError> {
        let stopped = || HistoryError::Open {
            path: self.location.clone(),
            message: "the connection's thread stopped".into(),
        };
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn| {
            let _ = tx.send(conn.with(f));
        });
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
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

impl Drop for PostgresHistory {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
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
    }
}

impl History for PostgresHistory {
    fn location(&self) -> &Path {
        &self.location
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
            path: self.location.clone(),
            message: e.to_string(),
        })?;
        let report = report.clone();
        self.call(move |c, path| {
            let err = |e: postgres::Error| pg(path, &e);
            let mut tx = c.transaction().map_err(err)?;
            let s = &report.summary;
            tx.execute(
                "UPDATE runs SET result = $2, run_id = $3, started_at = $4, finished_at = $5, duration_ms = $6,
                 passed = $7, failed = $8, flaky = $9, skipped = $10, known_gaps = $11, claim_outdated = $12,
                 claim_violations = $13, drifted = $14, report = $15, error = NULL WHERE id = $1",
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
                ],
            )
            .map_err(err)?;
            // Written again (a retry after a failure half-way): the same results, once.
            tx.execute("DELETE FROM scenario_results WHERE run = $1", &[&id])
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
            row.map(|r| {
                serde_json::from_str(r.get::<_, &str>(0)).map_err(|e| HistoryError::Corrupt {
                    path: path.to_owned(),
                    message: e.to_string(),
                })
            })
            .transpose()
        })
    }

    fn history(&self, environment: &str, limit: usize) -> Result<Vec<RunRow>, HistoryError> {
        let environment = environment.to_owned();
        self.call(move |c, path| {
            c.query(
                "SELECT id, environment, trigger, result, run_id, started_at, finished_at, duration_ms,
                 passed, failed, flaky, skipped, known_gaps, claim_outdated, claim_violations, drifted, error
                 FROM runs WHERE environment = $1 ORDER BY id DESC LIMIT $2",
                &[&environment, &count(limit)],
            )
            .map(|rows| rows.iter().map(run_row).collect())
            .map_err(|e| pg(path, &e))
        })
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
        self.call(move |c, path| {
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
    use crate::record::suite::{FreshDatabase, report};

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
    fn pruned_runs_take_their_scenario_results() {
        let db = FreshDatabase::new();
        let mut s = PostgresHistory::open(&db.url).expect("open");
        for _ in 0..5 {
            let r = report("local", &[("a", Status::Passed)]);
            let id = s
                .begin_run("local", Trigger::Schedule, r.started_at)
                .expect("b");
            s.finish_run(id, &r).expect("f");
        }
        assert_eq!(s.prune("local", 2).expect("prune"), 3);
        let orphans: i64 = db
            .client()
            .query_one(
                "SELECT COUNT(*) FROM scenario_results WHERE run NOT IN (SELECT id FROM runs)",
                &[],
            )
            .expect("count")
            .get(0);
        assert_eq!(orphans, 0, "scenario results go with their run");
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

    #[test]
    fn a_url_is_shown_without_its_password() {
        assert_eq!(
            redacted("postgres://lucia:s3cret@db.example:6543/h?sslmode=require&password=x"),
            "postgres://lucia@db.example:6543/h?sslmode=require"
        );
        assert_eq!(
            redacted("postgres://lucia:s3cret@db.example:port/h?password=x"),
            "postgres://db.example:port/h"
        );
        assert!(is_url("postgresql://h/db") && is_url("postgres://h/db"));
        assert!(!is_url("state/harness.db"));
    }
}
