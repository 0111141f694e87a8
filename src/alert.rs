//! Alerting on a change of state (DESIGN.md "Serving, metrics, alerts,
//! state"): which scenarios went from passing to failing (after a number
//! of consecutive failures, so one blip pages nobody) or recovered, and
//! sending that to Sentry as events, with a Crons check-in per run.
//!
//! [`evaluate`] is pure: previous alert states and a run in, new states
//! and transitions out. [`Sentry`] only sends. Nothing is repeated while a
//! state holds: one error event when a scenario starts failing, one info
//! event when it recovers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reporters::{RunReport, ScenarioReport, Status};
use sentry::protocol::{
    Breadcrumb, Event, Level, Map, MonitorCheckIn, MonitorCheckInStatus, MonitorConfig,
    MonitorIntervalUnit, MonitorSchedule,
};
use sentry::types::Uuid;

use crate::state::{AlertState, ScenarioId, StateError, Store, TransitionRow, is_pass};

/// Failed runs in a row before a scenario is reported as failing.
pub const DEFAULT_THRESHOLD: u32 = 2;

/// The Crons monitor of an environment's scheduled checks.
pub fn monitor_slug(environment: &str) -> String {
    format!("lucia-synthetic-{environment}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionKind {
    /// Passing (or new) → failing for `threshold` runs in a row.
    Failing,
    /// Failing (alerted) → passing.
    Recovered,
}

impl TransitionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failing => "failing",
            Self::Recovered => "recovered",
        }
    }
}

/// A change of alert state, with the scenario's result that caused it.
#[derive(Clone, Debug)]
pub struct Transition {
    pub kind: TransitionKind,
    pub scenario: ScenarioReport,
    pub consecutive_failures: u32,
    /// When the failing streak began (for a recovery: how long it lasted).
    pub since: Option<DateTime<Utc>>,
}

/// What a run changes: the new state of every scenario it ran, and the
/// transitions to report.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub states: HashMap<ScenarioId, AlertState>,
    pub transitions: Vec<Transition>,
}

/// Folds a run into the alert states. Only `failed` counts as failing and
/// only `passed`/`flaky` as passing: skipped scenarios and claim statuses
/// (known gaps, outdated claims) leave the state as it was.
pub fn evaluate(
    threshold: u32,
    previous: &HashMap<ScenarioId, AlertState>,
    report: &RunReport,
) -> Outcome {
    let threshold = threshold.max(1);
    let at = report.finished_at;
    let mut out = Outcome::default();
    for sc in &report.scenarios {
        let id = ScenarioId::of(sc);
        let before = previous.get(&id).cloned().unwrap_or_default();
        let mut st = before.clone();
        if sc.status == Status::Failed {
            if st.consecutive_failures == 0 {
                st.since = Some(at);
            }
            st.consecutive_failures = st.consecutive_failures.saturating_add(1);
            if !st.alerting && st.consecutive_failures >= threshold {
                st.alerting = true;
                out.transitions.push(Transition {
                    kind: TransitionKind::Failing,
                    scenario: sc.clone(),
                    consecutive_failures: st.consecutive_failures,
                    since: st.since,
                });
            }
        } else if is_pass(sc.status) {
            if st.alerting {
                out.transitions.push(Transition {
                    kind: TransitionKind::Recovered,
                    scenario: sc.clone(),
                    consecutive_failures: before.consecutive_failures,
                    since: before.since,
                });
            }
            if st.consecutive_failures > 0 || st.since.is_none() || st.alerting {
                st.since = Some(at);
            }
            st.consecutive_failures = 0;
            st.alerting = false;
        } else {
            continue;
        }
        out.states.insert(id, st);
    }
    out
}

/// The rows to record for `outcome`'s transitions.
pub fn rows(
    environment: &str,
    at: DateTime<Utc>,
    t: &[(Transition, Option<Uuid>)],
) -> Vec<TransitionRow> {
    t.iter()
        .map(|(t, event)| TransitionRow {
            environment: environment.to_owned(),
            feature: t.scenario.feature.clone(),
            scenario: t.scenario.scenario.clone(),
            kind: t.kind.as_str().to_owned(),
            at,
            consecutive_failures: t.consecutive_failures,
            event_id: event.map(|u| u.simple().to_string()),
        })
        .collect()
}

/// What an event says besides the scenario: the Lucia environment and the
/// version expected there (environments.toml `expected.release`).
#[derive(Clone, Debug)]
pub struct Context<'a> {
    pub environment: &'a str,
    pub version: Option<&'a str>,
    pub run_id: &'a str,
}

