//! The demo's own baseline: the sandbox captured into a temporary
//! directory, so the demo's baseline steps compare with something real
//! without touching `snapshots/`.

use std::path::Path;
use std::sync::Arc;

use probes::Baselines;
use probes::core::normalise::Rules;

use crate::baseline::capture::{CaptureReport, capture};
use crate::baseline::observe::{Comparer, RuleBook};
use crate::baseline::plan::Target;
use crate::baseline::{BaselineError, SnapshotStore};
use crate::input::config::Config;
use crate::input::features::Suite;

/// For `demo`: the sandbox's own baseline, captured into a temporary
/// directory (the real v0.1.3.6 baseline comes from dev, captured by Eval
/// Labs; a sandbox capture committed under snapshots/ would be pretending).
pub async fn sandbox_baseline(
    config: &Config,
    suite: &Suite,
    origin: &str,
    snapshots: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<
    (
        tempfile::TempDir,
        CaptureReport,
        Arc<dyn Baselines>,
        Arc<Rules>,
    ),
    BaselineError,
> {
    let rules = SnapshotStore::new(snapshots).load_rules()?;
    let dir = tempfile::tempdir()
        .map_err(|e| BaselineError::Usage(format!("cannot create a temporary directory: {e}")))?;
    let store = SnapshotStore::new(dir.path());
    let target = Target {
        env: "local".to_owned(),
        origin: Some(origin.to_owned()),
        ..Target::default()
    };
    let report = capture(config, suite, &target, None, &store, rules.clone(), lookup).await?;
    let general = RuleBook::new(rules.clone()).general();
    let version = config.release("local");
    let comparer = Comparer::new(store, rules, version, "local");
    Ok((dir, report, Arc::new(comparer), general))
}
