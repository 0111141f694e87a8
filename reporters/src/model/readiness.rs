//! The promotion gate's verdict: the seven checks of the promotion rule,
//! each check's outcome, and the verdict they make. The gate gathers the
//! evidence and fills the checks; `format::readiness` and
//! `terminal::readiness` render them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The seven checks of the promotion rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// The source reports the version being promoted (engine and admin).
    SourceVersion,
    /// Every @gating scenario passes in the source now.
    SourceSuite,
    /// A baseline for the version exists, captured from the source.
    BaselineCaptured,
    /// Eval Labs reviewed and approved that baseline.
    BaselineReviewed,
    /// The source still matches the reviewed baseline.
    NoDrift,
    /// No claim violation in the source.
    Claims,
    /// The target answers.
    TargetHealthy,
}

impl CheckId {
    /// Every check, in the order the gate evaluates and reports them.
    pub const ALL: [Self; 7] = [
        Self::SourceVersion,
        Self::SourceSuite,
        Self::BaselineCaptured,
        Self::BaselineReviewed,
        Self::NoDrift,
        Self::Claims,
        Self::TargetHealthy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SourceVersion => "source-version",
            Self::SourceSuite => "source-suite",
            Self::BaselineCaptured => "baseline-captured",
            Self::BaselineReviewed => "baseline-reviewed",
            Self::NoDrift => "no-drift",
            Self::Claims => "claims",
            Self::TargetHealthy => "target-healthy",
        }
    }

    /// What the check asks, for people.
    pub fn question(self) -> &'static str {
        match self {
            Self::SourceVersion => "Does the source run the version being promoted?",
            Self::SourceSuite => "Does every @gating scenario pass in the source?",
            Self::BaselineCaptured => "Is a baseline of this version captured from the source?",
            Self::BaselineReviewed => "Did Eval Labs review and approve that baseline?",
            Self::NoDrift => "Does the source still match the reviewed baseline?",
            Self::Claims => "Does every implemented/configured/tested claim hold in the source?",
            Self::TargetHealthy => "Does the target answer?",
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    /// The evidence says no: promotion must wait.
    Fail,
    /// Passes, with something a person should know (does not block).
    Warn,
    /// The evidence could not be gathered: the gate cannot tell.
    Unknown,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Warn => "warn",
            Self::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub id: CheckId,
    pub status: CheckStatus,
    /// What was found and, when it does not pass, what to do next.
    pub detail: String,
}

impl Check {
    pub fn new(id: CheckId, status: CheckStatus, detail: impl Into<String>) -> Self {
        Self {
            id,
            status,
            detail: detail.into(),
        }
    }
}

/// The gate's answer. Each maps to its own exit code, so CI never reads
/// "could not tell" as "ready" or as "not ready".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessVerdict {
    Ready,
    NotReady,
    Inconclusive,
}

impl ReadinessVerdict {
    /// A failed check means not ready, whatever else is unknown: the
    /// evidence already says no. Otherwise an unknown (or missing) check
    /// means inconclusive. Warnings do not block.
    pub fn of(checks: &[Check]) -> Self {
        if checks.iter().any(|c| c.status == CheckStatus::Fail) {
            Self::NotReady
        } else if checks.iter().any(|c| c.status == CheckStatus::Unknown)
            || CheckId::ALL
                .iter()
                .any(|id| !checks.iter().any(|c| c.id == *id))
        {
            Self::Inconclusive
        } else {
            Self::Ready
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::NotReady => "not_ready",
            Self::Inconclusive => "inconclusive",
        }
    }

    /// The documented exit code: 0 ready, 1 not ready, 3 inconclusive.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Ready => 0,
            Self::NotReady => 1,
            Self::Inconclusive => 3,
        }
    }

    /// The verdict in words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ready => "READY",
            Self::NotReady => "NOT READY",
            Self::Inconclusive => "INCONCLUSIVE: the evidence could not be gathered",
        }
    }
}

