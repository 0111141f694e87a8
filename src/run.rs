//! A run: select the scenarios that apply to an environment, execute them
//! with cucumber against the probes, and collect a [`RunReport`].

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::FutureExt as _;
use probes::cucumber::gherkin::{self, tagexpr::TagOperation};
use probes::cucumber::tag::Ext as _;
use probes::cucumber::{self, Cucumber, Event, Writer, cli, event, parser, runner, writer};
use probes::{ErrorKind, Exchange, RunContext, StepError, World};
use reporters::model::{
    ClaimReport, ErrorReport, HttpExchangeReport, RunReport, ScenarioReport, Status, StepReport,
    StepStatus, Summary,
};

use crate::config::{Config, ConfigError, EnvConfig};
use crate::features::{Problem, ScenarioInfo, ScenarioKey, Suite, key_of};
use probes::steps::Requirement;

pub const HARNESS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Canon's claim statuses, as tags.
pub const CLAIM_TAGS: [&str; 5] = ["implemented", "configured", "tested", "deferred", "future"];

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

fn claim_of(tags: &[String]) -> Option<String> {
    tags.iter()
        .find(|t| CLAIM_TAGS.contains(&t.as_str()))
        .cloned()
}

/// Folds a raw outcome and the claim into the reported status ("no pretending").
pub fn classify(passed: Option<bool>, attempts: u32, claim: Option<&str>) -> Status {
    let gap = matches!(claim, Some("deferred" | "future"));
    match passed {
        None => Status::Skipped,
        Some(true) if gap => Status::ClaimOutdated,
        Some(true) if attempts > 1 => Status::Flaky,
        Some(true) => Status::Passed,
        Some(false) if gap => Status::KnownGap,
        Some(false) => Status::Failed,
    }
}

/// What the after-hook takes out of a finished World.
#[derive(Debug, Default)]
struct Evidence {
    exchanges: Vec<Exchange>,
    failure: Option<StepError>,
    step_durations: Vec<Duration>,
    duration: Duration,
}

type EvidenceMap = Rc<RefCell<HashMap<ScenarioKey, Evidence>>>;

#[derive(Debug, Default)]
struct Record {
    steps: Vec<(usize, StepStatus)>,
    failure: Option<(StepError, String, usize)>,
    attempts: u32,
    finished: bool,
}

/// The cucumber writer that gathers results (and reports progress).
struct Collector {
    records: HashMap<ScenarioKey, Record>,
    progress: Option<ProgressFn>,
    state: Progress,
    parse_errors: Vec<String>,
}

impl Collector {
    fn on_scenario(
        &mut self,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        ev: event::RetryableScenario<World>,
    ) {
        let key = key_of(feature, scenario);
        let rec = self.records.entry(key).or_default();
        let attempt = ev.retries.map_or(1, |r| {
            u32::try_from(r.current)
                .unwrap_or(u32::MAX)
                .saturating_add(1)
        });
        match ev.event {
            event::Scenario::Started => {
                rec.attempts = attempt;
                rec.steps.clear();
                rec.failure = None;
            }
            event::Scenario::Step(step, st) | event::Scenario::Background(step, st) => {
                let line = step.position.line;
                match st {
                    event::Step::Started => {}
                    event::Step::Passed(..) => rec.steps.push((line, StepStatus::Passed)),
                    event::Step::Skipped => {
                        rec.steps.push((line, StepStatus::Skipped));
                        rec.failure.get_or_insert((
                            StepError::config("undefined step"),
                            format!("{}{}", step.keyword, step.value),
                            line,
                        ));
                    }
                    event::Step::Failed(_, _, world, err) => {
                        rec.steps.push((line, StepStatus::Failed));
                        let e = world
                            .as_ref()
                            .and_then(|w| w.failure().cloned())
                            .unwrap_or_else(|| step_error(&err));
                        rec.failure = Some((e, format!("{}{}", step.keyword, step.value), line));
                    }
                }
            }
            event::Scenario::Hook(kind, event::Hook::Failed(_, info)) => {
                rec.failure = Some((
                    StepError::new(
                        ErrorKind::Internal,
                        format!("{kind:?} hook failed: {}", panic_text(&info)),
                    ),
                    String::new(),
                    scenario.position.line,
                ));
            }
            event::Scenario::Finished => {
                let failed = rec.failure.is_some();
                let will_retry = failed && ev.retries.is_some_and(|r| r.left > 0);
                if !will_retry && !rec.finished {
                    rec.finished = true;
                    self.state.done += 1;
                    if failed {
                        self.state.failed += 1;
                    } else {
                        self.state.passed += 1;
                    }
                    self.state.last = format!("{} › {}", feature.name, scenario.name);
                    if let Some(p) = self.progress.as_mut() {
                        p(&self.state);
                    }
                }
            }
            event::Scenario::Hook(..) | event::Scenario::Log(_) => {}
        }
    }
}

