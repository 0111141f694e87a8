//! The Canon's claim, and the one rule that holds a scenario to it ("no
//! pretending"). Every scenario carries its claim as a tag: an
//! implemented, configured or tested claim must pass, and a failure is a
//! claim violation; a deferred or future claim is a known gap, so failing
//! is a `known_gap` and passing is `claim_outdated` (the Canon is out of
//! date). [`reported_status`] folds a raw outcome into the status reports
//! state; [`ClaimVerdict::of`] says what that status means for the claim.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::status::Status;

/// A claim status of the Canon, as a scenario's tag names it (without `@`).
/// Ordered as [`Claim::ALL`] lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    Implemented,
    Configured,
    Tested,
    /// Not yet: a known gap until it passes.
    Deferred,
    /// Later still: a known gap until it passes.
    Future,
}

impl Claim {
    /// Every claim status, from the firmest to the furthest off.
    pub const ALL: [Self; 5] = [
        Self::Implemented,
        Self::Configured,
        Self::Tested,
        Self::Deferred,
        Self::Future,
    ];

    /// The tag (without `@`), as `report.json` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Implemented => "implemented",
            Self::Configured => "configured",
            Self::Tested => "tested",
            Self::Deferred => "deferred",
            Self::Future => "future",
        }
    }

    /// The claim a tag (without `@`) names, if it names one.
    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == tag)
    }

    /// The claim of a scenario: the first of its tags that names one.
    pub fn of_tags(tags: &[String]) -> Option<Self> {
        tags.iter().find_map(|t| Self::from_tag(t))
    }

    /// Whether the Canon says this is not there yet (deferred, future).
    pub fn is_gap(self) -> bool {
        matches!(self, Self::Deferred | Self::Future)
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The status a scenario is reported with: its raw outcome (`None` when it
/// was not run; `attempts` counts retries) held to its claim.
pub fn reported_status(passed: Option<bool>, attempts: u32, claim: Option<Claim>) -> Status {
    let gap = claim.is_some_and(Claim::is_gap);
    match passed {
        None => Status::Skipped,
        Some(true) if gap => Status::ClaimOutdated,
        Some(true) if attempts > 1 => Status::Flaky,
        Some(true) => Status::Passed,
        Some(false) if gap => Status::KnownGap,
        Some(false) => Status::Failed,
    }
}

/// A status held to the scenario's time budget (`@slow(800ms)`): a pass
/// that took longer than `budget_ms` is `degraded`. Only a plain pass is:
/// a flaky pass stays flaky (the retry is the louder news), and a failure
/// or a Canon mismatch is what it is however long it took.
pub fn held_to_budget(status: Status, duration_ms: f64, budget_ms: Option<f64>) -> Status {
    match budget_ms {
        Some(budget) if status == Status::Passed && duration_ms > budget => Status::Degraded,
        _ => status,
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
    /// What a scenario reported with `status` says of its `claim`.
    pub fn of(claim: Claim, status: Status) -> Self {
        let gap = claim.is_gap();
        match status {
            // Degraded is slow but right: the claim holds.
            Status::Passed | Status::Flaky | Status::Degraded if !gap => Self::Holds,
            Status::Failed if !gap => Self::Violated,
            Status::KnownGap => Self::KnownGap,
            Status::ClaimOutdated => Self::Outdated,
            // A deferred/future claim whose scenario "passed" cannot happen
            // (it is claim_outdated); anything else was not checked.
            _ => Self::Unverified,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holds => "holds",
            Self::Violated => "violated",
            Self::KnownGap => "known_gap",
            Self::Outdated => "outdated",
            Self::Unverified => "unverified",
        }
    }

    /// Whether the Canon and the system disagree (violated or outdated):
    /// `claims` exits 1 on it.
    pub fn is_broken(self) -> bool {
        matches!(self, Self::Violated | Self::Outdated)
    }
}

/// One entry of the claim ledger: a claim-tagged scenario and what this run
/// saw of it. `ScenarioReport::claim_report` makes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimReport {
    pub area: String,
    pub feature: String,
    pub scenario: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub feature_file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The status the Canon gives.
    pub claim: Claim,
    pub observed: Status,
    pub verdict: ClaimVerdict,
    /// What the harness saw, in one line.
    pub evidence: String,
    /// When it last passed, if known (this run, or the serve history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_passed: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_held_to_their_status() {
        let status = reported_status;
        assert_eq!(
            status(Some(true), 1, Some(Claim::Implemented)),
            Status::Passed
        );
        assert_eq!(status(Some(false), 1, Some(Claim::Tested)), Status::Failed);
        assert_eq!(
            status(Some(false), 1, Some(Claim::Deferred)),
            Status::KnownGap
        );
        assert_eq!(
            status(Some(true), 1, Some(Claim::Future)),
            Status::ClaimOutdated
        );
        assert_eq!(status(Some(true), 2, None), Status::Flaky);
        assert_eq!(
            held_to_budget(Status::Passed, 801.0, Some(800.0)),
            Status::Degraded
        );
        assert_eq!(
            held_to_budget(Status::Passed, 800.0, Some(800.0)),
            Status::Passed
        );
        assert_eq!(held_to_budget(Status::Passed, 5000.0, None), Status::Passed);
        assert_eq!(
            held_to_budget(Status::Failed, 5000.0, Some(800.0)),
            Status::Failed
        );
        assert_eq!(
            held_to_budget(Status::Flaky, 5000.0, Some(800.0)),
            Status::Flaky
        );
        assert_eq!(
            held_to_budget(Status::ClaimOutdated, 5000.0, Some(800.0)),
            Status::ClaimOutdated
        );
        assert_eq!(status(None, 1, None), Status::Skipped);
    }

    #[test]
    fn a_claim_is_read_from_its_tag() {
        assert_eq!(Claim::from_tag("deferred"), Some(Claim::Deferred));
        assert_eq!(Claim::from_tag("@deferred"), None);
        assert_eq!(Claim::from_tag("gating"), None);
        let tags = ["gating", "tested", "future"].map(String::from);
        assert_eq!(Claim::of_tags(&tags), Some(Claim::Tested));
        assert_eq!(Claim::of_tags(&[]), None);
        for c in Claim::ALL {
            assert_eq!(Claim::from_tag(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).expect("claim"), c.as_str());
            assert_eq!(format!("{c:<12}|"), format!("{:<12}|", c.as_str()));
        }
        let mut sorted = Claim::ALL;
        sorted.sort();
        assert_eq!(sorted, Claim::ALL, "the order is the order of ALL");
        let gaps: Vec<Claim> = Claim::ALL.into_iter().filter(|c| c.is_gap()).collect();
        assert_eq!(gaps, [Claim::Deferred, Claim::Future]);
    }

    #[test]
    fn the_verdict_follows_the_claim_and_the_status() {
        use ClaimVerdict::*;
        let v = ClaimVerdict::of;
        assert_eq!(v(Claim::Implemented, Status::Passed), Holds);
        assert_eq!(v(Claim::Configured, Status::Flaky), Holds);
        assert_eq!(v(Claim::Tested, Status::Degraded), Holds);
        assert_eq!(v(Claim::Tested, Status::Failed), Violated);
        assert_eq!(v(Claim::Deferred, Status::KnownGap), KnownGap);
        assert_eq!(v(Claim::Future, Status::ClaimOutdated), Outdated);
        assert_eq!(v(Claim::Tested, Status::Skipped), Unverified);
        assert_eq!(v(Claim::Deferred, Status::Passed), Unverified);
        let broken: Vec<ClaimVerdict> = [Holds, Violated, KnownGap, Outdated, Unverified]
            .into_iter()
            .filter(|v| v.is_broken())
            .collect();
        assert_eq!(broken, [Violated, Outdated]);
    }
}
