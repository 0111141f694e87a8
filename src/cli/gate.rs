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
    let _ = write_readiness(r, g.color(), &mut out);
    emit(&out);
    if let Some(dir) = &cmd.report_dir {
        if let Err(e) = write_all(dir, &reporters::readiness::all(), r) {
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

// TEMPORARY until reporters::terminal has it.
fn write_readiness(
    r: &reporters::readiness::Readiness,
    color: bool,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    use reporters::readiness::CheckStatus;
    use std::io::Write as _;
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let mut text = format!(
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
        text.push_str(&format!("  {status} {:<18} {}\n", c.id.as_str(), c.detail));
    }
    out.write_all(text.as_bytes())
}
