//! Sentry alerts through the real transport to an envelope receiver on
//! 127.0.0.1: one error event per transition, one recovery, check-ins in
//! order, no secret in any payload — from `serve` and from `run --alert`.

use std::collections::BTreeMap;

use sentry::protocol::{Event, Level, MonitorCheckIn, MonitorCheckInStatus};

use crate::support::serve::{SentryReceiver, Serve, state_file};
use crate::support::{bin, sandbox, write};

/// A secret planted in the environment: it must never reach Sentry.
const CANARY: &str = "canary-5e1f-sentry-secret-value";

const HEALTH: &str = "@local\nFeature: Alerts\n\n  @implemented\n  Scenario: Engine answers its health check\n    Given the \"engine\" service\n    When I GET \"/health\"\n    Then the status is 200\n";

/// Fails every run, with the secret in its URL, its header and the
/// response the server echoes back.
const LEAKY: &str = "@local\nFeature: Canary\n\n  @implemented\n  Scenario: The operator token is echoed back\n    Given the \"engine\" service\n    And the header \"X-Operator-Token\" is \"${LUCIA_OPERATOR_TOKEN}\"\n    When I GET \"/echo/${LUCIA_OPERATOR_TOKEN}\"\n    Then the status is 200\n";

fn fingerprint(e: &Event<'static>) -> Vec<String> {
    e.fingerprint.iter().map(|f| f.to_string()).collect()
}