fn panic_text(info: &event::Info) -> String {
    info.downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a step panicked".to_owned())
}

fn step_error(err: &event::StepError) -> StepError {
    match err {
        event::StepError::NotFound => StepError::config("undefined step"),
        event::StepError::AmbiguousMatch(e) => StepError::config(format!("ambiguous step: {e}")),
        event::StepError::Panic(info) => StepError::new(ErrorKind::Internal, panic_text(info)),
    }
}

impl Writer<World> for Collector {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        ev: parser::Result<Event<event::Cucumber<World>>>,
        _cli: &Self::Cli,
    ) {
        let ev = match ev {
            Ok(ev) => ev.into_inner(),
            Err(e) => {
                self.parse_errors.push(e.to_string());
                return;
            }
        };
        if let event::Cucumber::Feature(feature, fev) = ev {
            match fev {
                event::Feature::Scenario(sc, rs) => self.on_scenario(&feature, &sc, rs),
                event::Feature::Rule(_, event::Rule::Scenario(sc, rs)) => {
                    self.on_scenario(&feature, &sc, rs)
                }
                _ => {}
            }
        }
    }
}

impl writer::Normalized for Collector {}

/// Feeds already-parsed (and already checked) features to cucumber.
struct Preparsed;

impl cucumber::Parser<Vec<gherkin::Feature>> for Preparsed {
    type Cli = cli::Empty;
    type Output = futures::stream::Iter<std::vec::IntoIter<parser::Result<gherkin::Feature>>>;

    fn parse(self, input: Vec<gherkin::Feature>, _cli: cli::Empty) -> Self::Output {
        futures::stream::iter(input.into_iter().map(Ok).collect::<Vec<_>>())
    }
}

/// The wait before attempt `attempt` (2, 3, …): `base`, doubling, at most 5 s.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(2).min(16);
    base.saturating_mul(1 << doublings)
        .min(Duration::from_secs(5))
}

/// A unique, short id for a run (it ends up in emails: keep it plain).
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
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

