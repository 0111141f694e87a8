//! `lucia-harness history`: recent runs of an environment from the state
//! database, with their counts.

use std::process::ExitCode;

use lucia_harness::record::history::{self, RunRow};
use lucia_harness::record::state;

use super::output::{EXIT_OK, emit, error};

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The environment.
    #[arg(long, short = 'e', value_name = "NAME")]
    env: String,
    /// Only the runs seen from this location (--location of run or serve).
    #[arg(long, value_name = "NAME")]
    location: Option<String>,
    /// How many runs, newest first.
    #[arg(long, short = 'n', default_value_t = 20, value_name = "N")]
    limit: usize,
    /// The state: a SQLite file or a postgres:// URL.
    #[arg(long, env = "LUCIA_HARNESS_STATE_URL", default_value = history::DEFAULT_PATH, value_name = "FILE|URL")]
    state: String,
    /// JSON (one object per run) instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn history(args: &HistoryArgs) -> ExitCode {
    if !state::is_url(&args.state) && !std::path::Path::new(&args.state).exists() {
        return error(format!(
            "no state database at {} (serve, or run --state, creates it)",
            args.state
        ));
    }
    let store = match state::open(&args.state) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let series = reporters::model::run::series(&args.env, args.location.as_deref());
    let rows = match store.history(&series, args.limit.max(1)) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    if rows.is_empty() {
        let known = store.environments().unwrap_or_default();
        return error(format!(
            "no run of {} in {} (environments with runs: {})",
            series,
            store.location().display(),
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
    emit(out.as_bytes());
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
                .map_or_else(|| "–".to_owned(), probes::core::duration::measured),
        ));
        if let Some(e) = &r.error {
            out.push_str(&format!("        ↳ {e}\n"));
        }
    }
    out
}
