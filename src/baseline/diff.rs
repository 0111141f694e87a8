//! `baseline diff`: a live environment (`--env`) or a later stored version
//! (`--from`/`--to`) against a stored baseline, as a structural diff
//! classified breaking / additive / value, and the verdict and exit code.

use std::collections::BTreeSet;

use chrono::Utc;
use probes::core::diff::{Counts, diff_responses, text_diff};
use probes::core::normalise::RulesFile;
use probes::core::snapshot::{contents_of, mask_noise};
use reporters::model::drift::{
    BaselineDrift, DriftOutcome, DriftReport, DriftSummary, DriftVerdict, Side,
};
use serde_json::Value;

use super::error::BaselineError;
use super::observe::RuleBook;
use super::plan::{Target, failure, observe_once, plan, version_of};
use super::store::{Manifest, SnapshotStore, StoreError};
use crate::input::config::Config;
use crate::input::features::Suite;
use crate::run::HARNESS_VERSION;

fn verdict(baselines: &[BaselineDrift], approved: bool) -> DriftVerdict {
    let breaking = baselines
        .iter()
        .any(|b| b.counts.breaking > 0 || b.outcome == DriftOutcome::Removed);
    let drift = baselines
        .iter()
        .any(|b| matches!(b.outcome, DriftOutcome::Drifted | DriftOutcome::Added));
    let unobserved = baselines
        .iter()
        .any(|b| b.outcome == DriftOutcome::NotObserved);
    if breaking {
        DriftVerdict::Breaking
    } else if drift && !approved {
        DriftVerdict::UnapprovedDrift
    } else if unobserved {
        DriftVerdict::Inconclusive
    } else if drift {
        DriftVerdict::ApprovedDrift
    } else {
        DriftVerdict::NoDrift
    }
}

/// The exit code of a comparison: 1 on breaking or unapproved drift, 3 when
/// nothing drifted but something could not be observed, else 0.
pub fn exit_code(v: DriftVerdict) -> u8 {
    match v {
        DriftVerdict::Breaking | DriftVerdict::UnapprovedDrift => 1,
        DriftVerdict::Inconclusive => 3,
        DriftVerdict::ApprovedDrift | DriftVerdict::NoDrift => 0,
    }
}

fn compare(name: &str, file: String, old: &Value, new: &Value, noise: &[String]) -> BaselineDrift {
    let changes = diff_responses(old, new, noise);
    let text = if changes.is_empty() {
        Vec::new()
    } else {
        // Noise masked on both sides, so the line diff shows what the structural one does.
        let (mut a, mut b) = (old.clone(), new.clone());
        mask_noise(&mut a, noise);
        mask_noise(&mut b, noise);
        text_diff(&contents_of(&a), &contents_of(&b), 3)
    };
    BaselineDrift {
        name: name.to_owned(),
        outcome: if changes.is_empty() {
            DriftOutcome::Unchanged
        } else {
            DriftOutcome::Drifted
        },
        detail: None,
        counts: Counts::of(&changes),
        changes,
        text,
        file: Some(file),
    }
}

fn unmatched(name: &str, outcome: DriftOutcome, detail: String) -> BaselineDrift {
    BaselineDrift {
        name: name.to_owned(),
        outcome,
        detail: Some(detail),
        counts: Counts::default(),
        changes: Vec::new(),
        text: Vec::new(),
        file: None,
    }
}

fn stored_doc(store: &SnapshotStore, m: &Manifest, name: &str) -> Result<Value, StoreError> {
    let path = store.snap_path(&m.version, &m.captured_from, name);
    store.read_document(&path)
}

fn stored_side(store: &SnapshotStore, m: &Manifest) -> Result<Side, StoreError> {
    let review = store.review_state(m)?;
    Ok(Side {
        label: m.version.clone(),
        version: Some(m.version.clone()),
        environment: m.captured_from.clone(),
        live: false,
        approved: review.is_approved(),
        review: review.describe(),
    })
}

fn report(baseline: Side, observed: Side, baselines: Vec<BaselineDrift>) -> DriftReport {
    DriftReport {
        harness_version: HARNESS_VERSION.to_owned(),
        generated_at: Utc::now(),
        verdict: verdict(&baselines, observed.approved),
        summary: DriftSummary::of(&baselines),
        baseline,
        observed,
        baselines,
    }
}

/// `baseline diff --env E [--against V]`: the live environment against a stored baseline.
pub async fn diff_live(
    config: &Config,
    suite: &Suite,
    target: &Target,
    against: Option<&str>,
    store: &SnapshotStore,
    rules: RulesFile,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<DriftReport, BaselineError> {
    let (env, planned) = plan(config, suite, target)?;
    let version = version_of(&env, against, "--against")?;
    let m = store.require_manifest(&version)?;
    let rules = RuleBook::new(rules);
    let (run, seen) = observe_once(config, suite, target, &rules, lookup).await?;
    let mut baselines = Vec::new();
    for p in &planned {
        let Some(obs) = seen.get(&p.name) else {
            let why =
                failure(&run, p).unwrap_or_else(|| "the baseline step was not reached".into());
            baselines.push(unmatched(&p.name, DriftOutcome::NotObserved, why));
            continue;
        };
        let file = SnapshotStore::relative_snap(&version, &m.captured_from, &p.name);
        match m.baselines.get(&p.name) {
            None => baselines.push(unmatched(
                &p.name,
                DriftOutcome::Added,
                format!("no baseline in {version} yet ({file})"),
            )),
            Some(entry) => {
                let old = stored_doc(store, &m, &p.name)?;
                baselines.push(compare(&p.name, file, &old, &obs.doc, &entry.noise));
            }
        }
    }
    let observed = Side {
        label: format!("{} (live)", env.name),
        version: None,
        environment: env.name.clone(),
        live: true,
        approved: false,
        review: "live, never reviewed".to_owned(),
    };
    Ok(report(stored_side(store, &m)?, observed, baselines))
}

/// `baseline diff --from A --to B`: two stored versions.
pub fn diff_versions(
    store: &SnapshotStore,
    from: &str,
    to: &str,
) -> Result<DriftReport, BaselineError> {
    let a = store.require_manifest(from)?;
    let b = store.require_manifest(to)?;
    let names: BTreeSet<&String> = a.baselines.keys().chain(b.baselines.keys()).collect();
    let mut baselines = Vec::new();
    for name in names {
        match (a.baselines.get(name), b.baselines.get(name)) {
            (Some(ea), Some(eb)) => {
                let mut noise = ea.noise.clone();
                noise.extend(eb.noise.iter().cloned());
                noise.sort();
                noise.dedup();
                let old = stored_doc(store, &a, name)?;
                let new = stored_doc(store, &b, name)?;
                let file = SnapshotStore::relative_snap(from, &a.captured_from, name);
                baselines.push(compare(name, file, &old, &new, &noise));
            }
            (Some(_), None) => baselines.push(unmatched(
                name,
                DriftOutcome::Removed,
                format!("in {from}, not in {to}"),
            )),
            (None, _) => {
                baselines.push(unmatched(name, DriftOutcome::Added, format!("new in {to}")))
            }
        }
    }
    Ok(report(
        stored_side(store, &a)?,
        stored_side(store, &b)?,
        baselines,
    ))
}
