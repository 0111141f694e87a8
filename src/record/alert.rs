//! Alerting on a change of state: which scenarios went from passing to
//! failing (after a number of consecutive failures, so one blip pages
//! nobody) or recovered.
//!
//! [`evaluate`] is pure: previous alert states and a run in, new states and
//! transitions out. Nothing is repeated while a state holds: one failing
//! transition when a scenario starts failing, one recovery when it
//! recovers. [`super::sentry`] sends them; [`super::recording`] stores them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use reporters::{RunReport, ScenarioReport, Status};
use sentry::types::Uuid;

use super::history::{AlertState, ScenarioId, Silence, TransitionRow};
use crate::input::maintenance::MaintenanceWindow;

/// Failed runs in a row before a scenario is reported as failing.
pub const DEFAULT_THRESHOLD: u32 = 2;

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
pub struct AlertOutcome {
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
) -> AlertOutcome {
    let threshold = threshold.max(1);
    let at = report.finished_at;
    let mut out = AlertOutcome::default();
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

/// The "fail in N of M locations" rule of hosted synthetic monitoring, on
/// the outcome of one location's run: `siblings` are the alert states of
/// the same environment seen from the other locations. A scenario pages
/// only once at least `min_locations` locations see it failing past the
/// threshold, so one region's network blip pages nobody; a location that
/// starts failing while another already paged joins that page silently;
/// the recovery is reported by the last location to recover. Below the
/// count, the location keeps counting its failures without alerting (and
/// is judged again on its next run).
pub fn across_locations(
    mut outcome: AlertOutcome,
    siblings: &[HashMap<ScenarioId, AlertState>],
    min_locations: u32,
    threshold: u32,
) -> AlertOutcome {
    let threshold = threshold.max(1);
    let mut kept = Vec::new();
    for t in std::mem::take(&mut outcome.transitions) {
        let id = ScenarioId::of(&t.scenario);
        let paged_elsewhere = siblings
            .iter()
            .any(|s| s.get(&id).is_some_and(|st| st.alerting));
        match t.kind {
            TransitionKind::Failing => {
                let failing = 1 + siblings
                    .iter()
                    .filter(|s| {
                        s.get(&id)
                            .is_some_and(|st| st.consecutive_failures >= threshold)
                    })
                    .count();
                let enough = u32::try_from(failing).unwrap_or(u32::MAX) >= min_locations.max(1);
                if paged_elsewhere {
                    // Already paged: this location joins the page.
                } else if enough {
                    kept.push(t);
                } else if let Some(st) = outcome.states.get_mut(&id) {
                    st.alerting = false;
                }
            }
            TransitionKind::Recovered => {
                if !paged_elsewhere {
                    kept.push(t);
                }
            }
        }
    }
    outcome.transitions = kept;
    outcome
}

/// Whether `status` counts as the scenario working, for alerting and "last passed".
pub fn is_pass(status: Status) -> bool {
    matches!(status, Status::Passed | Status::Flaky | Status::Degraded)
}

/// Why a run starting `at` is in maintenance, if it is: the first silence
/// covering it, else the first recurring window. Maintenance runs are
/// recorded but never alerted on (and the alert states do not move: a
/// failure that outlasts the window pages as if the window runs had not
/// been there, counting from the first failing run after it).
pub fn maintenance_at(
    windows: &[MaintenanceWindow],
    silences: &[Silence],
    at: DateTime<Utc>,
) -> Option<String> {
    let until = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    if let Some(s) = silences.iter().find(|s| s.covers(at)) {
        return Some(format!(
            "silence #{}: {} (by {}, until {})",
            s.id,
            s.reason,
            s.created_by,
            until(s.until())
        ));
    }
    windows.iter().find_map(|w| {
        w.covers(at)
            .map(|end| format!("maintenance window: {w}, until {}", until(end)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::history::fixtures::health_run;

    fn run(statuses: &[Status]) -> Vec<RunReport> {
        statuses.iter().map(|st| health_run(*st)).collect()
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

    /// Two locations, a page only when both fail (min 2): one failing pages
    /// nobody; both failing, one page; the recovery once, from the last.
    #[test]
    fn a_page_needs_the_failure_seen_from_enough_locations() {
        let step = |mine: &mut HashMap<ScenarioId, AlertState>,
                    other: &HashMap<ScenarioId, AlertState>,
                    status: Status| {
            let o = across_locations(
                evaluate(1, mine, &health_run(status)),
                std::slice::from_ref(other),
                2,
                1,
            );
            mine.extend(o.states);
            o.transitions.iter().map(|t| t.kind).collect::<Vec<_>>()
        };
        let (mut a, mut b) = (HashMap::new(), HashMap::new());
        assert_eq!(step(&mut a, &b, F), vec![], "one location failing: no page");
        assert_eq!(step(&mut b, &a, P), vec![]);
        assert_eq!(step(&mut a, &b, F), vec![], "still one: no page");
        assert_eq!(step(&mut b, &a, F), vec![Failing], "both: one page");
        assert_eq!(step(&mut a, &b, F), vec![], "a joins b's page");
        assert_eq!(
            step(&mut a, &b, P),
            vec![],
            "b still fails: the page stands"
        );
        assert_eq!(step(&mut b, &a, P), vec![Recovered], "the last recovers it");
        // With one location required, each alerts on its own as before.
        let (mut c, d) = (HashMap::new(), HashMap::new());
        let o = across_locations(
            evaluate(1, &c, &health_run(F)),
            std::slice::from_ref(&d),
            1,
            1,
        );
        c.extend(o.states);
        assert_eq!(o.transitions.len(), 1);
    }

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
}
