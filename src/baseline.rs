//! Baselines (DESIGN.md "Baselines and drift"): `lucia-harness baseline
//! capture | diff | approve | accept | reject | status`, and the store the
//! run-time step `Then the response matches the baseline "…"` compares with.
//!
//! - **capture** runs every scenario with a baseline step twice (two samples
//!   per response), normalises, records the paths that differed between the
//!   samples as noise, and writes `.snap` files — or `.snap.new` next to an
//!   existing one: an approved baseline is never overwritten.
//! - **accept** promotes `.snap.new` files, **reject** deletes them; both are
//!   explicit (nothing is ever accepted automatically).
//! - **approve** records the Eval Labs review (reviewer, time, verdict, note,
//!   hash of what was reviewed) and refuses while anything is pending.
//! - **diff** compares a live environment, or a later version, with a stored
//!   baseline: a structural diff classified breaking / additive / value.

pub mod store;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use probes::core::diff::{Counts, diff_responses, noise_between, text_diff};
use probes::core::duration::parse as parse_duration;
use probes::core::normalise::{Rules, RulesFile};
use probes::core::redact::Redactor;
use probes::core::snapshot::{SnapFile, SnapHeader, contents_of, mask_noise, response_document};
use probes::{Baselines, ErrorKind, Observed, StepError};
use reporters::drift::{BaselineDrift, DriftReport, DriftSummary, Outcome, Side, Verdict};
use reporters::{RunReport, Status};
use serde::Serialize;
use serde_json::Value;

use crate::config::{Config, EnvConfig};
use crate::features::Suite;
use crate::run::{self, HARNESS_VERSION, RunError, RunOptions, Selection, display_path};
pub use store::{Manifest, ReviewState, Store, StoreError};

/// Why a baseline command could not do its job. Always exit 2.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Run(#[from] RunError),
    #[error("{0}")]
    Usage(String),
}

/// Rules compiled once per baseline name.
#[derive(Debug)]
struct RuleBook {
    file: RulesFile,
    compiled: Mutex<HashMap<String, Arc<Rules>>>,
}

impl RuleBook {
    fn new(file: RulesFile) -> Arc<Self> {
        Arc::new(Self {
            file,
            compiled: Mutex::default(),
        })
    }

    fn for_name(&self, name: &str) -> Result<Arc<Rules>, StepError> {
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
    fn general(&self) -> Arc<Rules> {
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
    fn take(&self) -> BTreeMap<String, Recorded> {
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
    store: Store,
    rules: Arc<RuleBook>,
    /// The version and its manifest, or why there is none (reported by every baseline step).
    target: Result<(String, Manifest), String>,
}

impl Comparer {
    pub fn new(store: Store, rules: RulesFile, version: Option<&str>, env_name: &str) -> Self {
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
                reporters::drift::describe_changes(&changes, 12)
            ),
        ))
    }
}

/// Where and how to observe: like `run`'s options.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub env: String,
    pub origin: Option<String>,
    pub tags: Option<String>,
    pub request_timeout: Option<Duration>,
}

/// A scenario with a baseline step, as selected for an environment.
#[derive(Clone, Debug)]
struct Planned {
    name: String,
    file: PathBuf,
    scenario_line: usize,
    step_line: usize,
}

