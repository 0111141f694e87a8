//! Which scenarios of the suite run in an environment, which are skipped
//! (with the reason: what the environment forbids, a secret or a database
//! that is not set) and which are not for it at all.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use probes::cucumber::gherkin::tagexpr::TagOperation;
use probes::cucumber::tag::Ext as _;
use probes::steps::Requirement;

use super::options::{RunError, RunOptions};
use crate::input::config::{Config, EnvConfig};
use crate::input::features::{Problem, ScenarioInfo, ScenarioKey, Suite, key_of};

/// Whether and why a scenario runs in an environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    Run,
    /// Reported as skipped, with the reason.
    Skip(String),
    /// Not for this environment (its tags or services say so): not reported.
    Exclude,
}

pub fn parse_tags(expr: &str) -> Result<TagOperation, RunError> {
    expr.parse::<TagOperation>().map_err(|e| {
        RunError::Usage(format!(
            "bad tag expression {expr:?}: {e} (example: \"@gating and not @slow\")"
        ))
    })
}

/// Decides whether `sc` runs in `env`.
pub fn select(
    sc: &ScenarioInfo<'_>,
    env: &EnvConfig,
    env_names: &BTreeSet<&str>,
    tags: Option<&TagOperation>,
) -> Selection {
    let env_tags: Vec<&str> = sc
        .tags
        .iter()
        .map(String::as_str)
        .filter(|t| env_names.contains(t))
        .collect();
    if env_tags.is_empty() {
        if !sc.services().iter().all(|s| env.surfaces.contains_key(s)) {
            return Selection::Exclude;
        }
    } else if !env_tags.contains(&env.name.as_str()) {
        return Selection::Exclude;
    }
    if let Some(expr) = tags
        && !expr.eval(sc.tags.iter().map(String::as_str))
    {
        return Selection::Exclude;
    }
    let mutation_allowed = env.mutation && env.status != probes::EnvStatus::Future;
    if sc.has_tag("mutating") && !mutation_allowed {
        return Selection::Skip(format!(
            "@mutating, and environment '{}' ({}) does not allow mutation",
            env.name,
            env.status.as_str()
        ));
    }
    for r in sc.requirements() {
        match r {
            Requirement::Mutation(step) if !mutation_allowed => {
                return Selection::Skip(format!(
                    "`{step}` mutates, and environment '{}' ({}) does not allow mutation",
                    env.name,
                    env.status.as_str()
                ));
            }
            Requirement::Restart(service) if !env.restarts => {
                return Selection::Skip(format!(
                    "restarts \"{service}\", and environment '{}' does not allow restarts",
                    env.name
                ));
            }
            Requirement::Database(db) if !env.databases.contains_key(&db) => {
                return Selection::Skip(format!(
                    "no Postgres database \"{db}\" is configured for '{}' ([environments.{}.databases])",
                    env.name, env.name
                ));
            }
            _ => {}
        }
    }
    Selection::Run
}

/// Skip reasons that depend on the process environment: an optional secret
/// or a database DSN that is not set.
fn unavailable(sc: &ScenarioInfo<'_>, env: &probes::Environment) -> Option<String> {
    for (name, _) in sc.secrets() {
        if !env.secrets.contains_key(&name) {
            return Some(format!(
                "the optional secret ${{{name}}} is not set for '{}'",
                env.name
            ));
        }
    }
    for r in sc.requirements() {
        if let Requirement::Database(db) = r
            && let Some(d) = env.databases.get(&db)
            && d.dsn.is_none()
        {
            return Some(format!("database \"{db}\": {} is not set", d.env_var));
        }
    }
    None
}

