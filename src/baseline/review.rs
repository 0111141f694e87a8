//! Eval Labs' review of a baseline: `approve` records it (reviewer, time,
//! verdict, note, the hash of what was reviewed) and refuses while anything
//! is pending; `accept` promotes `.snap.new` files and `reject` deletes
//! them, both explicitly; `status` shows each version.

use std::path::PathBuf;

use serde::Serialize;

use super::error::BaselineError;
use super::plan::now;
use super::store::{self, Manifest, SnapshotStore};
use crate::input::display_path;

/// `baseline approve`: records the review, or refuses (exit 2) while
/// `.snap.new` files wait.
pub fn approve(
    store: &SnapshotStore,
    version: &str,
    reviewer: &str,
    note: Option<&str>,
) -> Result<Manifest, BaselineError> {
    let mut m = store.require_manifest(version)?;
    let reviewer = reviewer.trim();
    if reviewer.is_empty() {
        return Err(BaselineError::Usage(
            "--reviewer needs a name: approval is a recorded act by a person".to_owned(),
        ));
    }
    let pending = store.pending(version);
    if !pending.is_empty() {
        return Err(BaselineError::Usage(format!(
            "refusing to approve {version}: {} snapshot(s) wait for review ({}); accept them with `lucia-harness baseline accept --version {version}` or drop them with `baseline reject --version {version}`, then approve",
            pending.len(),
            pending
                .iter()
                .map(|p| display_path(p))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if m.baselines.is_empty() {
        return Err(BaselineError::Usage(format!(
            "{version} has no baselines to approve"
        )));
    }
    m.review = store::ReviewRecord {
        reviewer: Some(reviewer.to_owned()),
        reviewed_at: Some(now()),
        verdict: Some(store::VERDICT_APPROVED.to_owned()),
        note: note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        hash: Some(store.content_hash(&m)?),
    };
    store.save_manifest(&m)?;
    Ok(m)
}

fn pending_named(
    store: &SnapshotStore,
    version: &str,
    names: &[String],
) -> Result<Vec<(String, PathBuf)>, BaselineError> {
    let m = store.require_manifest(version)?;
    let base = store.version_dir(version).join(&m.captured_from);
    let all: Vec<(String, PathBuf)> = store
        .pending(version)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&base).unwrap_or(&p).to_string_lossy();
            let name = rel.trim_end_matches(".snap.new").replace('\\', "/");
            (name, p)
        })
        .collect();
    if names.is_empty() {
        return Ok(all);
    }
    let mut out = Vec::new();
    for n in names {
        match all.iter().find(|(name, _)| name == n) {
            Some(x) => out.push(x.clone()),
            None => {
                return Err(BaselineError::Usage(format!(
                    "no pending snapshot for \"{n}\" in {version} (pending: {})",
                    if all.is_empty() {
                        "none".to_owned()
                    } else {
                        all.iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                )));
            }
        }
    }
    Ok(out)
}

/// `baseline accept`: `.snap.new` → `.snap`, explicitly. Returns the names moved.
pub fn accept(
    store: &SnapshotStore,
    version: &str,
    names: &[String],
) -> Result<Vec<String>, BaselineError> {
    let mut moved = Vec::new();
    for (name, path) in pending_named(store, version, names)? {
        let snap = path.with_extension("");
        std::fs::rename(&path, &snap)
            .map_err(|e| store::err(&path, format!("cannot move to {}: {e}", snap.display())))?;
        moved.push(name);
    }
    Ok(moved)
}

/// `baseline reject`: deletes `.snap.new` files. Returns the names dropped.
pub fn reject(
    store: &SnapshotStore,
    version: &str,
    names: &[String],
) -> Result<Vec<String>, BaselineError> {
    let mut dropped = Vec::new();
    for (name, path) in pending_named(store, version, names)? {
        store::remove_if_present(&path)?;
        dropped.push(name);
    }
    Ok(dropped)
}

/// One version in `baseline status`.
#[derive(Clone, Debug, Serialize)]
pub struct VersionStatus {
    pub version: String,
    pub captured_from: String,
    pub captured_at: String,
    pub harness_version: String,
    pub baselines: usize,
    pub pending: Vec<String>,
    pub approved: bool,
    pub review: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub fn status(
    store: &SnapshotStore,
    version: Option<&str>,
) -> Result<Vec<VersionStatus>, BaselineError> {
    let versions = match version {
        Some(v) => vec![v.to_owned()],
        None => store.versions(),
    };
    let mut out = Vec::new();
    for v in versions {
        let m = store.require_manifest(&v)?;
        let review = store.review_state(&m)?;
        out.push(VersionStatus {
            pending: store.pending(&v).iter().map(|p| display_path(p)).collect(),
            approved: review.is_approved(),
            review: review.describe(),
            note: m.review.note.clone(),
            baselines: m.baselines.len(),
            captured_at: m.captured_at,
            captured_from: m.captured_from,
            harness_version: m.harness_version,
            version: v,
        });
    }
    Ok(out)
}

pub fn render_status(store: &SnapshotStore, rows: &[VersionStatus]) -> String {
    if rows.is_empty() {
        return format!(
            "no baselines in {} yet: `lucia-harness baseline capture --env dev` captures one\n",
            display_path(&store.root)
        );
    }
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{}  captured from {} at {} (harness {}) · {} baselines · {} pending · {}\n",
            r.version,
            r.captured_from,
            r.captured_at,
            r.harness_version,
            r.baselines,
            r.pending.len(),
            r.review
        ));
        for p in &r.pending {
            out.push_str(&format!("    pending review: {p}\n"));
        }
        if let Some(n) = &r.note {
            out.push_str(&format!("    note: {n}\n"));
        }
    }
    out
}
