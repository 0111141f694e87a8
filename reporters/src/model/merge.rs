//! The reports of a sharded run (`run --shard I/N` on N machines) joined
//! into the report an unsharded run of the same scenarios writes: the
//! scenarios and claims in suite order (feature file, then line), the
//! summary counted again, the run spanning the earliest start to the
//! latest finish. Parts that are not the N shards of one run (another
//! environment, location or harness version, a shard missing or twice, a
//! scenario in two parts) are refused: a merged report that hid a missing
//! shard would say the suite passed when a quarter of it never ran.

use std::fmt;

use crate::model::run::{RunReport, Summary};

/// Why the parts do not make one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeError(pub String);

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MergeError {}

fn shard_of(label: &str, r: &RunReport) -> Result<(u32, u32), MergeError> {
    let s = r.shard.as_deref().ok_or_else(|| {
        MergeError(format!(
            "{label}: not a shard (its report.json has no \"shard\"): merge the reports of `run --shard I/N`"
        ))
    })?;
    s.split_once('/')
        .and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)))
        .filter(|(i, n): &(u32, u32)| *i >= 1 && i <= n)
        .ok_or_else(|| MergeError(format!("{label}: \"shard\": {s:?} is not I/N")))
}

/// Joins `parts` (each labelled for messages, e.g. its directory).
pub fn merge(parts: Vec<(String, RunReport)>) -> Result<RunReport, MergeError> {
    let Some((first_label, first)) = parts.first() else {
        return Err(MergeError(
            "nothing to merge: name the shards' report directories".into(),
        ));
    };
    let (_, count) = shard_of(first_label, first)?;
    let mut seen = vec![None::<&str>; count as usize];
    for (label, r) in &parts {
        for (what, mine, theirs) in [
            ("environment", &r.environment, &first.environment),
            (
                "harness version",
                &r.harness_version,
                &first.harness_version,
            ),
            (
                "environment status",
                &r.environment_status,
                &first.environment_status,
            ),
        ] {
            if mine != theirs {
                return Err(MergeError(format!(
                    "{label} ran {what} {mine:?}, {first_label} ran {theirs:?}: shards of one run share it"
                )));
            }
        }
        if r.location != first.location {
            return Err(MergeError(format!(
                "{label} ran from {:?}, {first_label} from {:?}: shards of one run share the location",
                r.location, first.location
            )));
        }
        let (i, n) = shard_of(label, r)?;
        if n != count {
            return Err(MergeError(format!(
                "{label} is shard {i}/{n}, {first_label} one of {count}: shards of one run are split the same way"
            )));
        }
        let slot = &mut seen[(i - 1) as usize];
        if let Some(other) = slot {
            return Err(MergeError(format!(
                "{label} and {other} are both shard {i}/{n}"
            )));
        }
        *slot = Some(label);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError(format!(
            "shard {} missing: a merged report must not hide scenarios that never ran",
            missing.join(", ")
        )));
    }
    let started_at = parts
        .iter()
        .map(|(_, r)| r.started_at)
        .min()
        .unwrap_or(first.started_at);
    let finished_at = parts
        .iter()
        .map(|(_, r)| r.finished_at)
        .max()
        .unwrap_or(first.finished_at);
    let run_id = format!("{}-merged", first.run_id);
    let (environment, environment_status, harness_version, location) = (
        first.environment.clone(),
        first.environment_status.clone(),
        first.harness_version.clone(),
        first.location.clone(),
    );
    let mut scenarios = Vec::new();
    let mut claims = Vec::new();
    let maintenance = parts.iter().find_map(|(_, p)| p.maintenance.clone());
    for (_, r) in parts {
        scenarios.extend(r.scenarios);
        claims.extend(r.claims);
    }
    scenarios.sort_by(|a, b| (&a.feature_file, a.line).cmp(&(&b.feature_file, b.line)));
    if let Some(w) = scenarios
        .windows(2)
        .find(|w| (&w[0].feature_file, w[0].line) == (&w[1].feature_file, w[1].line))
    {
        return Err(MergeError(format!(
            "{}:{} ({}) is in two shards: they were not split from one suite the same way",
            w[0].feature_file, w[0].line, w[0].scenario
        )));
    }
    claims.sort_by(|a, b| (&a.feature_file, a.line).cmp(&(&b.feature_file, b.line)));
    let duration_ms = (finished_at - started_at).num_microseconds().unwrap_or(0) as f64 / 1000.0;
    Ok(RunReport {
        harness_version,
        run_id,
        environment,
        environment_status,
        started_at,
        finished_at,
        duration_ms,
        summary: Summary::of(&scenarios),
        scenarios,
        claims,
        harness: None,
        location,
        shard: None,
        // Shards of one run share its maintenance (or none).
        maintenance,
    })
}
