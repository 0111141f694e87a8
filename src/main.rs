//! The `lucia-harness` command line. Thin: parse, call the library, print,
//! exit with a documented code.
//!
//! Exit codes: 0 passed/ready · 1 checks failed, drift or not ready ·
//! 2 bad usage, config or feature file · 3 inconclusive (gate).

// The binary is the one place that prints: libraries return values.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod serve_cli;

use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use lucia_harness::baseline;
use lucia_harness::config::Config;
use lucia_harness::demo_db::DemoDatabase;
use lucia_harness::features::Suite;
use lucia_harness::run::{self, Progress, RunError, RunOptions};
use probes::core::duration::parse as parse_duration;
use reporters::RunReport;

const EXIT_OK: u8 = 0;
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "lucia-harness",
    version,
    about = "Tells the truth about Lucia's live environments.",
    long_about = "Tells the truth about Lucia's live environments.\n\n\
Gherkin features in features/ describe what Engine, Admin, intake, payment truth, the waitlist and the guest lab \
must do in each environment of environments.toml, each scenario tagged with its claim status in the Canon \
(implemented, configured, tested, deferred, future: no pretending). `run` executes them; `demo` runs them all \
against a built-in sandbox.",
    after_help = "Exit codes: 0 passed · 1 checks failed (or drift, or not ready) · 2 bad usage, config or feature file · 3 inconclusive\n\n\
Start here:\n  lucia-harness demo                      every feature against the built-in sandbox\n  \
lucia-harness check                     parse and check everything, no network\n  \
lucia-harness run --env dev --report-dir reports/dev"
)]
struct Cli {
    /// The environments file.
    #[arg(
        long,
        global = true,
        default_value = "environments.toml",
        value_name = "FILE"
    )]
    config: PathBuf,
    /// The features directory (or one .feature file).
    #[arg(long, global = true, default_value = "features", value_name = "DIR")]
    features: PathBuf,
    /// The baselines directory (snapshots/<version>/…, normalise.toml).
    #[arg(long, global = true, default_value = "snapshots", value_name = "DIR")]
    snapshots: PathBuf,
    /// Never color the output (also: NO_COLOR=1).
    #[arg(long, global = true)]
    no_color: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Only scenarios matching this tag expression, e.g. "@gating and not @slow".
    #[arg(long, short = 't', value_name = "EXPR")]
    tags: Option<String>,
    /// Write report.json (and the other report formats) into this directory.
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// Scenarios run at once.
    #[arg(long, short = 'c', default_value_t = 16, value_name = "N")]
    concurrency: usize,
    /// Per-request timeout, overriding environments.toml (e.g. 500ms, 10s).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    timeout: Option<Duration>,
    /// Per-scenario timeout, overriding environments.toml.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    scenario_timeout: Option<Duration>,
    /// List every scenario in the summary, not only those needing attention.
    #[arg(long, short = 'v')]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the built-in sandbox on a free loopback port and run every feature against it.
    ///
    /// The README's first command. Exits 0 when every scenario passes.
    Demo {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Run the features against one environment of environments.toml.
    ///
    /// Scenarios tagged with environment names (@dev, @staging, @local, …) run only there;
    /// untagged ones run wherever every service they use exists. @mutating scenarios are
    /// skipped where the environment does not allow mutation (production never does).
    Run {
        /// The environment: dev, staging, production, marketing, guest-lab, local, …
        #[arg(long, short = 'e', value_name = "NAME")]
        env: String,
        /// Move every surface of the environment to this origin, keeping path prefixes
        /// (e.g. a sandbox on another port: http://127.0.0.1:9000).
        #[arg(long, value_name = "URL")]
        origin: Option<String>,
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        record: serve_cli::RecordArgs,
    },
    /// Run the features against an environment and print the Canon's claim ledger.
    ///
    /// Every scenario tagged implemented, configured, tested, deferred or future is a claim:
    /// the ledger shows the Canon's status, what the harness saw, and when it last passed.
    /// Exits 1 when a claim is violated or outdated. With --from-report, reads a report.json
    /// instead of running.
    Claims {
        /// The environment (as for `run`).
        #[arg(
            long,
            short = 'e',
            value_name = "NAME",
            required_unless_present = "from_report"
        )]
        env: Option<String>,
        /// Move every surface to this host and port (as for `run`).
        #[arg(long, value_name = "URL")]
        origin: Option<String>,
        /// Print the ledger of an earlier run's report.json instead of running.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["env", "origin"])]
        from_report: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// May this version be promoted? The promotion gate of the seed.
    ///
    /// Runs every scenario of the source (comparing against the version's baseline), the
    /// @health scenarios of the target, reads the baseline's review, and evaluates seven checks:
    /// source-version, source-suite, baseline-captured, baseline-reviewed, no-drift, claims,
    /// target-healthy. Exit 0 ready, 1 not ready, 3 inconclusive (the evidence could not be
    /// gathered: CI must not read it as either), 2 bad usage or config. Writes readiness.json,
    /// readiness.md and readiness.html (and the runs' reports under source/ and target/).
    Gate {
        /// The environment the version runs in now.
        #[arg(long, value_name = "ENV", default_value = "dev")]
        from: String,
        /// The environment it would be promoted to.
        #[arg(long, value_name = "ENV", default_value = "staging")]
        to: String,
        /// The version being promoted (default: the source's expected.release, e.g. v0.1.3.6).
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        /// Write readiness.json, readiness.md, readiness.html here.
        #[arg(long, value_name = "DIR")]
        report_dir: Option<PathBuf>,
        /// Move the source's surfaces to this host and port (a sandbox).
        #[arg(long, value_name = "URL")]
        from_origin: Option<String>,
        /// Move the target's surfaces to this host and port (a sandbox).
        #[arg(long, value_name = "URL")]
        to_origin: Option<String>,
        /// How a @gating scenario that passes only on a retry counts.
        #[arg(long, value_enum, default_value_t = lucia_harness::gate::FlakyPolicy::Warn)]
        flaky: lucia_harness::gate::FlakyPolicy,
        /// Per-request timeout, overriding environments.toml.
        #[arg(long, value_name = "DURATION", value_parser = duration)]
        timeout: Option<Duration>,
    },
    /// Parse the config and every feature, check every step is defined. No network.
    Check,
    /// List the step vocabulary features can use.
    Steps,
    /// Run each environment's features on a schedule; serve the readiness dashboard, Prometheus
    /// metrics and health; alert through Sentry on a change of state.
    ///
    /// Every run is kept in the state database (--state), so a restart loses nothing: the dashboard,
    /// /runs/latest, the metrics and the alert state come back, and the schedule resumes where it was.
    /// Runs of one environment never overlap; environments run independently.
    #[command(after_help = "Endpoints:\n  \
