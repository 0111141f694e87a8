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
    /// Only this shard of the selected scenarios (`--shard I/N`).
    pub shard: Option<Shard>,
    /// Keep every exchange in full, redacted, for `exchanges.har` (when
    /// the run writes a report directory; it costs a copy and a redaction
    /// of every body).
    pub evidence: bool,
}

/// One of N parts of a suite (`--shard I/N`, I from 1): a scenario belongs
/// to the shard its stable hash (of its feature file's path and its name)
/// falls in, so every scenario is in exactly one shard, the same one on
/// every machine, and adding a scenario moves no other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a shard: write I/N with 1 <= I <= N <= 1000, e.g. 2/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count || count > 1000 {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the scenario `name` of the feature file at `path` is in this shard.
    pub fn holds(&self, path: &std::path::Path, name: &str) -> bool {
        use sha2::Digest as _;
        let path = path.to_string_lossy().replace('\\', "/");
        let path = path.trim_start_matches("./");
        let digest = sha2::Sha256::digest(format!("{path}\n{name}").as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_of_the_suite_is_in_exactly_one_shard_for_1_to_8() {
        let suite = crate::input::features::Suite::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/features"
        )))
        .expect("features");
        let scenarios: Vec<(std::path::PathBuf, String)> = suite
            .scenarios()
            .map(|sc| {
                let path = sc.feature.path.clone().unwrap_or_default();
                let rel = path
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or(path);
                (rel, sc.scenario.name.clone())
            })
            .collect();
        assert!(scenarios.len() > 50);
        for n in 1..=8 {
            let shards: Vec<Shard> = (1..=n).map(|i| Shard { index: i, count: n }).collect();
            for (path, name) in &scenarios {
                let holding = shards.iter().filter(|s| s.holds(path, name)).count();
                assert_eq!(holding, 1, "{n} shards: {path:?} {name}");
            }
            if n > 1 {
                // No shard is empty with this many scenarios: the hash spreads.
                for s in &shards {
                    assert!(scenarios.iter().any(|(p, m)| s.holds(p, m)), "{s} is empty");
                }
            }
        }
        // Stable: the same answer for the path written with ./ and with \.
        let s = Shard { index: 1, count: 3 };
        let a = s.holds(
            std::path::Path::new("features/engine/health.feature"),
            "Engine reports healthy",
        );
        assert_eq!(
            a,
            s.holds(
                std::path::Path::new("./features/engine/health.feature"),
                "Engine reports healthy"
            )
        );
    }

    #[test]
    fn a_shard_is_i_of_n() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "4", "a/b", "1/1001", "/3"] {
            let e = bad.parse::<Shard>().expect_err(bad);
            assert!(e.contains("I/N"), "{e}");
        }
    }
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
