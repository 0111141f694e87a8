//! Every probe request carries its scenario's trace (W3C `traceparent`,
//! Sentry's `sentry-trace` and `baggage`), the sandbox receives it, and the
//! same id is in report.json, the Markdown and JUnit failure details, the
//! HAR and the Sentry alert's `contexts.trace`, so an alert leads to the
//! backend's side. An environment that says `propagate_traces = false`
//! sends none of it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::serve::SentryReceiver;
use crate::support::{bin, repo, run_cmd, sandbox, write};

const FEATURE: &str = "@local\nFeature: Traces\n\n  @implemented\n  Scenario: Engine answers its health check\n    Given the \"engine\" service\n    When I GET \"/version\"\n    Then the status is 200\n    When I GET \"/health\"\n    Then the status is 200\n\n  @implemented\n  Scenario: Engine says its version\n    Given the \"engine\" service\n    When I GET \"/version\"\n    Then the status is 200\n";

/// The repository's environments.toml with `edit` applied, its relative
/// paths (`ca_file`) made absolute, written into `dir`.
fn config_with(dir: &std::path::Path, edit: impl Fn(&str) -> String) -> std::path::PathBuf {
    let config = std::fs::read_to_string(repo().join("environments.toml")).expect("config");
    let edited = edit(&config);
    assert_ne!(
        edited, config,
        "the text the test edits is where it expects it"
    );
    let edited = edited.replace(
        "ca_file = \"",
        &format!("ca_file = \"{}/", repo().display()),
    );
    write(dir, "environments.toml", &edited)
}

fn trace_of(traceparent: &str) -> (String, String) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!((parts[0], parts[3]), ("00", "01"), "{traceparent}");
    assert!(
        parts[1].len() == 32 && parts[1].bytes().all(|b| b.is_ascii_hexdigit()),
        "{traceparent}"
    );
    assert_eq!(parts[2].len(), 16, "{traceparent}");
    (parts[1].to_owned(), parts[2].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_carries_its_scenarios_trace_and_the_alert_leads_to_it() {
    let rx = SentryReceiver::start().await;
    let sb = sandbox(&[], &["engine/health=500"]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let features = write(dir.path(), "features/traces.feature", FEATURE);
    let state = dir.path().join("state.db");
    let (features, state) = (
        features.to_str().expect("utf8"),
        state.to_str().expect("utf8"),
    );
    let origin = sb.origin();
    let out = run_cmd(
        &[
            "run",
            "--env",
            "local",
            "--origin",
            &origin,
            "--features",
            features,
            "--alert",
            "--alert-after",
            "1",
            "--state",
            state,
        ],
        &[("SENTRY_DSN", &rx.dsn)],
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let reports = out.dir.path();

    // What the sandbox received: each request's three headers agree, the
    // two requests of one scenario share a trace, the scenarios differ.
    let mut by_trace: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut spans = BTreeSet::new();
    for r in sb.received().into_iter().filter(|r| r.method == "GET") {
        let h: BTreeMap<String, String> = r.trace.into_iter().collect();
        let (trace, span) = trace_of(&h["traceparent"]);
        assert_eq!(h["sentry-trace"], format!("{trace}-{span}-1"));
        assert!(
            h["baggage"].contains(&format!("sentry-trace_id={trace}"))
                && h["baggage"].contains("sentry-environment=local"),
            "{}",
            h["baggage"]
        );
        assert!(spans.insert(span), "every request is its own span");
        by_trace.entry(trace).or_default().push(r.path);
    }
    assert_eq!(by_trace.len(), 2, "one trace per scenario: {by_trace:?}");
    let find = |paths: &[&str]| {
        by_trace
            .iter()
            .find(|(_, p)| p.iter().map(String::as_str).eq(paths.iter().copied()))
            .map(|(t, _)| t.clone())
            .unwrap_or_else(|| panic!("no trace with {paths:?}: {by_trace:?}"))
    };
    let health = [find(&["/engine/version", "/engine/health"])];
    let version = [find(&["/engine/version"])];

    // report.json, report.md, junit.xml and exchanges.har name it.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).expect("json"))
            .expect("report.json");
    let scenario = |name: &str| {
        report["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .find(|s| s["scenario"] == name)
            .cloned()
            .expect("scenario")
    };
    let failing = scenario("Engine answers its health check");
    assert_eq!(failing["trace_id"], health[0].as_str());
    assert_eq!(
        scenario("Engine says its version")["trace_id"],
        version[0].as_str()
    );
    let md = std::fs::read_to_string(reports.join("report.md")).expect("md");
    assert!(md.contains(&format!("- trace: `{}`", health[0])), "{md}");
    let junit = std::fs::read_to_string(reports.join("junit.xml")).expect("junit");
    assert!(junit.contains(&format!("trace: {}", health[0])), "{junit}");
    let har: Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("exchanges.har")).expect("har"))
            .expect("HAR is JSON");
    let traced: Vec<&str> = har["log"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["_trace_id"].as_str().expect("_trace_id"))
        .collect();
    assert_eq!(traced.len(), 3);
    assert_eq!(traced.iter().filter(|t| **t == health[0]).count(), 2);

    // The Sentry alert's trace context is the probe's trace.
    let events = rx.events();
    assert_eq!(events.len(), 1, "one failing transition");
    let Some(sentry::protocol::Context::Trace(t)) = events[0].contexts.get("trace") else {
        panic!("no trace context: {:?}", events[0].contexts);
    };
    assert_eq!(t.trace_id.to_string(), health[0]);
    assert_eq!(t.op.as_deref(), Some("synthetic.check"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_can_turn_propagation_off() {
    let sb = sandbox(&[], &[]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let features = write(dir.path(), "features/traces.feature", FEATURE);
    let config = config_with(dir.path(), |c| {
        c.replacen(
            "[environments.local]\n",
            "[environments.local]\npropagate_traces = false\n",
            1,
        )
    });
    let origin = sb.origin();
    let out = run_cmd(
        &[
            "run",
            "--env",
            "local",
            "--origin",
            &origin,
            "--config",
            config.to_str().expect("utf8"),
            "--features",
            features.to_str().expect("utf8"),
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let reports = out.dir.path();
    let received = sb.received();
    assert!(received.iter().any(|r| r.method == "GET"));
    assert!(
        received.iter().all(|r| r.trace.is_empty()),
        "no trace header was sent: {received:?}"
    );
    let report = std::fs::read_to_string(reports.join("report.json")).expect("json");
    assert!(!report.contains("trace_id"), "{report}");
}

/// Production decides for itself: a `future` environment must say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_must_say_whether_it_propagates() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = config_with(dir.path(), |c| {
        c.replacen("propagate_traces = false\n", "", 1)
    });
    let out = bin()
        .args(["check", "--config"])
        .arg(&config)
        .output()
        .await
        .expect("check");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("environments.production") && err.contains("propagate_traces"),
        "{err}"
    );
}
