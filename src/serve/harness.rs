//! The state `serve` shares between its scheduler and its HTTP handlers:
//! the settings, the history, the metrics, and what is known of each
//! environment now.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reporters::RunReport;
use reporters::model::readiness::Readiness;
use tokio::sync::{Notify, watch};

use super::evidence::{self, BaselineView, Promotion};
use super::metrics::Metrics;
use crate::input::config::Config;
use crate::input::features::Suite;
use crate::record::history::{History, HistoryError, RunResult, Trigger};
use crate::record::recording::{Alerting, Recording, Sent};
use crate::record::sentry::Sentry;

/// Where `serve` listens unless told otherwise (Prometheus's exporter range).
pub const DEFAULT_ADDR: &str = "127.0.0.1:9464";
/// Runs of each environment, unless told otherwise.
pub const DEFAULT_SCHEDULE: Duration = Duration::from_secs(5 * 60);
/// The variable holding the bearer token `POST /runs` requires.
pub const TOKEN_VAR: &str = "LUCIA_HARNESS_TOKEN";
/// The variable holding the token that reads the dashboard, `/readiness`,
/// `/runs` and `/metrics` (a bearer token or a basic-auth password).
pub const READ_TOKEN_VAR: &str = "LUCIA_HARNESS_READ_TOKEN";

/// Reads secrets (and `SENTRY_DSN`) by variable name.
pub type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// One environment and how often it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub environment: String,
    pub interval: Duration,
}

/// Everything `serve` is told.
#[derive(Clone)]
pub struct Settings {
    pub config: Arc<Config>,
    pub suite: Arc<Suite>,
    pub schedules: Vec<Schedule>,
    /// Moves every surface of every environment (a sandbox in tests).
    pub origin: Option<String>,
    pub tags: Option<String>,
    pub concurrency: Option<usize>,
    pub request_timeout: Option<Duration>,
    pub scenario_timeout: Option<Duration>,
    /// `POST /runs` is disabled without one.
    pub token: Option<String>,
    /// Reading anything but `/healthz` needs it, when set.
    pub read_token: Option<String>,
    /// Failed runs in a row before a scenario alerts.
    pub alert_threshold: u32,
    pub sentry: Option<Sentry>,
    pub snapshots: PathBuf,
    pub promotion: Option<Promotion>,
    /// The version whose baseline the dashboard shows.
    pub version: String,
    /// The dashboard's meta refresh.
    pub refresh: Duration,
    /// Runs kept per environment.
    pub retain: usize,
    /// How long a shutdown waits for runs in progress before abandoning them.
    pub grace: Duration,
    /// Delay before an environment's first run when its history has none due
    /// sooner (jitter is added).
    pub first_run: Duration,
    pub secrets: Lookup,
    /// This process among the replicas sharing the history (`--replica`).
    pub replica: String,
    /// How long a schedule's lease lasts unrenewed (`--lease`); it is
    /// renewed every third of that.
    pub lease: Duration,
    /// Where this process probes from (`--location`): its runs, alert
    /// streaks and schedules are that location's series (`dev@frankfurt`).
    pub location: Option<String>,
    /// Locations that must see a scenario failing before it pages.
    pub alert_min_locations: u32,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("schedules", &self.schedules)
            .field("origin", &self.origin)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("read_token", &self.read_token.as_ref().map(|_| "<set>"))
            .field("alert_threshold", &self.alert_threshold)
            .field("sentry", &self.sentry.is_some())
            .field("promotion", &self.promotion)
            .finish_non_exhaustive()
    }
}

/// What the scheduler of one environment is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopState {
    NotStarted,
    /// Another replica holds the schedule's lease: this one shows what it
    /// records and waits to take over.
    Following,
    Waiting,
    Running,
    Stopped,
}

/// A run in progress.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InProgress {
    pub id: Option<i64>,
    pub trigger: Trigger,
    pub started_at: DateTime<Utc>,
}

