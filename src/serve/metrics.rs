//! The Prometheus metrics of `serve` (the README's "Metrics" lists them), plus
//! the process's own. Every label value comes from a bounded set:
//! environment names from environments.toml, feature, scenario and baseline
//! names from the repository, statuses and results from fixed enums. Never
//! a URL, an error message or anything a response chose: a label set
//! that grows with what Lucia answers would grow Prometheus without bound.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Instant;

use prometheus::{
    Encoder as _, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use reporters::model::readiness::Readiness;
use reporters::{RunReport, Status};

use super::evidence::{BaselineView, drift_fields};
use crate::record::history::RunResult;

/// Scenario durations: from a fast health check to a scenario timeout.
const DURATION_BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

/// Request phases: from a cached lookup to a slow server (after
/// blackbox_exporter's `probe_http_duration_seconds`).
const PHASE_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    probe_success: GaugeVec,
    probe_duration: HistogramVec,
    phase_seconds: HistogramVec,
    probe_degraded: GaugeVec,
    runs_total: IntCounterVec,
    last_run: GaugeVec,
    drift_fields: IntGaugeVec,
    promotion_ready: IntGaugeVec,
    baseline_reviewed: IntGaugeVec,
    claim_violations: IntGaugeVec,
    scenario_results: IntCounterVec,
    run_in_progress: IntGaugeVec,
    run_duration: GaugeVec,
    uptime: Gauge,
    started: Instant,
    /// The label sets written per environment, to drop those a newer run no longer has.
    written: Mutex<Written>,
}

#[derive(Debug, Default)]
struct Written {
    probes: BTreeMap<String, BTreeSet<(String, String)>>,
    drift: BTreeMap<String, BTreeSet<(String, String)>>,
    promotion: Option<[String; 3]>,
    baseline: Option<String>,
}

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help)
}

/// `c`, registered.
fn reg<C: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    c: C,
) -> prometheus::Result<C> {
    registry.register(Box::new(c.clone()))?;
    Ok(c)
}

fn gauge_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<GaugeVec> {
    reg(r, GaugeVec::new(opts(name, help), labels)?)
}

fn int_gauge_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntGaugeVec> {
    reg(r, IntGaugeVec::new(opts(name, help), labels)?)
}

fn int_counter_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    reg(r, IntCounterVec::new(opts(name, help), labels)?)
}

impl Metrics {
    /// The registry with every metric, labelled series pre-created for
    /// `environments` so a dashboard shows zeros rather than gaps.
    pub fn new(environments: &[String]) -> prometheus::Result<Self> {
        Self::located(environments, None)
    }

