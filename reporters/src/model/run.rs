//! The result of a run, as every report format reads it: the run, its
//! scenarios and their steps, errors and HTTP exchanges, the counts.
//! `report.json` is this, serialised; its JSON Schema is
//! `reporters/schema/report.schema.json`.

use chrono::{DateTime, Utc};
use probes::ErrorKind;
use serde::{Deserialize, Serialize};

use crate::model::claim::{Claim, ClaimReport, ClaimVerdict};
use crate::model::status::Status;
pub use probes::core::timings::Timings;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    pub keyword: String,
    /// The step as written in the feature (secrets stay `${NAME}`).
    pub text: String,
    pub line: usize,
    pub status: StepStatus,
    pub duration_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    pub kind: ErrorKind,
    pub message: String,
    /// The failing step, as written.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub step: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpExchangeReport {
    pub service: String,
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<u16>,
    pub duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<ErrorKind>,
    /// Where the time went, phase by phase (absent in reports written
    /// before the harness measured phases).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub timings: Option<Timings>,
    /// This request's span of the scenario's trace (`traceparent`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub span_id: Option<String>,
    /// The exchange in full, redacted, for `exchanges.har`: never written
    /// to report.json (nor kept in the history).
    #[serde(skip)]
    pub evidence: Option<Box<ExchangeEvidence>>,
}