/// What `serve` knows about one environment now.
#[derive(Clone, Debug)]
pub struct EnvState {
    pub interval: Duration,
    pub latest: Option<Arc<RunReport>>,
    pub last_result: Option<RunResult>,
    pub last_finished: Option<DateTime<Utc>>,
    pub last_started: Option<DateTime<Utc>>,
    /// Why the last run could not run or finish.
    pub last_error: Option<String>,
    pub running: Option<InProgress>,
    /// `POST /runs` asked for a run that has not started yet.
    pub requested: bool,
    pub next_due: Option<DateTime<Utc>>,
    pub loop_state: LoopState,
    /// Runs finished by this process.
    pub runs: u64,
    /// This replica holds the schedule's lease (it runs the schedule).
    pub leading: bool,
}

pub(super) struct Slot {
    pub(super) state: Mutex<EnvState>,
    pub(super) wake: Notify,
}

/// Where shutdown is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Running,
    /// No new runs; runs in progress may finish.
    Draining,
    /// Runs in progress are dropped.
    Abandon,
}

pub(super) struct Inner {
    pub(super) settings: Settings,
    store: Mutex<Box<dyn History>>,
    pub(super) metrics: Metrics,
    pub(super) envs: BTreeMap<String, Slot>,
    started_at: DateTime<Utc>,
    pub(super) phase: watch::Sender<Phase>,
    /// The last failure to write the state database, cleared by a success.
    store_error: Mutex<Option<String>>,
    /// The promotion verdict and the baseline, refreshed after every run.
    evidence: Mutex<(Result<Readiness, String>, BaselineView)>,
    /// The history is shared with other replicas (leases decide who runs).
    shared: bool,
    /// Finished runs the history could not take yet, oldest first.
    held: Mutex<VecDeque<Held>>,
}

/// How many finished runs `serve` holds in memory while the history cannot
/// be written (a database restart, an outage): past that, the oldest is
/// dropped (and logged), and none survives the process stopping.
pub const HELD_RUNS: usize = 100;

/// A finished run waiting for the history to be writable again.
pub(super) struct Held {
    pub(super) recording: Recording,
    pub(super) report: RunReport,
    pub(super) since: DateTime<Utc>,
}

/// The state `serve` shares between the scheduler and the HTTP handlers.
#[derive(Clone)]
pub struct Harness(pub(super) Arc<Inner>);

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("settings", &self.0.settings)
            .finish_non_exhaustive()
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("{0}")]
    Usage(String),
}