fn by_scenario(events: &[Event<'static>]) -> BTreeMap<(String, Level), usize> {
    let mut m = BTreeMap::new();
    for e in events {
        let scenario = e.tags.get("scenario").cloned().unwrap_or_default();
        *m.entry((scenario, e.level)).or_insert(0) += 1;
    }
    m
}

/// Check-ins come in pairs with one id: in_progress, then ok or error,
/// one run after the other.
fn assert_pairs(check_ins: &[MonitorCheckIn], runs: usize) {
    assert!(check_ins.len() >= 2 * runs, "{check_ins:#?}");
    assert_eq!(check_ins.len() % 2, 0, "{check_ins:#?}");
    for pair in check_ins.chunks(2) {
        assert_eq!(pair[0].monitor_slug, "lucia-synthetic-local");
        assert_eq!(
            pair[0].status,
            MonitorCheckInStatus::InProgress,
            "{pair:#?}"
        );
        assert!(
            matches!(
                pair[1].status,
                MonitorCheckInStatus::Ok | MonitorCheckInStatus::Error
            ),
            "{pair:#?}"
        );
        assert_eq!(pair[0].check_in_id, pair[1].check_in_id, "{pair:#?}");
        assert_eq!(pair[0].environment.as_deref(), Some("local"));
        assert!(pair[1].duration.is_some_and(|d| d > 0.0), "{pair:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_alerts_once_per_transition_and_never_leaks_a_secret() {
    let rx = SentryReceiver::start().await;
    // Health fails the first three requests (three runs), then recovers.
    let sb = sandbox(&[], &["engine/health=500@3"]).await;
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "features/health.feature", HEALTH);
    write(dir.path(), "features/canary.feature", LEAKY);
    let features = dir.path().join("features");
    let state = state_file(dir.path());
    let origin = sb.origin();
    let s = Serve::start(
        &[
            "--features",
            features.to_str().expect("utf8"),
            "--env",
            "local",
            "--origin",
            &origin,
            "--state",
            state.to_str().expect("utf8"),
            "--schedule",
            "1s",
            "--alert-after",
            "2",
        ],
        &[
            ("SENTRY_DSN", rx.dsn.as_str()),
            ("LUCIA_OPERATOR_TOKEN", CANARY),
        ],
    )
    .await;
    // Fail, fail (alert), fail, pass (recovery), pass, pass: then nothing more.
    s.runs("local", 6).await;
    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");

    let events = rx.events();
    let counts = by_scenario(&events);
    let expected = BTreeMap::from([
        (
            ("Engine answers its health check".to_owned(), Level::Error),
            1,
        ),
        (
            ("Engine answers its health check".to_owned(), Level::Info),
            1,
        ),
        (
            ("The operator token is echoed back".to_owned(), Level::Error),
            1,
        ),
    ]);
    assert_eq!(counts, expected, "{events:#?}");

    let failing = events
        .iter()
        .find(|e| {
            e.level == Level::Error && e.tags["scenario"] == "Engine answers its health check"
        })
        .expect("the error event");
    assert_eq!(
        fingerprint(failing),
        ["local", "Alerts", "Engine answers its health check"]
    );
    assert_eq!(failing.tags["environment"], "local");
    assert_eq!(failing.tags["feature"], "Alerts");
    assert_eq!(failing.tags["version"], "v0.1.3.6");
    assert_eq!(failing.environment.as_deref(), Some("local"));
    let crumb = failing
        .breadcrumbs
        .iter()
        .find(|b| b.ty == "http")
        .expect("an HTTP breadcrumb");
    assert!(
        crumb.data["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/engine/health")),
        "{crumb:?}"
    );
    assert_eq!(crumb.data["status_code"], 500);
    assert!(
        failing
            .message
            .as_deref()
            .is_some_and(|m| m.contains("2 runs in a row")),
        "{failing:?}"
    );
    let recovered = events
        .iter()
        .find(|e| e.level == Level::Info)
        .expect("the recovery event");
    assert_eq!(
        fingerprint(recovered),
        [
            "local",
            "Alerts",
            "Engine answers its health check",
            "recovered"
        ]
    );
    // The alert fired after the second failed run: the log says which run.
    let alert_lines = log.lines().filter(|l| l.contains(" alert ")).count();
    assert_eq!(alert_lines, 3, "{log}");

    let check_ins = rx.check_ins();
    assert_pairs(&check_ins, 6);
    // The canary fails every run: every run checks in as an error.
    assert!(
        check_ins
            .chunks(2)
            .all(|p| p[1].status == MonitorCheckInStatus::Error)
    );
    assert!(
        check_ins[0]
            .monitor_config
            .as_ref()
            .is_some_and(|c| matches!(
                c.schedule,
                sentry::protocol::MonitorSchedule::Interval { .. }
            )),
        "{:?}",
        check_ins[0]
    );

    // The secret went out (the sandbox echoed it) and never reached Sentry.
    let raw = rx.raw();
    assert!(!raw.contains(CANARY), "the secret leaked to Sentry:\n{raw}");
    assert!(
        raw.contains("${LUCIA_OPERATOR_TOKEN}"),
        "where the secret was is marked:\n{raw}"
    );
    assert!(
        rx.all()
            .iter()
            .all(|r| r.path == "/api/1/envelope/" && r.auth.contains("sentry_key=public"))
    );
    // Nor the state database.
    let db = std::fs::read(&state).expect("db");
    assert!(!String::from_utf8_lossy(&db).contains(CANARY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_alert_uses_the_state_file_to_know_the_previous_state() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    run_alert_knows_the_previous_state(dir.path(), state.to_str().expect("utf8")).await;
}

/// The same, with the state in Postgres (`LUCIA_HARNESS_STATE_URL`'s kind).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_alert_uses_a_postgres_state_to_know_the_previous_state() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = crate::support::StateDatabase::create().await;
    run_alert_knows_the_previous_state(dir.path(), &db.url).await;
    db.drop().await;
}

async fn run_alert_knows_the_previous_state(dir: &std::path::Path, state: &str) {
    let rx = SentryReceiver::start().await;
    let sb = sandbox(&[], &["engine/health=500@3"]).await;
    let features = write(dir, "features/health.feature", HEALTH);
    let mut codes = Vec::new();
    let mut events_after = Vec::new();
    for _ in 0..5 {
        let out = bin()
            .args([
                "run",
                "--env",
                "local",
                "--origin",
                &sb.origin(),
                "--features",
                features.to_str().expect("utf8"),
                "--alert",
                "--state",
                state,
                "--alert-after",
                "2",
            ])
            .env("SENTRY_DSN", &rx.dsn)
            .env("LUCIA_OPERATOR_TOKEN", CANARY)
            .output()
            .await
            .expect("run");
        codes.push(out.status.code().unwrap_or(-1));
        assert!(!String::from_utf8_lossy(&out.stdout).contains(CANARY));
        // Each one-shot run flushes before it exits.
        events_after.push(rx.events().len());
    }
    assert_eq!(codes, [1, 1, 1, 0, 0]);
    assert_eq!(
        events_after,
        [0, 1, 1, 2, 2],
        "one event per transition, nothing repeated"
    );
    let events = rx.events();
    assert_eq!(events[0].level, Level::Error);
    assert_eq!(events[1].level, Level::Info);
    assert_pairs(&rx.check_ins(), 5);
    assert_eq!(rx.check_ins().len(), 10);
    assert!(
        rx.check_ins()[0].monitor_config.is_none(),
        "no --cron, no schedule"
    );
    assert!(!rx.raw().contains(CANARY));

    // The history knows the five runs.
    let out = bin()
        .args(["history", "--env", "local", "--state", state])
        .output()
        .await
        .expect("history");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("  cli  ").count(), 5, "{text}");

    // --alert without a DSN is a usage error, before anything runs.
    let out = bin()
        .args([
            "run",
            "--env",
            "local",
            "--origin",
            &sb.origin(),
            "--alert",
            "--state",
            state,
        ])
        .env_remove("SENTRY_DSN")
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--alert needs SENTRY_DSN"));
}

/// `run --state` records the run before it writes its reports, so a claim
/// that fails now says in report.json when it last passed, as serve's
/// history does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_state_reports_say_when_a_failing_claim_last_passed() {
    let dir = tempfile::tempdir().expect("tmp");
    let features = write(dir.path(), "features/health.feature", HEALTH);
    let state = state_file(dir.path());
    let run = |origin: String, reports: std::path::PathBuf| {
        let features = features.clone();
        let state = state.clone();
        async move {
            bin()
                .args(["run", "--env", "local", "--origin", &origin, "--features"])
                .arg(&features)
                .arg("--state")
                .arg(&state)
                .arg("--report-dir")
                .arg(&reports)
                .output()
                .await
                .expect("run")
        }
    };
    let claim = |reports: &std::path::Path| -> serde_json::Value {
        let text = std::fs::read_to_string(reports.join("report.json")).expect("report.json");
        let r: serde_json::Value = serde_json::from_str(&text).expect("json");
        r["claims"][0].clone()
    };

    let healthy = sandbox(&[], &[]).await;
    let first = dir.path().join("first");
    assert_eq!(
        run(healthy.origin(), first.clone()).await.status.code(),
        Some(0)
    );
    let passed_at = claim(&first)["last_passed"].clone();
    assert!(
        passed_at.is_string(),
        "a passing claim passed now: {}",
        claim(&first)
    );

    let broken = sandbox(&[], &["engine/health=500"]).await;
    let second = dir.path().join("second");
    assert_eq!(
        run(broken.origin(), second.clone()).await.status.code(),
        Some(1)
    );
    let c = claim(&second);
    assert_eq!(c["verdict"], "violated", "{c}");
    // The history keeps milliseconds.
    let millis = |v: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_default())
            .map(|t| t.timestamp_millis())
            .ok()
    };
    assert!(millis(&passed_at).is_some(), "{passed_at}");
    assert_eq!(
        millis(&c["last_passed"]),
        millis(&passed_at),
        "from the history: {c}"
    );
}

