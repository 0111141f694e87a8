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
    /// The area (features/<area>/…) this scenario belongs to.
    pub fn area(&self) -> &str {
        let p = self.feature_file.trim_start_matches("./");
        let p = p.strip_prefix("features/").unwrap_or(p);
        match p.split_once('/') {
            Some((area, _)) => area,
            None => "other",
        }
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
}

impl RunReport {
    /// Whether the run passed: nothing failed and no claim is outdated.
    pub fn passed(&self) -> bool {
        !self.scenarios.iter().any(|s| s.status.is_failure())
    }
}