/// Whether `version` may be promoted from `from` to `to`, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    pub from: String,
    pub to: String,
    pub version: String,
    /// `verdict == ready`, for readers that want a boolean.
    pub ready: bool,
    pub verdict: ReadinessVerdict,
    pub checks: Vec<Check>,
    pub generated_at: DateTime<Utc>,
    pub harness_version: String,
}

impl Readiness {
    /// A verdict from checks: `ready` and `verdict` follow [`ReadinessVerdict::of`].
    pub fn new(
        from: impl Into<String>,
        to: impl Into<String>,
        version: impl Into<String>,
        checks: Vec<Check>,
        generated_at: DateTime<Utc>,
        harness_version: impl Into<String>,
    ) -> Self {
        let verdict = ReadinessVerdict::of(&checks);
        Self {
            from: from.into(),
            to: to.into(),
            version: version.into(),
            ready: verdict == ReadinessVerdict::Ready,
            verdict,
            checks,
            generated_at,
            harness_version: harness_version.into(),
        }
    }

    /// The checks that keep the version from being promoted (or from being judged).
    pub fn blocking(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| matches!(c.status, CheckStatus::Fail | CheckStatus::Unknown))
    }

    /// `Promote VERSION from FROM to TO`: the title of every rendering.
    pub fn title(&self) -> String {
        format!("Promote {} from {} to {}", self.version, self.from, self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks(status: impl Fn(CheckId) -> CheckStatus) -> Vec<Check> {
        CheckId::ALL
            .iter()
            .map(|id| Check::new(*id, status(*id), "x"))
            .collect()
    }

    #[test]
    fn verdict_follows_the_checks() {
        assert_eq!(
            ReadinessVerdict::of(&checks(|_| CheckStatus::Pass)),
            ReadinessVerdict::Ready
        );
        assert_eq!(
            ReadinessVerdict::of(&checks(|id| if id == CheckId::NoDrift {
                CheckStatus::Warn
            } else {
                CheckStatus::Pass
            })),
            ReadinessVerdict::Ready
        );
        let one = |bad: CheckStatus| {
            checks(move |id| {
                if id == CheckId::Claims {
                    bad
                } else {
                    CheckStatus::Pass
                }
            })
        };
        assert_eq!(
            ReadinessVerdict::of(&one(CheckStatus::Fail)),
            ReadinessVerdict::NotReady
        );
        assert_eq!(
            ReadinessVerdict::of(&one(CheckStatus::Unknown)),
            ReadinessVerdict::Inconclusive
        );
        // A known failure outweighs what could not be looked at.
        let mut mixed = one(CheckStatus::Fail);
        mixed[0].status = CheckStatus::Unknown;
        assert_eq!(ReadinessVerdict::of(&mixed), ReadinessVerdict::NotReady);
        // A missing check is never read as a pass.
        let mut missing = checks(|_| CheckStatus::Pass);
        missing.pop();
        assert_eq!(
            ReadinessVerdict::of(&missing),
            ReadinessVerdict::Inconclusive
        );
        assert_eq!(ReadinessVerdict::of(&[]), ReadinessVerdict::Inconclusive);
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(ReadinessVerdict::Ready.exit_code(), 0);
        assert_eq!(ReadinessVerdict::NotReady.exit_code(), 1);
        assert_eq!(ReadinessVerdict::Inconclusive.exit_code(), 3);
    }

    #[test]
    fn ids_serialise_as_the_readme_names_them() {
        let names: Vec<String> = CheckId::ALL
            .iter()
            .map(|id| {
                serde_json::to_value(id)
                    .expect("id")
                    .as_str()
                    .expect("str")
                    .to_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "source-version",
                "source-suite",
                "baseline-captured",
                "baseline-reviewed",
                "no-drift",
                "claims",
                "target-healthy"
            ]
        );
        for id in CheckId::ALL {
            assert_eq!(serde_json::to_value(id).expect("id"), id.as_str());
        }
    }
}
