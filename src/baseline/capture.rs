//! `baseline capture`: every scenario with a baseline step, run twice (two
//! samples per response); the paths that differ between the samples are
//! noise; `.snap` files are written, or `.snap.new` beside an existing one
//! that differs: an approved baseline is never overwritten.

use std::collections::BTreeMap;
use std::path::Path;

use probes::core::diff::{diff_responses, noise_between};
use probes::core::normalise::RulesFile;
use probes::core::snapshot::{SnapFile, SnapHeader, contents_of, mask_noise};
use reporters::RunReport;
use serde::Serialize;
use serde_json::Value;

use super::error::BaselineError;
use super::observe::{Recorded, RuleBook};
use super::plan::{Planned, Target, failure, now, observe_once, plan, version_of};
use super::store::{self, Manifest, SnapshotStore};
use crate::input::config::Config;
use crate::input::display_path;
use crate::input::features::Suite;
use crate::run::HARNESS_VERSION;

/// What capture did with one baseline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum CaptureOutcome {
    /// A new `.snap`.
    Written,
    /// The stored snapshot already says this (nothing written).
    Unchanged,
    /// Differs from the stored snapshot: a `.snap.new` waits for review.
    Pending,
    /// Not captured, and why.
    Failed(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct CaptureEntry {
    pub name: String,
    #[serde(flatten)]
    pub outcome: CaptureOutcome,
    /// Relative to the snapshots directory.
    pub file: String,
    pub noise: Vec<String>,
    /// For a pending snapshot: how it differs from the stored one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<probes::core::diff::Change>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CaptureReport {
    pub version: String,
    pub environment: String,
    pub snapshots: String,
    pub entries: Vec<CaptureEntry>,
}

impl CaptureReport {
    pub fn failed(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.outcome, CaptureOutcome::Failed(_)))
            .count()
    }

    fn count(&self, o: &CaptureOutcome) -> usize {
        self.entries.iter().filter(|e| &e.outcome == o).count()
    }

    /// The human summary.
    pub fn render(&self) -> String {
        let mut out = format!(
            "baseline capture · {} from {} → {} (two samples per response)\n",
            self.version,
            self.environment,
            Path::new(&self.snapshots).join(&self.version).display()
        );
        for e in &self.entries {
            let noise = if e.noise.is_empty() {
                String::new()
            } else {
                format!("  noise: {}", e.noise.join(", "))
            };
            let line = match &e.outcome {
                CaptureOutcome::Written => format!("+ {:<28} written {}{noise}", e.name, e.file),
                CaptureOutcome::Unchanged => format!("= {:<28} unchanged{noise}", e.name),
                CaptureOutcome::Pending => format!(
                    "! {:<28} differs from the stored snapshot: {}.new waits for review{noise}",
                    e.name, e.file
                ),
                CaptureOutcome::Failed(why) => format!("✗ {:<28} not captured: {why}", e.name),
            };
            out.push_str("  ");
            out.push_str(&line);
            out.push_str(
                &reporters::text::drift::describe_changes(&e.changes, 12)
                    .replace("\n  ", "\n      "),
            );
            out.push('\n');
        }
        out.push_str(&format!(
            "{} baselines: {} written, {} unchanged, {} pending, {} not captured\n",
            self.entries.len(),
            self.count(&CaptureOutcome::Written),
            self.count(&CaptureOutcome::Unchanged),
            self.count(&CaptureOutcome::Pending),
            self.failed()
        ));
        if self.count(&CaptureOutcome::Pending) > 0 {
            out.push_str(&format!(
                "next: review the changes above (each .snap.new sits beside its .snap), then `lucia-harness baseline accept --version {v}` or `lucia-harness baseline reject --version {v}`\n",
                v = self.version
            ));
        }
        out.push_str(&format!(
            "review: `lucia-harness baseline approve --version {} --reviewer NAME [--note …]`\n",
            self.version
        ));
        out
    }
}

