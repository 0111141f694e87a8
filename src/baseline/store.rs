//! The baseline store on disk:
//!
//! ```text
//! snapshots/normalise.toml                       rules (knowledge, edited by people)
//! snapshots/<version>/BASELINE.toml              the manifest: where and when captured, noise, review
//! snapshots/<version>/<env>/<area>/<name>.snap   approved snapshots
//! snapshots/<version>/<env>/<area>/<name>.snap.new   captured, waiting for `baseline accept`
//! ```
//!
//! Every write goes to a temporary file renamed into place, and a file whose
//! bytes would not change is not written at all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use probes::core::normalise::RulesFile;
use probes::core::snapshot::SnapFile;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::input::config::ConfigError;

pub const MANIFEST: &str = "BASELINE.toml";
pub const RULES: &str = "normalise.toml";
pub const VERDICT_APPROVED: &str = "approved";

/// A problem with the store: which file (and line), what is wrong. Exit 2.
pub type StoreError = ConfigError;

pub(crate) fn err(file: &Path, message: impl Into<String>) -> StoreError {
    StoreError {
        file: file.to_owned(),
        line: None,
        key: None,
        message: message.into(),
    }
}

fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> StoreError {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    StoreError {
        file: file.to_owned(),
        line,
        key: None,
        message: e.message().to_owned(),
    }
}

/// One baseline in the manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The feature file and line of the baseline step.
    pub source: String,
    /// Body paths whose values differed between the two samples of a
    /// capture: masked in the snapshot and never compared.
    #[serde(default)]
    pub noise: Vec<String>,
}

/// The Eval Labs review. Empty until `baseline approve`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRecord {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reviewer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reviewed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub verdict: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
    /// `sha256:…` of what was reviewed: every snapshot and noise list.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hash: Option<String>,
}

/// `snapshots/<version>/BASELINE.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub version: String,
    /// The environment the snapshots were captured from (their folder).
    pub captured_from: String,
    pub captured_at: String,
    pub harness_version: String,
    #[serde(default)]
    pub baselines: BTreeMap<String, Entry>,
    #[serde(default)]
    pub review: ReviewRecord,
}

/// Whether a version's review applies to what is stored now: approved,
/// stale (the snapshots or noise changed since, or the verdict is not
/// `approved`), or not reviewed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewState {
    NotReviewed,
    Approved {
        reviewer: String,
        at: String,
    },
    /// Reviewed, but what is stored changed since, or the verdict was not approval.
    Stale {
        reviewer: String,
        at: String,
    },
}

impl ReviewState {
    pub fn is_approved(&self) -> bool {
        matches!(self, Self::Approved { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            Self::NotReviewed => "not reviewed".to_owned(),
            Self::Approved { reviewer, at } => format!("approved by {reviewer} at {at}"),
            Self::Stale { reviewer, at } => format!(
                "reviewed by {reviewer} at {at}, but the baseline changed since: review it again"
            ),
        }
    }
}

const MANIFEST_HEADER: &str = "\
# A baseline of Lucia's behaviour, written by `lucia-harness baseline capture`
# (captured_from, captured_at, noise) and `lucia-harness baseline approve`
# ([review]). The review hash covers every .snap file and noise list below:
# edit nothing by hand, or the review no longer applies.
";

/// Checks a version name before it becomes a directory.
pub fn validate_version(v: &str) -> Result<(), String> {
    let ok = !v.is_empty()
        && !v.starts_with('.')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad version {v:?}: use letters, digits and . _ - + (e.g. v0.1.3.6)"
        ))
    }
}

/// The snapshots directory: baselines of every version.
#[derive(Clone, Debug)]
pub struct SnapshotStore {
    pub root: PathBuf,
}

