//! The binary's side of `serve`, `history` and `run --state/--alert`:
//! flags, startup checks, logging, signals, printing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lucia_harness::alert::{self, Sentry};
use lucia_harness::config::Config;
use lucia_harness::features::Suite;
use lucia_harness::serve::{self, Harness, Promotion, Schedule, Settings};
use lucia_harness::state::{self, RunResult, RunRow, Store, Trigger};
use reporters::RunReport;
use sentry::protocol::{MonitorCheckInStatus, MonitorSchedule};
use sentry::types::Uuid;

use crate::{EXIT_OK, EXIT_USAGE, duration, error};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Loopback only unless --allow-remote: the
    /// dashboard and /metrics need no login.
    #[arg(long, default_value = serve::DEFAULT_ADDR, value_name = "HOST:PORT")]
    addr: String,
    /// Allow listening on a non-loopback address (put an authenticating proxy in front).
    #[arg(long)]
    allow_remote: bool,
    /// The state database (created when missing): runs, scenario results, alert state.
    #[arg(long, default_value = state::DEFAULT_PATH, value_name = "FILE")]
    state: PathBuf,
    /// How often each environment runs (jittered ±10%), unless --env says otherwise.
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = duration)]
    schedule: Duration,
    /// An environment to run, optionally with its own interval: --env dev --env marketing=15m.
    /// Default: every environment of the config that is not a sandbox.
    #[arg(long = "env", short = 'e', value_name = "NAME[=DURATION]")]
    envs: Vec<String>,
    /// Move every surface of the served environments to this origin (a sandbox: --env local --origin http://127.0.0.1:8700).
    #[arg(long, value_name = "URL")]
    origin: Option<String>,
    /// Only scenarios matching this tag expression.
    #[arg(long, short = 't', value_name = "EXPR")]
    tags: Option<String>,
    /// Scenarios run at once, per run.
    #[arg(long, short = 'c', default_value_t = 16, value_name = "N")]
    concurrency: usize,
    /// Failed runs in a row before a scenario alerts (one blip pages nobody).
    #[arg(long, default_value_t = alert::DEFAULT_THRESHOLD, value_name = "N")]
    alert_after: u32,
    /// The promotion to watch, FROM:TO (default dev:staging when both are served).
    #[arg(long, value_name = "FROM:TO")]
    gate: Option<String>,
    /// The version whose baseline and promotion are shown (default: expected.release).
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
    /// The baselines directory.
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    snapshots: PathBuf,
    /// How often the dashboard page reloads itself.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = duration)]
    refresh: Duration,
    /// Runs kept per environment in the state database.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    retain: usize,
    /// On SIGTERM/Ctrl-C, how long runs in progress may take to finish before they are abandoned.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = duration)]
    grace: Duration,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The environment.
    #[arg(long, short = 'e', value_name = "NAME")]
    env: String,
    /// How many runs, newest first.
    #[arg(long, short = 'n', default_value_t = 20, value_name = "N")]
    limit: usize,
    /// The state database.
    #[arg(long, default_value = state::DEFAULT_PATH, value_name = "FILE")]
    state: PathBuf,
    /// JSON (one object per run) instead of a table.
    #[arg(long)]
    json: bool,
}

/// `run --state/--alert`.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// After the run, alert through Sentry (SENTRY_DSN) on a change of state: an error event when a
    /// scenario starts failing (after --alert-after failed runs in a row), an info event when it
    /// recovers, a Crons check-in (lucia-synthetic-<env>). The previous state is read from --state.
    #[arg(long)]
    alert: bool,
    /// Record the run in this state database (history, alert state); with --alert, default state/harness.db.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Failed runs in a row before a scenario alerts.
    #[arg(long, default_value_t = alert::DEFAULT_THRESHOLD, value_name = "N")]
    alert_after: u32,
    /// The crontab this run is scheduled with (e.g. "*/15 * * * *"), so Sentry can create the monitor
    /// and notice a missed run.
    #[arg(long, value_name = "CRONTAB", requires = "alert")]
    cron: Option<String>,
}

