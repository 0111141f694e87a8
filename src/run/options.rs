//! What a run is asked ([`RunOptions`]), why it may not start
//! ([`RunError`]), and the progress it reports while it goes.

use std::sync::Arc;
use std::time::Duration;

use crate::input::config::ConfigError;
use crate::input::features::Problem;

pub const HARNESS_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub environment: String,
    /// A cucumber tag expression (`@gating and not @slow`).
    pub tags: Option<String>,
    pub concurrency: Option<usize>,
    pub request_timeout: Option<Duration>,
    pub scenario_timeout: Option<Duration>,
    /// Move every surface to this origin (a sandbox on another port).
    pub origin: Option<String>,
    /// Where baseline steps compare or capture; without it they fail (config).
    pub baselines: Option<Arc<dyn probes::Baselines>>,
    /// Run only the scenarios that have a baseline step (capture, `baseline diff`).
    pub only_baselines: bool,
    /// Personal-data rules every message is scrubbed with (snapshots/normalise.toml).
    pub privacy: Option<Arc<probes::core::normalise::Rules>>,
    /// Where the probes run from (`--location`), carried by the report.
    pub location: Option<String>,
}

/// Why a run could not start. All of these are exit 2.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Features(Vec<Problem>),
    #[error("{0}")]
    Usage(String),
}

/// Live progress, for the terminal.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub last: String,
}

pub type ProgressFn = Box<dyn FnMut(&Progress)>;