GET  /                        the readiness dashboard (HTML, reloads itself, fits a phone)\n  \
GET  /readiness               the promotion verdict (JSON; ?format=md)\n  \
GET  /runs/latest?env=NAME    the last run's report (JSON; ?format=md|html)\n  \
GET  /runs?env=NAME&limit=N   recent runs with their counts\n  \
POST /runs?env=NAME           start a run now, with `Authorization: Bearer <token>`\n                                \
(403 while LUCIA_HARNESS_TOKEN is unset)\n  \
GET  /metrics                 Prometheus (lucia_probe_success, lucia_runs_total, …)\n  \
GET  /healthz                 200 while the scheduler and state database work, else 503\n\n\
Environment:\n  \
SENTRY_DSN             alerts and Crons check-ins (monitor lucia-synthetic-<env>)\n  \
LUCIA_HARNESS_TOKEN    the token POST /runs needs\n  \
RUST_LOG               log filter (default info)\n  \
and the environments' secrets, as for `run`.\n\n\
SIGTERM or Ctrl-C stops after the runs in progress finish (--grace), recording any\n\
it had to abandon.\n\n\
Examples:\n  \
lucia-harness serve --env dev --env staging --env marketing=15m\n  \
lucia-harness sandbox &\n  \
lucia-harness serve --env local --origin http://127.0.0.1:8700 --schedule 1m")]
    Serve(serve_cli::ServeArgs),
    /// Recent runs of an environment from the state database, with pass/fail/flaky counts.
    History(serve_cli::HistoryArgs),
    /// Serve the local Lucia stand-in, with optional drift and faults.
    ///
    /// Surfaces: /engine, /admin, /marketing, /guest, /netlify (as environments.toml's `local`).
    Sandbox {
        /// Address to listen on.
        #[arg(long, default_value = sandbox::DEFAULT_ADDR)]
        addr: String,
        /// Change a response's JSON on a route: ROUTE=change:FIELD=VALUE, ROUTE=remove:FIELD,
        /// ROUTE=type:FIELD, ROUTE=add:FIELD=VALUE (e.g. engine/health=remove:status).
        #[arg(long, value_name = "SPEC")]
        drift: Vec<String>,
        /// Break a route: ROUTE=500, ROUTE=latency:2s, ROUTE=hang, ROUTE=reset, ROUTE=truncate
        /// (add @N to fail only the first N requests); or break a claim by name:
        /// accept-unsigned-webhooks, stripe-drops-events, lose-truth-on-restart, leak-ledger-to-anon,
        /// ledger-memory-mode, expiring-certificate, no-https-redirect, csp-allows-supabase,
        /// admin-own-payment-truth, clerk-open, stage-unprotected, no-cloudflare, not-netlify,
        /// sentry-missing, payment-policy-persisted.
        #[arg(long, value_name = "SPEC")]
        fault: Vec<String>,
        /// The durable payment ledger file (created with the seed's reservation when missing);
        /// a temporary file by default.
        #[arg(long, value_name = "FILE")]
        ledger: Option<PathBuf>,
    },
    /// Baselines (Eval Labs): capture, diff, approve, accept, reject, status.
    ///
    /// A baseline is the normalised responses of every scenario with a
    /// `Then the response matches the baseline "area/name"` step, captured from one
    /// environment for one version into snapshots/<version>/ (insta .snap files and
    /// BASELINE.toml). `run` compares with the baseline of the environment's
    /// expected.release.
    Baseline {
        #[command(subcommand)]
        command: baseline::BaselineCommand,
    },
}

fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s:?} is not a duration (write 500ms, 10s or 2m)"))
}

fn color_enabled(cli: &Cli) -> bool {
    !cli.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn emit(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

fn error(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_USAGE)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A run is one task driving every scenario and its connections: one
    // thread does it with the least overhead. The demo (a sandbox in the
    // same process) and serve want worker threads.
    let threaded = matches!(cli.command, Command::Demo { .. } | Command::Serve { .. });
    let rt = if threaded {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => return error(format!("cannot start the async runtime: {e}")),
    };
    rt.block_on(dispatch(cli))
}

async fn dispatch(cli: Cli) -> ExitCode {
    match &cli.command {
        Command::Check => check(&cli),
        Command::Steps => steps(),
        Command::Sandbox {
            addr,
            drift,
            fault,
            ledger,
        } => serve_sandbox(addr, drift, fault, ledger.as_deref()).await,
        Command::Run {
            env,
            origin,
            run,
            record,
        } => {
            let opts = RunOptions {
                environment: env.clone(),
                tags: run.tags.clone(),
                concurrency: Some(run.concurrency),
                request_timeout: run.timeout,
                scenario_timeout: run.scenario_timeout,
                origin: origin.clone(),
                ..RunOptions::default()
            };
            execute(&cli, run, opts, Some(record)).await
        }
        Command::Serve(args) => serve_cli::serve(&cli.config, &cli.features, args).await,
        Command::History(args) => serve_cli::history(args),
        Command::Demo { run } => demo(&cli, run).await,
        Command::Gate {
            from,
            to,
            version,
            report_dir,
            from_origin,
            to_origin,
            flaky,
            timeout,
        } => {
            let opts = lucia_harness::gate::GateOptions {
                from: from.clone(),
                to: to.clone(),
                version: version.clone(),
                from_origin: from_origin.clone(),
                to_origin: to_origin.clone(),
                flaky: *flaky,
                concurrency: None,
                request_timeout: *timeout,
            };
            gate(&cli, &opts, report_dir.as_deref()).await
        }
        Command::Claims {
            env,
            origin,
            from_report,
            run,
        } => {
            claims(
                &cli,
                env.as_deref(),
                origin.clone(),
                from_report.as_deref(),
                run,
            )
            .await
        }
        Command::Baseline { command } => baseline_command(&cli, command).await,
    }
}

async fn baseline_command(cli: &Cli, command: &baseline::BaselineCommand) -> ExitCode {
    let globals = baseline::Globals {
        config: cli.config.clone(),
        features: cli.features.clone(),
        snapshots: cli.snapshots.clone(),
        color: color_enabled(cli),
    };
    let lookup = |name: &str| std::env::var(name).ok();
    let out = baseline::execute(command, &globals, &lookup).await;
    eprint!("{}", out.stderr);
    emit(&out.stdout);
    ExitCode::from(out.code)
}

fn load(cli: &Cli) -> Result<(Config, Suite), ExitCode> {
    let config = Config::load(&cli.config).map_err(error)?;
    let suite = Suite::load(&cli.features).map_err(|problems| {
        for p in &problems {
            eprintln!("error: {p}");
        }
        ExitCode::from(EXIT_USAGE)
    })?;
    Ok((config, suite))
}

fn check(cli: &Cli) -> ExitCode {
    let (config, suite) = match load(cli) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let problems = suite.check(&config);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        eprintln!("{} problem(s); nothing was run", problems.len());
        return ExitCode::from(EXIT_USAGE);
    }
    emit(
        format!(
            "ok: {} environments, {} features, {} scenarios, {} steps, every step defined\n",
            config.environments.len(),
            suite.features.len(),
            suite.scenarios().count(),
            suite.step_count()
        )
        .as_bytes(),
    );
    ExitCode::from(EXIT_OK)
}

