//! The model of a baseline comparison (`lucia-harness baseline diff`): the
//! two sides, each baseline's outcome and changes, the counts and the
//! verdict. The structural diff itself comes from `probes::core::diff`; the words
//! are in `text::drift`, the renderings in `terminal::drift` and
//! `format::drift`.

use chrono::{DateTime, Utc};
use probes::core::diff::{Change, Counts, TextHunk};
use serde::{Deserialize, Serialize};

/// One side of a comparison: a stored baseline version or a live environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    /// What people call it: `v0.1.3.6` or `staging (live)`.
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// The environment it was captured from, or the live one.
    pub environment: String,
    pub live: bool,
    /// Whether an approved review covers exactly this content.
    pub approved: bool,
    /// `approved by … at …`, `not reviewed`, or why the review no longer applies.
    pub review: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftOutcome {
    Unchanged,
    Drifted,
    /// Only on the new side (a new baseline, or no baseline yet for a live response).
    Added,
    /// Only on the old side.
    Removed,
    /// The live response could not be observed (the scenario failed first).
    NotObserved,
}

impl DriftOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::Drifted => "drifted",
            Self::Added => "added",
            Self::Removed => "removed",
            Self::NotObserved => "not observed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineDrift {
    /// `area/name`.
    pub name: String,
    pub outcome: DriftOutcome,
    /// Why it was not observed, or where it is missing.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
    pub counts: Counts,
    pub changes: Vec<Change>,
    /// The line diff of the two snapshots, for people.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub text: Vec<TextHunk>,
    /// The old side's `.snap` file, relative to the snapshots directory.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file: Option<String>,
}

/// What the comparison says, worst first; it decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftVerdict {
    /// A removed field or baseline, a changed type, status or content type (exit 1).
    Breaking,
    /// Drift no approved review covers (exit 1).
    UnapprovedDrift,
    /// Nothing drifted, but some responses could not be observed (exit 3).
    Inconclusive,
    /// Drift that the new side's approved review covers (exit 0).
    ApprovedDrift,
    /// No drift (exit 0).
    NoDrift,
}

impl DriftVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breaking => "breaking drift",
            Self::UnapprovedDrift => "unapproved drift",
            Self::Inconclusive => "inconclusive",
            Self::ApprovedDrift => "approved drift",
            Self::NoDrift => "no drift",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSummary {
    pub baselines: usize,
    pub unchanged: usize,
    pub drifted: usize,
    pub added: usize,
    pub removed: usize,
    pub not_observed: usize,
    pub breaking: usize,
    pub additive: usize,
    pub value: usize,
}

impl DriftSummary {
    pub fn of(baselines: &[BaselineDrift]) -> Self {
        let mut s = Self {
            baselines: baselines.len(),
            ..Self::default()
        };
        for b in baselines {
            match b.outcome {
                DriftOutcome::Unchanged => s.unchanged += 1,
                DriftOutcome::Drifted => s.drifted += 1,
                DriftOutcome::Added => s.added += 1,
                DriftOutcome::Removed => s.removed += 1,
                DriftOutcome::NotObserved => s.not_observed += 1,
            }
            s.breaking += b.counts.breaking;
            s.additive += b.counts.additive;
            s.value += b.counts.value;
        }
        s
    }
}

/// A whole comparison, as `baseline diff` reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub harness_version: String,
    pub generated_at: DateTime<Utc>,
    /// The old side (the stored baseline).
    pub baseline: Side,
    /// The new side (a live environment or a later version).
    pub observed: Side,
    pub verdict: DriftVerdict,
    pub summary: DriftSummary,
    pub baselines: Vec<BaselineDrift>,
}

/// A comparison to render in tests: one drifted baseline with its line
/// diff, one not observed.
#[cfg(test)]
pub(crate) mod example {
    use super::*;
    use probes::core::diff::{diff_responses, text_diff};
    use serde_json::json;

    /// What a writer makes of the example report, as text.
    pub(crate) fn render(f: impl Fn(&DriftReport, &mut Vec<u8>) -> std::io::Result<()>) -> String {
        let mut buf = Vec::new();
        f(&report(), &mut buf).expect("render");
        String::from_utf8(buf).expect("utf8")
    }

    pub(crate) fn report() -> DriftReport {
        let old = json!({"status": 200, "content_type": "application/json", "body": {"status": "ok", "version": "v1", "note": "a|b"}});
        let new = json!({"status": 200, "content_type": "application/json", "body": {"version": "v2", "region": "eu", "note": "a|b"}});
        let changes = diff_responses(&old, &new, &[]);
        let text = text_diff(
            &serde_json::to_string_pretty(&old).expect("json"),
            &serde_json::to_string_pretty(&new).expect("json"),
            1,
        );
        let baselines = vec![
            BaselineDrift {
                name: "engine/health".into(),
                outcome: DriftOutcome::Drifted,
                detail: None,
                counts: Counts::of(&changes),
                changes,
                text,
                file: Some("v0.1.3.6/local/engine/health.snap".into()),
            },
            BaselineDrift {
                name: "admin/version".into(),
                outcome: DriftOutcome::NotObserved,
                detail: Some("connect refused".into()),
                counts: Counts::default(),
                changes: vec![],
                text: vec![],
                file: None,
            },
        ];
        DriftReport {
            harness_version: "0.1.0".into(),
            generated_at: DateTime::<Utc>::UNIX_EPOCH,
            baseline: Side {
                label: "v0.1.3.6".into(),
                version: Some("v0.1.3.6".into()),
                environment: "dev".into(),
                live: false,
                approved: true,
                review: "approved by Ada at 2026-11-25T00:00:00Z".into(),
            },
            observed: Side {
                label: "staging (live)".into(),
                version: None,
                environment: "staging".into(),
                live: true,
                approved: false,
                review: "live, not reviewed".into(),
            },
            verdict: DriftVerdict::Breaking,
            summary: DriftSummary::of(&baselines),
            baselines,
        }
    }
}