fn init_logging() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
}

/// `--env NAME[=DURATION]`.
fn schedules(config: &Config, args: &ServeArgs) -> Result<Vec<Schedule>, String> {
    if args.envs.is_empty() {
        return Ok(config
            .environments
            .values()
            .filter(|e| e.status.as_str() != "sandbox")
            .map(|e| Schedule {
                environment: e.name.clone(),
                interval: args.schedule,
            })
            .collect());
    }
    let mut out: Vec<Schedule> = Vec::new();
    for spec in &args.envs {
        let (name, interval) = match spec.split_once('=') {
            Some((n, d)) => (n, duration(d).map_err(|e| format!("--env {spec}: {e}"))?),
            None => (spec.as_str(), args.schedule),
        };
        config.environment(name).map_err(|e| e.to_string())?;
        if out.iter().any(|s| s.environment == name) {
            return Err(format!("--env {name} is given twice"));
        }
        out.push(Schedule {
            environment: name.to_owned(),
            interval,
        });
    }
    Ok(out)
}

fn promotion(
    config: &Config,
    args: &ServeArgs,
    served: &[Schedule],
) -> Result<Option<Promotion>, String> {
    let served_has = |n: &str| served.iter().any(|s| s.environment == n);
    let pair = match &args.gate {
        Some(g) => {
            let (from, to) = g
                .split_once(':')
                .ok_or_else(|| format!("--gate {g:?}: write FROM:TO, e.g. dev:staging"))?;
            for e in [from, to] {
                config.environment(e).map_err(|e| e.to_string())?;
                if !served_has(e) {
                    return Err(format!(
                        "--gate {g}: {e} is not served (add --env {e}): readiness needs its runs"
                    ));
                }
            }
            Some((from.to_owned(), to.to_owned()))
        }
        None if served_has("dev") && served_has("staging") => {
            Some(("dev".to_owned(), "staging".to_owned()))
        }
        None => None,
    };
    Ok(pair.map(|(from, to)| Promotion {
        version: args
            .version
            .clone()
            .or_else(|| alert::version_of(config, &from))
            .unwrap_or_else(|| "unknown".to_owned()),
        from,
        to,
    }))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

pub async fn serve(config_path: &Path, features: &Path, args: &ServeArgs) -> ExitCode {
    init_logging();
    let config = match Config::load(config_path) {
        Ok(c) => c,
        Err(e) => return error(e),
    };
    let suite = match Suite::load(features) {
        Ok(s) => s,
        Err(problems) => {
            for p in &problems {
                eprintln!("error: {p}");
            }
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let problems = suite.check(&config);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        eprintln!("{} problem(s); nothing is served", problems.len());
        return ExitCode::from(EXIT_USAGE);
    }
    let schedules = match schedules(&config, args) {
        Ok(s) if s.is_empty() => {
            return error("no environment to run: name one with --env NAME");
        }
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let promotion = match promotion(&config, args, &schedules) {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    let addr: SocketAddr = match tokio::net::lookup_host(&args.addr)
        .await
        .map(|mut a| a.next())
    {
        Ok(Some(a)) => a,
        _ => {
            return error(format!(
                "--addr {}: not an address to listen on (e.g. 127.0.0.1:9464)",
                args.addr
            ));
        }
    };
    if !serve::is_loopback(&addr) {
        if !args.allow_remote {
            return error(format!(
                "refusing to listen on {addr}: it is not a loopback address, and the dashboard, /readiness and /metrics need no login. \
Listen on 127.0.0.1 behind an authenticating reverse proxy, or pass --allow-remote if you mean it"
            ));
        }
        tracing::warn!(%addr, "listening on a non-loopback address (--allow-remote): anyone who can reach it sees the dashboard and metrics");
    }
    let lookup: serve::Lookup = Arc::new(|name: &str| std::env::var(name).ok());
    let sentry = match Sentry::from_env(&*lookup) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let token = lookup(serve::TOKEN_VAR).filter(|t| !t.trim().is_empty());
    if let Some(o) = &args.origin {
        for s in &schedules {
            if let Err(e) = config
                .environment(&s.environment)
                .map_err(|e| e.to_string())
                .and_then(|c| c.with_origin(o))
            {
                return error(format!("--origin: {e}"));
            }
        }
    }
    let store = match Store::open(&args.state) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let version = promotion
        .as_ref()
        .map(|p| p.version.clone())
        .or_else(|| args.version.clone())
        .or_else(|| alert::version_of(&config, &schedules[0].environment))
        .unwrap_or_else(|| "unknown".to_owned());
    let settings = Settings {
        config: Arc::new(config),
        suite: Arc::new(suite),
        schedules: schedules.clone(),
        origin: args.origin.clone(),
        tags: args.tags.clone(),
        concurrency: Some(args.concurrency),
        request_timeout: None,
        scenario_timeout: None,
        token: token.clone(),
        alert_threshold: args.alert_after.max(1),
        sentry: sentry.clone(),
        snapshots: args.snapshots.clone(),
        promotion,
        version,
        refresh: args.refresh,
        retain: args.retain.max(1),
        grace: args.grace,
        first_run: Duration::ZERO,
        secrets: lookup,
    };
    let harness = match Harness::new(settings, store) {
        Ok(h) => h,
        Err(e) => return error(e),
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => return error(format!("cannot listen on {addr}: {e}")),
    };
    let local = listener.local_addr().map_or(addr, |a| a);
    let envs: Vec<String> = schedules
        .iter()
        .map(|s| {
            format!(
                "{} every {}",
                s.environment,
                probes::core::duration::human(s.interval)
            )
        })
        .collect();
    tracing::info!(
        state = %args.state.display(),
        environments = %envs.join(", "),
        post_runs = if token.is_some() { "enabled (bearer token)" } else { "disabled: LUCIA_HARNESS_TOKEN is not set" },
        sentry = if sentry.is_some() { "on" } else { "off: SENTRY_DSN is not set" },
        "listening on http://{local}/ (dashboard /, /readiness, /runs/latest, /metrics, /healthz)"
    );
    match serve::serve(listener, harness, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped; state flushed");
            ExitCode::from(EXIT_OK)
        }
        Err(e) => error(format!("serving stopped: {e}")),
    }
}

pub fn history(args: &HistoryArgs) -> ExitCode {
    if !args.state.exists() {
        return error(format!(
            "no state database at {} (serve, or run --state, creates it)",
            args.state.display()
        ));
    }
    let store = match Store::open(&args.state) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let rows = match store.history(&args.env, args.limit.max(1)) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    if rows.is_empty() {
        let known = store.environments().unwrap_or_default();
        return error(format!(
            "no run of {} in {} (environments with runs: {})",
            args.env,
            args.state.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
    }
    let mut out = String::new();
    if args.json {
        for r in &rows {
            out.push_str(&serde_json::to_string(r).unwrap_or_default());
            out.push('\n');
        }
    } else {
        out.push_str(&table(&rows));
    }
    crate::emit(out.as_bytes());
    ExitCode::from(EXIT_OK)
}

fn table(rows: &[RunRow]) -> String {
    let mut out = format!(
        "{:>6}  {:<19}  {:<8}  {:<9}  {:>6}  {:>6}  {:>5}  {:>7}  {:>4}  {:>8}\n",
        "run",
        "started (UTC)",
        "trigger",
        "result",
        "passed",
        "failed",
        "flaky",
        "skipped",
        "gaps",
        "duration"
    );
    for r in rows {
        out.push_str(&format!(
            "{:>6}  {:<19}  {:<8}  {:<9}  {:>6}  {:>6}  {:>5}  {:>7}  {:>4}  {:>8}\n",
            r.id,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            r.trigger.as_str(),
            r.result.as_str(),
            r.passed,
            r.failed,
            r.flaky,
            r.skipped,
            r.known_gaps,
            r.duration_ms
                .map_or_else(|| "–".to_owned(), |d| format!("{:.1}s", d / 1000.0)),
        ));
        if let Some(e) = &r.error {
            out.push_str(&format!("        ↳ {e}\n"));
        }
    }
    out
}

/// A one-shot run recorded in the state database (and alerted on).
pub struct OneShot {
    store: Store,
    run: i64,
    sentry: Option<Sentry>,
    check_in: Option<Uuid>,
    schedule: Option<MonitorSchedule>,
    threshold: u32,
    env: String,
    clock: std::time::Instant,
}

impl OneShot {
    /// Opens the state and records the run's start (before anything runs,
    /// so bad flags cost nothing and a killed run is seen as abandoned).
    pub fn start(args: &RecordArgs, env: &str) -> Result<Option<Self>, String> {
        if !args.alert && args.state.is_none() {
            return Ok(None);
        }
        let sentry = if args.alert {
            match Sentry::from_env(&|n| std::env::var(n).ok()).map_err(|e| e.to_string())? {
                Some(s) => Some(s),
                None => {
                    return Err(
                        "--alert needs SENTRY_DSN (the DSN of the Sentry project to alert): set it, or drop --alert and keep --state to only record"
                            .to_owned(),
                    );
                }
            }
        } else {
            None
        };
        let schedule = args
            .cron
            .as_deref()
            .map(|c| {
                MonitorSchedule::from_crontab(c).map_err(|_| {
                    format!("--cron {c:?} is not a crontab (five fields, e.g. \"*/15 * * * *\")")
                })
            })
            .transpose()?;
        let path = args
            .state
            .clone()
            .unwrap_or_else(|| PathBuf::from(state::DEFAULT_PATH));
        let store = Store::open(&path).map_err(|e| e.to_string())?;
        store
            .recover_interrupted(Utc::now())
            .map_err(|e| e.to_string())?;
        let run = store
            .begin_run(env, Trigger::Cli, Utc::now())
            .map_err(|e| e.to_string())?;
        let check_in = sentry.as_ref().map(|s| {
            let id = Uuid::new_v4();
            s.send_check_in(alert::check_in(
                env,
                id,
                MonitorCheckInStatus::InProgress,
                None,
                schedule.clone(),
            ));
            id
        });
        Ok(Some(Self {
            store,
            run,
            sentry,
            check_in,
            schedule,
            threshold: args.alert_after.max(1),
            env: env.to_owned(),
            clock: std::time::Instant::now(),
        }))
    }

    fn checked_in(&self, ok: bool) {
        if let (Some(s), Some(id)) = (&self.sentry, self.check_in) {
            let status = if ok {
                MonitorCheckInStatus::Ok
            } else {
                MonitorCheckInStatus::Error
            };
            s.send_check_in(alert::check_in(
                &self.env,
                id,
                status,
                Some(self.clock.elapsed()),
                self.schedule.clone(),
            ));
        }
    }

    fn flush(&self) {
        if let Some(s) = &self.sentry
            && !s.flush(Duration::from_secs(10))
        {
            eprintln!("warning: some Sentry events could not be sent in 10 s");
        }
    }

    /// Records the report, alerts on transitions, checks in.
    pub fn finish(mut self, config: &Config, report: &RunReport) -> Result<(), String> {
        let version = alert::version_of(config, &report.environment);
        let mut report = report.clone();
        let sent = alert::after_run(
            &mut self.store,
            self.run,
            &mut report,
            self.threshold,
            self.sentry.as_ref(),
            version.as_deref(),
        )
        .map_err(|e| e.to_string());
        self.checked_in(report.passed());
        self.flush();
        for (t, _) in sent.as_ref().into_iter().flatten() {
            eprintln!(
                "alert: {} › {} {} in {}",
                t.scenario.feature,
                t.scenario.scenario,
                t.kind.as_str(),
                report.environment
            );
        }
        sent.map(|_| ())
    }

    /// The run could not run: recorded as an error, checked in as one.
    pub fn failed(self, why: &str) {
        let _ = self
            .store
            .end_run(self.run, RunResult::Error, Utc::now(), why);
        self.checked_in(false);
        self.flush();
    }
}