impl Harness {
    /// Opens the state: runs interrupted by a previous process are marked
    /// abandoned, and each environment's last run is restored (dashboard,
    /// `/runs/latest`, metrics).
    pub fn new(settings: Settings, store: Box<dyn History>) -> Result<Self, ServeError> {
        if settings.schedules.is_empty() {
            return Err(ServeError::Usage("no environment to serve".into()));
        }
        for s in &settings.schedules {
            settings
                .config
                .environment(&s.environment)
                .map_err(|e| ServeError::Usage(e.to_string()))?;
        }
        let now = Utc::now();
        // A history of its own: what is left `running` was this process's
        // predecessor's. A shared one: it may be a live replica's, abandoned
        // only when its lease is taken over (the scheduler).
        let abandoned = if store.shared() {
            0
        } else {
            store.recover_interrupted(now)?
        };
        if abandoned > 0 {
            tracing::warn!(
                runs = abandoned,
                "runs interrupted by the previous process are recorded as abandoned"
            );
        }
        let names: Vec<String> = settings
            .schedules
            .iter()
            .map(|s| s.environment.clone())
            .collect();
        let metrics = Metrics::located(&names, settings.location.as_deref())?;
        let mut envs = BTreeMap::new();
        for s in &settings.schedules {
            let key = reporters::model::run::series(&s.environment, settings.location.as_deref());
            let latest = store.latest_report(&key)?.map(Arc::new);
            let last = store.history(&key, 1)?.into_iter().next();
            if let Some(r) = &latest {
                metrics.show(r);
            }
            envs.insert(
                s.environment.clone(),
                Slot {
                    state: Mutex::new(EnvState {
                        interval: s.interval,
                        latest,
                        last_result: last.as_ref().map(|l| l.result),
                        last_finished: last.as_ref().and_then(|l| l.finished_at),
                        last_started: last.as_ref().map(|l| l.started_at),
                        last_error: last.as_ref().and_then(|l| l.error.clone()),
                        running: None,
                        requested: false,
                        next_due: None,
                        loop_state: LoopState::NotStarted,
                        runs: 0,
                        leading: false,
                    }),
                    wake: Notify::new(),
                },
            );
        }
        let baseline = evidence::baseline(&settings.snapshots, &settings.version);
        let (phase, _) = watch::channel(Phase::Running);
        let shared = store.shared();
        let h = Self(Arc::new(Inner {
            held: Mutex::new(VecDeque::new()),
            shared,
            settings,
            store: Mutex::new(store),
            metrics,
            envs,
            started_at: now,
            phase,
            store_error: Mutex::new(None),
            evidence: Mutex::new((Err(String::new()), baseline)),
        }));
        h.refresh_evidence();
        Ok(h)
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The environments served, in order.
    pub fn environments(&self) -> impl Iterator<Item = &str> {
        self.0.envs.keys().map(String::as_str)
    }

    /// A copy of what is known about `env`.
    pub fn env_state(&self, env: &str) -> Option<EnvState> {
        self.0.envs.get(env).map(|s| lock(&s.state).clone())
    }

    /// Runs `f` on the state database, remembering whether writing works.
    pub(super) fn with_store<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut dyn History) -> Result<T, HistoryError>,
    ) -> Option<T> {
        let r = f(&mut **lock(&self.0.store));
        match r {
            Ok(v) => {
                *lock(&self.0.store_error) = None;
                Some(v)
            }
            Err(e) => {
                tracing::error!(error = %e, "state database: cannot {what}");
                *lock(&self.0.store_error) = Some(format!("cannot {what}: {e}"));
                None
            }
        }
    }

    /// Shows what the history holds for `env` now (another replica's runs,
    /// as a follower, or the last leader's, on taking over): its latest
    /// report (dashboard, `/runs/latest`, metrics' gauges) and last run.
    pub(super) fn reload(&self, env: &str) {
        let Some(slot) = self.0.envs.get(env) else {
            return;
        };
        let Some((latest, last)) = self.with_store("read the history", |st| {
            Ok((
                st.latest_report(env)?,
                st.history(env, 1)?.into_iter().next(),
            ))
        }) else {
            return;
        };
        let mut st = lock(&slot.state);
        let newer = match (&latest, &st.latest) {
            (Some(l), Some(mine)) => l.run_id != mine.run_id,
            (Some(_), None) => true,
            _ => false,
        };
        if let Some(last) = last {
            st.last_result = Some(last.result);
            st.last_started = Some(last.started_at);
            st.last_finished = last.finished_at;
            st.last_error = last.error;
        }
        if newer && let Some(l) = latest {
            let l = Arc::new(l);
            st.latest = Some(Arc::clone(&l));
            drop(st);
            self.0.metrics.show(&l);
            self.refresh_evidence();
        }
    }

    /// `env`'s series in the history: the environment, or the environment
    /// seen from this process's location (`dev@frankfurt`).
    pub fn series(&self, env: &str) -> String {
        reporters::model::run::series(env, self.0.settings.location.as_deref())
    }

    /// The environments this replica leads.
    pub fn leads(&self) -> Vec<String> {
        self.0
            .envs
            .iter()
            .filter(|(_, slot)| lock(&slot.state).leading)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Reads the state database (no effect on health).
    pub(super) fn read_store<T>(
        &self,
        f: impl FnOnce(&dyn History) -> Result<T, HistoryError>,
    ) -> Result<T, HistoryError> {
        f(&**lock(&self.0.store))
    }

    /// Re-reads the baseline and re-evaluates readiness from the latest runs.
    pub(super) fn refresh_evidence(&self) {
        let s = &self.0.settings;
        let baseline = evidence::baseline(&s.snapshots, &s.version);
        let latest = |env: &str| self.env_state(env).and_then(|e| e.latest);
        let (source, target) = match &s.promotion {
            Some(p) => (latest(&p.from), latest(&p.to)),
            None => (None, None),
        };
        let readiness = evidence::readiness(
            s.promotion.as_ref(),
            source.as_ref(),
            target.as_ref(),
            &baseline,
        );
        self.0.metrics.readiness(readiness.as_ref().ok());
        self.0.metrics.baseline(&baseline);
        *lock(&self.0.evidence) = (readiness, baseline);
    }

    /// The promotion verdict (or why there is none) and the baseline.
    pub fn evidence(&self) -> (Result<Readiness, String>, BaselineView) {
        let e = lock(&self.0.evidence);
        (e.0.clone(), e.1.clone())
    }

    /// Asks for a run of `env` now.
    pub fn request_run(&self, env: &str) -> RequestOutcome {
        if *self.0.phase.borrow() != Phase::Running {
            return RequestOutcome::ShuttingDown;
        }
        let Some(slot) = self.0.envs.get(env) else {
            return RequestOutcome::UnknownEnvironment;
        };
        let mut st = lock(&slot.state);
        // Alone on its history, this replica is the leader as soon as its
        // loop starts; sharing it, only the lease holder runs.
        if self.0.shared && !st.leading {
            return RequestOutcome::NotLeader;
        }
        if let Some(r) = &st.running {
            return RequestOutcome::AlreadyRunning(r.clone());
        }
        if st.requested {
            return RequestOutcome::AlreadyRequested;
        }
        st.requested = true;
        drop(st);
        slot.wake.notify_one();
        RequestOutcome::Accepted
    }

    /// Whether the scheduler and the state database work, and why not.
    pub fn health(&self) -> Health {
        let now = Utc::now();
        let mut problems = Vec::new();
        let phase = *self.0.phase.borrow();
        if let Some(e) = lock(&self.0.store_error).clone() {
            problems.push(format!("state database: {e}"));
        }
        let held = lock(&self.0.held).len();
        if held > 0 {
            problems.push(format!(
                "{held} finished run(s) held in memory until the state database can be written (at most {HELD_RUNS}: past that the oldest is dropped)"
            ));
        }
        let mut envs = BTreeMap::new();
        for (name, slot) in &self.0.envs {
            let st = lock(&slot.state).clone();
            // A run is overdue when nothing ran for a whole extra interval
            // (at least a minute) past its due time.
            let slack = chrono::Duration::from_std(st.interval.max(Duration::from_secs(60)))
                .unwrap_or(chrono::TimeDelta::MAX);
            let overdue = st.running.is_none() && st.next_due.is_some_and(|d| now > d + slack);
            if phase == Phase::Running {
                if st.loop_state == LoopState::Stopped {
                    problems.push(format!("{name}: the scheduler stopped"));
                }
                if overdue {
                    problems.push(format!("{name}: the scheduled run is overdue"));
                }
            }
            envs.insert(name.clone(), EnvHealth { state: st, overdue });
        }
        Health {
            phase: match phase {
                Phase::Running => "serving",
                Phase::Draining | Phase::Abandon => "stopping",
            },
            ok: problems.is_empty() && phase == Phase::Running,
            problems,
            started_at: self.0.started_at,
            environments: envs,
        }
    }
}