fn steps() -> ExitCode {
    let mut out = String::new();
    for d in probes::steps::vocabulary() {
        let kw = probes::steps::keyword(d.ty);
        let block = match d.block {
            probes::steps::Block::None => "",
            probes::steps::Block::JsonBody => "   + \"\"\" JSON body \"\"\"",
            probes::steps::Block::JsonExpectation => "   + \"\"\" JSON with #markers \"\"\"",
            probes::steps::Block::Table => "   + | name | value | table",
        };
        out.push_str(&format!("{kw:<5} {}{block}\n", d.template));
    }
    out.push_str(
        "\n${NAME}: a secret of the environment (environments.toml [environments.<env>.secrets]); never printed.\n\
{{expected.KEY}}, {{run_id}}, {{environment}}, {{uuid}}, {{now}}, {{remembered.NAME}}: values.\n\
Markers: #string #number #boolean #array #object #null #notnull #present #notpresent #ignore #uuid #iso8601 #regex RE #[N] ##optional\n",
    );
    emit(out.as_bytes());
    ExitCode::from(EXIT_OK)
}

async fn serve_sandbox(
    addr: &str,
    drift: &[String],
    fault: &[String],
    ledger: Option<&Path>,
) -> ExitCode {
    let mut config = sandbox::Config {
        credentials: sandbox::Credentials::from_lookup(|v| std::env::var(v).ok()),
        ledger_file: ledger.map(Path::to_path_buf),
        ..sandbox::Config::default()
    };
    for d in drift {
        if let Err(e) = config.add_drift(d) {
            return error(format!("--drift: {e}"));
        }
    }
    for f in fault {
        if let Err(e) = config.add_fault(f) {
            return error(format!("--fault: {e}"));
        }
    }
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => return error(format!("cannot listen on {addr}: {e}")),
    };
    let local = listener
        .local_addr()
        .map_or_else(|_| addr.to_owned(), |a| a.to_string());
    let named: Vec<&str> = config.breaks.iter().map(|b| b.name()).collect();
    eprintln!(
        "sandbox listening on https://{local} (and http://, redirected) — engine, admin, marketing, guest, netlify, render, github, supabase, sentry; \
{} drift(s), {} route fault(s){}; Ctrl-C stops",
        config.drifts.len(),
        config.faults.len(),
        if named.is_empty() {
            String::new()
        } else {
            format!(", broken: {}", named.join(", "))
        }
    );
    tokio::select! {
        r = sandbox::serve(listener, config) => match r {
            Ok(()) => ExitCode::from(EXIT_OK),
            Err(e) => error(format!("sandbox stopped: {e}")),
        },
        _ = tokio::signal::ctrl_c() => ExitCode::from(EXIT_OK),
    }
}

