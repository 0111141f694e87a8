//! The flags more than one command shares: the global paths, how a run is
//! asked for, and the one parser of durations on the command line.

use std::path::PathBuf;
use std::time::Duration;

use lucia_harness::run::{RunOptions, Shard};
use probes::core::duration::parse as parse_duration;

/// The flags every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Globals {
    /// The environments file.
    #[arg(
        long,
        global = true,
        default_value = "environments.toml",
        value_name = "FILE"
    )]
    pub config: PathBuf,
    /// The features directory (or one .feature file).
    #[arg(long, global = true, default_value = "features", value_name = "DIR")]
    pub features: PathBuf,
    /// The baselines directory (snapshots/<version>/…, normalise.toml).
    #[arg(long, global = true, default_value = "snapshots", value_name = "DIR")]
    pub snapshots: PathBuf,
    /// Never color the output (also: NO_COLOR=1).
    #[arg(long, global = true)]
    pub no_color: bool,
}

impl Globals {
    /// Whether to paint: a terminal, and neither --no-color nor NO_COLOR.
    pub fn color(&self) -> bool {
        use std::io::IsTerminal as _;
        !self.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
    }
}

// How a run is asked for (`run`, `demo`, `claims`).
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Only scenarios matching this tag expression, e.g. "@gating and not @slow".
    #[arg(long, short = 't', value_name = "EXPR")]
    pub tags: Option<String>,
    /// Write report.json (and the other report formats) into this directory.
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Scenarios run at once.
    #[arg(long, short = 'c', default_value_t = 16, value_name = "N")]
    pub concurrency: usize,
    /// Per-request timeout, overriding environments.toml (e.g. 500ms, 10s).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub timeout: Option<Duration>,
    /// Per-scenario timeout, overriding environments.toml.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub scenario_timeout: Option<Duration>,
    /// List every scenario in the summary, not only those needing attention.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Run only part I of N of the selected scenarios (by a stable hash of feature file and scenario
    /// name), e.g. 2/4 on the second of four CI machines; `report merge` joins the parts' reports.
    #[arg(long, value_name = "I/N", value_parser = shard)]
    pub shard: Option<Shard>,
}

impl RunArgs {
    /// The run these flags ask for, in `environment`, moved to `origin`.
    pub fn options(&self, environment: &str, origin: Option<String>) -> RunOptions {
        RunOptions {
            environment: environment.to_owned(),
            tags: self.tags.clone(),
            concurrency: Some(self.concurrency),
            request_timeout: self.timeout,
            scenario_timeout: self.scenario_timeout,
            origin,
            shard: self.shard,
            evidence: self.report_dir.is_some(),
            ..RunOptions::default()
        }
    }
}

/// A `--shard I/N` flag.
fn shard(s: &str) -> Result<Shard, String> {
    s.parse()
}

/// A duration flag: `500ms`, `10s`, `2m`; never zero.
pub fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s:?} is not a duration (write 500ms, 10s or 2m)"))
}
