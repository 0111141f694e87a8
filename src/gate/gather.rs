//! `lucia-harness gate`: gathers the evidence (a full run of the source
//! with baseline comparisons, a @health run of the target, the baseline's
//! state) and evaluates it.

use std::path::Path;
use std::time::Duration;

use reporters::RunReport;
use reporters::model::readiness::Readiness;

use super::checks::evaluate;
use super::evidence::{FlakyPolicy, GateEvidence, baseline_evidence};
use crate::baseline::for_version;
use crate::input::config::Config;
use crate::input::features::Suite;
use crate::run::{RunError, RunOptions, run};

/// What `lucia-harness gate` was asked.
#[derive(Clone, Debug, Default)]
pub struct GateOptions {
    pub from: String,
    pub to: String,
    /// Defaults to the source's `expected.release`.
    pub version: Option<String>,
    /// Move the source's (target's) surfaces to another host and port.
    pub from_origin: Option<String>,
    pub to_origin: Option<String>,
    pub flaky: FlakyPolicy,
    pub concurrency: Option<usize>,
    pub request_timeout: Option<Duration>,
}

/// The gate's result: the verdict and the runs it was drawn from.
#[derive(Debug)]
pub struct GateOutcome {
    pub readiness: Readiness,
    pub source: Option<RunReport>,
    pub target: Option<RunReport>,
}

/// Gathers the evidence (a full run of the source with baseline
/// comparisons, a @health run of the target, the baseline's state) and
/// evaluates it. Configuration problems are errors (exit 2); evidence that
/// cannot be gathered makes checks unknown (exit 3).
pub async fn gate(
    config: &Config,
    suite: &Suite,
    snapshots: &Path,
    opts: &GateOptions,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<GateOutcome, RunError> {
    let source_env = config.environment(&opts.from)?;
    config.environment(&opts.to)?;
    let version = match &opts.version {
        Some(v) => v.clone(),
        None => source_env.expected.get("release").cloned().ok_or_else(|| {
            RunError::Usage(format!(
                "no --version given and environment '{}' sets no expected.release in {}",
                opts.from,
                config.path.display()
            ))
        })?,
    };
    let (baselines, privacy) =
        for_version(snapshots, &version, &opts.from).map_err(|e| RunError::Usage(e.to_string()))?;
    let source_opts = RunOptions {
        environment: opts.from.clone(),
        concurrency: opts.concurrency,
        request_timeout: opts.request_timeout,
        origin: opts.from_origin.clone(),
        baselines: Some(baselines),
        privacy: Some(privacy.clone()),
        ..RunOptions::default()
    };
    let target_opts = RunOptions {
        environment: opts.to.clone(),
        tags: Some("@health".to_owned()),
        concurrency: opts.concurrency,
        request_timeout: opts.request_timeout,
        origin: opts.to_origin.clone(),
        privacy: Some(privacy),
        ..RunOptions::default()
    };
    let source = run(config, suite, &source_opts, lookup, None).await?;
    let target = run(config, suite, &target_opts, lookup, None).await?;
    let baseline = baseline_evidence(snapshots, &version);
    let readiness = evaluate(&GateEvidence {
        from: &opts.from,
        to: &opts.to,
        version: &version,
        source: Ok(&source),
        target: Ok(&target),
        baseline: &baseline,
        flaky: opts.flaky,
    });
    Ok(GateOutcome {
        readiness,
        source: Some(source),
        target: Some(target),
    })
}