fn progress_printer() -> Option<run::ProgressFn> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(Box::new(|p: &Progress| {
        let mut err = std::io::stderr().lock();
        let mut last = p.last.clone();
        if last.chars().count() > 60 {
            last = last.chars().take(59).collect::<String>() + "…";
        }
        let _ = write!(
            err,
            "\r\x1b[2K[{:>4}/{}] ✓ {} ✗ {}  {last}",
            p.done, p.total, p.passed, p.failed
        );
        if p.done == p.total {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = err.flush();
    }))
}

async fn execute(
    cli: &Cli,
    args: &RunArgs,
    mut opts: RunOptions,
    record: Option<&serve_cli::RecordArgs>,
) -> ExitCode {
    let (config, suite) = match load(cli) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match baseline::for_run(&cli.snapshots, &config, &opts.environment) {
        Ok((store, privacy)) => {
            opts.baselines = Some(store);
            opts.privacy = Some(privacy);
        }
        Err(e) => return error(e),
    }
    let recording = match record.map(|r| serve_cli::OneShot::start(r, &opts.environment)) {
        Some(Err(e)) => return error(e),
        Some(Ok(r)) => r,
        None => None,
    };
    let lookup = |name: &str| std::env::var(name).ok();
    let report = match run::run(&config, &suite, &opts, &lookup, progress_printer()).await {
        Ok(r) => r,
        Err(e) => {
            if let Some(r) = recording {
                r.failed(&e.to_string());
            }
            if let RunError::Features(problems) = &e {
                for p in problems {
                    eprintln!("error: {p}");
                }
                eprintln!("{} problem(s); nothing was run", problems.len());
                return ExitCode::from(EXIT_USAGE);
            }
            return error(e);
        }
    };
    let code = finish(cli, args, &report);
    if let Some(r) = recording
        && let Err(e) = r.finish(&config, &report)
    {
        return error(format!("the run finished but was not recorded: {e}"));
    }
    code
}

fn finish(cli: &Cli, args: &RunArgs, report: &RunReport) -> ExitCode {
    let style = reporters::terminal::Style {
        color: color_enabled(cli),
        list_all: args.verbose || report.scenarios.len() <= 40,
    };
    let mut buf = Vec::new();
    let _ = reporters::terminal::write_summary(report, style, &mut buf);
    emit(&buf);
    if let Some(dir) = &args.report_dir
        && let Err(e) = write_reports(dir, report)
    {
        return error(e);
    }
    github(report);
    ExitCode::from(if report.passed() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// On GitHub Actions: an annotation per failure, and the Markdown report
/// appended to the job summary. Neither may fail the run.
fn github(report: &RunReport) {
    use reporters::Reporter as _;
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        let mut lines = reporters::annotations::github(report).join("\n");
        if !lines.is_empty() {
            lines.push('\n');
            emit(lines.as_bytes());
        }
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let mut md = Vec::new();
        let _ = reporters::Markdown.write(report, &mut md);
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&md));
        if let Err(e) = appended {
            eprintln!(
                "warning: cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
                Path::new(&path).display()
            );
        }
    }
}