/// "Fail in N of M locations": two locations share a state file; with
/// `--alert-min-locations 2`, one location failing pages nobody, both
/// failing page once, and a location joining a standing page adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_needs_enough_locations_failing() {
    let rx = SentryReceiver::start().await;
    let failing = sandbox(&[], &["engine/health=500"]).await;
    let healthy = sandbox(&[], &[]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let features = write(dir.path(), "features/health.feature", HEALTH);
    let state = state_file(dir.path());
    let state = state.to_str().expect("utf8").to_owned();
    let run = |location: &'static str, origin: String| {
        let (features, state, dsn) = (
            features.to_str().expect("utf8").to_owned(),
            state.clone(),
            rx.dsn.clone(),
        );
        let reports = dir.path().join(format!("reports-{location}"));
        async move {
            let out = bin()
                .args([
                    "run",
                    "--env",
                    "local",
                    "--origin",
                    &origin,
                    "--features",
                    &features,
                ])
                .args(["--location", location, "--alert", "--state", &state])
                .args(["--alert-after", "1", "--alert-min-locations", "2"])
                .arg("--report-dir")
                .arg(&reports)
                .env("SENTRY_DSN", &dsn)
                .output()
                .await
                .expect("run");
            let report: serde_json::Value = serde_json::from_slice(
                &std::fs::read(reports.join("report.json")).expect("report.json"),
            )
            .expect("json");
            assert_eq!(
                report["location"], location,
                "the report carries its location"
            );
            out.status.code()
        }
    };
    let pages = || {
        rx.events()
            .iter()
            .filter(|e| e.level == Level::Error)
            .count()
    };
    assert_eq!(run("oregon", failing.origin()).await, Some(1));
    assert_eq!(run("frankfurt", healthy.origin()).await, Some(0));
    assert_eq!(run("oregon", failing.origin()).await, Some(1));
    assert_eq!(pages(), 0, "one location of two failing pages nobody");
    assert_eq!(run("frankfurt", failing.origin()).await, Some(1));
    assert_eq!(pages(), 1, "both failing: one page");
    assert_eq!(run("oregon", failing.origin()).await, Some(1));
    assert_eq!(
        pages(),
        1,
        "a location joining a standing page adds nothing"
    );

    // Each location's runs are its own in the history.
    let out = bin()
        .args([
            "history",
            "--env",
            "local",
            "--location",
            "oregon",
            "--state",
            &state,
            "--json",
        ])
        .output()
        .await
        .expect("history");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    // An unknown location is refused before anything runs.
    let out = bin()
        .args([
            "run",
            "--env",
            "local",
            "--origin",
            &healthy.origin(),
            "--location",
            "atlantis",
        ])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not one of the locations"));
}
