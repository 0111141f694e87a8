//! dashboards/: the Prometheus rules pass their unit tests, the example
//! config is valid, and every metric the rules and the Grafana dashboard
//! query is one `serve` exports under that name.

use std::collections::BTreeSet;

use chrono::Utc;
use lucia_harness::baseline::ReviewState;
use lucia_harness::gate::BaselineEvidence;
use lucia_harness::serve::{BaselineView, Metrics};
use probes::ErrorKind;
use reporters::model::readiness::{Check, CheckId, CheckStatus, Readiness};
use reporters::{Claim, ErrorReport, RunReport, ScenarioReport, Status, Summary};
use serde_json::Value;

use crate::support::repo;
use crate::support::serve::promtool;

fn scenario(
    feature: &str,
    name: &str,
    status: Status,
    error: Option<ErrorReport>,
) -> ScenarioReport {
    ScenarioReport {
        feature: feature.into(),
        feature_file: "features/engine/health.feature".into(),
        line: 9,
        scenario: name.into(),
        tags: vec!["implemented".into()],
        status,
        duration_ms: 140.0,
        attempts: 1,
        claim: Some(Claim::Implemented),
        error,
        skip_reason: None,
        steps: vec![],
        http: vec![],
        budget_ms: None,
        trace_id: None,
    }
}

/// Correct but over its budget, its request timed phase by phase.
fn slow_scenario() -> ScenarioReport {
    let mut s = scenario(
        "Guest lab",
        "The lab answers quickly",
        Status::Degraded,
        None,
    );
    s.budget_ms = Some(800.0);
    s.http.push(reporters::HttpExchangeReport {
        service: "guest-lab".into(),
        method: "GET".into(),
        url: "https://lab.hellolucia.ai/".into(),
        status: Some(200),
        duration_ms: 1240.0,
        error: None,
        timings: Some(reporters::Timings {
            dns_ms: Some(3.0),
            connect_ms: Some(11.0),
            tls_ms: Some(30.0),
            ttfb_ms: Some(1200.0),
            total_ms: 1240.0,
        }),
        span_id: None,
        evidence: None,
    });
    s
}

/// A scrape with every metric the README's "Metrics" names given a value: a run with a
/// failure and drift, a verdict, a reviewed baseline.
fn full_scrape() -> String {
    let m = Metrics::new(&["dev".to_owned()]).expect("metrics");
    let scenarios = vec![
        scenario("Engine health", "Engine reports healthy", Status::Passed, None),
        scenario(
            "Engine health",
            "Engine health matches the baseline",
            Status::Failed,
            Some(ErrorReport {
                kind: ErrorKind::Drift,
                message: "GET /health: the response drifted from baseline \"engine/health\" of v0.1.3.6 (captured from dev, snapshots/v0.1.3.6/dev/engine/health.snap): 1 breaking, 2 additive, 0 value\n  $.status removed".into(),
                step: Some("Then the response matches the baseline \"engine/health\"".into()),
                line: Some(12),
            }),
        ),
        scenario("Engine version", "Engine runs the expected version", Status::Flaky, None),
        slow_scenario(),
    ];
    let now = Utc::now();
    let report = RunReport {
        harness_version: "0".into(),
        run_id: "r1".into(),
        environment: "dev".into(),
        environment_status: "live".into(),
        started_at: now,
        finished_at: now,
        duration_ms: 900.0,
        summary: Summary::of(&scenarios),
        scenarios,
        claims: vec![],
        location: None,
        shard: None,
        maintenance: None,
        harness: None,
    };
    m.record(&report);
    let checks = CheckId::ALL
        .iter()
        .map(|id| {
            Check::new(
                *id,
                if *id == CheckId::NoDrift {
                    CheckStatus::Fail
                } else {
                    CheckStatus::Pass
                },
                "x",
            )
        })
        .collect();
    m.readiness(Some(&Readiness::new(
        "dev", "staging", "v0.1.3.6", checks, now, "0",
    )));
    m.baseline(&BaselineView {
        version: "v0.1.3.6".into(),
        evidence: BaselineEvidence {
            manifest: "snapshots/v0.1.3.6/BASELINE.toml".into(),
            captured_from: Some("dev".into()),
            review: ReviewState::Approved {
                reviewer: "eval-labs".into(),
                at: "2026-01-02T00:00:00Z".into(),
            },
            pending: 0,
            problem: None,
        },
    });
    String::from_utf8(m.encode().expect("encode").1).expect("utf8")
}

/// Metric names in a scrape (histogram series folded into their family).
fn names(scrape: &str) -> BTreeSet<String> {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(|n| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| n.strip_suffix(s))
                .unwrap_or(n)
                .to_owned()
        })
        .collect()
}

