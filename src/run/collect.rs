//! Collecting what a run saw: a cucumber writer that records each
//! scenario's steps, failure and attempts (and reports progress), the
//! evidence the after-hook takes out of each World, and the reports built
//! from both, with every message scrubbed by the run's redactor.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Duration;

use probes::core::redact::Redactor;
use probes::cucumber::gherkin;
use probes::cucumber::{self, Event, Writer, cli, event, parser, writer};
use probes::{ErrorKind, Exchange, StepError, World};
use reporters::{
    Claim, ErrorReport, HttpExchangeReport, ScenarioReport, StepReport, StepStatus, held_to_budget,
    reported_status,
};

use super::options::{Progress, ProgressFn};
use crate::input::display_path;
use crate::input::features::{ScenarioInfo, ScenarioKey, Suite, key_of};

/// What the after-hook takes out of a finished World.
#[derive(Debug, Default)]
pub(super) struct Observations {
    pub(super) exchanges: Vec<Exchange>,
    pub(super) trace_id: Option<String>,
    pub(super) failure: Option<StepError>,
    pub(super) step_durations: Vec<Duration>,
    pub(super) duration: Duration,
}

pub(super) type ObservationMap = Rc<RefCell<HashMap<ScenarioKey, Observations>>>;

#[derive(Debug, Default)]
pub(super) struct ScenarioRecord {
    steps: Vec<(usize, StepStatus)>,
    failure: Option<(StepError, String, usize)>,
    attempts: u32,
    finished: bool,
}

/// The cucumber writer that gathers results (and reports progress).
pub(super) struct Collector {
    pub(super) records: HashMap<ScenarioKey, ScenarioRecord>,
    pub(super) progress: Option<ProgressFn>,
    pub(super) state: Progress,
    pub(super) parse_errors: Vec<String>,
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
pub(super) struct Preparsed;

impl cucumber::Parser<Vec<gherkin::Feature>> for Preparsed {
    type Cli = cli::Empty;
    type Output = futures::stream::Iter<std::vec::IntoIter<parser::Result<gherkin::Feature>>>;

    fn parse(self, input: Vec<gherkin::Feature>, _cli: cli::Empty) -> Self::Output {
        futures::stream::iter(input.into_iter().map(Ok).collect::<Vec<_>>())
    }
}

/// Every scenario the run selected (runnable or skipped), in suite order,
/// as reported.
pub(super) fn scenarios(
    suite: &Suite,
    runnable: &HashSet<ScenarioKey>,
    skipped: Vec<(ScenarioKey, String)>,
    mut records: HashMap<ScenarioKey, ScenarioRecord>,
    mut evidence: HashMap<ScenarioKey, Observations>,
    redactor: &Redactor,
) -> Vec<ScenarioReport> {
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
        scenarios.push(scenario_report(
            &sc,
            rec.as_ref(),
            ev,
            skip_reason,
            redactor,
        ));
    }
    scenarios
}

fn scenario_report(
    sc: &ScenarioInfo<'_>,
    rec: Option<&ScenarioRecord>,
    ev: Observations,
    skip_reason: Option<String>,
    redactor: &Redactor,
) -> ScenarioReport {
    let claim = Claim::of_tags(&sc.tags);
    let steps_written: Vec<&gherkin::Step> = sc.steps().collect();
    let mut steps = Vec::with_capacity(steps_written.len());
    let (passed, attempts, error) = match (rec, &skip_reason) {
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
    // A bad @slow tag was refused by the check before the run; none here.
    let budget_ms = sc.budget().ok().flatten().map(|b| b.as_secs_f64() * 1000.0);
    let duration_ms = ev.duration.as_secs_f64() * 1000.0;
    let status = held_to_budget(
        reported_status(passed, attempts, claim),
        duration_ms,
        budget_ms,
    );
    ScenarioReport {
        feature: sc.feature.name.clone(),
        feature_file: display_path(&sc.file()),
        line: sc.scenario.position.line,
        scenario: sc.scenario.name.clone(),
        tags: sc.tags.clone(),
        status,
        duration_ms,
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
                timings: x.timings,
                span_id: x.span_id.clone(),
                evidence: x
                    .evidence
                    .as_deref()
                    .map(|e| Box::new(super::evidence::redacted(e, redactor))),
            })
            .collect(),
        budget_ms,
        trace_id: ev.trace_id,
    }
}