/// Runs `suite` against the environment named in `opts`.
pub async fn run(
    config: &Config,
    suite: &Suite,
    opts: &RunOptions,
    lookup: &dyn Fn(&str) -> Option<String>,
    progress: Option<ProgressFn>,
) -> Result<RunReport, RunError> {
    let env_cfg = effective_env(config, opts)?;
    let problems = suite.check(config);
    if !problems.is_empty() {
        return Err(RunError::Features(problems));
    }
    let tag_expr = opts.tags.as_deref().map(parse_tags).transpose()?;
    let env_names: BTreeSet<&str> = config.environments.keys().map(String::as_str).collect();

    let mut runnable: HashSet<ScenarioKey> = HashSet::new();
    let mut skipped: Vec<(ScenarioKey, String)> = Vec::new();
    let mut needed: BTreeMap<String, String> = BTreeMap::new();
    let mut problems = Vec::new();
    for sc in suite.scenarios() {
        if opts.only_baselines
            && !sc
                .steps()
                .any(|s| probes::steps::baseline::step_baseline(&s.value).is_some())
        {
            continue;
        }
        match select(&sc, &env_cfg, &env_names, tag_expr.as_ref()) {
            Selection::Run => {
                for s in sc.services() {
                    if !env_cfg.surfaces.contains_key(&s) {
                        problems.push(Problem {
                            file: sc.file(),
                            line: sc.scenario.position.line,
                            col: sc.scenario.position.col,
                            message: format!(
                                "tagged for '{}', which has no \"{s}\" service",
                                env_cfg.name
                            ),
                        });
                    }
                }
                for (r, step) in sc.references() {
                    if let probes::core::template::Reference::Expected(k) = r
                        && !env_cfg.expected.contains_key(&k)
                    {
                        problems.push(Problem {
                            file: sc.file(),
                            line: step.position.line,
                            col: step.position.col,
                            message: format!(
                                "{{{{expected.{k}}}}} is not set for environment '{}'",
                                env_cfg.name
                            ),
                        });
                    }
                }
                for (name, at) in sc.secrets() {
                    needed.entry(name).or_insert(at);
                }
                runnable.insert(key_of(sc.feature, sc.scenario));
            }
            Selection::Skip(reason) => skipped.push((key_of(sc.feature, sc.scenario), reason)),
            Selection::Exclude => {}
        }
    }
    if !problems.is_empty() {
        return Err(RunError::Features(problems));
    }
    let environment = env_cfg.resolve(&config.path, &needed, lookup)?;
    for sc in suite.scenarios() {
        let key = key_of(sc.feature, sc.scenario);
        if runnable.contains(&key)
            && let Some(reason) = unavailable(&sc, &environment)
        {
            runnable.remove(&key);
            skipped.push((key, reason));
        }
    }
    let env_status = environment.status.as_str().to_owned();
    let run_id = new_run_id();
    let mut ctx = RunContext::new(environment, &run_id).map_err(|e| RunError::Usage(e.message))?;
    ctx.baselines = opts.baselines.clone();
    if let Some(rules) = &opts.privacy {
        Arc::make_mut(&mut ctx.redactor).set_personal(Arc::clone(rules));
    }
    let ctx = Arc::new(ctx);

    let started_at = Utc::now();
    let clock = Instant::now();
    let evidence: EvidenceMap = Rc::default();
    let total = runnable.len();
    let collector = Collector {
        records: HashMap::new(),
        progress,
        state: Progress {
            total,
            ..Progress::default()
        },
        parse_errors: Vec::new(),
    };

    let before_ctx = Arc::clone(&ctx);
    let attempts: Rc<RefCell<HashMap<ScenarioKey, u32>>> = Rc::default();
    let after_evidence = Rc::clone(&evidence);
    let runner = runner::Basic::default()
        .steps(probes::steps::collection())
        .max_concurrent_scenarios(opts.concurrency.unwrap_or(16).max(1));
    let cli_opts = cli::Opts {
        re_filter: None,
        tags_filter: None,
        parser: cli::Empty,
        runner: runner::basic::Cli::default(),
        writer: cli::Empty,
        custom: cli::Empty,
    };
    let filter_set = runnable.clone();
    let collector = Cucumber::<World, Preparsed, Vec<gherkin::Feature>, _, _, cli::Empty>::custom(
        Preparsed, runner, collector,
    )
    .before(move |feature, rule, scenario, world: &mut World| {
        let tags = feature
            .tags
            .iter()
            .chain(rule.iter().flat_map(|r| r.tags.iter()))
            .chain(scenario.tags.iter())
            .cloned()
            .collect();
        // A retry (`@retry(N)`) waits first, doubling each time: a blip gets
        // time to pass instead of three failures in a row.
        let attempt = {
            let mut a = attempts.borrow_mut();
            let n = a.entry(key_of(feature, scenario)).or_insert(0);
            *n += 1;
            *n
        };
        world.prepare(Arc::clone(&before_ctx), tags);
        let wait = (attempt > 1).then(|| backoff(before_ctx.environment.retry_backoff, attempt));
        async move {
            if let Some(w) = wait {
                tokio::time::sleep(w).await;
            }
        }
        .boxed_local()
    })
    .after(
        move |feature, _rule, scenario, _finished, world: Option<&mut World>| {
            if let Some(w) = world {
                after_evidence.borrow_mut().insert(
                    key_of(feature, scenario),
                    Evidence {
                        exchanges: w.exchanges().to_vec(),
                        failure: w.failure().cloned(),
                        step_durations: w.step_durations().to_vec(),
                        duration: w.elapsed(),
                    },
                );
            }
            futures::future::ready(()).boxed_local()
        },
    )
    .with_cli(cli_opts)
    .filter_run(suite.features.clone(), move |f, _r, s| {
        filter_set.contains(&key_of(f, s))
    })
    .await;

    if let Some(e) = collector.parse_errors.first() {
        return Err(RunError::Usage(format!(
            "cucumber could not run the features: {e}"
        )));
    }
    let finished_at = Utc::now();
    let duration = clock.elapsed();

    let redactor = &ctx.redactor;
    let mut evidence = evidence.take();
    let mut records = collector.records;
    let skip_reasons: HashMap<ScenarioKey, String> = skipped.into_iter().collect();
    let mut scenarios = Vec::new();
    for sc in suite.scenarios() {
        let key = key_of(sc.feature, sc.scenario);
        let skip_reason = skip_reasons.get(&key).cloned();
        if !runnable.contains(&key) && skip_reason.is_none() {
            continue;
        }
        let rec = records.remove(&key);
        let ev = evidence.remove(&key).unwrap_or_default();
        let claim = claim_of(&sc.tags);
        let steps_written: Vec<&gherkin::Step> = sc.steps().collect();
        let mut steps = Vec::with_capacity(steps_written.len());
        let (passed, attempts, error) = match (&rec, &skip_reason) {
            (_, Some(_)) | (None, _) => (None, 1, None),
            (Some(r), None) => {
                let error = r.failure.as_ref().map(|(e, step, line)| {
                    let e = ev
                        .failure
                        .clone()
                        .filter(|_| e.kind == ErrorKind::Internal && ev.failure.is_some())
                        .unwrap_or_else(|| e.clone());
                    ErrorReport {
                        kind: e.kind,
                        message: redactor.scrub(&e.message).into_owned(),
                        step: (!step.is_empty()).then(|| step.clone()),
                        line: Some(*line),
                    }
                });
                (Some(r.failure.is_none()), r.attempts.max(1), error)
            }
        };
        for (i, st) in steps_written.iter().enumerate() {
            let status = rec
                .as_ref()
                .and_then(|r| r.steps.get(i).map(|(_, s)| *s))
                .unwrap_or(StepStatus::Skipped);
            steps.push(StepReport {
                keyword: st.keyword.trim().to_owned(),
                text: st.value.clone(),
                line: st.position.line,
                status,
                duration_ms: ev
                    .step_durations
                    .get(i)
                    .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
            });
        }
        // Not attempted because the environment was already unreachable:
        // skipped, with the reason, not one more failure.
        let (passed, skip_reason) = match &error {
            Some(e) if e.kind == ErrorKind::Unreachable => (None, Some(e.message.clone())),
            _ => (passed, skip_reason),
        };
        let status = classify(passed, attempts, claim.as_deref());
        scenarios.push(ScenarioReport {
            feature: sc.feature.name.clone(),
            feature_file: display_path(&sc.file()),
            line: sc.scenario.position.line,
            scenario: sc.scenario.name.clone(),
            tags: sc.tags.clone(),
            status,
            duration_ms: ev.duration.as_secs_f64() * 1000.0,
            attempts,
            claim,
            error,
            skip_reason,
            steps,
            http: ev
                .exchanges
                .iter()
                .map(|x| HttpExchangeReport {
                    service: x.service.clone(),
                    method: x.method.clone(),
                    url: redactor.scrub(&x.url).into_owned(),
                    status: x.status,
                    duration_ms: x.elapsed.as_secs_f64() * 1000.0,
                    error: x.error,
                })
                .collect(),
        });
    }
    Ok(RunReport {
        harness_version: HARNESS_VERSION.to_owned(),
        run_id,
        environment: env_cfg.name.clone(),
        environment_status: env_status,
        started_at,
        finished_at,
        duration_ms: duration.as_secs_f64() * 1000.0,
        summary: Summary::of(&scenarios),
        harness: Some(reporters::model::HarnessStats::of_this_process()),
        claims: scenarios
            .iter()
            .filter_map(|s| ClaimReport::of(s, finished_at))
            .collect(),
        scenarios,
    })
}

/// A path as people read it: relative to the working directory when possible.
pub fn display_path(p: &std::path::Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf());
    rel.to_string_lossy().trim_start_matches("./").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_held_to_their_status() {
        assert_eq!(classify(Some(true), 1, Some("implemented")), Status::Passed);
        assert_eq!(classify(Some(false), 1, Some("tested")), Status::Failed);
        assert_eq!(classify(Some(false), 1, Some("deferred")), Status::KnownGap);
        assert_eq!(
            classify(Some(true), 1, Some("future")),
            Status::ClaimOutdated
        );
        assert_eq!(classify(Some(true), 2, None), Status::Flaky);
        assert_eq!(classify(None, 1, None), Status::Skipped);
    }
}