#[test]
fn every_metric_the_readme_names_is_exported_and_promtool_accepts_them() {
    let scrape = full_scrape();
    let dir = tempfile::tempdir().expect("tmp");
    let (ok, out) = promtool(&["check", "metrics"], Some(scrape.as_bytes()), dir.path());
    assert!(ok, "{out}\n{scrape}");
    for line in [
        "lucia_probe_success{environment=\"dev\",feature=\"Engine health\",scenario=\"Engine health matches the baseline\"} 0",
        "lucia_probe_success{environment=\"dev\",feature=\"Engine version\",scenario=\"Engine runs the expected version\"} 1",
        "lucia_probe_duration_seconds_count{environment=\"dev\",feature=\"Engine health\"} 2",
        "lucia_runs_total{environment=\"dev\",result=\"failed\"} 1",
        "lucia_runs_total{environment=\"dev\",result=\"passed\"} 0",
        "lucia_drift_fields{baseline=\"engine/health\",environment=\"dev\",kind=\"breaking\"} 1",
        "lucia_drift_fields{baseline=\"engine/health\",environment=\"dev\",kind=\"additive\"} 2",
        "lucia_promotion_ready{from=\"dev\",to=\"staging\",version=\"v0.1.3.6\"} 0",
        "lucia_baseline_reviewed{version=\"v0.1.3.6\"} 1",
        "lucia_claim_violations{environment=\"dev\"} 1",
        "lucia_scenario_results_total{environment=\"dev\",status=\"flaky\"} 1",
    ] {
        assert!(scrape.contains(line), "no {line} in\n{scrape}");
    }
    assert!(scrape.contains("lucia_last_run_timestamp_seconds{environment=\"dev\"}"));
    assert!(
        !scrape.contains("kind=\"value\""),
        "no zero-count drift series"
    );
}

/// `lucia_*`, `process_*` and `up` names in a query.
fn queried(expr: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"\b(lucia_[a-z_]+|process_[a-z_]+)").expect("regex");
    re.captures_iter(expr)
        .map(|c| {
            let n = &c[1];
            n.strip_suffix("_bucket").unwrap_or(n).to_owned()
        })
        .collect()
}

#[test]
fn the_rules_pass_their_unit_tests_and_the_config_is_valid() {
    let dir = repo().join("dashboards/prometheus");
    let (ok, out) = promtool(&["test", "rules", "rules.test.yml"], None, &dir);
    assert!(ok, "{out}");
    assert!(out.contains("SUCCESS"), "{out}");
    let (ok, out) = promtool(&["check", "rules", "rules.yml"], None, &dir);
    assert!(ok, "{out}");
    let (ok, out) = promtool(&["check", "config", "prometheus.yml"], None, &dir);
    assert!(ok, "{out}");
    let rules = std::fs::read_to_string(dir.join("rules.yml")).expect("rules");
    for alert in [
        "LuciaProbeFailing",
        "LuciaDriftDetected",
        "LuciaRunsStale",
        "LuciaPromotionBlocked",
    ] {
        assert!(rules.contains(&format!("alert: {alert}")), "{alert}");
    }
    let exported = names(&full_scrape());
    for name in queried(&rules) {
        assert!(
            exported.contains(&name),
            "rules.yml queries {name}, which serve does not export"
        );
    }
}

#[test]
fn the_grafana_dashboard_queries_what_serve_exports() {
    let text = std::fs::read_to_string(repo().join("dashboards/grafana/lucia-harness.json"))
        .expect("dashboard");
    let d: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let panels = d["panels"].as_array().expect("panels");
    let titles: Vec<&str> = panels.iter().filter_map(|p| p["title"].as_str()).collect();
    for t in [
        "Readiness per environment",
        "Failing scenarios",
        "Drift from the baseline",
        "Scenario latency (p50, p95, p99)",
        "Flaky rate",
        "Uptime (24 h, 7 d, 30 d)",
        "Degraded scenarios",
        "Where the time went (p95 by phase)",
    ] {
        assert!(titles.contains(&t), "no panel {t}: {titles:?}");
    }
    let exprs: Vec<&str> = panels
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str())
        .collect();
    assert!(
        exprs.iter().any(|e| e.contains("histogram_quantile(0.99")),
        "latency percentiles"
    );
    let exported = names(&full_scrape());
    for e in &exprs {
        for name in queried(e) {
            assert!(
                exported.contains(&name),
                "the dashboard queries {name} ({e}), which serve does not export"
            );
        }
    }
    let ids: BTreeSet<u64> = panels.iter().filter_map(|p| p["id"].as_u64()).collect();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
}
