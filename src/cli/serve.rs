//! `lucia-harness serve`: flags, start-up checks (every problem found
//! before anything listens), logging, signals.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use lucia_harness::input::config::Config;
use lucia_harness::record::alert::DEFAULT_THRESHOLD;
use lucia_harness::record::history;
use lucia_harness::record::sentry::Sentry;
use lucia_harness::record::state;
use lucia_harness::serve::{self, Harness, Promotion, Schedule, Settings};

use super::args::{Globals, duration};
use super::output::{EXIT_OK, error, load, problems};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Loopback only unless --allow-remote: the
    /// dashboard and /metrics need no login.
    #[arg(long, default_value = serve::DEFAULT_ADDR, value_name = "HOST:PORT")]
    addr: String,
    /// Allow listening on a non-loopback address. Reading then needs LUCIA_HARNESS_READ_TOKEN (a bearer
    /// token or a basic-auth password; /healthz stays open for load balancers) unless --public.
    #[arg(long)]
    allow_remote: bool,
    /// With --allow-remote: serve the dashboard, /readiness, /runs and /metrics to anyone who can
    /// reach them, without LUCIA_HARNESS_READ_TOKEN. They show Lucia's failures: mean it.
    #[arg(long, requires = "allow_remote")]
    public: bool,
    /// The state: runs, scenario results, alert state. A SQLite file (created when missing), or a
    /// postgres:// URL that outlives the machine and that replicas share (?sslmode=require for Supabase).
    #[arg(long, env = "LUCIA_HARNESS_STATE_URL", default_value = history::DEFAULT_PATH, value_name = "FILE|URL")]
    state: String,
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
    #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_name = "N")]
    alert_after: u32,
    /// The promotion to watch, FROM:TO (default dev:staging when both are served).
    #[arg(long, value_name = "FROM:TO")]
    gate: Option<String>,
    /// The version whose baseline and promotion are shown (default: expected.release).
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
    /// How often the dashboard page reloads itself.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = duration)]
    refresh: Duration,
    /// Runs kept per environment in the state database.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    retain: usize,
    /// On SIGTERM/Ctrl-C, how long runs in progress may take to finish before they are abandoned.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = duration)]
    grace: Duration,
    /// This replica's name among those sharing a postgres:// --state (each runs the schedules it
    /// holds the lease of; /healthz says which). Default: the host name and process id.
    #[arg(long, value_name = "NAME")]
    replica: Option<String>,
    /// How long a schedule's lease lasts unrenewed (renewed every third of it): after a replica
    /// dies, another takes its schedules over within this plus the schedule's interval.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = duration)]
    lease: Duration,
    /// Where this process probes from, one of environments.toml's locations: its runs, alert streaks
    /// and schedules are that location's (replicas in several regions share one postgres:// --state),
    /// and every metric gains a `location` label.
    #[arg(long, value_name = "NAME")]
    location: Option<String>,
    /// Page only when at least N locations see the same scenario failing (fail in N of M).
    #[arg(long, default_value_t = 1, value_name = "N")]
    alert_min_locations: u32,
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
            .or_else(|| config.release(&from).map(str::to_owned))
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

/// Where to listen: `--addr`, refused unless loopback or `--allow-remote`
/// (the dashboard, /readiness and /metrics need no login).
async fn listen_addr(args: &ServeArgs) -> Result<SocketAddr, String> {
    let addr: SocketAddr = match tokio::net::lookup_host(&args.addr)
        .await
        .map(|mut a| a.next())
    {
        Ok(Some(a)) => a,
        _ => {
            return Err(format!(
                "--addr {}: not an address to listen on (e.g. 127.0.0.1:9464)",
                args.addr
            ));
        }
    };
    if !serve::is_loopback(&addr) {
        if !args.allow_remote {
            return Err(format!(
                "refusing to listen on {addr}: it is not a loopback address, and the dashboard, /readiness and /metrics need no login. \
Listen on 127.0.0.1 behind an authenticating reverse proxy, or pass --allow-remote if you mean it"
            ));
        }
        let read_token = std::env::var(serve::READ_TOKEN_VAR)
            .ok()
            .filter(|t| !t.trim().is_empty());
        match (read_token, args.public) {
            (Some(_), _) => {}
            (None, true) => tracing::warn!(
                %addr,
                "listening on a non-loopback address with --public: anyone who can reach it sees the dashboard and metrics"
            ),
            (None, false) => {
                return Err(format!(
                    "refusing to serve {addr} without a read token: the dashboard, /readiness, /runs and /metrics show Lucia's failures. \
Set {} to a long random value (readers send it as a bearer token or a basic-auth password; /healthz stays open), or pass --public if anyone may read them",
                    serve::READ_TOKEN_VAR
                ));
            }
        }
    }
    Ok(addr)
}

pub async fn serve(g: &Globals, args: &ServeArgs) -> ExitCode {
    init_logging();
    let (config, suite) = match load(g) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let found = suite.check(&config);
    if !found.is_empty() {
        return problems(&found, Some("nothing is served"));
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
    let addr = match listen_addr(args).await {
        Ok(a) => a,
        Err(e) => return error(e),
    };
    let lookup: serve::Lookup = Arc::new(|name: &str| std::env::var(name).ok());
    let sentry = match Sentry::from_env(&*lookup) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let token = lookup(serve::TOKEN_VAR).filter(|t| !t.trim().is_empty());
    let read_token = lookup(serve::READ_TOKEN_VAR).filter(|t| !t.trim().is_empty());
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
    if let Some(l) = &args.location
        && let Err(e) = config.location(l)
    {
        return error(e);
    }
    let store = match state::open(&args.state) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let store_location = store.location().display().to_string();
    let version = promotion
        .as_ref()
        .map(|p| p.version.clone())
        .or_else(|| args.version.clone())
        .or_else(|| config.release(&schedules[0].environment).map(str::to_owned))
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
        read_token: read_token.clone(),
        alert_threshold: args.alert_after.max(1),
        sentry: sentry.clone(),
        snapshots: g.snapshots.clone(),
        promotion,
        version,
        refresh: args.refresh,
        retain: args.retain.max(1),
        grace: args.grace,
        replica: args.replica.clone().unwrap_or_else(default_replica),
        lease: args.lease.max(Duration::from_millis(300)),
        location: args.location.clone(),
        alert_min_locations: args.alert_min_locations.max(1),
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
        state = %store_location,
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

/// `HOST-PID`: Render's instance id when set, else the host name.
fn default_replica() -> String {
    let host = std::env::var("RENDER_INSTANCE_ID")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "serve".to_owned());
    format!("{host}-{}", std::process::id())
}
