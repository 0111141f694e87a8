//! The history of runs: what `serve`, `run --state` and `history` keep and
//! read. [`History`] is the one interface to it; [`super::sqlite`] is the
//! embedded implementation (a file, the default), [`super::postgres`] the
//! shared one (a database several replicas use); [`super::state::open`]
//! picks by what `--state` names. Nothing outside `record/` runs SQL against the state
//! database.
//!
//! Storage knows no policy: it stores runs, scenario results, alert states
//! and transitions as it is given them. What counts as a pass, when to
//! alert and what a claim's last pass was are decided in
//! [`super::alert`] and [`super::recording`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use reporters::{RunReport, ScenarioReport};
use serde::Serialize;

/// Where `serve` and `run --alert` keep state unless told otherwise.
pub const DEFAULT_PATH: &str = "state/harness.db";

/// Why the history could not be read or written. Exit 2 at start-up.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("state database {}: {message}", path.display())]
    Open { path: PathBuf, message: String },
    #[error(
        "state database {} has schema version {found}, newer than this harness understands ({known}): use a newer lucia-harness or another --state file",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("state database {}: {source}", path.display())]
    Sql {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("state database {}: a stored report cannot be read: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    /// A database server's refusal (Postgres), in words.
    #[error("state database {}: {message}", path.display())]
    Database { path: PathBuf, message: String },
}

/// A stored `report.json` read back (`None` when the run stored none); a
/// report that does not parse is [`HistoryError::Corrupt`].
pub(super) fn stored_report(
    path: &Path,
    json: Option<&str>,
) -> Result<Option<RunReport>, HistoryError> {
    json.map(|j| {
        serde_json::from_str(j).map_err(|e| HistoryError::Corrupt {
            path: path.to_owned(),
            message: e.to_string(),
        })
    })
    .transpose()
}

/// A scenario's identity across runs: its feature's and its own name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ScenarioId {
    pub feature: String,
    pub scenario: String,
}

impl ScenarioId {
    pub fn of(s: &ScenarioReport) -> Self {
        Self {
            feature: s.feature.clone(),
            scenario: s.scenario.clone(),
        }
    }
}

/// Why a run was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// By `serve`'s scheduler.
    Schedule,
    /// By `POST /runs`.
    Manual,
    /// By a one-shot `run --state`/`run --alert`.
    Cli,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Manual => "manual",
            Self::Cli => "cli",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "schedule" => Self::Schedule,
            "manual" => Self::Manual,
            _ => Self::Cli,
        }
    }
}

/// How a run ended. Bounded: these are the `result` label values of
/// `lucia_runs_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    /// Still running (or interrupted before the store was reopened).
    Running,
    Passed,
    Failed,
    /// Nothing failed, but some scenario was over its `@slow` budget.
    Degraded,
    /// Ran during a maintenance window or a silence: recorded, never
    /// alerted on, left out of uptime.
    Maintenance,
    /// The run could not start or finish (bad config, missing secret).
    Error,
    /// Interrupted: the process stopped (or was killed) during the run.
    Abandoned,
}

impl RunResult {
    pub const ALL_FINISHED: [Self; 6] = [
        Self::Passed,
        Self::Failed,
        Self::Degraded,
        Self::Maintenance,
        Self::Error,
        Self::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Degraded => "degraded",
            Self::Maintenance => "maintenance",
            Self::Error => "error",
            Self::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "passed" => Self::Passed,
            "failed" => Self::Failed,
            "degraded" => Self::Degraded,
            "maintenance" => Self::Maintenance,
            "error" => Self::Error,
            "abandoned" => Self::Abandoned,
            _ => Self::Running,
        }
    }

    pub fn of(report: &RunReport) -> Self {
        if report.maintenance.is_some() {
            Self::Maintenance
        } else if !report.passed() {
            Self::Failed
        } else if report.summary.degraded > 0 {
            Self::Degraded
        } else {
            Self::Passed
        }
    }
}

