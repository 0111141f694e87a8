//! What the gate decides from: the runs of the source and the target, and
//! what the snapshot store says of the version's baseline
//! ([`baseline_evidence`]: captured from where, pending, reviewed).

use std::path::Path;

use reporters::RunReport;

use crate::baseline::store::{self, ReviewState, SnapshotStore};
use crate::input::display_path;

/// How a flaky @gating scenario counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlakyPolicy {
    /// Passes with a warning (the default).
    #[default]
    Warn,
    /// Blocks promotion.
    Fail,
}

/// What the snapshots directory says of the version's baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaselineEvidence {
    /// Where the manifest is (or would be), for messages.
    pub manifest: String,
    /// `None` when no baseline was captured for the version.
    pub captured_from: Option<String>,
    pub review: ReviewState,
    /// `.snap.new` files waiting for review.
    pub pending: usize,
    /// The manifest exists but cannot be read.
    pub problem: Option<String>,
}

/// Everything the gate decides from.
#[derive(Debug)]
pub struct GateEvidence<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub version: &'a str,
    /// The source's run, or why it could not run.
    pub source: Result<&'a RunReport, String>,
    /// The target's health run, or why it could not run.
    pub target: Result<&'a RunReport, String>,
    pub baseline: &'a BaselineEvidence,
    pub flaky: FlakyPolicy,
}

/// What the store says of a version's baseline, as the promotion gate reads it.
pub fn baseline_evidence(snapshots: &Path, version: &str) -> BaselineEvidence {
    let store = SnapshotStore::new(snapshots);
    let mut e = BaselineEvidence {
        manifest: display_path(&store.manifest_path(version)),
        captured_from: None,
        review: ReviewState::NotReviewed,
        pending: 0,
        problem: None,
    };
    if let Err(m) = store::validate_version(version) {
        e.problem = Some(m);
        return e;
    }
    let m = match store.load_manifest(version) {
        Ok(Some(m)) => m,
        Ok(None) => return e,
        Err(err) => {
            e.problem = Some(err.to_string());
            return e;
        }
    };
    e.captured_from = Some(m.captured_from.clone());
    e.pending = store.pending(version).len();
    match store.review_state(&m) {
        Ok(review) => e.review = review,
        Err(err) => e.problem = Some(err.to_string()),
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::store::fixtures::manifest;
    use crate::baseline::store::{ReviewRecord, VERDICT_APPROVED, write_if_changed};

    #[test]
    fn the_gate_reads_captured_pending_and_review() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = SnapshotStore::new(dir.path());
        let none = baseline_evidence(dir.path(), "v0.1.3.6");
        assert_eq!(
            (none.captured_from, none.pending, none.problem),
            (None, 0, None)
        );
        assert!(
            none.manifest.ends_with("v0.1.3.6/BASELINE.toml"),
            "{}",
            none.manifest
        );
        let mut m = manifest();
        let snap = store.snap_path("v0.1.3.6", "dev", "engine/health");
        write_if_changed(&snap, "---\n---\n{}\n").expect("write");
        write_if_changed(
            &SnapshotStore::pending_path(&snap),
            "---\n---\n{\"a\": 1}\n",
        )
        .expect("write");
        m.review = ReviewRecord {
            reviewer: Some("Eval Labs".into()),
            reviewed_at: Some("2026-11-25T00:00:00Z".into()),
            verdict: Some(VERDICT_APPROVED.into()),
            note: None,
            hash: Some(store.content_hash(&m).expect("hash")),
        };
        store.save_manifest(&m).expect("save");
        let e = baseline_evidence(dir.path(), "v0.1.3.6");
        assert_eq!(e.captured_from.as_deref(), Some("dev"));
        assert_eq!(e.pending, 1);
        assert!(
            matches!(e.review, ReviewState::Approved { .. }),
            "{:?}",
            e.review
        );
        write_if_changed(&snap, "---\n---\n{\"b\": 2}\n").expect("write");
        let e = baseline_evidence(dir.path(), "v0.1.3.6");
        assert!(
            matches!(e.review, ReviewState::Stale { .. }),
            "{:?}",
            e.review
        );
        write_if_changed(&store.manifest_path("v0.1.3.6"), "version = 1\n").expect("write");
        assert!(baseline_evidence(dir.path(), "v0.1.3.6").problem.is_some());
    }
}
