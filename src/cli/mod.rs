//! The command line, binary-only: every clap type lives here, one module
//! per command; [`args`] holds the flags several share (and the one
//! duration parser), [`output`] the exit codes and how answers are printed.
//! Exit codes: 0 passed/ready · 1 checks failed, drift or not ready ·
//! 2 bad usage, config or feature file · 3 inconclusive (gate).

mod adapt;
mod args;
mod baseline;
mod check;
mod claims;
mod demo;
mod gate;
mod history;
mod output;
mod report;
mod run;
mod sandbox;
mod serve;
mod silence;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use args::{Globals, RunArgs};
use baseline::BaselineCommand;
use claims::ClaimsCommand;
use gate::GateCommand;
use history::HistoryArgs;
use run::RunCommand;
use sandbox::SandboxCommand;
use serve::ServeArgs;

pub use output::error;

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
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the built-in sandbox on a free loopback port and run every feature against it.
    ///
    /// The README's first command. Exits 0 when every scenario passes.
    Demo(RunArgs),
    /// Run the features against one environment of environments.toml.
    ///
    /// Scenarios tagged with environment names (@dev, @staging, @local, …) run only there;
    /// untagged ones run wherever every service they use exists. @mutating scenarios are
    /// skipped where the environment does not allow mutation (production never does).
    Run(RunCommand),
    /// Propose the feature edits a live environment's real contracts ask for, never one that
    /// hides a broken claim.
    ///
    /// Runs the features; for each scenario failing on an assertion, looks for the value the
    /// feature expects elsewhere in the response: a renamed key, a moved path (a wrapper, a
    /// nesting level, a path into an array), a renamed header. Prints each edit as a unified diff
    /// with the rule and the observed response (redacted); `--write` makes them, then runs again.
    /// Never changes an expected status, value or text, never removes or loosens a step, never
    /// touches a scenario failing on a fault or a baseline. What stays failing is listed: "not a
    /// contract difference: check the claim". Exit 0 when everything passes, 1 when something
    /// still fails.
    #[command(after_help = "Examples:
  lucia-harness adapt --env dev                  # the proposed edits, nothing written
  lucia-harness adapt --env dev --write          # make them, run again, say what remains
  lucia-harness sandbox --dialect renamed &      # a stand-in answering under other names
  lucia-harness adapt --env local --origin https://127.0.0.1:8700")]
    Adapt(adapt::AdaptCommand),
    /// Run the features against an environment and print the Canon's claim ledger.
    ///
    /// Every scenario tagged implemented, configured, tested, deferred or future is a claim:
    /// the ledger shows the Canon's status, what the harness saw, and when it last passed.
    /// Exits 1 when a claim is violated or outdated. With --from-report, reads a report.json
    /// instead of running.
    Claims(ClaimsCommand),
    /// May this version be promoted? The promotion gate of the seed.
    ///
    /// Runs every scenario of the source (comparing against the version's baseline), the
    /// @health scenarios of the target, reads the baseline's review, and evaluates seven checks:
    /// source-version, source-suite, baseline-captured, baseline-reviewed, no-drift, claims,
    /// target-healthy. Exit 0 ready, 1 not ready, 3 inconclusive (the evidence could not be
    /// gathered: CI must not read it as either), 2 bad usage or config. Writes readiness.json,
    /// readiness.md and readiness.html (and the runs' reports under source/ and target/).
    Gate(GateCommand),
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
    Serve(ServeArgs),
    /// Recent runs of an environment from the state database, with pass/fail/flaky counts.
    History(HistoryArgs),
    /// Pause alerts for an environment (a deploy): its runs go on, recorded as maintenance.
    ///
    /// `silence --env dev --for 30m --reason "deploy"` starts one; `silence list`
    /// shows them; `silence end ID` ends one early. Kept in the state database
    /// (--state, as serve's), so every serve replica and `run --alert` honour it.
    Silence(silence::SilenceCommand),
    /// Serve the local Lucia stand-in, with optional drift and faults.
    ///
    /// Surfaces: /engine, /admin, /marketing, /guest, /netlify (as environments.toml's `local`).
    Sandbox(SandboxCommand),
    /// Baselines (Eval Labs): capture, diff, approve, accept, reject, status.
    ///
    /// A baseline is the normalised responses of every scenario with a
    /// `Then the response matches the baseline "area/name"` step, captured from one
    /// environment for one version into snapshots/<version>/ (insta .snap files and
    /// BASELINE.toml). `run` compares with the baseline of the environment's
    /// expected.release.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Work with reports already written: join the shards of a run (`report merge`).
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
}

/// The command line of this process (exit 2 with clap's message when it is wrong).
pub fn parse() -> Cli {
    Cli::parse()
}

impl Cli {
    /// Whether the command wants worker threads: the demo (a sandbox in the
    /// same process) and serve do; a run is one task driving every scenario
    /// and its connections, which one thread does with the least overhead.
    pub fn threaded(&self) -> bool {
        matches!(self.command, Command::Demo(_) | Command::Serve(_))
    }
}

/// Runs the command.
pub async fn dispatch(cli: Cli) -> ExitCode {
    let g = &cli.globals;
    match &cli.command {
        Command::Demo(args) => demo::demo(g, args).await,
        Command::Run(cmd) => run::run(g, cmd).await,
        Command::Adapt(cmd) => adapt::adapt(g, cmd).await,
        Command::Claims(cmd) => claims::claims(g, cmd).await,
        Command::Gate(cmd) => gate::gate(g, cmd).await,
        Command::Check => check::check(g),
        Command::Steps => check::steps(),
        Command::Serve(args) => serve::serve(g, args).await,
        Command::History(args) => history::history(args),
        Command::Silence(cmd) => silence::silence(g, cmd),
        Command::Sandbox(cmd) => sandbox::sandbox(cmd).await,
        Command::Baseline { command } => baseline::baseline(g, command).await,
        Command::Report { command } => report::report(g, command),
    }
}