/// The answer to `POST /runs`.
#[derive(Clone, Debug)]
pub enum RequestOutcome {
    Accepted,
    AlreadyRunning(InProgress),
    AlreadyRequested,
    UnknownEnvironment,
    ShuttingDown,
    /// Another replica runs this environment's schedule.
    NotLeader,
}

/// `/healthz`.
#[derive(Clone, Debug)]
pub struct Health {
    pub phase: &'static str,
    pub ok: bool,
    pub problems: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub environments: BTreeMap<String, EnvHealth>,
}

#[derive(Clone, Debug)]
pub struct EnvHealth {
    pub state: EnvState,
    pub overdue: bool,
}

/// Whether `addr` is a loopback address (the only kind `serve` binds by default).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

impl Harness {
    /// Records a finished run, after any held before it (in order: each is
    /// judged against the alert states the one before left). When the
    /// history cannot take it, it is held; `None` then.
    pub(super) fn record_finished(
        &self,
        mut recording: Recording,
        mut report: RunReport,
    ) -> (RunReport, Option<Vec<Sent>>) {
        let written = if self.write_held() {
            let (alerting, version) = self.alerting(&report.environment);
            self.with_store("record a finished run", |st| {
                recording.record(st, &mut report, &alerting, version.as_deref())
            })
        } else {
            None
        };
        recording.close_for(&report);
        if written.is_none() {
            self.hold(Held {
                recording,
                report: report.clone(),
                since: Utc::now(),
            });
        }
        (report, written)
    }

