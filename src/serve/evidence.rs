//! What `serve` knows besides the runs themselves: the baseline of the
//! version and its review, the drift a run saw, and the promotion verdict.
//! Each comes from one function here, so the dashboard, `/readiness` and
//! `/metrics` always agree.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use probes::ErrorKind;
use regex::Regex;
use reporters::RunReport;
use reporters::model::readiness::Readiness;
use serde::Serialize;

use crate::baseline::store::ReviewState;
use crate::gate::{self, BaselineEvidence, baseline_evidence};

/// The baseline of a version and its review, as the promotion gate reads it
/// ([`crate::gate::baseline_evidence`]: the manifest, and whether the review
/// still matches what is stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaselineView {
    pub version: String,
    pub evidence: BaselineEvidence,
}

impl BaselineView {
    pub fn exists(&self) -> bool {
        self.evidence.captured_from.is_some()
    }

    pub fn approved(&self) -> bool {
        self.exists() && matches!(self.evidence.review, ReviewState::Approved { .. })
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let e = &self.evidence;
        if let Some(p) = &e.problem {
            return format!("the baseline of {} cannot be read: {p}", self.version);
        }
        let Some(from) = &e.captured_from else {
            return format!(
                "no baseline of {} ({} does not exist; capture one with `lucia-harness baseline capture`)",
                self.version, e.manifest
            );
        };
        let review = match &e.review {
            ReviewState::NotReviewed => {
                "not reviewed yet (`lucia-harness baseline approve`)".to_owned()
            }
            ReviewState::Approved { reviewer, at } => format!("approved by {reviewer} at {at}"),
            ReviewState::Stale { reviewer, at } => format!(
                "reviewed by {reviewer} at {at}, but it changed since (or was not approved): review it again"
            ),
        };
        let pending = if e.pending > 0 {
            format!("; {} snapshot(s) waiting for review", e.pending)
        } else {
            String::new()
        };
        format!("{} captured from {from}; {review}{pending}", self.version)
    }

    /// For JSON answers.
    pub fn to_json(&self) -> serde_json::Value {
        let e = &self.evidence;
        let review = match &e.review {
            ReviewState::NotReviewed => serde_json::json!({"state": "not_reviewed"}),
            ReviewState::Approved { reviewer, at } => {
                serde_json::json!({"state": "approved", "reviewer": reviewer, "at": at})
            }
            ReviewState::Stale { reviewer, at } => {
                serde_json::json!({"state": "stale", "reviewer": reviewer, "at": at})
            }
        };
        serde_json::json!({
            "version": self.version,
            "manifest": e.manifest,
            "captured_from": e.captured_from,
            "review": review,
            "pending": e.pending,
            "problem": e.problem,
            "detail": self.describe(),
        })
    }
}

/// The baseline of `version` under `snapshots`.
pub fn baseline(snapshots: &Path, version: &str) -> BaselineView {
    BaselineView {
        version: version.to_owned(),
        evidence: baseline_evidence(snapshots, version),
    }
}

static DRIFT_BASELINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"baseline "([^"]+)""#).unwrap_or_else(|e| unreachable!("{e}")));
static DRIFT_COUNTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+) breaking, (\d+) additive, (\d+) value")
        .unwrap_or_else(|e| unreachable!("{e}"))
});

/// The drifted fields of a run, by (baseline, kind of change). A drift
/// failure names its baseline and counts its changes as `N breaking, N
/// additive, N value`; one whose message says neither counts one
/// `changed` field against the failing step's baseline (or `unknown`), so
/// drift is never hidden because its message changed shape.
pub fn drift_fields(r: &RunReport) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for sc in &r.scenarios {
        let Some(e) = sc.error.as_ref().filter(|e| e.kind == ErrorKind::Drift) else {
            continue;
        };
        let name = DRIFT_BASELINE
            .captures(e.step.as_deref().unwrap_or(""))
            .or_else(|| DRIFT_BASELINE.captures(&e.message))
            .map_or_else(|| "unknown".to_owned(), |c| c[1].to_owned());
        match DRIFT_COUNTS.captures(&e.message) {
            Some(c) => {
                for (i, kind) in ["breaking", "additive", "value"].iter().enumerate() {
                    let n: u64 = c[i + 1].parse().unwrap_or(0);
                    if n > 0 {
                        *out.entry((name.clone(), (*kind).to_owned())).or_insert(0) += n;
                    }
                }
            }
            None => *out.entry((name, "changed".to_owned())).or_insert(0) += 1,
        }
    }
    out
}