/// The feature files the report names, for formats that embed them.
fn sources(report: &RunReport) -> reporters::Sources {
    let mut sources = reporters::Sources::new();
    for s in &report.scenarios {
        if !sources.contains_key(&s.feature_file)
            && let Ok(text) = std::fs::read_to_string(&s.feature_file)
        {
            sources.insert(s.feature_file.clone(), text);
        }
    }
    sources
}

fn write_reports(dir: &Path, report: &RunReport) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for r in reporters::all_with_sources(sources(report)) {
        let path = dir.join(r.file_name());
        let mut bytes = Vec::new();
        r.write(report, &mut bytes)
            .map_err(|e| format!("cannot render {}: {e}", path.display()))?;
        // Write then rename: a reader never sees half a report.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

async fn demo(cli: &Cli, args: &RunArgs) -> ExitCode {
    let sb = match sandbox::start("127.0.0.1:0", sandbox::Config::default()).await {
        Ok(s) => s,
        Err(e) => return error(format!("cannot start the sandbox: {e}")),
    };
    eprintln!(
        "sandbox started on {} — running every feature against `local`",
        sb.origin()
    );
    let (config, suite) = match load(cli) {
        Ok(x) => x,
        Err(code) => return code,
    };
    // The sandbox's own credentials and the demo's ledger database: the
    // demo never reads the operator's secrets.
    let database = DemoDatabase::prepare().await;
    eprintln!("{}", database.describe());
    let lookup = |name: &str| {
        sandbox::Credentials::default_for(name).or_else(|| {
            (name == "LUCIA_CORE_DATABASE_URL")
                .then(|| database.dsn().map(str::to_owned))
                .flatten()
        })
    };
    // The sandbox's own baseline, captured into a temporary directory: the
    // real v0.1.3.6 baseline is Eval Labs' capture from dev, never this one.
    let origin = sb.origin();
    let (_scratch, captured, store, privacy) =
        match baseline::sandbox_baseline(&config, &suite, &origin, &cli.snapshots, &lookup).await {
            Ok(x) => x,
            Err(e) => return error(e),
        };
    eprintln!(
        "captured the sandbox's own baseline ({} responses, {} not captured) into a temporary directory; \
the baseline steps below compare with it (the real baseline: `lucia-harness baseline capture --env dev`)",
        captured.entries.len() - captured.failed(),
        captured.failed()
    );
    let opts = RunOptions {
        environment: "local".to_owned(),
        tags: args.tags.clone(),
        concurrency: Some(args.concurrency),
        request_timeout: args.timeout,
        scenario_timeout: args.scenario_timeout,
        origin: Some(origin),
        baselines: Some(store),
        only_baselines: false,
        privacy: Some(privacy),
    };
    let report = run::run(&config, &suite, &opts, &lookup, progress_printer()).await;
    if let Err(e) = database.drop_created().await {
        eprintln!("warning: {e}");
    }
    let report = match report {
        Ok(r) => r,
        Err(RunError::Features(problems)) => {
            for p in &problems {
                eprintln!("error: {p}");
            }
            return ExitCode::from(EXIT_USAGE);
        }
        Err(e) => return error(e),
    };
    sb.stop();
    let args = RunArgs {
        verbose: true,
        tags: None,
        report_dir: args.report_dir.clone(),
        concurrency: args.concurrency,
        timeout: None,
        scenario_timeout: None,
    };
    finish(cli, &args, &report)
}

async fn claims(
    cli: &Cli,
    env: Option<&str>,
    origin: Option<String>,
    from_report: Option<&Path>,
    args: &RunArgs,
) -> ExitCode {
    let report: RunReport = if let Some(path) = from_report {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return error(format!("cannot read {}: {e}", path.display())),
        };
        match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                return error(format!(
                    "{}:{}: not a report.json: {e}",
                    path.display(),
                    e.line()
                ));
            }
        }
    } else {
        let (config, suite) = match load(cli) {
            Ok(x) => x,
            Err(code) => return code,
        };
        let opts = RunOptions {
            environment: env.unwrap_or_default().to_owned(),
            tags: args.tags.clone(),
            concurrency: Some(args.concurrency),
            request_timeout: args.timeout,
            scenario_timeout: args.scenario_timeout,
            origin,
            ..RunOptions::default()
        };
        let (store, privacy) = match baseline::for_run(&cli.snapshots, &config, &opts.environment) {
            Ok(x) => x,
            Err(e) => return error(e),
        };
        let opts = RunOptions {
            baselines: Some(store),
            privacy: Some(privacy),
            ..opts
        };
        let lookup = |name: &str| std::env::var(name).ok();
        match run::run(&config, &suite, &opts, &lookup, progress_printer()).await {
            Ok(r) => r,
            Err(RunError::Features(problems)) => {
                for p in &problems {
                    eprintln!("error: {p}");
                }
                return ExitCode::from(EXIT_USAGE);
            }
            Err(e) => return error(e),
        }
    };
    let style = reporters::terminal::Style {
        color: color_enabled(cli),
        list_all: true,
    };
    let mut buf = Vec::new();
    let _ = reporters::terminal::write_claims(&report, style, &mut buf);
    emit(&buf);
    if from_report.is_none()
        && let Some(dir) = &args.report_dir
        && let Err(e) = write_reports(dir, &report)
    {
        return error(e);
    }
    let broken = report.claims.iter().any(|c| {
        matches!(
            c.verdict,
            reporters::model::ClaimVerdict::Violated | reporters::model::ClaimVerdict::Outdated
        )
    });
    ExitCode::from(if broken { EXIT_FAILED } else { EXIT_OK })
}

