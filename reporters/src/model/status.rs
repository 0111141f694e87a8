//! The outcome of one scenario, as every report states it. Two of the
//! statuses are the Canon's claims speaking (`known_gap`, `claim_outdated`);
//! `model::claim` holds the rule that yields them.

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
    /// Correct, but over its `@slow(…)` budget: never folded into passed
    /// (it was slow) nor into failed (it was right).
    Degraded,
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
            Self::Degraded => "degraded",
        }
    }

    /// The status `as_str` wrote, as the history stores it.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether this status makes a run fail (exit 1).
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::ClaimOutdated)
    }
}