fn plan(
    config: &Config,
    suite: &Suite,
    target: &Target,
) -> Result<(EnvConfig, Vec<Planned>), BaselineError> {
    let opts = RunOptions {
        environment: target.env.clone(),
        origin: target.origin.clone(),
        ..RunOptions::default()
    };
    let env = run::effective_env(config, &opts)?;
    let tags = target.tags.as_deref().map(run::parse_tags).transpose()?;
    let env_names: BTreeSet<&str> = config.environments.keys().map(String::as_str).collect();
    let mut planned: Vec<Planned> = Vec::new();
    for sc in suite.scenarios() {
        if run::select(&sc, &env, &env_names, tags.as_ref()) == Selection::Exclude {
            continue;
        }
        for step in sc.steps() {
            if let Some(name) = probes::steps::baseline::step_baseline(&step.value) {
                let here = Planned {
                    name: name.to_owned(),
                    file: sc.file(),
                    scenario_line: sc.scenario.position.line,
                    step_line: step.position.line,
                };
                if let Some(other) = planned.iter().find(|p| p.name == name) {
                    return Err(BaselineError::Usage(format!(
                        "baseline \"{name}\" is named twice: {}:{} and {}:{} (each response needs its own name)",
                        display_path(&other.file),
                        other.step_line,
                        display_path(&here.file),
                        here.step_line
                    )));
                }
                planned.push(here);
            }
        }
    }
    if planned.is_empty() {
        return Err(BaselineError::Usage(format!(
            "no scenario with a `Then the response matches the baseline \"…\"` step runs in environment '{}'{}",
            env.name,
            target
                .tags
                .as_deref()
                .map(|t| format!(" with --tags {t:?}"))
                .unwrap_or_default()
        )));
    }
    Ok((env, planned))
}

/// Why a planned scenario did not pass in a run, if it did not.
fn failure(report: &RunReport, p: &Planned) -> Option<String> {
    let file = display_path(&p.file);
    let Some(s) = report
        .scenarios
        .iter()
        .find(|s| s.feature_file == file && s.line == p.scenario_line)
    else {
        return Some("the scenario did not run".to_owned());
    };
    match s.status {
        Status::Passed | Status::Flaky | Status::ClaimOutdated => None,
        Status::Skipped => Some(format!(
            "skipped: {}",
            s.skip_reason.as_deref().unwrap_or("not run")
        )),
        Status::Failed | Status::KnownGap => Some(s.error.as_ref().map_or_else(
            || "the scenario failed".to_owned(),
            |e| format!("{}: {}", e.kind, e.message),
        )),
    }
}

