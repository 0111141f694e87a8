//! `lucia-harness claims`: the Canon's claim ledger of a run (or of an
//! earlier run's report.json): every claim, its status, what was seen, when
//! it last passed. Exit 1 when a claim is violated or outdated.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lucia_harness::run;
use reporters::RunReport;

use super::args::{Globals, RunArgs};
use super::output::{
    EXIT_FAILED, EXIT_OK, emit, error, load, progress_printer, run_error, write_reports,
};

// `claims`'s own flags.
#[derive(Debug, clap::Args)]
pub struct ClaimsCommand {
    /// The environment (as for `run`).
    #[arg(
        long,
        short = 'e',
        value_name = "NAME",
        required_unless_present = "from_report"
    )]
    pub env: Option<String>,
    /// Move every surface to this host and port (as for `run`).
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// Print the ledger of an earlier run's report.json instead of running.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["env", "origin"])]
    pub from_report: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

fn read_report(path: &Path) -> Result<RunReport, ExitCode> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        error(format!(
            "{}:{}: not a report.json: {e}",
            path.display(),
            e.line()
        ))
    })
}

async fn run_for_claims(g: &Globals, cmd: &ClaimsCommand) -> Result<RunReport, ExitCode> {
    let (config, suite) = load(g)?;
    let env = cmd.env.as_deref().unwrap_or_default();
    let (store, privacy) =
        lucia_harness::baseline::for_run(&g.snapshots, &config, env).map_err(error)?;
    let mut opts = cmd.run.options(env, cmd.origin.clone());
    opts.baselines = Some(store);
    opts.privacy = Some(privacy);
    let lookup = |name: &str| std::env::var(name).ok();
    run::run(&config, &suite, &opts, &lookup, progress_printer())
        .await
        .map_err(|e| run_error(e, None))
}

pub async fn claims(g: &Globals, cmd: &ClaimsCommand) -> ExitCode {
    let report = match &cmd.from_report {
        Some(path) => read_report(path),
        None => run_for_claims(g, cmd).await,
    };
    let report = match report {
        Ok(r) => r,
        Err(code) => return code,
    };
    let style = reporters::terminal::Style {
        color: g.color(),
        list_all: true,
    };
    let mut buf = Vec::new();
    let _ = reporters::terminal::claims::write_claims(&report, style, &mut buf);
    emit(&buf);
    if cmd.from_report.is_none()
        && let Some(dir) = &cmd.run.report_dir
        && let Err(e) = write_reports(dir, &report)
    {
        return error(e);
    }
    let broken = report.claims.iter().any(|c| c.verdict.is_broken());
    ExitCode::from(if broken { EXIT_FAILED } else { EXIT_OK })
}