impl SnapshotStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn version_dir(&self, version: &str) -> PathBuf {
        self.root.join(version)
    }

    pub fn manifest_path(&self, version: &str) -> PathBuf {
        self.version_dir(version).join(MANIFEST)
    }

    /// `<version>/<env>/<area>/<name>.snap`, relative to the store.
    pub fn relative_snap(version: &str, env: &str, name: &str) -> String {
        format!("{version}/{env}/{name}.snap")
    }

    pub fn snap_path(&self, version: &str, env: &str, name: &str) -> PathBuf {
        self.root.join(Self::relative_snap(version, env, name))
    }

    pub fn pending_path(snap: &Path) -> PathBuf {
        let mut s = snap.as_os_str().to_owned();
        s.push(".new");
        PathBuf::from(s)
    }

    /// The rules file, or the built-in defaults when there is none.
    pub fn load_rules(&self) -> Result<RulesFile, StoreError> {
        let path = self.root.join(RULES);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RulesFile::default()),
            Err(e) => return Err(err(&path, format!("cannot read: {e}"))),
        };
        let rules: RulesFile = toml::from_str(&text).map_err(|e| toml_error(&path, &text, &e))?;
        rules.validate().map_err(|e| err(&path, e.to_string()))?;
        Ok(rules)
    }

    pub fn load_manifest(&self, version: &str) -> Result<Option<Manifest>, StoreError> {
        let path = self.manifest_path(version);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(&path, format!("cannot read: {e}"))),
        };
        let m: Manifest = toml::from_str(&text).map_err(|e| toml_error(&path, &text, &e))?;
        if m.version != version {
            return Err(err(
                &path,
                format!(
                    "version = {:?}, but the file is in the folder of {version:?}",
                    m.version
                ),
            ));
        }
        Ok(Some(m))
    }

    /// The manifest, or an error naming the file that is missing.
    pub fn require_manifest(&self, version: &str) -> Result<Manifest, StoreError> {
        validate_version(version).map_err(|m| err(&self.root, m))?;
        self.load_manifest(version)?.ok_or_else(|| {
            err(
                &self.manifest_path(version),
                format!(
                    "no baseline of {version} here: capture one with `lucia-harness baseline capture --env ENV --version {version}`{}",
                    self.others_hint()
                ),
            )
        })
    }

    fn others_hint(&self) -> String {
        let v = self.versions();
        if v.is_empty() {
            String::new()
        } else {
            format!(" (this directory has: {})", v.join(", "))
        }
    }

    pub fn save_manifest(&self, m: &Manifest) -> Result<bool, StoreError> {
        let path = self.manifest_path(&m.version);
        let body = toml::to_string(m).map_err(|e| err(&path, format!("cannot serialise: {e}")))?;
        write_if_changed(&path, &format!("{MANIFEST_HEADER}\n{body}"))
    }

    /// Versions that have a manifest, sorted.
    pub fn versions(&self) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().join(MANIFEST).is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect();
        out.sort();
        out
    }

    /// Every `.snap.new` under a version, sorted.
    pub fn pending(&self, version: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(&self.version_dir(version), &mut |p| {
            if p.to_string_lossy().ends_with(".snap.new") {
                out.push(p.to_owned());
            }
        });
        out.sort();
        out
    }

    pub fn read_snap(&self, path: &Path) -> Result<SnapFile, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                err(path, "does not exist")
            } else {
                err(path, format!("cannot read: {e}"))
            }
        })?;
        SnapFile::parse(&text).map_err(|e| err(path, e.to_string()))
    }

    /// A snapshot's contents as a response document.
    pub fn read_document(&self, path: &Path) -> Result<Value, StoreError> {
        self.read_snap(path)?
            .document()
            .map_err(|e| err(path, e.to_string()))
    }

    /// The hash a review covers: each baseline's name, noise list and
    /// `.snap` bytes, in name order.
    pub fn content_hash(&self, m: &Manifest) -> Result<String, StoreError> {
        let mut h = Sha256::new();
        for (name, entry) in &m.baselines {
            let path = self.snap_path(&m.version, &m.captured_from, name);
            let bytes = std::fs::read(&path).map_err(|e| {
                err(
                    &path,
                    format!("cannot read a snapshot BASELINE.toml lists: {e}"),
                )
            })?;
            h.update(name.as_bytes());
            h.update([0]);
            for n in &entry.noise {
                h.update(n.as_bytes());
                h.update([b'\n']);
            }
            h.update([0]);
            h.update(&bytes);
            h.update([0]);
        }
        let digest = h.finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("sha256:{hex}"))
    }

    pub fn review_state(&self, m: &Manifest) -> Result<ReviewState, StoreError> {
        let r = &m.review;
        let (Some(reviewer), Some(at)) = (&r.reviewer, &r.reviewed_at) else {
            return Ok(ReviewState::NotReviewed);
        };
        let (reviewer, at) = (reviewer.clone(), at.clone());
        let current = r.hash.as_deref() == Some(self.content_hash(m)?.as_str())
            && r.verdict.as_deref() == Some(VERDICT_APPROVED);
        Ok(if current {
            ReviewState::Approved { reviewer, at }
        } else {
            ReviewState::Stale { reviewer, at }
        })
    }
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, f);
        } else {
            f(&p);
        }
    }
}

