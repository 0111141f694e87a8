//! What a baseline command observes: the scenarios with a baseline step
//! that run in an environment ([`plan`]), one run of them with a
//! [`Recorder`] ([`observe_once`]), and why a planned one did not pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use probes::Baselines;
use reporters::{RunReport, Status};

use super::error::BaselineError;
use super::observe::{Recorded, Recorder, RuleBook};
use super::store;
use crate::input::config::{Config, EnvConfig};
use crate::input::display_path;
use crate::input::features::Suite;
use crate::run::{self, RunOptions, Selection};

/// Where and how to observe: like `run`'s options.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub env: String,
    pub origin: Option<String>,
    pub tags: Option<String>,
    pub request_timeout: Option<Duration>,
}

/// A scenario with a baseline step, as selected for an environment.
#[derive(Clone, Debug)]
pub(super) struct Planned {
    pub(super) name: String,
    pub(super) file: PathBuf,
    pub(super) scenario_line: usize,
    pub(super) step_line: usize,
}

pub(super) fn plan(
    config: &Config,
    suite: &Suite,
    target: &Target,
) -> Result<(EnvConfig, Vec<Planned>), BaselineError> {
    let opts = RunOptions {
        environment: target.env.clone(),
        origin: target.origin.clone(),
        ..RunOptions::default()
    };
    let env = run::effective_env(config, &opts)?;
    let tags = target.tags.as_deref().map(run::parse_tags).transpose()?;
    let env_names: BTreeSet<&str> = config.environments.keys().map(String::as_str).collect();
    let mut planned: Vec<Planned> = Vec::new();
    for sc in suite.scenarios() {
        if run::select(&sc, &env, &env_names, tags.as_ref()) == Selection::Exclude {
            continue;
        }
        for step in sc.steps() {
            if let Some(name) = probes::steps::baseline::step_baseline(&step.value) {
                let here = Planned {
                    name: name.to_owned(),
                    file: sc.file(),
                    scenario_line: sc.scenario.position.line,
                    step_line: step.position.line,
                };
                if let Some(other) = planned.iter().find(|p| p.name == name) {
                    return Err(BaselineError::Usage(format!(
                        "baseline \"{name}\" is named twice: {}:{} and {}:{} (each response needs its own name)",
                        display_path(&other.file),
                        other.step_line,
                        display_path(&here.file),
                        here.step_line
                    )));
                }
                planned.push(here);
            }
        }
    }
    if planned.is_empty() {
        return Err(BaselineError::Usage(format!(
            "no scenario with a `Then the response matches the baseline \"…\"` step runs in environment '{}'{}",
            env.name,
            target
                .tags
                .as_deref()
                .map(|t| format!(" with --tags {t:?}"))
                .unwrap_or_default()
        )));
    }
    Ok((env, planned))
}

/// Why a planned scenario did not pass in a run, if it did not.
pub(super) fn failure(report: &RunReport, p: &Planned) -> Option<String> {
    let file = display_path(&p.file);
    let Some(s) = report
        .scenarios
        .iter()
        .find(|s| s.feature_file == file && s.line == p.scenario_line)
    else {
        return Some("the scenario did not run".to_owned());
    };
    match s.status {
        Status::Passed | Status::Flaky | Status::Degraded | Status::ClaimOutdated => None,
        Status::Skipped => Some(format!(
            "skipped: {}",
            s.skip_reason.as_deref().unwrap_or("not run")
        )),
        Status::Failed | Status::KnownGap => Some(s.error.as_ref().map_or_else(
            || "the scenario failed".to_owned(),
            |e| format!("{}: {}", e.kind, e.message),
        )),
    }
}

pub(super) async fn observe_once(
    config: &Config,
    suite: &Suite,
    target: &Target,
    rules: &Arc<RuleBook>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(RunReport, BTreeMap<String, Recorded>), BaselineError> {
    let recorder = Arc::new(Recorder::new(Arc::clone(rules)));
    let opts = RunOptions {
        environment: target.env.clone(),
        tags: target.tags.clone(),
        concurrency: Some(8),
        request_timeout: target.request_timeout,
        scenario_timeout: None,
        origin: target.origin.clone(),
        baselines: Some(Arc::clone(&recorder) as Arc<dyn Baselines>),
        only_baselines: true,
        privacy: Some(rules.general()),
        location: None,
        shard: None,
        evidence: false,
    };
    let report = run::run(config, suite, &opts, lookup, None).await?;
    Ok((report, recorder.take()))
}

/// The version given on the command line, else the environment's `expected.release`.
pub(super) fn version_of(
    env: &EnvConfig,
    given: Option<&str>,
    flag: &str,
) -> Result<String, BaselineError> {
    let v = given
        .or(env.expected.get("release").map(String::as_str))
        .ok_or_else(|| {
            BaselineError::Usage(format!(
                "which version? pass {flag} (environment '{}' sets no expected.release)",
                env.name
            ))
        })?;
    store::validate_version(v).map_err(BaselineError::Usage)?;
    Ok(v.to_owned())
}

pub(super) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}