/// One row of `history`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunRow {
    /// The store's id of the run.
    pub id: i64,
    pub environment: String,
    pub trigger: Trigger,
    pub result: RunResult,
    /// The report's run id (absent until the run finished).
    pub run_id: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<f64>,
    pub passed: u32,
    pub failed: u32,
    pub flaky: u32,
    pub skipped: u32,
    pub known_gaps: u32,
    pub claim_outdated: u32,
    pub claim_violations: u32,
    pub drifted: u32,
    pub degraded: u32,
    /// Why the run could not finish (`error`, `abandoned`).
    pub error: Option<String>,
    /// The window or silence it ran in (result `maintenance`).
    pub maintenance: Option<String>,
}

/// One result of one scenario, for its strip.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioPoint {
    /// The run it was part of (`/runs/{id}`).
    pub run: i64,
    pub status: reporters::Status,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: f64,
    /// Whether that run was in maintenance.
    pub maintenance: bool,
}

/// The time of one feature's requests in one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeatureTiming {
    pub run: i64,
    pub feature: String,
    pub requests: u32,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// A silence: no alert for `environment` from `starts_at` to `ends_at`
/// (or until it is ended). Its runs are recorded as `maintenance`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Silence {
    pub id: i64,
    pub environment: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    /// Who asked: `cli` (with the user, when known) or `http`.
    pub created_by: String,
    /// When it was ended early, if it was.
    pub ended_at: Option<DateTime<Utc>>,
}

impl Silence {
    /// Whether it silences `at`.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at && self.ended_at.is_none_or(|e| at < e)
    }

    /// When it stops silencing.
    pub fn until(&self) -> DateTime<Utc> {
        self.ended_at.map_or(self.ends_at, |e| e.min(self.ends_at))
    }
}

/// What the alerting remembers about one scenario in one environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AlertState {
    /// Failed runs in a row (reset by a pass).
    pub consecutive_failures: u32,
    /// An error event was sent and no recovery since.
    pub alerting: bool,
    /// When the current streak (failing or passing) began.
    pub since: Option<DateTime<Utc>>,
}

/// A change of alert state, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransitionRow {
    pub environment: String,
    pub feature: String,
    pub scenario: String,
    /// `failing` or `recovered`.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub consecutive_failures: u32,
    /// The Sentry event id, when one was sent.
    pub event_id: Option<String>,
}

/// Each feature's request times in `report`: `(feature, requests, p50,
/// p95)` in milliseconds, by nearest rank, for the features that made a
/// request in a scenario that ran. What both stores keep per run.
pub fn feature_timings_of(report: &RunReport) -> Vec<(String, u32, f64, f64)> {
    let mut by_feature: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for sc in report
        .scenarios
        .iter()
        .filter(|s| s.status != reporters::Status::Skipped)
    {
        let times = by_feature.entry(sc.feature.as_str()).or_default();
        times.extend(
            sc.http
                .iter()
                .map(|x| x.timings.map_or(x.duration_ms, |t| t.total_ms)),
        );
    }
    by_feature
        .into_iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|(f, mut t)| {
            t.sort_by(f64::total_cmp);
            let n = u32::try_from(t.len()).unwrap_or(u32::MAX);
            (
                f.to_owned(),
                n,
                nearest_rank(&t, 0.50),
                nearest_rank(&t, 0.95),
            )
        })
        .collect()
}

/// The `q` quantile of sorted `values` by nearest rank (`values` not empty).
pub fn nearest_rank(values: &[f64], q: f64) -> f64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )] // a rank within a vector's length
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// The history of runs, whatever keeps it. Every write that belongs
/// together is one transaction: a `kill -9` leaves either the whole run or
/// none of it. A run is recorded as `running` when it starts; one still
/// `running` when the history is opened again was interrupted.
pub trait History: Send + std::fmt::Debug {
    /// Where it is, for messages (a file path, or a URL without its password).
    fn location(&self) -> &Path;

