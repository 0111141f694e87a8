//! The result of a run, as every report format reads it. `report.json` is
//! this, serialised; its JSON Schema is `reporters/schema/report.schema.json`.

use chrono::{DateTime, Utc};
use probes::ErrorKind;
use serde::{Deserialize, Serialize};

/// The outcome of one scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    /// Passed, but only after a retry: never folded into passed.
    Flaky,
    Failed,
    Skipped,
    /// A `@deferred`/`@future` claim that fails, as the Canon says it will.
    KnownGap,
    /// A `@deferred`/`@future` claim that passes: the Canon is out of date.
    ClaimOutdated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Flaky => "flaky",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::KnownGap => "known_gap",
            Self::ClaimOutdated => "claim_outdated",
        }
    }

    /// Whether this status makes a run fail (exit 1).
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::ClaimOutdated)
    }
}

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
    /// The Canon claim status from the tags (implemented, configured, tested, deferred, future).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub claim: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<ErrorReport>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub skip_reason: Option<String>,
    pub steps: Vec<StepReport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpExchangeReport>,
}

impl ScenarioReport {
    /// The area (features/<area>/…) this scenario belongs to, wherever the
    /// features directory is (`/tmp/x/features/retries/…` is `retries`).
    pub fn area(&self) -> &str {
        area_of(&self.feature_file)
    }

    /// Whether this is a claim violation: an implemented/configured/tested
    /// claim that failed.
    pub fn is_claim_violation(&self) -> bool {
        self.status == Status::Failed
            && matches!(
                self.claim.as_deref(),
                Some("implemented" | "configured" | "tested")
            )
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

/// What a run says of one claim of the Canon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ClaimVerdict {
    /// An implemented/configured/tested claim that passed.
    Holds,
    /// An implemented/configured/tested claim that failed.
    Violated,
    /// A deferred/future claim failing, as the Canon says it will.
    KnownGap,
    /// A deferred/future claim that passes: the Canon is out of date.
    Outdated,
    /// Not checked in this run (skipped, with the reason as evidence).
    Unverified,
}

impl ClaimVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holds => "holds",
            Self::Violated => "violated",
            Self::KnownGap => "known_gap",
            Self::Outdated => "outdated",
            Self::Unverified => "unverified",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimReport {
    pub area: String,
    pub feature: String,
    pub scenario: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub feature_file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The status the Canon gives: implemented, configured, tested, deferred, future.
    pub claim: String,
    pub observed: Status,
    pub verdict: ClaimVerdict,
    /// What the harness saw, in one line.
    pub evidence: String,
    /// When it last passed, if known (this run, or the serve history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_passed: Option<DateTime<Utc>>,
}

impl ClaimReport {
    /// The ledger entry of a scenario carrying a claim tag.
    pub fn of(s: &ScenarioReport, at: DateTime<Utc>) -> Option<Self> {
        let claim = s.claim.clone()?;
        let gap = matches!(claim.as_str(), "deferred" | "future");
        let verdict = match s.status {
            Status::Passed | Status::Flaky if !gap => ClaimVerdict::Holds,
            Status::Failed if !gap => ClaimVerdict::Violated,
            Status::KnownGap => ClaimVerdict::KnownGap,
            Status::ClaimOutdated => ClaimVerdict::Outdated,
            // A deferred/future claim whose scenario "passed" cannot happen
            // (it is claim_outdated); anything else was not checked.
            _ => ClaimVerdict::Unverified,
        };
        let evidence = short(if let Some(reason) = &s.skip_reason {
            format!("skipped: {reason}")
        } else if let Some(e) = &s.error {
            format!(
                "[{}] {}",
                e.kind,
                e.message.lines().next().unwrap_or_default()
            )
        } else if let Some(x) = s.http.last() {
            let status = x
                .status
                .map_or_else(|| "no answer".to_owned(), |c| c.to_string());
            format!(
                "{} {} → {status} in {:.0} ms",
                x.method, x.url, x.duration_ms
            )
        } else {
            format!("{} step(s) passed", s.steps.len())
        });
        let passed = matches!(
            s.status,
            Status::Passed | Status::Flaky | Status::ClaimOutdated
        );
        Some(Self {
            area: s.area().to_owned(),
            feature: s.feature.clone(),
            scenario: s.scenario.clone(),
            feature_file: s.feature_file.clone(),
            line: Some(s.line),
            claim,
            observed: s.status,
            verdict,
            evidence,
            last_passed: passed.then_some(at),
        })
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