/// The Sentry event for a transition. Everything in it comes from the
/// report, whose messages and URLs the run's redactor already scrubbed.
pub fn event(t: &Transition, ctx: &Context<'_>) -> Event<'static> {
    let sc = &t.scenario;
    let (level, message) = match t.kind {
        TransitionKind::Failing => (
            Level::Error,
            format!(
                "{} › {} is failing in {} ({} runs in a row): {}",
                sc.feature,
                sc.scenario,
                ctx.environment,
                t.consecutive_failures,
                sc.error.as_ref().map_or_else(
                    || "no error recorded".to_owned(),
                    |e| format!("{}: {}", e.kind.as_str(), e.message)
                )
            ),
        ),
        TransitionKind::Recovered => (
            Level::Info,
            format!(
                "{} › {} recovered in {} after {} failed run(s)",
                sc.feature, sc.scenario, ctx.environment, t.consecutive_failures
            ),
        ),
    };
    let mut fingerprint = vec![
        ctx.environment.to_owned().into(),
        sc.feature.clone().into(),
        sc.scenario.clone().into(),
    ];
    if t.kind == TransitionKind::Recovered {
        // Its own group: a recovery must not reopen (or join) the failure's issue.
        fingerprint.push("recovered".into());
    }
    let mut tags = std::collections::BTreeMap::new();
    tags.insert("environment".to_owned(), ctx.environment.to_owned());
    tags.insert("feature".to_owned(), sc.feature.clone());
    tags.insert("scenario".to_owned(), sc.scenario.clone());
    tags.insert("area".to_owned(), sc.area().to_owned());
    tags.insert("transition".to_owned(), t.kind.as_str().to_owned());
    if let Some(v) = ctx.version {
        tags.insert("version".to_owned(), v.to_owned());
    }
    if let Some(c) = &sc.claim {
        tags.insert("claim".to_owned(), c.as_str().to_owned());
    }
    if let Some(e) = &sc.error {
        tags.insert("error_kind".to_owned(), e.kind.as_str().to_owned());
    }
    let breadcrumbs = sc
        .http
        .iter()
        .map(|x| {
            let mut data = Map::new();
            data.insert("method".into(), x.method.clone().into());
            data.insert("url".into(), x.url.clone().into());
            if let Some(s) = x.status {
                data.insert("status_code".into(), s.into());
            }
            if let Some(e) = x.error {
                data.insert("error".into(), e.as_str().into());
            }
            data.insert("duration_ms".into(), x.duration_ms.round().into());
            Breadcrumb {
                ty: "http".into(),
                category: Some(format!("http.{}", x.service)),
                level: if x.error.is_some() || x.status.is_some_and(|s| s >= 400) {
                    Level::Warning
                } else {
                    Level::Info
                },
                data,
                ..Breadcrumb::default()
            }
        })
        .collect::<Vec<_>>();
    let mut extra = Map::new();
    extra.insert("run_id".into(), ctx.run_id.into());
    extra.insert(
        "location".into(),
        format!("{}:{}", sc.feature_file, sc.line).into(),
    );
    if let Some(e) = &sc.error {
        if let Some(step) = &e.step {
            extra.insert("step".into(), step.clone().into());
        }
        if let Some(line) = e.line {
            extra.insert("step_line".into(), line.into());
        }
    }
    if let Some(since) = t.since {
        extra.insert("since".into(), since.to_rfc3339().into());
    }
    Event {
        level,
        message: Some(message),
        logger: Some("lucia-harness".into()),
        environment: Some(ctx.environment.to_owned().into()),
        release: Some(format!("lucia-harness@{}", crate::run::HARNESS_VERSION).into()),
        fingerprint: fingerprint.into(),
        tags: tags.into_iter().collect(),
        breadcrumbs: breadcrumbs.into(),
        extra,
        ..Event::default()
    }
}

/// The schedule a monitor expects: every `interval`, in whole minutes
/// (Sentry's smallest unit).
pub fn every(interval: Duration) -> MonitorSchedule {
    MonitorSchedule::Interval {
        value: interval.as_secs().div_ceil(60).max(1),
        unit: MonitorIntervalUnit::Minute,
    }
}

/// A Crons check-in. With `schedule`, Sentry creates (or updates) the
/// monitor and notices a missed run.
pub fn check_in(
    environment: &str,
    id: Uuid,
    status: MonitorCheckInStatus,
    duration: Option<Duration>,
    schedule: Option<MonitorSchedule>,
) -> MonitorCheckIn {
    MonitorCheckIn {
        check_in_id: id,
        monitor_slug: monitor_slug(environment),
        status,
        environment: Some(environment.to_owned()),
        duration: duration.map(|d| d.as_secs_f64()),
        monitor_config: schedule.map(|schedule| MonitorConfig {
            schedule,
            checkin_margin: Some(5),
            max_runtime: Some(30),
            timezone: None,
            failure_issue_threshold: None,
            recovery_threshold: None,
        }),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("SENTRY_DSN is not a Sentry DSN ({0}); expected https://PUBLIC_KEY@HOST/PROJECT_ID")]
pub struct DsnError(String);

/// Sends events and check-ins to one Sentry project. Cheap to clone.
#[derive(Clone)]
pub struct Sentry {
    client: Arc<sentry::Client>,
}

impl std::fmt::Debug for Sentry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The DSN's public key is not a secret, but it has no business in logs.
        f.write_str("Sentry { .. }")
    }
}