/// `baseline capture`.
pub async fn capture(
    config: &Config,
    suite: &Suite,
    target: &Target,
    version: Option<&str>,
    store: &SnapshotStore,
    rules: RulesFile,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<CaptureReport, BaselineError> {
    let (env, planned) = plan(config, suite, target)?;
    let version = version_of(&env, version, "--version")?;
    let existing = store.load_manifest(&version)?;
    if let Some(m) = &existing
        && m.captured_from != env.name
    {
        return Err(BaselineError::Usage(format!(
            "{}: {version} was captured from '{}', not '{}': a version's baseline comes from one environment (use another --snapshots directory or --version)",
            display_path(&store.manifest_path(&version)),
            m.captured_from,
            env.name
        )));
    }
    let rules = RuleBook::new(rules);
    let (first, a) = observe_once(config, suite, target, &rules, lookup).await?;
    let (second, b) = observe_once(config, suite, target, &rules, lookup).await?;

    let mut manifest = existing.clone().unwrap_or_else(|| Manifest {
        version: version.clone(),
        captured_from: env.name.clone(),
        captured_at: now(),
        harness_version: HARNESS_VERSION.to_owned(),
        baselines: BTreeMap::new(),
        review: store::ReviewRecord::default(),
    });
    let mut entries = Vec::new();
    for p in &planned {
        let file = SnapshotStore::relative_snap(&version, &env.name, &p.name);
        let outcome = match capture_one(
            store,
            &mut manifest,
            p,
            (&first, &second),
            (a.get(&p.name), b.get(&p.name)),
        )? {
            Ok((outcome, noise, changes)) => CaptureEntry {
                name: p.name.clone(),
                outcome,
                file,
                noise,
                changes,
            },
            Err(why) => CaptureEntry {
                name: p.name.clone(),
                outcome: CaptureOutcome::Failed(why),
                file,
                noise: Vec::new(),
                changes: Vec::new(),
            },
        };
        entries.push(outcome);
    }
    if !manifest.baselines.is_empty() {
        store.save_manifest(&manifest)?;
    }
    Ok(CaptureReport {
        version,
        environment: env.name,
        snapshots: display_path(&store.root),
        entries,
    })
}

type CaptureResult = Result<(CaptureOutcome, Vec<String>, Vec<probes::core::diff::Change>), String>;

fn capture_one(
    store: &SnapshotStore,
    manifest: &mut Manifest,
    p: &Planned,
    reports: (&RunReport, &RunReport),
    samples: (Option<&Recorded>, Option<&Recorded>),
) -> Result<CaptureResult, BaselineError> {
    if let Some(why) = failure(reports.0, p).or_else(|| failure(reports.1, p)) {
        return Ok(Err(why));
    }
    let (Some(a), Some(b)) = samples else {
        return Ok(Err("the baseline step was not reached".to_owned()));
    };
    for field in ["status", "content_type"] {
        if a.doc.get(field) != b.doc.get(field) {
            return Ok(Err(format!(
                "the two samples differ in {field} ({} then {}): an unstable answer is no baseline",
                a.doc.get(field).unwrap_or(&Value::Null),
                b.doc.get(field).unwrap_or(&Value::Null)
            )));
        }
    }
    let null = Value::Null;
    let found = noise_between(
        a.doc.get("body").unwrap_or(&null),
        b.doc.get("body").unwrap_or(&null),
    );
    let mut noise: Vec<String> = manifest
        .baselines
        .get(&p.name)
        .map(|e| e.noise.clone())
        .unwrap_or_default();
    noise.extend(found);
    noise.sort();
    noise.dedup();
    let mut doc = a.doc.clone();
    mask_noise(&mut doc, &noise);
    let version = manifest.version.clone();
    let env = manifest.captured_from.clone();
    let snap = SnapFile {
        header: SnapHeader {
            source: Some(display_path(&p.file)),
            assertion_line: Some(p.step_line),
            description: Some(format!(
                "Baseline {} of {version}, captured from {env} by lucia-harness",
                p.name
            )),
            expression: Some(a.expression.clone()),
            info: vec![
                ("baseline".into(), p.name.clone()),
                ("version".into(), version.clone()),
                ("environment".into(), env.clone()),
            ],
        },
        contents: contents_of(&doc),
    };
    let path = store.snap_path(&version, &env, &p.name);
    let pending = SnapshotStore::pending_path(&path);
    let mut changes = Vec::new();
    let outcome = if path.exists() {
        changes = diff_responses(&store.read_document(&path)?, &doc, &noise);
        if changes.is_empty() {
            store::remove_if_present(&pending)?;
            CaptureOutcome::Unchanged
        } else {
            store::write_if_changed(&pending, &snap.render())?;
            CaptureOutcome::Pending
        }
    } else {
        store::write_if_changed(&path, &snap.render())?;
        store::remove_if_present(&pending)?;
        CaptureOutcome::Written
    };
    manifest.baselines.insert(
        p.name.clone(),
        store::Entry {
            source: format!("{}:{}", display_path(&p.file), p.step_line),
            noise: noise.clone(),
        },
    );
    Ok(Ok((outcome, noise, changes)))
}