async fn gate(
    cli: &Cli,
    opts: &lucia_harness::gate::GateOptions,
    report_dir: Option<&Path>,
) -> ExitCode {
    use reporters::readiness::CheckStatus;
    let (config, suite) = match load(cli) {
        Ok(x) => x,
        Err(code) => return code,
    };
    eprintln!(
        "gate: running {} (source) and {} (target, @health) …",
        opts.from, opts.to
    );
    let lookup = |name: &str| std::env::var(name).ok();
    let outcome =
        match lucia_harness::gate::gate(&config, &suite, &cli.snapshots, opts, &lookup).await {
            Ok(o) => o,
            Err(RunError::Features(problems)) => {
                for p in &problems {
                    eprintln!("error: {p}");
                }
                return ExitCode::from(EXIT_USAGE);
            }
            Err(e) => return error(e),
        };
    let r = &outcome.readiness;
    let paint = |code: &str, s: &str| {
        if color_enabled(cli) {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let mut out = format!(
        "Promotion of {} from {} to {}: {}\n\n",
        r.version,
        r.from,
        r.to,
        paint(
            match r.verdict {
                reporters::readiness::Verdict::Ready => "1;32",
                reporters::readiness::Verdict::NotReady => "1;31",
                reporters::readiness::Verdict::Inconclusive => "1;33",
            },
            r.verdict.label()
        )
    );
    for c in &r.checks {
        let status = match c.status {
            CheckStatus::Pass => paint("32", "pass   "),
            CheckStatus::Fail => paint("31", "FAIL   "),
            CheckStatus::Warn => paint("33", "warn   "),
            CheckStatus::Unknown => paint("33", "unknown"),
        };
        out.push_str(&format!("  {status} {:<18} {}\n", c.id.as_str(), c.detail));
    }
    emit(out.as_bytes());
    if let Some(dir) = report_dir {
        if let Err(e) = write_readiness(dir, r) {
            return error(e);
        }
        for (sub, report) in [("source", &outcome.source), ("target", &outcome.target)] {
            if let Some(report) = report
                && let Err(e) = write_reports(&dir.join(sub), report)
            {
                return error(e);
            }
        }
    }
    ExitCode::from(r.verdict.exit_code())
}

fn write_readiness(dir: &Path, readiness: &reporters::readiness::Readiness) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for r in reporters::readiness::all() {
        let path = dir.join(r.file_name());
        let mut bytes = Vec::new();
        r.write(readiness, &mut bytes)
            .map_err(|e| format!("cannot render {}: {e}", path.display()))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