    fn alerting(&self, env: &str) -> (Alerting, Option<String>) {
        let s = &self.0.settings;
        (
            Alerting {
                threshold: s.alert_threshold,
                sentry: s.sentry.clone(),
                min_locations: s.alert_min_locations,
                windows: s
                    .config
                    .environment(env)
                    .map(|c| c.maintenance.clone())
                    .unwrap_or_default(),
            },
            s.config.release(env).map(str::to_owned),
        )
    }

    fn hold(&self, held: Held) {
        let mut q = lock(&self.0.held);
        tracing::warn!(
            environment = %held.report.environment,
            run_id = %held.report.run_id,
            held = q.len() + 1,
            "the state database cannot be written: the finished run is held until it can"
        );
        q.push_back(held);
        while q.len() > HELD_RUNS {
            if let Some(dropped) = q.pop_front() {
                tracing::error!(
                    environment = %dropped.report.environment,
                    run_id = %dropped.report.run_id,
                    held_since = %dropped.since,
                    "more than {HELD_RUNS} finished runs held: the oldest is dropped, never recorded"
                );
            }
        }
    }

    /// Writes the held runs, oldest first, until one cannot be; true when
    /// none is left.
    pub(super) fn write_held(&self) -> bool {
        loop {
            let Some(mut held) = lock(&self.0.held).pop_front() else {
                return true;
            };
            let (alerting, version) = self.alerting(&held.report.environment);
            let written = self.with_store("record a held run", |st| {
                held.recording
                    .record(st, &mut held.report, &alerting, version.as_deref())
            });
            match written {
                Some(sent) => tracing::info!(
                    environment = %held.report.environment,
                    run_id = %held.report.run_id,
                    held_since = %held.since,
                    alerts = sent.len(),
                    "a held run is recorded: the state database is back"
                ),
                None => {
                    lock(&self.0.held).push_front(held);
                    return false;
                }
            }
        }
    }

    /// Writes what is pending: held runs, the WAL into the database, queued
    /// alerts to Sentry.
    pub fn flush(&self) {
        if !self.write_held() {
            tracing::error!(
                held = lock(&self.0.held).len(),
                "stopping with finished runs the state database never took: they are lost"
            );
        }
        self.with_store("flush the history", |s| s.flush());
        if let Some(s) = &self.0.settings.sentry
            && !s.flush(Duration::from_secs(5))
        {
            tracing::warn!("some Sentry events could not be sent before stopping");
        }
    }
}