async fn observe_once(
    config: &Config,
    suite: &Suite,
    target: &Target,
    rules: &Arc<RuleBook>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(RunReport, BTreeMap<String, Recorded>), BaselineError> {
    let recorder = Arc::new(Recorder {
        rules: Arc::clone(rules),
        seen: Mutex::default(),
    });
    let opts = RunOptions {
        environment: target.env.clone(),
        tags: target.tags.clone(),
        concurrency: Some(8),
        request_timeout: target.request_timeout,
        scenario_timeout: None,
        origin: target.origin.clone(),
        baselines: Some(Arc::clone(&recorder) as Arc<dyn Baselines>),
        only_baselines: true,
        privacy: Some(rules.general()),
    };
    let report = run::run(config, suite, &opts, lookup, None).await?;
    Ok((report, recorder.take()))
}

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
                &reporters::drift::describe_changes(&e.changes, 12).replace("\n  ", "\n      "),
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

/// The version given on the command line, else the environment's `expected.release`.
fn version_of(env: &EnvConfig, given: Option<&str>, flag: &str) -> Result<String, BaselineError> {
    let v = given
        .or(env.expected.get("release").map(String::as_str))
        .ok_or_else(|| {
            BaselineError::Usage(format!(
                "which version? pass {flag} (environment '{}' sets no expected.release)",
                env.name
            ))
        })?;
    store::validate_version(v).map_err(BaselineError::Usage)?;
    Ok(v.to_owned())
}

fn release_of<'a>(config: &'a Config, env: &str) -> Option<&'a str> {
    config
        .environments
        .get(env)
        .and_then(|e| e.expected.get("release"))
        .map(String::as_str)
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `baseline capture`.
pub async fn capture(
    config: &Config,
    suite: &Suite,
    target: &Target,
    version: Option<&str>,
    store: &Store,
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
        review: store::Review::default(),
    });
    let mut entries = Vec::new();
    for p in &planned {
        let file = Store::relative_snap(&version, &env.name, &p.name);
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
    store: &Store,
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
    let pending = Store::pending_path(&path);
    let mut changes = Vec::new();
    let outcome = if path.exists() {
        changes = diff_responses(&store.read_document(&path)?, &doc, &noise);
        if changes.is_empty() {
            remove_stale(&pending)?;
            CaptureOutcome::Unchanged
        } else {
            store::write_if_changed(&pending, &snap.render())?;
            CaptureOutcome::Pending
        }
    } else {
        store::write_if_changed(&path, &snap.render())?;
        remove_stale(&pending)?;
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

fn remove_stale(pending: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(pending) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(store::err(
            pending,
            format!("cannot remove a stale .snap.new: {e}"),
        )),
    }
}

fn verdict(baselines: &[BaselineDrift], approved: bool) -> Verdict {
    let breaking = baselines
        .iter()
        .any(|b| b.counts.breaking > 0 || b.outcome == Outcome::Removed);
    let drift = baselines
        .iter()
        .any(|b| matches!(b.outcome, Outcome::Drifted | Outcome::Added));
    let unobserved = baselines.iter().any(|b| b.outcome == Outcome::NotObserved);
    if breaking {
        Verdict::Breaking
    } else if drift && !approved {
        Verdict::UnapprovedDrift
    } else if unobserved {
        Verdict::Inconclusive
    } else if drift {
        Verdict::ApprovedDrift
    } else {
        Verdict::NoDrift
    }
}

/// The exit code of a comparison: 1 on breaking or unapproved drift, 3 when
/// nothing drifted but something could not be observed, else 0.
pub fn exit_code(v: Verdict) -> u8 {
    match v {
        Verdict::Breaking | Verdict::UnapprovedDrift => 1,
        Verdict::Inconclusive => 3,
        Verdict::ApprovedDrift | Verdict::NoDrift => 0,
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
            Outcome::Unchanged
        } else {
            Outcome::Drifted
        },
        detail: None,
        counts: Counts::of(&changes),
        changes,
        text,
        file: Some(file),
    }
}

