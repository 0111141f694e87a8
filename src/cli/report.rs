//! `lucia-harness report merge`: the shards of a run, one report again.

use std::path::PathBuf;
use std::process::ExitCode;

use reporters::RunReport;
use reporters::model::merge::merge;

use super::args::Globals;
use super::output::{EXIT_OK, error, note, write_reports};

// `report`'s subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Join the reports of `run --shard I/N` (each a --report-dir with its report.json) into one,
    /// and write every format from it: report.json, JUnit, Cucumber JSON and Messages, Markdown,
    /// HTML. The same report an unsharded run would write, but for timings and the run id. Shards
    /// of different environments, locations or harness versions, a shard missing or given twice,
    /// are refused (exit 2).
    Merge(MergeArgs),
}

// `report merge`'s flags.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' report directories (or their report.json files).
    #[arg(required = true, value_name = "DIR")]
    parts: Vec<PathBuf>,
    /// Where to write the merged reports.
    #[arg(long, value_name = "DIR")]
    report_dir: PathBuf,
}

pub fn report(_g: &Globals, cmd: &ReportCommand) -> ExitCode {
    match cmd {
        ReportCommand::Merge(args) => merge_reports(args),
    }
}

fn merge_reports(args: &MergeArgs) -> ExitCode {
    let mut parts = Vec::new();
    for p in &args.parts {
        let file = if p.is_dir() {
            p.join("report.json")
        } else {
            p.clone()
        };
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => return error(format!("{}: cannot read it: {e}", file.display())),
        };
        let report: RunReport = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                return error(format!(
                    "{}:{}: not a lucia-harness report.json: {e}",
                    file.display(),
                    e.line()
                ));
            }
        };
        parts.push((p.display().to_string(), report));
    }
    let n = parts.len();
    let merged = match merge(parts) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    if let Err(e) = write_reports(&args.report_dir, &merged) {
        return error(e);
    }
    let s = &merged.summary;
    note(format!(
        "merged {n} shards of {}: {} scenarios ({} passed, {} failed) into {}",
        merged.environment,
        merged.scenarios.len(),
        s.passed,
        s.failed,
        args.report_dir.display()
    ));
    ExitCode::from(EXIT_OK)
}
