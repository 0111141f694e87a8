//! What baseline steps do with a response: a [`Recorder`] keeps it
//! (capture, `baseline diff --env`), a [`Comparer`] compares it with the
//! approved snapshot of the environment's expected release (`run`), both
//! after normalising it with the rules of `snapshots/normalise.toml`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use probes::core::diff::{Counts, diff_responses};
use probes::core::normalise::{Rules, RulesFile};
use probes::core::redact::Redactor;
use probes::core::snapshot::response_document;
use probes::{Baselines, ErrorKind, Observed, StepError};
use serde_json::Value;

use super::error::BaselineError;
use super::store::{Manifest, SnapshotStore};
use crate::input::config::Config;
use crate::input::display_path;

/// Rules compiled once per baseline name.
#[derive(Debug)]
pub struct RuleBook {
    file: RulesFile,
    compiled: Mutex<HashMap<String, Arc<Rules>>>,
}

impl RuleBook {
    pub fn new(file: RulesFile) -> Arc<Self> {
        Arc::new(Self {
            file,
            compiled: Mutex::default(),
        })
    }

    pub fn for_name(&self, name: &str) -> Result<Arc<Rules>, StepError> {
        let mut cache = self
            .compiled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(r) = cache.get(name) {
            return Ok(Arc::clone(r));
        }
        let rules = Arc::new(
            self.file
                .rules_for(name)
                .map_err(|e| StepError::config(format!("normalise.toml: {e}")))?,
        );
        cache.insert(name.to_owned(), Arc::clone(&rules));
        Ok(rules)
    }

    /// The `[default]` rules: what every message of a run is scrubbed with.
    pub fn general(&self) -> Arc<Rules> {
        self.for_name("")
            .unwrap_or_else(|_| Arc::new(Rules::builtin()))
    }
}

fn observed_document(o: &Observed<'_>, rules: &Rules, redactor: &Redactor) -> Value {
    response_document(
        o.response.status,
        o.response.header("content-type"),
        &o.response.body,
        rules,
        redactor,
    )
}

/// One normalised response a recorder saw.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub doc: Value,
    /// The request: `GET engine /health`.
    pub expression: String,
}

/// The store for capture and `baseline diff --env`: records what each
/// baseline step sees, normalised; never fails a step.
#[derive(Debug)]
pub struct Recorder {
    rules: Arc<RuleBook>,
    seen: Mutex<BTreeMap<String, Recorded>>,
}

impl Recorder {
    pub fn new(rules: Arc<RuleBook>) -> Self {
        Self {
            rules,
            seen: Mutex::default(),
        }
    }

    pub fn take(&self) -> BTreeMap<String, Recorded> {
        std::mem::take(
            &mut *self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

impl Baselines for Recorder {
    fn observe(&self, name: &str, o: &Observed<'_>, redactor: &Redactor) -> Result<(), StepError> {
        let rules = self.rules.for_name(name)?;
        let rec = Recorded {
            doc: observed_document(o, &rules, redactor),
            expression: format!(
                "{} {} {}",
                o.response.method,
                o.service,
                rules.text(o.path, redactor)
            ),
        };
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_owned(), rec);
        Ok(())
    }
}

/// The store for `run`: compares each baseline step's response with the
/// baseline of the environment's expected release (`{{expected.release}}`),
/// whichever environment that baseline was captured from.
#[derive(Debug)]
pub struct Comparer {
    store: SnapshotStore,
    rules: Arc<RuleBook>,
    /// The version and its manifest, or why there is none (reported by every baseline step).
    target: Result<(String, Manifest), String>,
}

impl Comparer {
    pub fn new(
        store: SnapshotStore,
        rules: RulesFile,
        version: Option<&str>,
        env_name: &str,
    ) -> Self {
        let target = match version {
            None => Err(format!(
                "environment '{env_name}' sets no expected.release in environments.toml: the baseline step compares with snapshots/<expected.release>/"
            )),
            Some(v) => store
                .require_manifest(v)
                .map(|m| (v.to_owned(), m))
                .map_err(|e| e.to_string()),
        };
        Self {
            store,
            rules: RuleBook::new(rules),
            target,
        }
    }
}

impl Baselines for Comparer {
    fn observe(&self, name: &str, o: &Observed<'_>, redactor: &Redactor) -> Result<(), StepError> {
        let (version, m) = self
            .target
            .as_ref()
            .map_err(|e| StepError::config(format!("no baseline to compare with: {e}")))?;
        let path = self.store.snap_path(version, &m.captured_from, name);
        let entry = m.baselines.get(name).ok_or_else(|| {
            StepError::config(format!(
                "the baseline of {version} has no \"{name}\" ({} does not list it; {} is expected): capture it with `lucia-harness baseline capture --env {} --version {version}`",
                display_path(&self.store.manifest_path(version)),
                display_path(&path),
                m.captured_from
            ))
        })?;
        let stored = self
            .store
            .read_document(&path)
            .map_err(|e| StepError::config(format!("baseline \"{name}\" of {version}: {e}")))?;
        let rules = self.rules.for_name(name)?;
        let observed = observed_document(o, &rules, redactor);
        let changes = diff_responses(&stored, &observed, &entry.noise);
        if changes.is_empty() {
            return Ok(());
        }
        let c = Counts::of(&changes);
        Err(StepError::new(
            ErrorKind::Drift,
            format!(
                "{} {}: the response drifted from baseline \"{name}\" of {version} (captured from {}, {}): {} breaking, {} additive, {} value{}",
                o.response.method,
                o.path,
                m.captured_from,
                display_path(&path),
                c.breaking,
                c.additive,
                c.value,
                reporters::text::drift::describe_changes(&changes, 12)
            ),
        ))
    }
}

/// The store and privacy rules `run` uses: compares with the baseline of the
/// environment's `expected.release`.
pub fn for_run(
    snapshots: &Path,
    config: &Config,
    env: &str,
) -> Result<(Arc<dyn Baselines>, Arc<Rules>), BaselineError> {
    comparer(snapshots, config.release(env), env)
}

/// Like [`for_run`], comparing against a given version instead of the
/// environment's expected release (the gate's `--version`).
pub fn for_version(
    snapshots: &Path,
    version: &str,
    env: &str,
) -> Result<(Arc<dyn Baselines>, Arc<Rules>), BaselineError> {
    comparer(snapshots, Some(version), env)
}

fn comparer(
    snapshots: &Path,
    version: Option<&str>,
    env: &str,
) -> Result<(Arc<dyn Baselines>, Arc<Rules>), BaselineError> {
    let store = SnapshotStore::new(snapshots);
    let rules = store.load_rules()?;
    let general = RuleBook::new(rules.clone()).general();
    Ok((Arc::new(Comparer::new(store, rules, version, env)), general))
}