fn unmatched(name: &str, outcome: Outcome, detail: String) -> BaselineDrift {
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

fn stored_doc(store: &Store, m: &Manifest, name: &str) -> Result<Value, StoreError> {
    let path = store.snap_path(&m.version, &m.captured_from, name);
    store.read_document(&path)
}

fn stored_side(store: &Store, m: &Manifest) -> Result<Side, StoreError> {
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
    store: &Store,
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
            baselines.push(unmatched(&p.name, Outcome::NotObserved, why));
            continue;
        };
        let file = Store::relative_snap(&version, &m.captured_from, &p.name);
        match m.baselines.get(&p.name) {
            None => baselines.push(unmatched(
                &p.name,
                Outcome::Added,
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
pub fn diff_versions(store: &Store, from: &str, to: &str) -> Result<DriftReport, BaselineError> {
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
                let file = Store::relative_snap(from, &a.captured_from, name);
                baselines.push(compare(name, file, &old, &new, &noise));
            }
            (Some(_), None) => baselines.push(unmatched(
                name,
                Outcome::Removed,
                format!("in {from}, not in {to}"),
            )),
            (None, _) => baselines.push(unmatched(name, Outcome::Added, format!("new in {to}"))),
        }
    }
    Ok(report(
        stored_side(store, &a)?,
        stored_side(store, &b)?,
        baselines,
    ))
}

/// `baseline approve`: records the review, or refuses (exit 2) while
/// `.snap.new` files wait.
pub fn approve(
    store: &Store,
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
    m.review = store::Review {
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
    store: &Store,
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
    store: &Store,
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
    store: &Store,
    version: &str,
    names: &[String],
) -> Result<Vec<String>, BaselineError> {
    let mut dropped = Vec::new();
    for (name, path) in pending_named(store, version, names)? {
        remove_stale(&path)?;
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

pub fn status(store: &Store, version: Option<&str>) -> Result<Vec<VersionStatus>, BaselineError> {
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

pub fn render_status(store: &Store, rows: &[VersionStatus]) -> String {
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

/// The store and privacy rules `run` uses: compares with the baseline of the
/// environment's `expected.release`.
pub fn for_run(
    snapshots: &Path,
    config: &Config,
    env: &str,
) -> Result<(Arc<dyn Baselines>, Arc<Rules>), BaselineError> {
    comparer(snapshots, release_of(config, env), env)
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
    let store = Store::new(snapshots);
    let rules = store.load_rules()?;
    let general = RuleBook::new(rules.clone()).general();
    Ok((Arc::new(Comparer::new(store, rules, version, env)), general))
}

/// What the store says of a version's baseline, as the promotion gate reads it.
pub fn evidence(snapshots: &Path, version: &str) -> crate::gate::BaselineEvidence {
    use crate::gate::{BaselineEvidence, Review};
    let store = Store::new(snapshots);
    let mut e = BaselineEvidence {
        manifest: display_path(&store.manifest_path(version)),
        captured_from: None,
        review: Review::NotReviewed,
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

/// For `demo`: the sandbox's own baseline, captured into a temporary
/// directory (the real v0.1.3.6 baseline comes from dev, captured by Eval
/// Labs; a sandbox capture committed under snapshots/ would be pretending).
pub async fn sandbox_baseline(
    config: &Config,
    suite: &Suite,
    origin: &str,
    snapshots: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<
    (
        tempfile::TempDir,
        CaptureReport,
        Arc<dyn Baselines>,
        Arc<Rules>,
    ),
    BaselineError,
> {
    let rules = Store::new(snapshots).load_rules()?;
    let dir = tempfile::tempdir()
        .map_err(|e| BaselineError::Usage(format!("cannot create a temporary directory: {e}")))?;
    let store = Store::new(dir.path());
    let target = Target {
        env: "local".to_owned(),
        origin: Some(origin.to_owned()),
        ..Target::default()
    };
    let report = capture(config, suite, &target, None, &store, rules.clone(), lookup).await?;
    let general = RuleBook::new(rules.clone()).general();
    let version = release_of(config, "local");
    let comparer = Comparer::new(store, rules, version, "local");
    Ok((dir, report, Arc::new(comparer), general))
}

// ---------------------------------------------------------------------------
// The command line of `lucia-harness baseline …`.

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Terminal,
    Markdown,
    Json,
}

fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s:?} is not a duration (write 500ms, 10s or 2m)"))
}

#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// Move every surface of the environment to this origin, keeping path prefixes
    /// (the sandbox on another port: http://127.0.0.1:9000).
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// Only scenarios matching this tag expression.
    #[arg(long, short = 't', value_name = "EXPR")]
    pub tags: Option<String>,
    /// Per-request timeout, overriding environments.toml.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub timeout: Option<Duration>,
}

#[derive(Debug, clap::Subcommand)]
pub enum BaselineCommand {
    /// Capture the responses of every scenario with a baseline step (two samples each).
    ///
    /// Writes snapshots/<version>/<env>/<area>/<name>.snap and BASELINE.toml. Where a
    /// snapshot exists and differs, writes <name>.snap.new for review instead: an
    /// approved baseline is never overwritten.
    Capture {
        #[arg(long, short = 'e', value_name = "NAME")]
        env: String,
        /// The version the baseline is of (default: the environment's expected.release).
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Compare a live environment (--env) or a later version (--from/--to) with a baseline.
    ///
    /// Exit 1 on breaking drift (a removed field, a changed type, status or content type)
    /// or drift no approved review covers; 3 when nothing drifted but a response could not
    /// be observed; 0 otherwise.
    Diff {
        /// The live environment to observe.
        #[arg(long, short = 'e', value_name = "NAME", conflicts_with_all = ["from", "to"], required_unless_present = "from")]
        env: Option<String>,
        /// The stored version to compare with (default: the environment's expected.release).
        #[arg(long, value_name = "VERSION", requires = "env")]
        against: Option<String>,
        /// The older stored version.
        #[arg(long, value_name = "VERSION", requires = "to")]
        from: Option<String>,
        /// The newer stored version.
        #[arg(long, value_name = "VERSION", requires = "from")]
        to: Option<String>,
        #[arg(long, value_enum, default_value = "terminal")]
        format: Format,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Record the Eval Labs review of a version (refused while .snap.new files wait).
    Approve {
        #[arg(long, value_name = "VERSION")]
        version: String,
        #[arg(long, value_name = "NAME")]
        reviewer: String,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Promote pending .snap.new files to .snap (all, or the baselines named).
    ///
    /// The version's review no longer matches afterwards: approve it again.
    Accept {
        #[arg(long, value_name = "VERSION")]
        version: String,
        /// Baselines to accept (area/name); none means every pending one.
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
    /// Delete pending .snap.new files (all, or the baselines named).
    Reject {
        #[arg(long, value_name = "VERSION")]
        version: String,
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
    /// Show each version: where and when captured, pending snapshots, review.
    Status {
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        #[arg(long, value_enum, default_value = "terminal")]
        format: Format,
    },
}

/// The global options a baseline command needs.
#[derive(Clone, Debug)]
pub struct Globals {
    pub config: PathBuf,
    pub features: PathBuf,
    pub snapshots: PathBuf,
    pub color: bool,
}

/// What a command prints and its exit code; `main` prints it.
#[derive(Debug, Default)]
pub struct Output {
    pub code: u8,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    fn error(e: impl std::fmt::Display) -> Self {
        Self {
            code: 2,
            stdout: Vec::new(),
            stderr: format!("error: {e}\n"),
        }
    }

    fn text(code: u8, s: String) -> Self {
        Self {
            code,
            stdout: s.into_bytes(),
            stderr: String::new(),
        }
    }
}

fn load(g: &Globals) -> Result<(Config, Suite), Output> {
    let config = Config::load(&g.config).map_err(Output::error)?;
    let suite = Suite::load(&g.features).map_err(|problems| Output {
        code: 2,
        stdout: Vec::new(),
        stderr: problems.iter().map(|p| format!("error: {p}\n")).collect(),
    })?;
    Ok((config, suite))
}

fn target(env: &str, t: &TargetArgs) -> Target {
    Target {
        env: env.to_owned(),
        origin: t.origin.clone(),
        tags: t.tags.clone(),
        request_timeout: t.timeout,
    }
}

fn render_drift(r: &DriftReport, format: Format, color: bool) -> Output {
    let mut buf = Vec::new();
    let written = match format {
        Format::Terminal => reporters::drift::write_terminal(r, color, &mut buf),
        Format::Markdown => reporters::drift::write_markdown(r, &mut buf),
        Format::Json => reporters::drift::write_json(r, &mut buf),
    };
    if let Err(e) = written {
        return Output::error(format!("cannot render the diff: {e}"));
    }
    Output {
        code: exit_code(r.verdict),
        stdout: buf,
        stderr: String::new(),
    }
}

fn errors(e: BaselineError) -> Output {
    match e {
        BaselineError::Run(RunError::Features(problems)) => Output {
            code: 2,
            stdout: Vec::new(),
            stderr: problems.iter().map(|p| format!("error: {p}\n")).collect(),
        },
        other => Output::error(other),
    }
}

/// Runs one `baseline` subcommand.
pub async fn execute(
    cmd: &BaselineCommand,
    g: &Globals,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Output {
    let store = Store::new(&g.snapshots);
    match cmd {
        BaselineCommand::Capture {
            env,
            version,
            target: t,
        } => {
            let (config, suite) = match load(g) {
                Ok(x) => x,
                Err(o) => return o,
            };
            let rules = match store.load_rules() {
                Ok(r) => r,
                Err(e) => return Output::error(e),
            };
            let tgt = target(env, t);
            match capture(
                &config,
                &suite,
                &tgt,
                version.as_deref(),
                &store,
                rules,
                lookup,
            )
            .await
            {
                Ok(r) => Output::text(u8::from(r.failed() > 0), r.render()),
                Err(e) => errors(e),
            }
        }
        BaselineCommand::Diff {
            env,
            against,
            from,
            to,
            format,
            target: t,
        } => {
            let result = match (env, from, to) {
                (Some(env), _, _) => {
                    let (config, suite) = match load(g) {
                        Ok(x) => x,
                        Err(o) => return o,
                    };
                    let rules = match store.load_rules() {
                        Ok(r) => r,
                        Err(e) => return Output::error(e),
                    };
                    diff_live(
                        &config,
                        &suite,
                        &target(env, t),
                        against.as_deref(),
                        &store,
                        rules,
                        lookup,
                    )
                    .await
                }
                (None, Some(from), Some(to)) => diff_versions(&store, from, to),
                _ => Err(BaselineError::Usage(
                    "pass --env NAME [--against VERSION], or --from VERSION --to VERSION".into(),
                )),
            };
            match result {
                Ok(r) => render_drift(&r, *format, g.color),
                Err(e) => errors(e),
            }
        }
        BaselineCommand::Approve {
            version,
            reviewer,
            note,
        } => match approve(&store, version, reviewer, note.as_deref()) {
            Ok(m) => Output::text(
                0,
                format!(
                    "approved {} ({} baselines, captured from {}) by {} at {}; hash {}\n",
                    m.version,
                    m.baselines.len(),
                    m.captured_from,
                    m.review.reviewer.as_deref().unwrap_or(""),
                    m.review.reviewed_at.as_deref().unwrap_or(""),
                    m.review.hash.as_deref().unwrap_or("")
                ),
            ),
            Err(e) => errors(e),
        },
        BaselineCommand::Accept { version, names } => match accept(&store, version, names) {
            Ok(moved) if moved.is_empty() => {
                Output::text(0, format!("nothing pending in {version}\n"))
            }
            Ok(moved) => {
                let mut s = String::new();
                for n in &moved {
                    s.push_str(&format!("accepted {n}\n"));
                }
                let stale = store
                    .require_manifest(version)
                    .and_then(|m| store.review_state(&m))
                    .map(|r| matches!(r, ReviewState::Stale { .. }))
                    .unwrap_or(false);
                if stale {
                    s.push_str(&format!(
                        "the review of {version} no longer matches: `lucia-harness baseline approve --version {version} --reviewer NAME`\n"
                    ));
                }
                Output::text(0, s)
            }
            Err(e) => errors(e),
        },
        BaselineCommand::Reject { version, names } => match reject(&store, version, names) {
            Ok(dropped) => Output::text(
                0,
                if dropped.is_empty() {
                    format!("nothing pending in {version}\n")
                } else {
                    dropped.iter().map(|n| format!("rejected {n}\n")).collect()
                },
            ),
            Err(e) => errors(e),
        },
        BaselineCommand::Status { version, format } => match status(&store, version.as_deref()) {
            Ok(rows) => {
                let mut buf = Vec::new();
                match format {
                    Format::Json => {
                        let _ = serde_json::to_writer_pretty(&mut buf, &rows);
                        let _ = buf.write_all(b"\n");
                    }
                    _ => buf = render_status(&store, &rows).into_bytes(),
                }
                Output {
                    code: 0,
                    stdout: buf,
                    stderr: String::new(),
                }
            }
            Err(e) => errors(e),
        },
    }
}