    /// Marks runs left `running` by a process that stopped as `abandoned`;
    /// returns how many. Call once, before any run starts.
    fn recover_interrupted(&self, now: DateTime<Utc>) -> Result<usize, HistoryError>;

    /// Records that a run started; returns its id.
    fn begin_run(
        &self,
        environment: &str,
        trigger: Trigger,
        started_at: DateTime<Utc>,
    ) -> Result<i64, HistoryError>;

    /// Records a finished run, its report and its scenario results, together.
    fn finish_run(&mut self, id: i64, report: &RunReport) -> Result<(), HistoryError>;

    /// Records that a run could not run (`error`) or was stopped (`abandoned`).
    fn end_run(
        &self,
        id: i64,
        result: RunResult,
        finished_at: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), HistoryError>;

    /// The report of the last finished run of `environment`.
    fn latest_report(&self, environment: &str) -> Result<Option<RunReport>, HistoryError>;

    /// The report of run `id`, if it finished and is still kept.
    fn run_report(&self, id: i64) -> Result<Option<RunReport>, HistoryError>;

    /// Of the runs of `environment` started since `since`: how many were up
    /// (passed or degraded), and how many were up or failed. Runs in
    /// maintenance, runs in which every scenario was skipped, runs that
    /// could not run, were abandoned or are running count neither way.
    fn uptime(&self, environment: &str, since: DateTime<Utc>) -> Result<(u64, u64), HistoryError>;

    /// The same for each scenario of `ids`, for each of `since`: up
    /// (passed, flaky or degraded) and up or failed, maintenance left out.
    fn scenario_uptime(
        &self,
        environment: &str,
        ids: &[ScenarioId],
        since: &[DateTime<Utc>],
    ) -> Result<HashMap<ScenarioId, Vec<(u64, u64)>>, HistoryError>;

    /// The newest `limit` results of each scenario of `ids`, newest first.
    fn scenario_points(
        &self,
        environment: &str,
        ids: &[ScenarioId],
        limit: usize,
    ) -> Result<HashMap<ScenarioId, Vec<ScenarioPoint>>, HistoryError>;

    /// Every feature's request times in the newest `runs` runs kept,
    /// oldest run first.
    fn feature_timings(
        &self,
        environment: &str,
        runs: usize,
    ) -> Result<Vec<FeatureTiming>, HistoryError>;

    /// Records a silence; returns its id.
    fn add_silence(&self, silence: &Silence) -> Result<i64, HistoryError>;

    /// The silences of `environment` (of every environment with `None`)
    /// that have not ended by `now`, soonest to end first; with
    /// `include_past`, the ended ones too (newest first after the rest).
    fn silences(
        &self,
        environment: Option<&str>,
        now: DateTime<Utc>,
        include_past: bool,
    ) -> Result<Vec<Silence>, HistoryError>;

    /// Ends silence `id` at `at`; the silence, or `None` when there is none
    /// by that id.
    fn end_silence(&self, id: i64, at: DateTime<Utc>) -> Result<Option<Silence>, HistoryError>;

    /// The newest `limit` runs of `environment`, newest first.
    fn history(&self, environment: &str, limit: usize) -> Result<Vec<RunRow>, HistoryError>;

    /// The environments with at least one recorded run.
    fn environments(&self) -> Result<Vec<String>, HistoryError>;

    /// When each scenario of `environment` last had one of `statuses`, from
    /// every run kept.
    fn last_seen(
        &self,
        environment: &str,
        statuses: &[reporters::Status],
    ) -> Result<HashMap<ScenarioId, DateTime<Utc>>, HistoryError>;

    /// The alert state of every scenario of `environment` seen so far.
    fn alert_states(
        &self,
        environment: &str,
    ) -> Result<HashMap<ScenarioId, AlertState>, HistoryError>;

