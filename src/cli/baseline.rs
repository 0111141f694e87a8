//! `lucia-harness baseline capture | diff | approve | accept | reject |
//! status`: Eval Labs' baselines, each command a call into the library's
//! `baseline` and its answer printed.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use lucia_harness::baseline::capture::capture;
use lucia_harness::baseline::diff::{diff_live, diff_versions, exit_code};
use lucia_harness::baseline::plan::Target;
use lucia_harness::baseline::review::{accept, approve, reject, render_status, status};
use lucia_harness::baseline::{BaselineError, ReviewState, SnapshotStore};
use lucia_harness::input::config::Config;
use lucia_harness::input::features::Suite;
use lucia_harness::run::RunError;
use probes::core::normalise::RulesFile;
use reporters::model::drift::DriftReport;

use super::args::{Globals, duration};
use super::output::emit;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Terminal,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// Move every surface of the environment to this origin, keeping path prefixes
    /// (the sandbox on another port: http://127.0.0.1:9000).
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// Only scenarios matching this tag expression.
    #[arg(long, short = 't', value_name = "EXPR")]
    pub tags: Option<String>,
    /// Per-request timeout, overriding environments.toml.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub timeout: Option<Duration>,
}

#[derive(Debug, clap::Subcommand)]
pub enum BaselineCommand {
    /// Capture the responses of every scenario with a baseline step (two samples each).
    ///
    /// Writes snapshots/<version>/<env>/<area>/<name>.snap and BASELINE.toml. Where a
    /// snapshot exists and differs, writes <name>.snap.new for review instead: an
    /// approved baseline is never overwritten.
    Capture {
        #[arg(long, short = 'e', value_name = "NAME")]
        env: String,
        /// The version the baseline is of (default: the environment's expected.release).
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Compare a live environment (--env) or a later version (--from/--to) with a baseline.
    ///
    /// Exit 1 on breaking drift (a removed field, a changed type, status or content type)
    /// or drift no approved review covers; 3 when nothing drifted but a response could not
    /// be observed; 0 otherwise.
    Diff {
        /// The live environment to observe.
        #[arg(long, short = 'e', value_name = "NAME", conflicts_with_all = ["from", "to"], required_unless_present = "from")]
        env: Option<String>,
        /// The stored version to compare with (default: the environment's expected.release).
        #[arg(long, value_name = "VERSION", requires = "env")]
        against: Option<String>,
        /// The older stored version.
        #[arg(long, value_name = "VERSION", requires = "to")]
        from: Option<String>,
        /// The newer stored version.
        #[arg(long, value_name = "VERSION", requires = "from")]
        to: Option<String>,
        #[arg(long, value_enum, default_value = "terminal")]
        format: Format,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Record the Eval Labs review of a version (refused while .snap.new files wait).
    Approve {
        #[arg(long, value_name = "VERSION")]
        version: String,
        #[arg(long, value_name = "NAME")]
        reviewer: String,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Promote pending .snap.new files to .snap (all, or the baselines named).
    ///
    /// The version's review no longer matches afterwards: approve it again.
    Accept {
        #[arg(long, value_name = "VERSION")]
        version: String,
        /// Baselines to accept (area/name); none means every pending one.
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
    /// Delete pending .snap.new files (all, or the baselines named).
    Reject {
        #[arg(long, value_name = "VERSION")]
        version: String,
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
    /// Show each version: where and when captured, pending snapshots, review.
    Status {
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        #[arg(long, value_enum, default_value = "terminal")]
        format: Format,
    },
}

/// What a command prints and its exit code.
#[derive(Debug, Default)]
struct Output {
    code: u8,
    stdout: Vec<u8>,
    stderr: String,
}

impl Output {
    fn error(e: impl std::fmt::Display) -> Self {
        Self {
            code: 2,
            stdout: Vec::new(),
            stderr: format!("error: {e}\n"),
        }
    }

    fn text(code: u8, s: String) -> Self {
        Self {
            code,
            stdout: s.into_bytes(),
            stderr: String::new(),
        }
    }
}

fn load(g: &Globals) -> Result<(Config, Suite), Output> {
    let config = Config::load(&g.config).map_err(Output::error)?;
    let suite = Suite::load(&g.features).map_err(|problems| Output {
        code: 2,
        stdout: Vec::new(),
        stderr: problems.iter().map(|p| format!("error: {p}\n")).collect(),
    })?;
    Ok((config, suite))
}

/// The config, the features and the normalisation rules of the store.
fn load_with_rules(
    g: &Globals,
    store: &SnapshotStore,
) -> Result<(Config, Suite, RulesFile), Output> {
    let (config, suite) = load(g)?;
    let rules = store.load_rules().map_err(Output::error)?;
    Ok((config, suite, rules))
}

fn target(env: &str, t: &TargetArgs) -> Target {
    Target {
        env: env.to_owned(),
        origin: t.origin.clone(),
        tags: t.tags.clone(),
        request_timeout: t.timeout,
    }
}

fn render_drift(r: &DriftReport, format: Format, color: bool) -> Output {
    let mut buf = Vec::new();
    let written = match format {
        Format::Terminal => reporters::terminal::drift::write_drift(r, color, &mut buf),
        Format::Markdown => reporters::format::drift::write_markdown(r, &mut buf),
        Format::Json => reporters::format::drift::write_json(r, &mut buf),
    };
    if let Err(e) = written {
        return Output::error(format!("cannot render the diff: {e}"));
    }
    Output {
        code: exit_code(r.verdict),
        stdout: buf,
        stderr: String::new(),
    }
}

fn errors(e: BaselineError) -> Output {
    match e {
        BaselineError::Run(RunError::Features(problems)) => Output {
            code: 2,
            stdout: Vec::new(),
            stderr: problems.iter().map(|p| format!("error: {p}\n")).collect(),
        },
        other => Output::error(other),
    }
}

/// Runs one `baseline` subcommand.
async fn execute(
    cmd: &BaselineCommand,
    g: &Globals,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Output {
    let store = SnapshotStore::new(&g.snapshots);
    match cmd {
        BaselineCommand::Capture {
            env,
            version,
            target: t,
        } => capture_cmd(g, &store, &target(env, t), version.as_deref(), lookup).await,
        BaselineCommand::Diff {
            env,
            against,
            from,
            to,
            format,
            target: t,
        } => {
            let result = match (env, from, to) {
                (Some(env), _, _) => {
                    let (config, suite, rules) = match load_with_rules(g, &store) {
                        Ok(x) => x,
                        Err(o) => return o,
                    };
                    let tgt = target(env, t);
                    diff_live(
                        &config,
                        &suite,
                        &tgt,
                        against.as_deref(),
                        &store,
                        rules,
                        lookup,
                    )
                    .await
                }
                (None, Some(from), Some(to)) => diff_versions(&store, from, to),
                _ => Err(BaselineError::Usage(
                    "pass --env NAME [--against VERSION], or --from VERSION --to VERSION".into(),
                )),
            };
            match result {
                Ok(r) => render_drift(&r, *format, g.color()),
                Err(e) => errors(e),
            }
        }
        BaselineCommand::Approve {
            version,
            reviewer,
            note,
        } => match approve(&store, version, reviewer, note.as_deref()) {
            Ok(m) => Output::text(
                0,
                format!(
                    "approved {} ({} baselines, captured from {}) by {} at {}; hash {}\n",
                    m.version,
                    m.baselines.len(),
                    m.captured_from,
                    m.review.reviewer.as_deref().unwrap_or(""),
                    m.review.reviewed_at.as_deref().unwrap_or(""),
                    m.review.hash.as_deref().unwrap_or("")
                ),
            ),
            Err(e) => errors(e),
        },
        BaselineCommand::Accept { version, names } => accept_cmd(&store, version, names),
        BaselineCommand::Reject { version, names } => match reject(&store, version, names) {
            Ok(dropped) => Output::text(
                0,
                if dropped.is_empty() {
                    format!("nothing pending in {version}\n")
                } else {
                    dropped.iter().map(|n| format!("rejected {n}\n")).collect()
                },
            ),
            Err(e) => errors(e),
        },
        BaselineCommand::Status { version, format } => {
            status_cmd(&store, version.as_deref(), *format)
        }
    }
}

async fn capture_cmd(
    g: &Globals,
    store: &SnapshotStore,
    tgt: &Target,
    version: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Output {
    let (config, suite, rules) = match load_with_rules(g, store) {
        Ok(x) => x,
        Err(o) => return o,
    };
    match capture(&config, &suite, tgt, version, store, rules, lookup).await {
        Ok(r) => Output::text(u8::from(r.failed() > 0), r.render()),
        Err(e) => errors(e),
    }
}

fn accept_cmd(store: &SnapshotStore, version: &str, names: &[String]) -> Output {
    match accept(store, version, names) {
        Ok(moved) if moved.is_empty() => Output::text(0, format!("nothing pending in {version}\n")),
        Ok(moved) => {
            let mut s = String::new();
            for n in &moved {
                s.push_str(&format!("accepted {n}\n"));
            }
            let stale = store
                .require_manifest(version)
                .and_then(|m| store.review_state(&m))
                .map(|r| matches!(r, ReviewState::Stale { .. }))
                .unwrap_or(false);
            if stale {
                s.push_str(&format!(
                    "the review of {version} no longer matches: `lucia-harness baseline approve --version {version} --reviewer NAME`\n"
                ));
            }
            Output::text(0, s)
        }
        Err(e) => errors(e),
    }
}

fn status_cmd(store: &SnapshotStore, version: Option<&str>, format: Format) -> Output {
    match status(store, version) {
        Ok(rows) => {
            let mut buf = Vec::new();
            match format {
                Format::Json => {
                    let _ = serde_json::to_writer_pretty(&mut buf, &rows);
                    let _ = buf.write_all(b"\n");
                }
                _ => buf = render_status(store, &rows).into_bytes(),
            }
            Output {
                code: 0,
                stdout: buf,
                stderr: String::new(),
            }
        }
        Err(e) => errors(e),
    }
}

/// Runs one `baseline` subcommand and prints its answer.
pub async fn baseline(g: &Globals, cmd: &BaselineCommand) -> ExitCode {
    let lookup = |name: &str| std::env::var(name).ok();
    let out = execute(cmd, g, &lookup).await;
    #[allow(clippy::print_stderr)] // the binary prints
    {
        eprint!("{}", out.stderr);
    }
    emit(&out.stdout);
    ExitCode::from(out.code)
}
