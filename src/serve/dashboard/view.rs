//! What the page shows, copied out of the shared state and the history
//! ([`View::gather`]), and the small formatting every section shares.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reporters::model::readiness::Readiness;
use reporters::text::escape::html;
use reporters::{RunReport, ScenarioReport, Status};

use super::history::EnvHistory;
use crate::record::alert::maintenance_at;
use crate::record::history::{AlertState, ScenarioId};
use crate::record::recording::last_passed;
use crate::serve::evidence::{BaselineView, Promotion};
use crate::serve::harness::{EnvState, Harness};

/// One environment as the page shows it.
#[derive(Clone, Debug)]
pub struct EnvView {
    pub name: String,
    pub description: String,
    pub status: String,
    pub state: EnvState,
    pub last_passed: HashMap<ScenarioId, DateTime<Utc>>,
    pub alerts: HashMap<ScenarioId, AlertState>,
    /// The latest run seen from each location that probes this environment
    /// (`--location`, sharing the history), by location; empty when none does.
    pub locations: BTreeMap<String, Arc<RunReport>>,
    /// Its runs, uptime, strips and response times.
    pub history: EnvHistory,
    /// The maintenance window or silence it is in now, if any.
    pub maintenance: Option<String>,
}

/// Everything on the page.
#[derive(Clone, Debug)]
pub struct View {
    pub now: DateTime<Utc>,
    pub refresh_seconds: u64,
    /// Whether the page reloads itself (`?refresh=on`).
    pub refreshing: bool,
    pub envs: Vec<EnvView>,
    pub readiness: Result<Readiness, String>,
    pub baseline: BaselineView,
    pub promotion: Option<Promotion>,
    /// A problem reading history (shown, not hidden).
    pub problems: Vec<String>,
}

impl View {
    pub fn gather(h: &Harness, refreshing: bool) -> Self {
        let s = h.settings();
        let now = Utc::now();
        let mut problems = Vec::new();
        let envs = h
            .environments()
            .filter_map(|name| {
                let state = h.env_state(name)?;
                let cfg = s.config.environment(name).ok();
                let windows = cfg.map(|c| c.maintenance.clone()).unwrap_or_default();
                let read = h.read_store(|st| {
                    let key = h.series(name);
                    let prefix = format!("{name}@");
                    let mut locations = BTreeMap::new();
                    for series in st.environments()? {
                        if let Some(l) = series.strip_prefix(&prefix)
                            && let Some(r) = st.latest_report(&series)?
                        {
                            locations.insert(l.to_owned(), Arc::new(r));
                        }
                    }
                    let history = EnvHistory::read(st, &key, state.latest.as_deref(), now)?;
                    let silences = st.silences(Some(name), now, false)?;
                    Ok((
                        last_passed(st, &key)?,
                        st.alert_states(&key)?,
                        locations,
                        history,
                        maintenance_at(&windows, &silences, now),
                    ))
                });
                let (last_passed, alerts, locations, history, maintenance) =
                    read.unwrap_or_else(|e| {
                        problems.push(format!("history of {name}: {e}"));
                        Default::default()
                    });
                Some(EnvView {
                    name: name.to_owned(),
                    description: cfg.map(|c| c.description.clone()).unwrap_or_default(),
                    status: cfg
                        .map(|c| c.status.as_str().to_owned())
                        .unwrap_or_default(),
                    state,
                    last_passed,
                    alerts,
                    locations,
                    history,
                    maintenance,
                })
            })
            .collect();
        let (readiness, baseline) = h.evidence();
        Self {
            now,
            refresh_seconds: s.refresh.as_secs().max(1),
            refreshing,
            envs,
            readiness,
            baseline,
            promotion: s.promotion.clone(),
            problems,
        }
    }
}

pub(super) fn t(ts: DateTime<Utc>) -> String {
    ts.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// "3 min ago" / "in 2 min".
pub(super) fn relative(now: DateTime<Utc>, ts: DateTime<Utc>) -> String {
    let secs = (now - ts).num_seconds();
    let (n, future) = (secs.unsigned_abs(), secs < 0);
    let amount = match n {
        0..=59 => format!("{n} s"),
        60..=3599 => format!("{} min", n / 60),
        3600..=86_399 => format!("{} h", n / 3600),
        _ => format!("{} d", n / 86_400),
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

pub(super) fn when(now: DateTime<Utc>, ts: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time> ({})",
        ts.to_rfc3339(),
        t(ts),
        relative(now, ts)
    )
}

/// The colour of a set of scenarios: the worst status among those that ran.
pub(super) fn cell_status(scenarios: &[&ScenarioReport]) -> &'static str {
    let has = |s: Status| scenarios.iter().any(|sc| sc.status == s);
    if has(Status::Failed) || has(Status::ClaimOutdated) {
        "failed"
    } else if has(Status::Flaky) {
        "flaky"
    } else if has(Status::Degraded) {
        "degraded"
    } else if has(Status::Passed) {
        "passed"
    } else if has(Status::KnownGap) {
        "known_gap"
    } else if has(Status::Skipped) {
        "skipped"
    } else {
        "none"
    }
}

pub(super) fn badge(status: &str) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", html(status))
}

/// Percent-encodes a query value.
pub(super) fn url_component(s: &str) -> String {
    s.bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect()
}

pub(super) fn latest(e: &EnvView) -> Option<&Arc<RunReport>> {
    e.state.latest.as_ref()
}
