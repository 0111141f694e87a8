//! The operators' new states, end to end: a correct but slow scenario is
//! `degraded` in every format and the run still passes, with where its
//! time went; a silence made over HTTP (and from the CLI) turns the next
//! runs into `maintenance`: recorded, no alert, the check-in `ok`.

use serde_json::Value;

use crate::support::serve::{SentryReceiver, Serve, http, serve_args, state_file};
use crate::support::{plain, run_feature, sandbox};

const SLOW: &str = "@local
Feature: Engine health, against a budget

  @slow(150ms)
  Scenario: Engine answers within its budget
    Given the \"engine\" service
    When I GET \"/health\"
    Then the status is 200

  @slow(20s)
  Scenario: Engine answers within a generous budget
    Given the \"engine\" service
    When I GET \"/health\"
    Then the status is 200
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_but_slow_scenario_is_degraded_everywhere_and_the_run_passes() {
    let sb = sandbox(&[], &["engine/health=latency:400ms"]).await;
    let o = run_feature(&sb.https_origin(), SLOW, &[]).await;
    assert_eq!(
        o.code, 0,
        "degraded is not failed:\n{}\n{}",
        o.stdout, o.stderr
    );
    let slow = o.scenario("within its budget");
    assert_eq!(slow["status"], "degraded", "{slow}");
    assert_eq!(slow["budget_ms"], 150.0);
    assert_eq!(o.scenario("generous budget")["status"], "passed");
    assert_eq!(o.report()["summary"]["degraded"], 1);
    // Where the time went: a new TLS connection, and the server's 400 ms
    // before the first byte.
    let t = &slow["http"][0]["timings"];
    let ms = |k: &str| t[k].as_f64().unwrap_or_else(|| panic!("no {k} in {t}"));
    assert!(ms("ttfb_ms") >= 400.0, "{t}");
    assert!(ms("total_ms") >= ms("ttfb_ms"), "{t}");
    let reused = t.get("connect_ms").is_none();
    assert!(
        reused || (ms("connect_ms") >= 0.0 && ms("tls_ms") > 0.0),
        "a new connection has connect and TLS: {t}"
    );
    let first = o.report()["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .flat_map(|s| s["http"].as_array().cloned().unwrap_or_default())
        .find(|x| x["timings"].get("tls_ms").is_some());
    assert!(
        first.is_some(),
        "the first request opened a TLS connection: {}",
        o.report()
    );

    let file = |name: &str| std::fs::read_to_string(o.dir.path().join(name)).expect(name);
    let budget = "degraded: correct, but took";
    assert!(file("junit.xml").contains(budget), "{}", file("junit.xml"));
    assert!(file("cucumber.json").contains(budget));
    assert!(file("messages.ndjson").contains(budget));
    let md = file("report.md");
    assert!(
        md.contains("🐢") && md.contains("- slow request: GET "),
        "{md}"
    );
    assert!(file("report.html").contains("Where the time went"));
    assert!(o.stdout.contains("degraded"), "{}", o.stdout);
    assert!(o.stdout.contains("first byte"), "{}", o.stdout);

    // A budget that is not a duration is the feature's error, with its line.
    let bad = SLOW.replace("@slow(150ms)", "@slow(fast)");
    let o = run_feature(&sb.https_origin(), &bad, &[]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("test.feature:5"), "{}", o.stderr);
    assert!(o.stderr.contains("@slow(fast)"), "{}", o.stderr);
}

/// Check-ins that close a run (not the `in_progress` that opens it).
fn closed(check_ins: &[sentry::protocol::MonitorCheckIn]) -> usize {
    check_ins
        .iter()
        .filter(|c| c.status != sentry::protocol::MonitorCheckInStatus::InProgress)
        .count()
}

/// Polls `f` until it gives a value (a readiness wait, at most 15 s).
async fn eventually<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "waited 15 s for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_makes_runs_maintenance_with_no_alert_and_an_ok_check_in() {
    let rx = SentryReceiver::start().await;
    let sb = sandbox(&[], &["engine/health=500"]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let state_s = state.to_str().expect("utf8").to_owned();
    let origin = sb.origin();
    let s = Serve::start(
        &serve_args(
            &origin,
            &state_s,
            &["--schedule", "3s", "--alert-after", "1"],
        ),
        &[
            ("SENTRY_DSN", rx.dsn.as_str()),
            ("LUCIA_HARNESS_TOKEN", "tok-9"),
        ],
    )
    .await;
    s.runs("local", 1).await;
    // Sentry's transport sends in the background: wait for what it owes.
    let alerts_before = eventually("the first run's alert and check-ins", || {
        let (events, check_ins) = (rx.events().len(), closed(&rx.check_ins()));
        (events >= 1 && check_ins >= 1).then_some(events)
    })
    .await;

    // The token is required, the body is checked.
    let post = |body: &str, token: Option<&str>| {
        let mut r = http().post(s.url("/silences")).body(body.to_owned());
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let ok = r#"{"env": "local", "for": "30m", "reason": "deploy of engine v0.1.3.7"}"#;
    assert_eq!(post(ok, None).await.expect("post").status(), 401);
    assert_eq!(post(ok, Some("nope")).await.expect("post").status(), 401);
    let r = post(
        r#"{"env": "local", "for": "soon", "reason": "x"}"#,
        Some("tok-9"),
    )
    .await
    .expect("post");
    assert_eq!(r.status(), 400);
    let r = post(
        r#"{"env": "prod", "for": "30m", "reason": "x"}"#,
        Some("tok-9"),
    )
    .await
    .expect("post");
    assert_eq!(r.status(), 400, "an environment the file does not name");
    let r = post(ok, Some("tok-9")).await.expect("post");
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.expect("json");
    let id = made["silence"]["id"].as_i64().expect("id");

    // The next scheduled run (3 s on) is recorded as maintenance, pages no
    // one, and checks in ok.
    let started = rx.check_ins().len();
    s.runs("local", 2).await;
    let runs = s.json("/runs?env=local&limit=1").await;
    let last = &runs["runs"][0];
    assert_eq!(last["result"], "maintenance", "{last}");
    assert!(
        last["maintenance"]
            .as_str()
            .is_some_and(|m| m.contains("deploy of engine v0.1.3.7")),
        "{last}"
    );
    assert_eq!(last["failed"], 1, "the failure is still recorded: {last}");
    assert_eq!(rx.events().len(), alerts_before, "no alert in maintenance");
    let closing = eventually("the maintenance run's check-in", || {
        let later: Vec<_> = rx.check_ins().into_iter().skip(started).collect();
        (closed(&later) >= 1).then_some(later)
    })
    .await;
    let status: Vec<_> = closing
        .iter()
        .filter(|c| c.status != sentry::protocol::MonitorCheckInStatus::InProgress)
        .map(|c| c.status)
        .collect();
    assert_eq!(
        status,
        [sentry::protocol::MonitorCheckInStatus::Ok],
        "{closing:#?}"
    );
    let page = s.get("/").await.text().await.expect("html");
    assert!(page.contains("local is in maintenance"), "the banner");

    // Listed, then ended over HTTP; ending needs the token too.
    let list = s.json("/silences").await;
    assert_eq!(list["silences"][0]["id"], id, "{list}");
    let del = |token: Option<&str>| {
        let mut r = http().delete(s.url(&format!("/silences/{id}")));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(del(None).await.expect("delete").status(), 401);
    assert_eq!(del(Some("tok-9")).await.expect("delete").status(), 200);
    assert_eq!(s.json("/silences").await["silences"], Value::Array(vec![]));
    let page = s.get("/").await.text().await.expect("html");
    assert!(!page.contains("is in maintenance"), "the banner is gone");
    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_are_made_listed_and_ended_from_the_cli() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("h.db");
    let state = state.to_str().expect("utf8");
    let o = plain(
        &[
            "silence", "--env", "local", "--for", "30m", "--reason", "deploy", "--state", state,
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with("silenced #1 local until "),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains(": deploy (by cli"), "{}", o.stdout);
    let o = plain(&["silence", "list", "--state", state], &[]).await;
    assert!(o.stdout.starts_with("#1 local until "), "{}", o.stdout);
    let o = plain(&["silence", "list", "--json", "--state", state], &[]).await;
    let row: Value = serde_json::from_str(o.stdout.trim()).expect("JSON line");
    assert_eq!(row["reason"], "deploy");
    for (args, says) in [
        (
            vec!["--env", "local", "--for", "200h", "--reason", "x"],
            "at most 7 days",
        ),
        (
            vec!["--env", "prod", "--for", "1h", "--reason", "x"],
            "prod",
        ),
        (
            vec!["--env", "local", "--for", "1h", "--reason", " "],
            "say why",
        ),
        (
            vec!["--env", "local", "--for", "1h"],
            "needs --env, --for and --reason",
        ),
    ] {
        let mut all = vec!["silence"];
        all.extend(args);
        all.extend(["--state", state]);
        let o = plain(&all, &[]).await;
        assert_eq!(o.code, 2, "{all:?}: {}", o.stderr);
        assert!(o.stderr.contains(says), "{all:?}: {}", o.stderr);
    }
    let o = plain(&["silence", "end", "1", "--state", state], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with("ended #1 local ended "),
        "{}",
        o.stdout
    );
    let o = plain(&["silence", "list", "--state", state], &[]).await;
    assert_eq!(o.stdout, "no silence in force\n");
    let o = plain(&["silence", "end", "7", "--state", state], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no silence #7"), "{}", o.stderr);
}

/// `serve` with a degraded scenario: its run is `degraded` in the history,
/// the metric says which scenario, the dashboard shows its card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_records_shows_and_exports_a_degraded_run() {
    let sb = sandbox(&[], &["engine/health=latency:400ms"]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let features = crate::support::write(dir.path(), "features/slow.feature", SLOW);
    let features = features
        .parent()
        .expect("dir")
        .to_str()
        .expect("utf8")
        .to_owned();
    let state = state_file(dir.path());
    let state = state.to_str().expect("utf8").to_owned();
    let origin = sb.https_origin();
    let s = Serve::start(
        &[
            "--features",
            &features,
            "--env",
            "local",
            "--origin",
            &origin,
            "--state",
            &state,
            "--schedule",
            "1h",
        ],
        &[],
    )
    .await;
    s.runs("local", 1).await;
    let runs: Value = s
        .get("/runs?env=local&limit=5")
        .await
        .json()
        .await
        .expect("runs");
    let text = runs.to_string();
    assert!(text.contains("\"degraded\""), "the run is degraded: {text}");
    let metrics = s.get("/metrics").await.text().await.expect("metrics");
    let line = metrics
        .lines()
        .find(|l| l.starts_with("lucia_probe_degraded{") && l.contains("within its budget"))
        .unwrap_or_else(|| panic!("no degraded metric:\n{metrics}"));
    assert!(line.ends_with(" 1"), "{line}");
    let page = s.get("/").await.text().await.expect("page");
    assert!(
        page.contains("class=\"card degraded\"")
            && page.contains("Engine answers within its budget"),
        "the dashboard shows the degraded card"
    );
}

/// A surface named by a host name (not an IP literal) is looked up: the
/// first request's phases start with its DNS time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surface_named_by_host_has_its_dns_phase_timed() {
    let sb = sandbox(&[], &[]).await;
    let origin = sb.https_origin().replace("127.0.0.1", "localhost");
    let o = run_feature(&origin, SLOW, &[]).await;
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let first = o.report()["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .flat_map(|s| s["http"].as_array().cloned().unwrap_or_default())
        .find(|x| x["timings"].get("dns_ms").is_some())
        .unwrap_or_else(|| panic!("no request was looked up: {}", o.report()));
    let t = &first["timings"];
    let ms = |k: &str| t[k].as_f64().unwrap_or_else(|| panic!("no {k} in {t}"));
    assert!(ms("dns_ms") >= 0.0 && ms("dns_ms") <= ms("total_ms"), "{t}");
    assert!(ms("tls_ms") > 0.0, "a new connection after the lookup: {t}");
    assert!(
        first["url"]
            .as_str()
            .is_some_and(|u| u.contains("localhost")),
        "{first}"
    );
}