    /// The same, every series labelled with the process's `location`
    /// (`--location`: one per process, so the label stays bounded).
    pub fn located(environments: &[String], location: Option<&str>) -> prometheus::Result<Self> {
        let registry = match location {
            None => Registry::new(),
            Some(l) => Registry::new_custom(
                None,
                Some(std::collections::HashMap::from([(
                    "location".to_owned(),
                    l.to_owned(),
                )])),
            )?,
        };
        let r = &registry;
        let info = int_gauge_vec(
            r,
            "lucia_harness_info",
            "The harness's version (always 1).",
            &["version"],
        )?;
        info.with_label_values(&[crate::run::HARNESS_VERSION])
            .set(1);
        // CPU, resident memory, open files, threads, start time (Linux /proc).
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        let metrics = Self {
            probe_duration: reg(
                r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "lucia_probe_duration_seconds",
                        "How long each scenario that ran took, by feature.",
                    )
                    .buckets(DURATION_BUCKETS.to_vec()),
                    &["environment", "feature"],
                )?,
            )?,
            phase_seconds: reg(
                r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "lucia_probe_phase_seconds",
                        "Where each request's time went, by phase: dns, connect, tls (new connections only), processing (to the first byte) and transfer (the body).",
                    )
                    .buckets(PHASE_BUCKETS.to_vec()),
                    &["environment", "feature", "phase"],
                )?,
            )?,
            probe_degraded: gauge_vec(
                r,
                "lucia_probe_degraded",
                "1 when the scenario was correct but over its @slow budget in the last run, 0 when it was within it; absent for scenarios without a budget or skipped.",
                &["environment", "feature", "scenario"],
            )?,
            uptime: reg(
                r,
                Gauge::with_opts(opts(
                    "lucia_harness_uptime_seconds",
                    "Seconds since this lucia-harness serve process started.",
                ))?,
            )?,
            probe_success: gauge_vec(
                r,
                "lucia_probe_success",
                "1 when the scenario held in the last run (passed, flaky, or a known gap that still fails as the Canon says), 0 when it failed or its claim is outdated; absent when skipped.",
                &["environment", "feature", "scenario"],
            )?,
            runs_total: int_counter_vec(
                r,
                "lucia_runs_total",
                "Runs finished, by result: passed, failed, error (could not run) or abandoned (stopped during the run).",
                &["environment", "result"],
            )?,
            last_run: gauge_vec(
                r,
                "lucia_last_run_timestamp_seconds",
                "When the last run of the environment finished (Unix time); restored from the state database on start.",
                &["environment"],
            )?,
            drift_fields: int_gauge_vec(
                r,
                "lucia_drift_fields",
                "Fields that drifted from the baseline in the last run, by baseline and kind of change (breaking, additive, value).",
                &["environment", "baseline", "kind"],
            )?,
            promotion_ready: int_gauge_vec(
                r,
                "lucia_promotion_ready",
                "1 when the version may be promoted from one environment to the other, 0 when not (or when the gate could not tell).",
                &["from", "to", "version"],
            )?,
            baseline_reviewed: int_gauge_vec(
                r,
                "lucia_baseline_reviewed",
                "1 when the baseline of the version was reviewed and approved by Eval Labs, 0 when it exists but is not approved.",
                &["version"],
            )?,
            claim_violations: int_gauge_vec(
                r,
                "lucia_claim_violations",
                "Implemented, configured or tested claims of the Canon that failed in the last run.",
                &["environment"],
            )?,
            scenario_results: int_counter_vec(
                r,
                "lucia_scenario_results_total",
                "Scenario outcomes, by status (passed, flaky, degraded, failed, skipped, known_gap, claim_outdated): the flaky rate is rate(flaky) over rate(all that ran).",
                &["environment", "status"],
            )?,
            run_in_progress: int_gauge_vec(
                r,
                "lucia_run_in_progress",
                "1 while a run of the environment is in progress.",
                &["environment"],
            )?,
            run_duration: gauge_vec(
                r,
                "lucia_last_run_duration_seconds",
                "How long the last run of the environment took.",
                &["environment"],
            )?,
            started: Instant::now(),
            written: Mutex::new(Written::default()),
            registry,
        };
        metrics.precreate(environments);
        Ok(metrics)
    }

    /// The labelled series of every environment, at zero, so a dashboard
    /// shows zeros rather than gaps.
    fn precreate(&self, environments: &[String]) {
        for env in environments {
            for r in RunResult::ALL_FINISHED {
                self.runs_total
                    .with_label_values(&[env.as_str(), r.as_str()]);
            }
            for s in Status::ALL {
                self.scenario_results
                    .with_label_values(&[env.as_str(), s.as_str()]);
            }
            self.run_in_progress
                .with_label_values(&[env.as_str()])
                .set(0);
        }
    }

    fn written(&self) -> std::sync::MutexGuard<'_, Written> {
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The state of a run's report: success per scenario, claim violations,
    /// drift, the time of the run. Used for every new run and, on start,
    /// for the last run restored from the state database.
    pub fn show(&self, r: &RunReport) {
        let env = r.environment.as_str();
        let mut probes = BTreeSet::new();
        for sc in &r.scenarios {
            let held = match sc.status {
                Status::Skipped => continue,
                Status::Passed | Status::Flaky | Status::Degraded | Status::KnownGap => 1.0,
                Status::Failed | Status::ClaimOutdated => 0.0,
            };
            let labels = [env, sc.feature.as_str(), sc.scenario.as_str()];
            self.probe_success.with_label_values(&labels).set(held);
            if sc.budget_ms.is_some() {
                self.probe_degraded.with_label_values(&labels).set(
                    if sc.status == Status::Degraded {
                        1.0
                    } else {
                        0.0
                    },
                );
            } else {
                let _ = self.probe_degraded.remove_label_values(&labels);
            }
            probes.insert((sc.feature.clone(), sc.scenario.clone()));
        }
        let drift = drift_fields(r);
        let drift_keys: BTreeSet<(String, String)> = drift.keys().cloned().collect();
        for ((baseline, kind), n) in &drift {
            self.drift_fields
                .with_label_values(&[env, baseline.as_str(), kind.as_str()])
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        let mut w = self.written();
        for (f, s) in w.probes.get(env).into_iter().flatten() {
            if !probes.contains(&(f.clone(), s.clone())) {
                let _ = self
                    .probe_success
                    .remove_label_values(&[env, f.as_str(), s.as_str()]);
                let _ = self
                    .probe_degraded
                    .remove_label_values(&[env, f.as_str(), s.as_str()]);
            }
        }
        for (b, k) in w.drift.get(env).into_iter().flatten() {
            if !drift_keys.contains(&(b.clone(), k.clone())) {
                let _ = self
                    .drift_fields
                    .remove_label_values(&[env, b.as_str(), k.as_str()]);
            }
        }
        w.probes.insert(env.to_owned(), probes);
        w.drift.insert(env.to_owned(), drift_keys);
        drop(w);
        self.claim_violations
            .with_label_values(&[env])
            .set(i64::try_from(r.summary.claim_violations).unwrap_or(i64::MAX));
        #[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit an f64 exactly
        self.last_run
            .with_label_values(&[env])
            .set(r.finished_at.timestamp_millis() as f64 / 1000.0);
        self.run_duration
            .with_label_values(&[env])
            .set(r.duration_ms / 1000.0);
    }

    /// A new run finished: counters and durations, then its state.
    pub fn record(&self, r: &RunReport) {
        let env = r.environment.as_str();
        for sc in &r.scenarios {
            self.scenario_results
                .with_label_values(&[env, sc.status.as_str()])
                .inc();
            if sc.status != Status::Skipped {
                self.probe_duration
                    .with_label_values(&[env, sc.feature.as_str()])
                    .observe(sc.duration_ms / 1000.0);
            }
            for t in sc.http.iter().filter_map(|x| x.timings) {
                for (phase, ms) in t.phases() {
                    self.phase_seconds
                        .with_label_values(&[env, sc.feature.as_str(), phase])
                        .observe(ms / 1000.0);
                }
            }
        }
        self.run_finished(env, RunResult::of(r));
        self.show(r);
    }

    pub fn run_finished(&self, env: &str, result: RunResult) {
        self.runs_total
            .with_label_values(&[env, result.as_str()])
            .inc();
    }

    pub fn in_progress(&self, env: &str, running: bool) {
        self.run_in_progress
            .with_label_values(&[env])
            .set(i64::from(running));
    }

    /// The promotion verdict (absent until one is evaluated).
    pub fn readiness(&self, r: Option<&Readiness>) {
        let mut w = self.written();
        let labels = r.map(|r| [r.from.clone(), r.to.clone(), r.version.clone()]);
        if let Some(old) = w.promotion.take()
            && labels.as_ref() != Some(&old)
        {
            let _ = self.promotion_ready.remove_label_values(&[
                old[0].as_str(),
                old[1].as_str(),
                old[2].as_str(),
            ]);
        }
        if let (Some(r), Some(l)) = (r, labels) {
            self.promotion_ready
                .with_label_values(&[l[0].as_str(), l[1].as_str(), l[2].as_str()])
                .set(i64::from(r.ready));
            w.promotion = Some(l);
        }
    }

    /// Whether the baseline of the version was reviewed (absent when there is none).
    pub fn baseline(&self, b: &BaselineView) {
        let mut w = self.written();
        if let Some(old) = w.baseline.take() {
            let _ = self.baseline_reviewed.remove_label_values(&[old.as_str()]);
        }
        if b.exists() {
            self.baseline_reviewed
                .with_label_values(&[b.version.as_str()])
                .set(i64::from(b.approved()));
            w.baseline = Some(b.version.clone());
        }
    }

    /// The text exposition format, as scraped.
    pub fn encode(&self) -> Result<(String, Vec<u8>), prometheus::Error> {
        self.uptime.set(self.started.elapsed().as_secs_f64());
        let encoder = TextEncoder::new();
        let mut buf = Vec::new();
        encoder.encode(&self.registry.gather(), &mut buf)?;
        Ok((encoder.format_type().to_owned(), buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_located_process_labels_every_series_with_its_location() {
        let m = Metrics::located(&["dev".to_owned()], Some("frankfurt")).expect("metrics");
        let (_, bytes) = m.encode().expect("encode");
        let text = String::from_utf8(bytes).expect("utf8");
        assert!(
            text.contains(
                "lucia_runs_total{environment=\"dev\",result=\"passed\",location=\"frankfurt\"} 0"
            ),
            "{text}"
        );
        let plain = Metrics::new(&["dev".to_owned()]).expect("metrics");
        let (_, bytes) = plain.encode().expect("encode");
        assert!(
            !String::from_utf8(bytes)
                .expect("utf8")
                .contains("location=")
        );
    }
}
