//! Sending to Sentry: an error event when a scenario starts failing, an
//! info event when it recovers (each with its own fingerprint), and a Crons
//! check-in per run (monitor `lucia-synthetic-<env>`). Everything an event
//! says comes from the report, whose messages and URLs the run's redactor
//! already scrubbed.

use std::sync::Arc;
use std::time::Duration;

use sentry::protocol::{
    Breadcrumb, Event, Level, Map, MonitorCheckIn, MonitorCheckInStatus, MonitorConfig,
    MonitorIntervalUnit, MonitorSchedule,
};
use sentry::types::Uuid;

use super::alert::{Transition, TransitionKind};
use crate::run::HARNESS_VERSION;

/// The Crons monitor of an environment's scheduled checks.
pub fn monitor_slug(environment: &str) -> String {
    // A series seen from a location (`dev@frankfurt`) is a monitor of its own.
    format!("lucia-synthetic-{}", environment.replace('@', "-"))
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
    // The scenario's trace, which every request it made carried: the alert
    // leads to the backend's transaction and errors of the same trace.
    let mut contexts = Map::new();
    if let Some(trace_id) = sc.trace_id.as_deref().and_then(|t| t.parse().ok()) {
        extra.insert("trace_id".into(), sc.trace_id.clone().into());
        contexts.insert(
            "trace".to_owned(),
            sentry::protocol::TraceContext {
                trace_id,
                span_id: sentry::protocol::SpanId::default(),
                op: Some("synthetic.check".into()),
                description: Some(format!("{} › {}", sc.feature, sc.scenario)),
                ..Default::default()
            }
            .into(),
        );
    }
    Event {
        level,
        message: Some(message),
        logger: Some("lucia-harness".into()),
        environment: Some(ctx.environment.to_owned().into()),
        release: Some(format!("lucia-harness@{}", HARNESS_VERSION).into()),
        fingerprint: fingerprint.into(),
        tags: tags.into_iter().collect(),
        breadcrumbs: breadcrumbs.into(),
        extra,
        contexts,
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
            .release(format!("lucia-harness@{}", HARNESS_VERSION))
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::record::alert::evaluate;
    use crate::record::history::fixtures::health_run;
    use reporters::{RunReport, Status};

    fn failed_run() -> RunReport {
        health_run(Status::Failed)
    }

    #[test]
    fn the_event_carries_fingerprint_tags_and_breadcrumbs() {
        let r = &failed_run();
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