/// One exchange in full, already redacted like every output: what
/// `exchanges.har` holds.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ExchangeEvidence {
    pub started_at: DateTime<Utc>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    /// Bytes of the body as received (before redaction or a cut).
    pub response_size: usize,
    /// Why a body is not shown whole (binary, cut at a size).
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// The feature's name.
    pub feature: String,
    /// The feature file, relative to the features directory's parent.
    pub feature_file: String,
    pub line: usize,
    pub scenario: String,
    /// Every tag that applies (feature, rule and scenario), without `@`.
    pub tags: Vec<String>,
    pub status: Status,
    pub duration_ms: f64,
    /// 1 unless the scenario was retried.
    pub attempts: u32,
    /// The Canon's claim, from the tags.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub claim: Option<Claim>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<ErrorReport>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub skip_reason: Option<String>,
    pub steps: Vec<StepReport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpExchangeReport>,
    /// The scenario's time budget (`@slow(800ms)`): over it but correct is
    /// `degraded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_ms: Option<f64>,
    /// The trace every request of the scenario carried (`traceparent`,
    /// `sentry-trace`): the backend's Sentry shows its side under this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl ScenarioReport {
    /// The area (features/<area>/…) this scenario belongs to, wherever the
    /// features directory is (`/tmp/x/features/retries/…` is `retries`).
    pub fn area(&self) -> &str {
        area_of(&self.feature_file)
    }

    /// What this run says of the scenario's claim, if it carries one.
    pub fn claim_verdict(&self) -> Option<ClaimVerdict> {
        self.claim.map(|c| ClaimVerdict::of(c, self.status))
    }

    /// Whether this is a claim violation: an implemented/configured/tested
    /// claim that failed.
    pub fn is_claim_violation(&self) -> bool {
        self.claim_verdict() == Some(ClaimVerdict::Violated)
    }

    /// The claim ledger's entry of this scenario, if it carries a claim
    /// tag; `at` is when it passed, if it did.
    pub fn claim_report(&self, at: DateTime<Utc>) -> Option<ClaimReport> {
        let claim = self.claim?;
        let verdict = ClaimVerdict::of(claim, self.status);
        let evidence = short(if let Some(reason) = &self.skip_reason {
            format!("skipped: {reason}")
        } else if let Some(e) = &self.error {
            format!(
                "[{}] {}",
                e.kind,
                e.message.lines().next().unwrap_or_default()
            )
        } else if let Some(x) = self.http.last() {
            let status = x
                .status
                .map_or_else(|| "no answer".to_owned(), |c| c.to_string());
            format!(
                "{} {} → {status} in {:.0} ms",
                x.method, x.url, x.duration_ms
            )
        } else {
            format!("{} step(s) passed", self.steps.len())
        });
        let passed = matches!(
            self.status,
            Status::Passed | Status::Flaky | Status::Degraded | Status::ClaimOutdated
        );
        Some(ClaimReport {
            area: self.area().to_owned(),
            feature: self.feature.clone(),
            scenario: self.scenario.clone(),
            feature_file: self.feature_file.clone(),
            line: Some(self.line),
            claim,
            observed: self.status,
            verdict,
            evidence,
            last_passed: passed.then_some(at),
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub known_gaps: usize,
    pub flaky: usize,
    pub drifted: usize,
    pub claim_outdated: usize,
    pub claim_violations: usize,
    /// Correct but over their `@slow(…)` budget.
    #[serde(default)]
    pub degraded: usize,
}

impl Summary {
    pub fn of(scenarios: &[ScenarioReport]) -> Self {
        let mut s = Self {
            total: scenarios.len(),
            ..Self::default()
        };
        for sc in scenarios {
            match sc.status {
                Status::Passed => s.passed += 1,
                Status::Flaky => s.flaky += 1,
                Status::Failed => s.failed += 1,
                Status::Skipped => s.skipped += 1,
                Status::KnownGap => s.known_gaps += 1,
                Status::ClaimOutdated => s.claim_outdated += 1,
                Status::Degraded => s.degraded += 1,
            }
            if sc
                .error
                .as_ref()
                .is_some_and(|e| e.kind == ErrorKind::Drift)
            {
                s.drifted += 1;
            }
            if sc.is_claim_violation() {
                s.claim_violations += 1;
            }
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub harness_version: String,
    pub run_id: String,
    pub environment: String,
    pub environment_status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: f64,
    pub summary: Summary,
    pub scenarios: Vec<ScenarioReport>,
    /// The Canon's claims as this run saw them ("no pretending").
    #[serde(default)]
    pub claims: Vec<ClaimReport>,
    /// The harness's own footprint in this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harness: Option<HarnessStats>,
    /// Where the probes ran from (`--location`), when one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The part of the suite this run ran (`--shard I/N`), when sharded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The maintenance window or silence the run fell in (`dev: deploy,
    /// until 14:30 UTC`): recorded, never alerted on, left out of uptime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<String>,
}

impl RunReport {
    /// The run's series in the history: its environment, or the
    /// environment as seen from a location (`dev@frankfurt`). Runs, alert
    /// states and leases are kept per series, so each location keeps its
    /// own streaks and schedule.
    pub fn series(&self) -> String {
        series(&self.environment, self.location.as_deref())
    }
}

/// `environment`, or `environment@location`.
pub fn series(environment: &str, location: Option<&str>) -> String {
    match location {
        Some(l) => format!("{environment}@{l}"),
        None => environment.to_owned(),
    }
}

/// What the harness itself cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HarnessStats {
    /// Peak resident memory of the process (VmHWM), where the platform tells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mb: Option<f64>,
}

impl HarnessStats {
    /// Reads the process's own figures (Linux: /proc/self/status).
    pub fn of_this_process() -> Self {
        let peak = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                    .map(|kb| (kb / 1024.0 * 10.0).round() / 10.0)
            });
        Self { peak_rss_mb: peak }
    }
}

impl RunReport {
    /// Whether the run passed: nothing failed and no claim is outdated.
    pub fn passed(&self) -> bool {
        !self.scenarios.iter().any(|s| s.status.is_failure())
    }
}

/// One line of at most 200 characters.
fn short(text: String) -> String {
    const MAX: usize = 200;
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= MAX && line.len() == text.len() {
        return text;
    }
    let mut s: String = line.chars().take(MAX).collect();
    s.push('…');
    s
}

fn area_of(feature_file: &str) -> &str {
    let p = feature_file.trim_start_matches("./");
    let p = match p.rfind("features/") {
        Some(i) if i == 0 || p[..i].ends_with('/') => &p[i + "features/".len()..],
        _ => p,
    };
    match p.split_once('/') {
        Some((area, _)) => area,
        None => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_area_is_the_directory_under_features() {
        let area = area_of;
        assert_eq!(area("features/engine/health.feature"), "engine");
        assert_eq!(area("./features/engine/health.feature"), "engine");
        assert_eq!(area("/tmp/x/features/retries/flaky.feature"), "retries");
        assert_eq!(area("my-features/engine/health.feature"), "my-features");
        assert_eq!(area("features/top.feature"), "other");
    }
}
