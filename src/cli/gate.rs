//! `lucia-harness gate`: may this version be promoted? The seven checks of
//! the seed's promotion rule, the verdict on stdout, readiness.json/.md/.html
//! and both runs' reports in --report-dir.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use lucia_harness::gate::{FlakyPolicy, GateOptions};

use super::args::{Globals, duration};
use super::output::{emit, error, load, note, run_error, write_all, write_reports};

// `gate`'s flags.
#[derive(Debug, clap::Args)]
pub struct GateCommand {
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
    #[arg(long, value_enum, default_value_t = Flaky::Warn)]
    flaky: Flaky,
    /// Per-request timeout, overriding environments.toml.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    timeout: Option<Duration>,
    /// Refused: the gate decides on the whole suite (it exists to say so clearly).
    #[arg(long, value_name = "I/N", hide = true)]
    shard: Option<String>,
}

/// `--flaky`: the gate's [`FlakyPolicy`], as the command line spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Flaky {
    /// Passes with a warning (the default).
    Warn,
    /// Blocks promotion.
    Fail,
}

impl From<Flaky> for FlakyPolicy {
    fn from(f: Flaky) -> Self {
        match f {
            Flaky::Warn => Self::Warn,
            Flaky::Fail => Self::Fail,
        }
    }
}

pub async fn gate(g: &Globals, cmd: &GateCommand) -> ExitCode {
    if let Some(s) = &cmd.shard {
        return error(format!(
            "gate --shard {s}: the gate decides on the whole suite, never on one shard of it; shard `run` across machines and merge the reports (lucia-harness report merge), or run the gate on one machine"
        ));
    }
    let opts = GateOptions {
        from: cmd.from.clone(),
        to: cmd.to.clone(),
        version: cmd.version.clone(),
        from_origin: cmd.from_origin.clone(),
        to_origin: cmd.to_origin.clone(),
        flaky: cmd.flaky.into(),
        concurrency: None,
        request_timeout: cmd.timeout,
    };
    let (config, suite) = match load(g) {
        Ok(x) => x,
        Err(code) => return code,
    };
    note(format!(
        "gate: running {} (source) and {} (target, @health) …",
        opts.from, opts.to
    ));
    let lookup = |name: &str| std::env::var(name).ok();
    let outcome =
        match lucia_harness::gate::gate(&config, &suite, &g.snapshots, &opts, &lookup).await {
            Ok(o) => o,
            Err(e) => return run_error(e, None),
        };
    let r = &outcome.readiness;
    let mut out = Vec::new();
    let _ = reporters::terminal::readiness::write_readiness(r, g.color(), &mut out);
    emit(&out);
    if let Some(dir) = &cmd.report_dir {
        if let Err(e) = write_all(dir, &reporters::format::readiness::all(), r) {
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