/// Writes `text` unless the file already holds exactly it. Returns whether it wrote.
pub fn write_if_changed(path: &Path, text: &str) -> Result<bool, StoreError> {
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| err(dir, format!("cannot create: {e}")))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| err(path, format!("cannot write: {e}")))?;
    Ok(true)
}

/// Removes `path` if it is there (a stale `.snap.new`).
pub fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(err(path, format!("cannot remove a stale .snap.new: {e}"))),
    }
}

/// A manifest of v0.1.3.6 captured from dev, for unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::collections::BTreeMap;

    use super::{Entry, Manifest, ReviewRecord};

    pub(crate) fn manifest() -> Manifest {
        Manifest {
            version: "v0.1.3.6".into(),
            captured_from: "dev".into(),
            captured_at: "2026-11-25T20:00:00Z".into(),
            harness_version: "0.1.0".into(),
            baselines: BTreeMap::from([(
                "engine/health".into(),
                Entry {
                    source: "features/engine/health.feature:30".into(),
                    noise: vec!["$.seq".into()],
                },
            )]),
            review: ReviewRecord::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::manifest;
    use super::*;

    #[test]
    fn manifest_round_trips_with_an_empty_review_block() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = SnapshotStore::new(dir.path());
        let m = manifest();
        assert!(store.save_manifest(&m).expect("save"));
        assert!(
            !store.save_manifest(&m).expect("same bytes"),
            "unchanged: not rewritten"
        );
        let text = std::fs::read_to_string(store.manifest_path("v0.1.3.6")).expect("read");
        assert!(text.contains("captured_from = \"dev\""), "{text}");
        assert!(text.contains("[review]"), "{text}");
        assert!(text.contains("noise = [\"$.seq\"]"), "{text}");
        assert_eq!(store.load_manifest("v0.1.3.6").expect("load"), Some(m));
        assert_eq!(store.versions(), vec!["v0.1.3.6"]);
    }

    #[test]
    fn review_goes_stale_when_a_snapshot_changes() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = SnapshotStore::new(dir.path());
        let mut m = manifest();
        let snap = store.snap_path("v0.1.3.6", "dev", "engine/health");
        write_if_changed(&snap, "---\n---\n{}\n").expect("write");
        assert_eq!(
            store.review_state(&m).expect("state"),
            ReviewState::NotReviewed
        );
        m.review = ReviewRecord {
            reviewer: Some("Ada".into()),
            reviewed_at: Some("now".into()),
            verdict: Some(VERDICT_APPROVED.into()),
            note: None,
            hash: Some(store.content_hash(&m).expect("hash")),
        };
        assert!(store.review_state(&m).expect("state").is_approved());
        write_if_changed(&snap, "---\n---\n{\"a\": 1}\n").expect("write");
        assert!(matches!(
            store.review_state(&m).expect("state"),
            ReviewState::Stale { .. }
        ));
        m.baselines
            .get_mut("engine/health")
            .expect("entry")
            .noise
            .clear();
        write_if_changed(&snap, "---\n---\n{}\n").expect("write");
        assert!(
            matches!(
                store.review_state(&m).expect("state"),
                ReviewState::Stale { .. }
            ),
            "noise is covered too"
        );
    }

    #[test]
    fn bad_files_name_file_and_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = SnapshotStore::new(dir.path());
        write_if_changed(
            &dir.path().join(RULES),
            "[default]\npersonal_names = [\"Harper Quinn\"]\nvolatile = 1\n",
        )
        .expect("write");
        let e = store.load_rules().expect_err("unknown key");
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().contains("normalise.toml:3"), "{e}");
        let e = store.require_manifest("v9").expect_err("missing");
        assert!(
            e.to_string().contains("v9/BASELINE.toml") && e.message.contains("baseline capture"),
            "{e}"
        );
        assert!(validate_version("../x").is_err() && validate_version("v0.1.3.6").is_ok());
    }
}