/// The environment a run targets, with CLI overrides applied.
pub fn effective_env(config: &Config, opts: &RunOptions) -> Result<EnvConfig, RunError> {
    let mut env = config.environment(&opts.environment)?.clone();
    if let Some(o) = &opts.origin {
        env = env
            .with_origin(o)
            .map_err(|e| RunError::Usage(format!("--origin: {e}")))?;
    }
    if let Some(t) = opts.request_timeout {
        env.request_timeout = t;
    }
    if let Some(t) = opts.scenario_timeout {
        env.scenario_timeout = t;
    }
    Ok(env)
}

/// What a run will do: the scenarios that run, those skipped (with the
/// reason), and the secrets the runnable ones need (name → where first used).
#[derive(Debug, Default)]
pub struct Plan {
    pub runnable: HashSet<ScenarioKey>,
    pub skipped: Vec<(ScenarioKey, String)>,
    pub needed: BTreeMap<String, String>,
}

/// Selects the scenarios of `suite` for `env`; a scenario tagged for an
/// environment that lacks its services or expected values is a problem
/// (exit 2), every one of them listed.
pub fn plan(
    suite: &Suite,
    env: &EnvConfig,
    env_names: &BTreeSet<&str>,
    tags: Option<&TagOperation>,
    only_baselines: bool,
    shard: Option<crate::run::options::Shard>,
) -> Result<Plan, RunError> {
    let mut plan = Plan::default();
    let mut problems = Vec::new();
    for sc in suite.scenarios() {
        if let Some(s) = shard
            && !s.holds(&shard_path(sc.feature), &sc.scenario.name)
        {
            continue;
        }
        if only_baselines
            && !sc
                .steps()
                .any(|s| probes::steps::baseline::step_baseline(&s.value).is_some())
        {
            continue;
        }
        match select(&sc, env, env_names, tags) {
            Selection::Run => {
                problems.extend(unsupported(&sc, env));
                for (name, at) in sc.secrets() {
                    plan.needed.entry(name).or_insert(at);
                }
                plan.runnable.insert(key_of(sc.feature, sc.scenario));
            }
            Selection::Skip(reason) => plan.skipped.push((key_of(sc.feature, sc.scenario), reason)),
            Selection::Exclude => {}
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(RunError::Features(problems))
    }
}

/// The feature file's path for sharding: relative to the working directory
/// when it is under it, so every machine of a CI matrix hashes the same text.
fn shard_path(feature: &probes::cucumber::gherkin::Feature) -> std::path::PathBuf {
    let path = feature.path.clone().unwrap_or_default();
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            path.strip_prefix(cwd)
                .ok()
                .map(std::path::Path::to_path_buf)
        })
        .unwrap_or(path)
}

/// What a runnable scenario uses that `env` does not have.
fn unsupported(sc: &ScenarioInfo<'_>, env: &EnvConfig) -> Vec<Problem> {
    let mut problems = Vec::new();
    for s in sc.services() {
        if !env.surfaces.contains_key(&s) {
            problems.push(Problem {
                file: sc.file(),
                line: sc.scenario.position.line,
                col: sc.scenario.position.col,
                message: format!("tagged for '{}', which has no \"{s}\" service", env.name),
            });
        }
    }
    for (r, step) in sc.references() {
        if let probes::core::template::Reference::Expected(k) = r
            && !env.expected.contains_key(&k)
        {
            problems.push(Problem {
                file: sc.file(),
                line: step.position.line,
                col: step.position.col,
                message: format!(
                    "{{{{expected.{k}}}}} is not set for environment '{}'",
                    env.name
                ),
            });
        }
    }
    problems
}

/// Moves the scenarios that cannot run with what the process environment
/// gives (an optional secret, a database DSN that is not set) to skipped.
pub fn skip_unavailable(plan: &mut Plan, suite: &Suite, environment: &probes::Environment) {
    for sc in suite.scenarios() {
        let key = key_of(sc.feature, sc.scenario);
        if plan.runnable.contains(&key)
            && let Some(reason) = unavailable(&sc, environment)
        {
            plan.runnable.remove(&key);
            plan.skipped.push((key, reason));
        }
    }
}