/// Which promotion `serve` watches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Promotion {
    pub from: String,
    pub to: String,
    pub version: String,
}

/// The promotion verdict from the latest runs of both environments and the
/// baseline, by the same [`gate::evaluate`] as `lucia-harness gate`: the one
/// place readiness is evaluated, so the dashboard, `/readiness` and
/// `lucia_promotion_ready` agree. `Err` says why there is no verdict yet
/// (nothing to watch, or no finished run to judge from); the dashboard
/// shows that rather than inventing one.
pub fn readiness(
    promotion: Option<&Promotion>,
    source: Option<&Arc<RunReport>>,
    target: Option<&Arc<RunReport>>,
    baseline: &BaselineView,
) -> Result<Readiness, String> {
    let Some(p) = promotion else {
        return Err(
            "no promotion to watch: serve both environments and name them with --gate FROM:TO (e.g. dev:staging)"
                .to_owned(),
        );
    };
    let waiting: Vec<&str> = [(&p.from, source), (&p.to, target)]
        .iter()
        .filter(|(_, r)| r.is_none())
        .map(|(e, _)| e.as_str())
        .collect();
    if let (Some(source), Some(target)) = (source, target) {
        return Ok(gate::evaluate(&gate::GateEvidence {
            from: &p.from,
            to: &p.to,
            version: &p.version,
            source: Ok(source),
            target: Ok(target),
            baseline: &baseline.evidence,
            flaky: gate::FlakyPolicy::Warn,
        }));
    }
    Err(format!(
        "waiting for a finished run of {} to judge {} from {} to {}",
        waiting.join(" and "),
        p.version,
        p.from,
        p.to
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::history::fixtures::{report_of, scenario};
    use reporters::{ErrorReport, ScenarioReport, Status};

    fn report(env: &str, scenarios: Vec<ScenarioReport>) -> Arc<RunReport> {
        Arc::new(report_of(env, scenarios))
    }

    fn drifted(message: &str) -> ScenarioReport {
        scenario(
            "Engine health",
            "matches",
            Status::Failed,
            Some(ErrorReport {
                kind: ErrorKind::Drift,
                message: message.into(),
                step: Some("Then the response matches the baseline \"engine/health\"".into()),
                line: Some(4),
            }),
        )
    }

    #[test]
    fn drift_is_counted_by_baseline_and_kind() {
        let r = report(
            "dev",
            vec![
                drifted(
                    "GET /health: the response drifted from baseline \"engine/health\" of v1 (captured from dev, x.snap): 1 breaking, 0 additive, 3 value\n$.status removed",
                ),
                drifted("something else entirely"),
            ],
        );
        let d = drift_fields(&r);
        assert_eq!(d[&("engine/health".to_owned(), "breaking".to_owned())], 1);
        assert_eq!(d[&("engine/health".to_owned(), "value".to_owned())], 3);
        assert_eq!(d[&("engine/health".to_owned(), "changed".to_owned())], 1);
        assert!(!d.contains_key(&("engine/health".to_owned(), "additive".to_owned())));
    }

    #[test]
    fn readiness_waits_for_both_runs_then_asks_the_gate() {
        let dir = tempfile::tempdir().expect("tmp");
        let b = baseline(dir.path(), "v0.1.3.6");
        assert!(!b.exists() && !b.approved());
        assert!(
            b.describe().contains("no baseline of v0.1.3.6"),
            "{}",
            b.describe()
        );
        assert!(readiness(None, None, None, &b).is_err());
        let p = Promotion {
            from: "dev".into(),
            to: "staging".into(),
            version: "v0.1.3.6".into(),
        };
        let dev = report("dev", vec![]);
        let why = readiness(Some(&p), Some(&dev), None, &b).expect_err("no staging run");
        assert!(
            why.contains("waiting for a finished run of staging"),
            "{why}"
        );
        let staging = report("staging", vec![]);
        let r = readiness(Some(&p), Some(&dev), Some(&staging), &b).expect("evaluated");
        assert_eq!((r.from.as_str(), r.to.as_str()), ("dev", "staging"));
        assert!(!r.ready, "no baseline, no promotion: {r:?}");
    }
}