impl Sentry {
    /// A client for `dsn`. No global hub, no panic handler: the harness
    /// reports what it observed about Lucia, not its own crashes (cucumber
    /// turns step panics into failures, which are reported as such).
    pub fn new(dsn: &str) -> Result<Self, DsnError> {
        let parsed: sentry::types::Dsn = dsn
            .trim()
            .parse()
            .map_err(|e: sentry::types::ParseDsnError| DsnError(e.to_string()))?;
        let options = sentry::ClientOptions::new()
            .dsn(&parsed.to_string())
            .release(format!("lucia-harness@{}", crate::run::HARNESS_VERSION))
            .default_integrations(false)
            .add_integration(sentry::integrations::contexts::ContextIntegration::default())
            .transport(sentry::transports::DefaultTransportFactory)
            .shutdown_timeout(Duration::from_secs(5));
        Ok(Self {
            client: Arc::new(sentry::Client::with_options(options)),
        })
    }

    /// From `SENTRY_DSN` (unset or empty: `None`).
    pub fn from_env(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, DsnError> {
        lookup("SENTRY_DSN")
            .filter(|d| !d.trim().is_empty())
            .map(|d| Self::new(&d))
            .transpose()
    }

    pub fn send_event(&self, event: Event<'static>) -> Uuid {
        self.client.capture_event(event, None)
    }

    pub fn send_check_in(&self, check_in: MonitorCheckIn) {
        let mut envelope = sentry::Envelope::new();
        envelope.add_item(check_in);
        self.client.send_envelope(envelope);
    }

    /// Waits until everything queued was sent (or `timeout`).
    pub fn flush(&self, timeout: Duration) -> bool {
        self.client.flush(Some(timeout))
    }
}

/// Sends the events of `transitions`; returns each with its event id.
pub fn send(
    sentry: Option<&Sentry>,
    transitions: Vec<Transition>,
    ctx: &Context<'_>,
) -> Vec<(Transition, Option<Uuid>)> {
    transitions
        .into_iter()
        .map(|t| {
            let id = sentry.map(|s| s.send_event(event(&t, ctx)));
            (t, id)
        })
        .collect()
}

/// Records a finished run in the state database, folds it into the alert
/// states and sends the transitions (when Sentry is configured): what
/// `serve` does after every run and `run --alert` after its one.
///
/// Events are sent before the new states are saved: a process killed in
/// between sends an alert twice rather than never.
///
/// The report's claim ledger is completed from the history first (when
/// each claim that fails now last passed), so what is stored and served
/// says it.
pub fn after_run(
    store: &mut Store,
    run: i64,
    report: &mut RunReport,
    threshold: u32,
    sentry: Option<&Sentry>,
    version: Option<&str>,
) -> Result<Vec<(Transition, Option<Uuid>)>, StateError> {
    store.fill_last_passed(report)?;
    store.finish_run(run, report)?;
    let previous = store.alert_states(&report.environment)?;
    let outcome = evaluate(threshold, &previous, report);
    let ctx = Context {
        environment: &report.environment,
        version,
        run_id: &report.run_id,
    };
    let sent = send(sentry, outcome.transitions, &ctx);
    let rows = rows(&report.environment, report.finished_at, &sent);
    store.save_alerts(&report.environment, Some(run), &outcome.states, &rows)?;
    Ok(sent)
}

/// The version expected in `env` (environments.toml `expected.release`), for the `version` tag.
pub fn version_of(config: &crate::config::Config, env: &str) -> Option<String> {
    config
        .environment(env)
        .ok()
        .and_then(|e| e.expected.get("release").cloned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::{report_of, scenario};
    use reporters::{ErrorReport, HttpExchangeReport};

    fn run(statuses: &[Status]) -> Vec<RunReport> {
        statuses
            .iter()
            .map(|st| {
                let error = (*st == Status::Failed).then(|| ErrorReport {
                    kind: probes::ErrorKind::Http,
                    message: "GET /health answered 500".into(),
                    step: Some("Then the status is 200".into()),
                    line: Some(6),
                });
                let mut sc = scenario("Engine health", "Engine reports healthy", *st, error);
                sc.http = vec![HttpExchangeReport {
                    service: "engine".into(),
                    method: "GET".into(),
                    url: "https://127.0.0.1/engine/health".into(),
                    status: Some(500),
                    duration_ms: 3.0,
                    error: None,
                }];
                report_of("local", vec![sc])
            })
            .collect()
    }

    /// The transitions a sequence of runs produces, in order.
    fn kinds(threshold: u32, statuses: &[Status]) -> Vec<(usize, TransitionKind)> {
        let mut states = HashMap::new();
        let mut seen = Vec::new();
        for (i, r) in run(statuses).iter().enumerate() {
            let o = evaluate(threshold, &states, r);
            seen.extend(o.transitions.iter().map(|t| (i, t.kind)));
            states.extend(o.states);
        }
        seen
    }

    use Status::{Failed as F, KnownGap as G, Passed as P, Skipped as S};
    use TransitionKind::{Failing, Recovered};

    #[test]
    fn one_event_per_transition_after_the_threshold() {
        assert_eq!(
            kinds(2, &[P, F, F, F, F, P, P]),
            vec![(2, Failing), (5, Recovered)]
        );
        // One blip pages nobody, and needs no recovery.
        assert_eq!(kinds(2, &[P, F, P, F, P]), vec![]);
        // Threshold 1: the first failure.
        assert_eq!(kinds(1, &[F, P]), vec![(0, Failing), (1, Recovered)]);
        // Skips and claim statuses do not break a streak.
        assert_eq!(
            kinds(2, &[F, S, G, F, S, P]),
            vec![(3, Failing), (5, Recovered)]
        );
        // A flapping scenario alerts again after each recovery, never twice in a row.
        assert_eq!(
            kinds(1, &[F, F, P, F]),
            vec![(0, Failing), (2, Recovered), (3, Failing)]
        );
    }

    #[test]
    fn the_event_carries_fingerprint_tags_and_breadcrumbs() {
        let r = &run(&[F])[0];
        let o = evaluate(1, &HashMap::new(), r);
        let ctx = Context {
            environment: "local",
            version: Some("v0.1.3.6"),
            run_id: "r",
        };
        let e = event(&o.transitions[0], &ctx);
        assert_eq!(e.level, Level::Error);
        assert_eq!(
            e.fingerprint.iter().map(|f| f.as_ref()).collect::<Vec<_>>(),
            vec!["local", "Engine health", "Engine reports healthy"]
        );
        assert_eq!(e.tags.get("version").map(String::as_str), Some("v0.1.3.6"));
        assert_eq!(e.tags.get("environment").map(String::as_str), Some("local"));
        assert_eq!(
            e.tags.get("feature").map(String::as_str),
            Some("Engine health")
        );
        assert_eq!(e.environment.as_deref(), Some("local"));
        assert_eq!(e.breadcrumbs.len(), 1);
        assert_eq!(e.breadcrumbs[0].data["status_code"], 500);
        assert!(
            e.message
                .as_deref()
                .is_some_and(|m| m.contains("answered 500"))
        );
    }

    #[test]
    fn check_ins_name_the_monitor_and_its_interval() {
        let id = Uuid::new_v4();
        let c = check_in(
            "dev",
            id,
            MonitorCheckInStatus::InProgress,
            None,
            Some(every(Duration::from_secs(300))),
        );
        assert_eq!(c.monitor_slug, "lucia-synthetic-dev");
        let Some(MonitorConfig {
            schedule: MonitorSchedule::Interval { value, unit },
            ..
        }) = c.monitor_config
        else {
            panic!("an interval schedule");
        };
        assert_eq!((value, unit), (5, MonitorIntervalUnit::Minute));
        assert!(Sentry::new("not a dsn").is_err());
        assert!(Sentry::new("http://public@127.0.0.1:9/1").is_ok());
    }
}
