//! A run from start to end: plan it, resolve the environment's secrets,
//! drive the runnable scenarios through cucumber with the probes' steps
//! (retries waiting with a doubling backoff), and collect the report.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::FutureExt as _;
use probes::cucumber::{Cucumber, cli, gherkin, runner};
use probes::{RunContext, World};
use reporters::{HarnessStats, RunReport, Summary};

use super::collect::{self, Collector, ObservationMap, Preparsed};
use super::options::{HARNESS_VERSION, Progress, ProgressFn, RunError, RunOptions};
use super::select::{effective_env, parse_tags, plan, skip_unavailable};
use crate::input::config::Config;
use crate::input::features::{ScenarioKey, Suite, key_of};

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
    let mut plan = plan(
        suite,
        &env_cfg,
        &env_names,
        tag_expr.as_ref(),
        opts.only_baselines,
        opts.shard,
    )?;
    let environment = env_cfg.resolve(&config.path, &plan.needed, lookup)?;
    skip_unavailable(&mut plan, suite, &environment);
    let env_status = environment.status.as_str().to_owned();
    let run_id = new_run_id();
    let mut ctx = RunContext::new(environment, &run_id).map_err(|e| RunError::Usage(e.message))?;
    ctx.baselines = opts.baselines.clone();
    ctx.evidence = opts.evidence;
    if let Some(rules) = &opts.privacy {
        Arc::make_mut(&mut ctx.redactor).set_personal(Arc::clone(rules));
    }
    let ctx = Arc::new(ctx);

    let started_at = Utc::now();
    let clock = Instant::now();
    let evidence: ObservationMap = Rc::default();
    let collector = Collector {
        records: HashMap::new(),
        progress,
        state: Progress {
            total: plan.runnable.len(),
            ..Progress::default()
        },
        parse_errors: Vec::new(),
    };
    let collector = drive(suite, &plan.runnable, opts, &ctx, collector, &evidence).await;
    if let Some(e) = collector.parse_errors.first() {
        return Err(RunError::Usage(format!(
            "cucumber could not run the features: {e}"
        )));
    }
    let finished_at = Utc::now();
    let duration = clock.elapsed();
    let scenarios = collect::scenarios(
        suite,
        &plan.runnable,
        plan.skipped,
        collector.records,
        evidence.take(),
        &ctx.redactor,
    );
    Ok(RunReport {
        harness_version: HARNESS_VERSION.to_owned(),
        run_id,
        environment: env_cfg.name.clone(),
        environment_status: env_status,
        started_at,
        finished_at,
        duration_ms: duration.as_secs_f64() * 1000.0,
        summary: Summary::of(&scenarios),
        harness: Some(HarnessStats::of_this_process()),
        location: opts.location.clone(),
        shard: opts.shard.map(|s| s.to_string()),
        maintenance: None,
        claims: scenarios
            .iter()
            .filter_map(|s| s.claim_report(finished_at))
            .collect(),
        scenarios,
    })
}

/// Runs the `runnable` scenarios through cucumber: a World per scenario
/// prepared with the run's context, what each World saw taken out after it.
async fn drive(
    suite: &Suite,
    runnable: &HashSet<ScenarioKey>,
    opts: &RunOptions,
    ctx: &Arc<RunContext>,
    collector: Collector,
    evidence: &ObservationMap,
) -> Collector {
    let before_ctx = Arc::clone(ctx);
    let attempts: Rc<RefCell<HashMap<ScenarioKey, u32>>> = Rc::default();
    let after_evidence = Rc::clone(evidence);
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
    Cucumber::<World, Preparsed, Vec<gherkin::Feature>, _, _, cli::Empty>::custom(
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
                    collect::Observations {
                        exchanges: std::mem::take(w.exchanges_mut()),
                        trace_id: w.trace_id().map(str::to_owned),
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
    .await
}
