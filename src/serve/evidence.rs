//! What `serve` knows besides the runs themselves: the baseline of the
//! version and its review, the drift a run saw, and the promotion verdict.
//! Each comes from one function here, so the dashboard, `/readiness` and
//! `/metrics` always agree.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use probes::ErrorKind;
use regex::Regex;
use reporters::RunReport;
use reporters::readiness::Readiness;
use serde::Serialize;

/// The baseline of a version (`snapshots/<version>/BASELINE.toml`) and its review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaselineView {
    pub version: String,
    pub state: BaselineState,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BaselineState {
    /// No manifest for the version.
    Missing,
    /// The manifest cannot be read: say so rather than guess.
    Unreadable { problem: String },
    Captured {
        captured_from: String,
        captured_at: String,
        review: Review,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "review", rename_all = "snake_case")]
pub enum Review {
    NotReviewed,
    Approved {
        reviewer: String,
        at: String,
    },
    /// Reviewed with another verdict (e.g. rejected).
    Other {
        verdict: String,
        reviewer: String,
        at: String,
    },
}

impl BaselineView {
    pub fn exists(&self) -> bool {
        matches!(self.state, BaselineState::Captured { .. })
    }

    pub fn approved(&self) -> bool {
        matches!(
            self.state,
            BaselineState::Captured {
                review: Review::Approved { .. },
                ..
            }
        )
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        match &self.state {
            BaselineState::Missing => format!(
                "no baseline of {} (capture one with `lucia-harness baseline capture`)",
                self.version
            ),
            BaselineState::Unreadable { problem } => {
                format!("the baseline of {} cannot be read: {problem}", self.version)
            }
            BaselineState::Captured {
                captured_from,
                captured_at,
                review,
            } => {
                let review = match review {
                    Review::NotReviewed => "not reviewed yet".to_owned(),
                    Review::Approved { reviewer, at } => format!("approved by {reviewer} at {at}"),
                    Review::Other {
                        verdict,
                        reviewer,
                        at,
                    } => format!("{verdict} by {reviewer} at {at}"),
                };
                format!(
                    "{} captured from {captured_from} at {captured_at}; {review}",
                    self.version
                )
            }
        }
    }
}

/// Reads the manifest of `version` under `snapshots`. Reads only the fields
/// DESIGN.md fixes (captured_from, captured_at, the review block), so it
/// keeps working as the manifest grows.
pub fn baseline(snapshots: &Path, version: &str) -> BaselineView {
    let path = snapshots.join(version).join("BASELINE.toml");
    let state = match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BaselineState::Missing,
        Err(e) => BaselineState::Unreadable {
            problem: format!("{}: {e}", path.display()),
        },
        Ok(text) => match text.parse::<toml::Table>() {
            Err(e) => BaselineState::Unreadable {
                problem: format!("{}: {}", path.display(), e.message()),
            },
            Ok(t) => {
                let s = |table: &toml::Table, k: &str| {
                    table
                        .get(k)
                        .and_then(toml::Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                let review = t.get("review").and_then(toml::Value::as_table);
                let review = match review
                    .map(|r| (s(r, "verdict"), s(r, "reviewer"), s(r, "reviewed_at")))
                {
                    None => Review::NotReviewed,
                    Some((v, _, _)) if v.is_empty() => Review::NotReviewed,
                    Some((v, reviewer, at)) if v == "approved" => Review::Approved { reviewer, at },
                    Some((verdict, reviewer, at)) => Review::Other {
                        verdict,
                        reviewer,
                        at,
                    },
                };
                BaselineState::Captured {
                    captured_from: s(&t, "captured_from"),
                    captured_at: s(&t, "captured_at"),
                    review,
                }
            }
        },
    };
    BaselineView {
        version: version.to_owned(),
        state,
    }
}

static DRIFT_BASELINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"baseline "([^"]+)""#).unwrap_or_else(|e| unreachable!("{e}")));
static DRIFT_COUNTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+) breaking, (\d+) additive, (\d+) value")
        .unwrap_or_else(|e| unreachable!("{e}"))
});

/// The drifted fields of a run, by (baseline, kind of change). A drift
/// failure names its baseline and counts its changes as `N breaking, N
/// additive, N value`; one whose message says neither counts one
/// `changed` field against the failing step's baseline (or `unknown`), so
/// drift is never hidden because its message changed shape.
pub fn drift_fields(r: &RunReport) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for sc in &r.scenarios {
        let Some(e) = sc.error.as_ref().filter(|e| e.kind == ErrorKind::Drift) else {
            continue;
        };
        let name = DRIFT_BASELINE
            .captures(e.step.as_deref().unwrap_or(""))
            .or_else(|| DRIFT_BASELINE.captures(&e.message))
            .map_or_else(|| "unknown".to_owned(), |c| c[1].to_owned());
        match DRIFT_COUNTS.captures(&e.message) {
            Some(c) => {
                for (i, kind) in ["breaking", "additive", "value"].iter().enumerate() {
                    let n: u64 = c[i + 1].parse().unwrap_or(0);
                    if n > 0 {
                        *out.entry((name.clone(), (*kind).to_owned())).or_insert(0) += n;
                    }
                }
            }
            None => *out.entry((name, "changed".to_owned())).or_insert(0) += 1,
        }
    }
    out
}

/// Which promotion `serve` watches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Promotion {
    pub from: String,
    pub to: String,
    pub version: String,
}

/// The promotion verdict from the latest runs of both environments and the
/// baseline: the one place readiness is evaluated. `Err` says why there is
/// no verdict; the dashboard shows it rather than inventing one.
///
/// The promotion gate (`lucia_harness::gate`) is not part of this build yet:
/// when it is, this calls its `evaluate` with the same evidence.
pub fn readiness(
    promotion: Option<&Promotion>,
    source: Option<&Arc<RunReport>>,
    target: Option<&Arc<RunReport>>,
    baseline: &BaselineView,
) -> Result<Readiness, String> {
    let Some(p) = promotion else {
        return Err(
            "no promotion to watch: serve both environments and name them with --gate FROM:TO (e.g. dev:staging)"
                .to_owned(),
        );
    };
    let _ = (source, target, baseline);
    Err(format!(
        "this build has no promotion gate yet to judge {} from {} to {}; the evidence it will weigh is below",
        p.version, p.from, p.to
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_gives_the_review_state() {
        let dir = tempfile::tempdir().expect("tmp");
        let v = dir.path().join("v1");
        std::fs::create_dir_all(&v).expect("mkdir");
        assert_eq!(baseline(dir.path(), "v1").state, BaselineState::Missing);
        std::fs::write(
            v.join("BASELINE.toml"),
            "version = \"v1\"\ncaptured_from = \"dev\"\ncaptured_at = \"2026-01-01T00:00:00Z\"\nharness_version = \"0\"\n",
        )
        .expect("write");
        let b = baseline(dir.path(), "v1");
        assert!(b.exists() && !b.approved(), "{b:?}");
        assert!(b.describe().contains("not reviewed"), "{}", b.describe());
        std::fs::write(
            v.join("BASELINE.toml"),
            "captured_from = \"dev\"\ncaptured_at = \"x\"\n[review]\nreviewer = \"eval-labs\"\nreviewed_at = \"y\"\nverdict = \"approved\"\n",
        )
        .expect("write");
        assert!(baseline(dir.path(), "v1").approved());
        std::fs::write(v.join("BASELINE.toml"), "captured_from = [").expect("write");
        assert!(matches!(
            baseline(dir.path(), "v1").state,
            BaselineState::Unreadable { .. }
        ));
    }
}