    /// Saves the new alert states of a run and its transitions, together.
    fn save_alerts(
        &mut self,
        environment: &str,
        run: Option<i64>,
        states: &HashMap<ScenarioId, AlertState>,
        transitions: &[TransitionRow],
    ) -> Result<(), HistoryError>;

    /// Alert transitions of `environment`, oldest first.
    fn transitions(&self, environment: &str) -> Result<Vec<TransitionRow>, HistoryError>;

    /// Keeps the newest `keep` runs of `environment` (with their scenario
    /// results); returns how many were deleted. Alert state is never pruned.
    fn prune(&self, environment: &str, keep: usize) -> Result<usize, HistoryError>;

    /// Makes what was written durable in one place (on shutdown).
    fn flush(&self) -> Result<(), HistoryError>;

    /// Whether several processes may share this history (then a run left
    /// `running` may be another replica's, alive: it is abandoned only when
    /// its schedule's lease is taken over, never when a process starts).
    fn shared(&self) -> bool {
        false
    }

    /// Takes or renews the lease on `schedule` for `holder`, for `ttl` from
    /// now by the store's clock. `Some(generation)` while `holder` holds it
    /// (the generation grows with each change of holder), `None` while
    /// another holder's lease has not expired. One statement: two replicas
    /// asking at once cannot both get it.
    fn lease(
        &self,
        schedule: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<i64>, HistoryError>;

    /// Gives the lease up (a clean shutdown), so another replica need not
    /// wait for it to expire.
    fn release(&self, schedule: &str, holder: &str) -> Result<(), HistoryError>;

    /// Marks the runs of `environment` still `running` as `abandoned`: on
    /// taking over a schedule, they belong to the leader that lost it.
    fn abandon_running(&self, environment: &str, now: DateTime<Utc>)
    -> Result<usize, HistoryError>;
}

/// Reports for unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::Utc;
    use reporters::{ErrorReport, HttpExchangeReport, RunReport, ScenarioReport, Status, Summary};

    /// A scenario of features/engine/health.feature with an `@implemented` claim.
    pub(crate) fn scenario(
        feature: &str,
        name: &str,
        status: Status,
        error: Option<ErrorReport>,
    ) -> ScenarioReport {
        ScenarioReport {
            feature: feature.into(),
            feature_file: "features/engine/health.feature".into(),
            line: 3,
            scenario: name.into(),
            tags: vec!["implemented".into()],
            status,
            duration_ms: 12.0,
            attempts: 1,
            claim: Some(reporters::Claim::Implemented),
            error,
            skip_reason: None,
            steps: vec![],
            http: vec![],
            budget_ms: None,
            trace_id: None,
        }
    }

    /// A finished run of `env` with these scenarios.
    pub(crate) fn report_of(env: &str, scenarios: Vec<ScenarioReport>) -> RunReport {
        let now = Utc::now();
        RunReport {
            harness_version: "0".into(),
            run_id: "r".into(),
            environment: env.into(),
            environment_status: "sandbox".into(),
            started_at: now,
            finished_at: now,
            duration_ms: 1.0,
            summary: Summary::of(&scenarios),
            scenarios,
            claims: vec![],
            location: None,
            shard: None,
            maintenance: None,
            harness: None,
        }
    }

    /// A run of `local` where Engine's health check had `status` (a failure
    /// answered 500, with its HTTP evidence).
    pub(crate) fn health_run(status: Status) -> RunReport {
        let error = (status == Status::Failed).then(|| ErrorReport {
            kind: probes::ErrorKind::Http,
            message: "GET /health answered 500".into(),
            step: Some("Then the status is 200".into()),
            line: Some(6),
        });
        let mut sc = scenario("Engine health", "Engine reports healthy", status, error);
        sc.http = vec![HttpExchangeReport {
            service: "engine".into(),
            method: "GET".into(),
            url: "https://127.0.0.1/engine/health".into(),
            status: Some(500),
            duration_ms: 3.0,
            error: None,
            timings: None,
            span_id: None,
            evidence: None,
        }];
        report_of("local", vec![sc])
    }
}
