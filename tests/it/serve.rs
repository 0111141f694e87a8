//! `serve` against the sandbox: the scheduler runs, the API answers, the
//! metrics pass promtool, the dashboard renders in Chromium, the state
//! survives SIGTERM and SIGKILL.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lucia_harness::input::config::Config;
use lucia_harness::input::features::Suite;
use lucia_harness::record::history::History as _;
use lucia_harness::record::history::RunResult;
use lucia_harness::record::sqlite::SqliteHistory;
use lucia_harness::serve::{self, Harness, Schedule, Settings};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::support::serve::{ENGINE, Serve, http, promtool, serve_args, state_file};
use crate::support::{artifacts, plain, repo, sandbox};

fn settings(token: Option<&str>) -> Settings {
    let root = repo();
    Settings {
        config: Arc::new(Config::load(&root.join("environments.toml")).expect("config")),
        suite: Arc::new(Suite::load(&root.join(ENGINE)).expect("features")),
        schedules: vec![Schedule {
            environment: "local".into(),
            interval: Duration::from_secs(3600),
        }],
        origin: Some("http://127.0.0.1:9".into()),
        tags: None,
        concurrency: Some(4),
        request_timeout: None,
        scenario_timeout: None,
        token: token.map(str::to_owned),
        read_token: None,
        alert_threshold: 2,
        sentry: None,
        snapshots: root.join("snapshots"),
        promotion: None,
        version: "v0.1.3.6".into(),
        refresh: Duration::from_secs(30),
        retain: 100,
        grace: Duration::from_secs(5),
        first_run: Duration::ZERO,
        secrets: Arc::new(|_: &str| None),
        replica: "test-replica".into(),
        lease: Duration::from_secs(30),
        location: None,
        alert_min_locations: 1,
    }
}

fn harness(token: Option<&str>) -> Harness {
    Harness::new(
        settings(token),
        Box::new(SqliteHistory::in_memory().expect("store")),
    )
    .expect("harness")
}

async fn call(h: &Harness, req: Request<Body>) -> (StatusCode, Value) {
    let resp = serve::app(h.clone()).oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, v)
}

fn post(path: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::empty()).expect("request")
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

#[tokio::test]
async fn post_runs_needs_the_token_and_is_never_open() {
    let h = harness(Some("s3cret-token"));
    let (st, body) = call(&h, post("/runs?env=local", None)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("LUCIA_HARNESS_TOKEN"))
    );
    let (st, _) = call(&h, post("/runs?env=local", Some("wrong"))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = call(&h, post("/runs?env=local", Some("s3cret-token-and-more"))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Authenticated, an unknown environment is named as such.
    let (st, _) = call(&h, post("/runs?env=nowhere", Some("s3cret-token"))).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, body) = call(&h, post("/runs?env=local", Some("s3cret-token"))).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{body}");
    assert!(h.env_state("local").expect("local").requested);
    // Asked twice before it starts: one run, not two.
    let (st, _) = call(&h, post("/runs?env=local", Some("s3cret-token"))).await;
    assert_eq!(st, StatusCode::CONFLICT);

    // Without a token configured, POST /runs is disabled, whatever is sent.
    let closed = harness(None);
    for t in [None, Some(""), Some("anything")] {
        let (st, body) = call(&closed, post("/runs?env=local", t)).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("disabled"))
        );
    }
    assert!(!closed.env_state("local").expect("local").requested);
}

#[tokio::test]
async fn the_api_answers_before_any_run() {
    let h = harness(None);
    let (st, body) = call(&h, get("/healthz")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["environments"]["local"]["scheduler"], "not_started");
    let (st, body) = call(&h, get("/runs/latest?env=local")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("no finished run"))
    );
    let (st, _) = call(&h, get("/runs/latest?env=dev")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, body) = call(&h, get("/readiness")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["verdict"], "not_evaluated");
    assert_eq!(body["ready"], false);
    let (st, body) = call(&h, get("/readiness?format=md")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        body.as_str()
            .is_some_and(|t| t.contains("No readiness evaluated yet"))
    );
    let (st, _) = call(&h, get("/readiness?format=pdf")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let resp = serve::app(h.clone())
        .oneshot(get("/metrics"))
        .await
        .expect("metrics");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/plain; version=0.0.4"))
    );
    let resp = serve::app(h.clone()).oneshot(get("/")).await.expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let (st, _) = call(&h, get("/nothing-here")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_runs_and_metrics_pass_promtool() {
    let sb = sandbox(&[], &["engine/health=500"]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let state_s = state.to_str().expect("utf8").to_owned();
    let origin = sb.origin();
    let s = Serve::start(
        &serve_args(&origin, &state_s, &[]),
        &[("LUCIA_HARNESS_TOKEN", "tok-123")],
    )
    .await;
    // The scheduler runs again and again, on its own.
    let health = s.runs("local", 2).await;
    assert_eq!(health["status"], "ok", "{health}");

    let latest = s.json("/runs/latest?env=local").await;
    let failed: Vec<&str> = latest["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter(|x| x["status"] == "failed")
        .filter_map(|x| x["scenario"].as_str())
        .collect();
    assert_eq!(failed, ["Engine reports healthy"], "{latest}");

    let text = s.get("/metrics").await.text().await.expect("scrape");
    let (ok, out) = promtool(&["check", "metrics"], Some(text.as_bytes()), dir.path());
    assert!(ok, "promtool check metrics:\n{out}\n{text}");
    for needle in [
        "lucia_probe_success{environment=\"local\",feature=\"Engine health\",scenario=\"Engine reports healthy\"} 0",
        "lucia_probe_success{environment=\"local\",feature=\"Engine version\",scenario=\"Engine runs the expected version\"} 1",
        "lucia_probe_duration_seconds_bucket{environment=\"local\",feature=\"Engine health\",le=\"+Inf\"}",
        "lucia_runs_total{environment=\"local\",result=\"failed\"}",
        "lucia_last_run_timestamp_seconds{environment=\"local\"}",
        "lucia_claim_violations{environment=\"local\"} 1",
        "process_resident_memory_bytes",
        "lucia_harness_uptime_seconds",
    ] {
        assert!(text.contains(needle), "no {needle} in\n{text}");
    }
    // Bounded labels: nothing from a response or a URL.
    assert!(!text.contains("127.0.0.1"), "{text}");
    assert!(!text.contains("sandbox fault"), "{text}");

    // POST /runs: 401 without the token; with it, a run starts.
    let resp = http()
        .post(s.url("/runs?env=local"))
        .send()
        .await
        .expect("POST");
    assert_eq!(resp.status(), 401);
    let before = s.json("/runs?env=local&limit=1000").await["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["trigger"] == "manual")
        .count();
    assert_eq!(before, 0);
    let status = loop {
        let resp = http()
            .post(s.url("/runs?env=local"))
            .bearer_auth("tok-123")
            .send()
            .await
            .expect("POST");
        // 409 while a scheduled run is in progress: ask again when it is done.
        if resp.status() != 409 {
            break resp.status();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, 202);
    s.wait_until("a manual run", |_| true).await;
    let deadline = std::time::Instant::now() + crate::support::serve::PATIENCE;
    loop {
        let runs = s.json("/runs?env=local&limit=1000").await;
        if runs["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .any(|r| r["trigger"] == "manual" && r["result"] == "failed")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no manual run: {runs}\n{}",
            s.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Runs of one environment never overlap.
    let runs = s.json("/runs?env=local&limit=1000").await;
    let mut spans: Vec<(String, String)> = runs["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| {
            Some((
                r["started_at"].as_str()?.to_owned(),
                r["finished_at"].as_str()?.to_owned(),
            ))
        })
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        let end = chrono::DateTime::parse_from_rfc3339(&w[0].1).expect("ts");
        let next = chrono::DateTime::parse_from_rfc3339(&w[1].0).expect("ts");
        assert!(end <= next, "runs overlap: {w:?}");
    }

    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");
    assert!(
        log.contains("run finished environment=local"),
        "a log line per run:\n{log}"
    );
    assert!(log.contains("stopped; state flushed"), "{log}");

    // `history` reads the same database.
    let o = plain(&["history", "--env", "local", "--state", &state_s], &[]).await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("passed  failed  flaky"), "{}", o.stdout);
    assert!(o.stdout.contains("manual    failed"), "{}", o.stdout);
    let o = plain(
        &[
            "history", "--env", "local", "--state", &state_s, "--json", "-n", "1",
        ],
        &[],
    )
    .await;
    let row: Value = serde_json::from_str(o.stdout.trim()).expect("one JSON line");
    assert_eq!(row["failed"], 1, "{row}");
    assert_eq!(row["passed"], 3, "{row}");
    let o = plain(&["history", "--env", "dev", "--state", &state_s], &[]).await;
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("environments with runs: local"),
        "{}",
        o.stderr
    );
}

fn chromium(args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().expect("profile");
    std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium runs (Debian package chromium; .ci/run installs it)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_failing_scenario_in_chromium() {
    let sb = sandbox(&[], &["engine/health=500"]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let state_s = state.to_str().expect("utf8").to_owned();
    let origin = sb.origin();
    let s = Serve::start(&serve_args(&origin, &state_s, &["--schedule", "1h"]), &[]).await;
    s.runs("local", 1).await;
    let url = s.url("/");

    let out = chromium(&["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && dom.contains("</html>"),
        "chromium:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What a person sees, section by section.
    let section = |id: &str| {
        let start = dom
            .find(&format!("<section id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no section {id} in\n{dom}"));
        let end = dom[start..]
            .find("</section>")
            .map_or(dom.len(), |e| start + e);
        dom[start..end].to_owned()
    };
    let failing = section("failing");
    assert!(failing.contains("Engine reports healthy"), "{failing}");
    assert!(
        failing.contains("expected status 200, actual 500"),
        "{failing}"
    );
    assert!(
        !failing.contains("Engine runs the expected version"),
        "only failures: {failing}"
    );
    // The scenario's trace, as the sandbox received it, so an operator
    // can look it up in the backend's Sentry.
    let traces: Vec<String> = sb
        .received()
        .into_iter()
        .filter(|r| r.path == "/engine/health")
        .filter_map(|r| r.trace.into_iter().find(|(n, _)| n == "traceparent"))
        .map(|(_, v)| v.split('-').nth(1).expect("trace id").to_owned())
        .collect();
    assert!(
        traces
            .iter()
            .any(|t| failing.contains(&format!("data-trace=\"{t}\""))),
        "the failing card shows its trace ({traces:?}): {failing}"
    );
    let matrix = section("matrix");
    assert!(
        matrix.contains("title=\"engine in local: failed\""),
        "the engine cell is red: {matrix}"
    );
    let envs = section("environments");
    assert!(envs.contains("Last run:"), "{envs}");
    assert!(envs.contains("3 passed"), "{envs}");
    assert!(section("readiness").contains("No readiness evaluated yet"));
    let claims = section("claims");
    assert!(claims.contains("@implemented"), "{claims}");
    assert!(claims.contains("Engine reports healthy"), "{claims}");
    assert!(
        claims.contains("never (in the history kept)"),
        "the failing claim never passed: {claims}"
    );
    assert!(section("baseline").contains("v0.1.3.6"));
    // Reloading itself is opt-in (a page that reloads on its own fails
    // WCAG 2.2.1; axe-core calls it critical): the link asks for it.
    assert!(
        dom.contains("href=\"/?refresh=on\""),
        "auto-refresh, when asked"
    );
    assert!(!dom.contains("<script"), "no script");

    let shot = artifacts().join("dashboard-phone.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=390,900",
        "--hide-scrollbars",
        &url,
    ]);
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot at {} ({e}):\n{}",
            shot.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");
}

/// What the state file holds of `local`'s runs, read with SQLite itself
/// (not the harness's store): id → (result, run id, passed, failed,
/// scenario results recorded, report present).
type StoredRun = (String, Option<String>, i64, i64, i64, bool);

fn stored_runs(state: &Path) -> (String, std::collections::BTreeMap<i64, StoredRun>) {
    let db =
        rusqlite::Connection::open_with_flags(state, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the database opens after SIGKILL");
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    let mut q = db
        .prepare(
            "SELECT r.id, r.result, r.run_id, r.passed, r.failed,
                    (SELECT count(*) FROM scenario_results s WHERE s.run = r.id),
                    r.report IS NOT NULL
             FROM runs r WHERE r.environment = 'local' ORDER BY r.id",
        )
        .expect("query");
    let rows = q
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ),
            ))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("read");
    (check, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_run_loses_nothing_and_the_schedule_resumes() {
    // Every run waits 1.5 s on Engine's version: long enough to be killed in.
    let sb = sandbox(&[], &["engine/version=latency:1500ms"]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let state_s = state.to_str().expect("utf8").to_owned();
    let origin = sb.origin();
    let args = serve_args(&origin, &state_s, &[]);
    let s = Serve::start(&args, &[]).await;
    // K runs complete; the next one is killed in the middle.
    const K: u64 = 3;
    s.runs("local", K).await;
    s.wait_until("a run in progress", |h| {
        !h["environments"]["local"]["running"].is_null()
    })
    .await;
    // What serve says it finished (the run in progress needs 1.5 s more).
    let finished = s.json("/runs?env=local&limit=1000").await;
    let latest = s.json("/runs/latest?env=local").await;
    let before = latest["run_id"].as_str().expect("run id").to_owned();
    s.kill9().await;
    let finished: Vec<&Value> = finished["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["result"] != "running")
        .collect();
    assert!(finished.len() >= K as usize, "{finished:?}");

    // The file, read by SQLite: intact, every finished run whole with its
    // scenario results and report, the interrupted one never passed.
    let (check, stored) = stored_runs(&state);
    assert_eq!(check, "ok");
    for run in &finished {
        let id = run["id"].as_i64().expect("id");
        let (result, run_id, passed, failed, scenarios, report) = stored
            .get(&id)
            .unwrap_or_else(|| panic!("run {id} lost: {stored:?}"));
        assert_eq!(Some(result.as_str()), run["result"].as_str(), "{run}");
        assert_eq!(run_id.as_deref(), run["run_id"].as_str(), "{run}");
        assert_eq!((*passed, *failed), (4, 0), "{run}");
        assert_eq!(*scenarios, 4, "run {id}'s scenario results: {stored:?}");
        assert!(*report, "run {id}'s report");
    }
    let unfinished: Vec<_> = stored
        .iter()
        .filter(|(id, _)| !finished.iter().any(|r| r["id"].as_i64() == Some(**id)))
        .collect();
    assert_eq!(unfinished.len(), 1, "only the run in progress: {stored:?}");
    let (result, run_id, _, _, scenarios, report) = unfinished[0].1;
    assert_eq!(
        result, "running",
        "killed mid-run, never passed: {stored:?}"
    );
    assert!(run_id.is_none() && *scenarios == 0 && !report, "{stored:?}");
    {
        let store = SqliteHistory::open(&state).expect("the store opens after SIGKILL");
        let h = store.history("local", 100).expect("history");
        assert_eq!(h[0].result, RunResult::Running, "killed mid-run: {h:?}");
        assert!(
            h.iter().any(|r| r.run_id.as_deref() == Some(&before)),
            "{h:?}"
        );
    }

    let s = Serve::start(&args, &[]).await;
    // Restored before any new run could finish: the last report, its metrics.
    let latest = s.json("/runs/latest?env=local").await;
    assert_eq!(latest["run_id"].as_str(), Some(before.as_str()), "{latest}");
    let metrics = s.get("/metrics").await.text().await.expect("scrape");
    assert!(
        metrics.contains("lucia_last_run_timestamp_seconds{environment=\"local\"}"),
        "{metrics}"
    );
    let page = s.get("/").await.text().await.expect("page");
    assert!(page.contains("Last run: <time"), "{page}");
    let runs = s.json("/runs?env=local&limit=100").await;
    let rows = runs["runs"].as_array().expect("runs");
    for run in &finished {
        assert!(
            rows.iter()
                .any(|r| r["id"] == run["id"] && r["result"] == run["result"]),
            "the history still has {run}: {runs}"
        );
    }
    let abandoned = rows
        .iter()
        .find(|r| r["result"] == "abandoned")
        .unwrap_or_else(|| panic!("the interrupted run is recorded as abandoned: {runs}"));
    assert!(
        abandoned["error"]
            .as_str()
            .is_some_and(|e| e.contains("killed")),
        "{abandoned}"
    );

    // The schedule resumes.
    s.runs("local", 1).await;
    let after = s.json("/runs/latest?env=local").await;
    assert_ne!(after["run_id"], latest["run_id"]);
    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");
    let (check, stored) = stored_runs(&state);
    assert_eq!(check, "ok");
    assert!(stored.len() > finished.len() + 1, "{stored:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_run_in_progress_or_abandons_it_after_the_grace() {
    // Each run waits on a route that answers only after 30 s: the run is
    // still going when SIGTERM comes.
    let sb = sandbox(&[], &["engine/version=latency:30s"]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let state_s = state.to_str().expect("utf8").to_owned();
    let origin = sb.origin();
    let s = Serve::start(&serve_args(&origin, &state_s, &["--grace", "300ms"]), &[]).await;
    s.wait_until("a run in progress", |h| {
        !h["environments"]["local"]["running"].is_null()
    })
    .await;
    let started = std::time::Instant::now();
    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the grace period is honoured"
    );
    assert!(log.contains("abandoning"), "{log}");
    let store = SqliteHistory::open(&state).expect("open");
    assert_eq!(store.integrity_check().expect("check"), "ok");
    let h = store.history("local", 10).expect("history");
    assert_eq!(h[0].result, RunResult::Abandoned, "{h:?}");
    assert!(
        h[0].error
            .as_deref()
            .is_some_and(|e| e.contains("shutdown")),
        "{h:?}"
    );
    drop(store);

    // With time to finish, the run finishes and is recorded whole.
    let sb = sandbox(&[], &["engine/version=latency:1s"]).await;
    let origin = sb.origin();
    let s = Serve::start(&serve_args(&origin, &state_s, &["--grace", "60s"]), &[]).await;
    s.wait_until("a run in progress", |h| {
        !h["environments"]["local"]["running"].is_null()
    })
    .await;
    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");
    let store = SqliteHistory::open(&state).expect("open");
    let h = store.history("local", 10).expect("history");
    assert_eq!(h[0].result, RunResult::Passed, "{h:?}\n{log}");
    assert_eq!(h[0].passed, 4, "{h:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_loopback_address_is_refused_unless_asked_for() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let o = plain(
        &[
            "serve",
            "--env",
            "local",
            "--addr",
            "0.0.0.0:0",
            "--state",
            state.to_str().expect("utf8"),
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("refusing to listen on 0.0.0.0:0"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("--allow-remote"), "{}", o.stderr);
    assert!(!state.exists(), "nothing was created");

    let o = plain(&["serve", "--env", "nowhere"], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("nowhere"), "{}", o.stderr);
    let o = plain(
        &[
            "serve",
            "--env",
            "local",
            "--state",
            state.to_str().expect("utf8"),
        ],
        &[("SENTRY_DSN", "not-a-dsn")],
    )
    .await;
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("SENTRY_DSN is not a Sentry DSN"),
        "{}",
        o.stderr
    );
    let o = plain(&["serve", "--env", "local=often"], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not a duration"), "{}", o.stderr);

    let help = plain(&["serve", "--help"], &[]).await;
    for needle in [
        "POST /runs",
        "LUCIA_HARNESS_TOKEN",
        "SENTRY_DSN",
        "/healthz",
        "--schedule",
        "Examples",
    ] {
        assert!(
            help.stdout.contains(needle),
            "serve --help teaches {needle}:\n{}",
            help.stdout
        );
    }
}

/// `lucia-harness baseline ARGS --snapshots DIR`, which must succeed.
async fn baseline_cmd(args: &[&str], dir: &Path) {
    let mut all = vec!["baseline"];
    all.extend_from_slice(args);
    all.extend([
        "--features",
        ENGINE,
        "--snapshots",
        dir.to_str().expect("utf8"),
    ]);
    let o = plain(&all, &[]).await;
    assert_eq!(o.code, 0, "{all:?}:\n{}\n{}", o.stdout, o.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_drift_and_the_reviewed_baseline_reach_the_api_metrics_and_dashboard() {
    // Eval Labs captures and approves the baseline of v0.1.3.6 from a clean sandbox…
    let snapshots = tempfile::tempdir().expect("tmp");
    std::fs::copy(
        repo().join("snapshots/normalise.toml"),
        snapshots.path().join("normalise.toml"),
    )
    .expect("rules");
    let clean = sandbox(&[], &[]).await;
    baseline_cmd(
        &[
            "capture",
            "--env",
            "local",
            "--origin",
            &clean.origin(),
            "--version",
            "v0.1.3.6",
        ],
        snapshots.path(),
    )
    .await;
    baseline_cmd(
        &[
            "approve",
            "--version",
            "v0.1.3.6",
            "--reviewer",
            "Eval Labs",
        ],
        snapshots.path(),
    )
    .await;
    drop(clean);

    // …then Engine's version answer grows a field.
    let drifted = sandbox(&["engine/version=add:feature_flags=[]"], &[]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let origin = drifted.origin();
    let s = Serve::start(
        &[
            "--features",
            ENGINE,
            "--env",
            "local",
            "--origin",
            &origin,
            "--state",
            state.to_str().expect("utf8"),
            "--schedule",
            "1h",
            "--gate",
            "local:local",
            "--snapshots",
            snapshots.path().to_str().expect("utf8"),
        ],
        &[],
    )
    .await;
    s.runs("local", 1).await;

    let metrics = s.get("/metrics").await.text().await.expect("scrape");
    let (ok, out) = promtool(&["check", "metrics"], Some(metrics.as_bytes()), dir.path());
    assert!(ok, "{out}\n{metrics}");
    // Every metric the README's "Metrics" names, from a real scrape.
    for name in [
        "lucia_probe_success{",
        "lucia_probe_duration_seconds_bucket{",
        "lucia_runs_total{",
        "lucia_last_run_timestamp_seconds{",
        "lucia_drift_fields{baseline=\"engine/version\",environment=\"local\",kind=\"additive\"} 1",
        "lucia_promotion_ready{from=\"local\",to=\"local\",version=\"v0.1.3.6\"} 0",
        "lucia_baseline_reviewed{version=\"v0.1.3.6\"} 1",
        "lucia_claim_violations{",
    ] {
        assert!(metrics.contains(name), "no {name} in\n{metrics}");
    }

    let r = s.json("/readiness").await;
    assert_eq!(r["verdict"], "not_ready", "{r}");
    let no_drift = r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == "no-drift")
        .expect("the no-drift check");
    assert_eq!(no_drift["status"], "fail", "{r}");
    let reviewed = r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == "baseline-reviewed")
        .expect("the review check");
    assert_eq!(reviewed["status"], "pass", "{r}");
    let md = s
        .get("/readiness?format=md")
        .await
        .text()
        .await
        .expect("md");
    assert!(
        md.contains("NOT READY") && md.contains("`no-drift`"),
        "{md}"
    );

    let page = s.get("/").await.text().await.expect("page");
    let drift = &page[page.find("<section id=\"drift\">").expect("drift")..];
    assert!(
        drift.contains("<code>engine/version</code></td><td>additive</td><td>1</td>"),
        "{drift}"
    );
    assert!(
        page.contains("approved by Eval Labs"),
        "the review state is shown"
    );
    assert!(page.contains("NOT READY"), "the verdict is shown");
    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");
}

/// Render replaces a service's disk on every deploy: with the state in
/// Postgres, a new `serve` (a new machine: nothing on disk) knows what the
/// last one did. A run killed mid-way is `abandoned`, never passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_state_outlives_the_process_and_its_disk() {
    let sb = sandbox(&[], &["engine/version=latency:800ms"]).await;
    let db = crate::support::StateDatabase::create().await;
    let origin = sb.origin();
    let args = serve_args(&origin, &db.url, &["--lease", "1s"]);
    let s = Serve::start(&args, &[]).await;
    s.runs("local", 2).await;
    s.wait_until("a run in progress", |h| {
        !h["environments"]["local"]["running"].is_null()
    })
    .await;
    let before = s.json("/runs/latest?env=local").await["run_id"]
        .as_str()
        .expect("run id")
        .to_owned();
    let log = s.kill9().await;
    assert!(log.contains("postgres://postgres@127.0.0.1:5432/"), "{log}");

    // Another process, from another directory: only the URL in common.
    let s = Serve::start(&args, &[]).await;
    let latest = s.json("/runs/latest?env=local").await;
    assert_eq!(latest["run_id"].as_str(), Some(before.as_str()), "{latest}");
    // The killed one's lease runs out (1 s), this one takes the schedule over.
    s.wait_until("the schedule taken over", |h| {
        h["leads"]
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e == "local"))
    })
    .await;
    let runs = s.json("/runs?env=local&limit=100").await;
    let rows = runs["runs"].as_array().expect("runs");
    assert!(
        rows.iter().filter(|r| r["result"] == "passed").count() >= 2,
        "{runs}"
    );
    assert_eq!(
        rows.iter().filter(|r| r["result"] == "abandoned").count(),
        1,
        "the killed run: {runs}"
    );
    s.runs("local", 1).await;
    let health = s.json("/healthz").await;
    assert_eq!(health["status"], "ok", "{health}");
    s.terminate().await;
    db.drop().await;
}

/// With a read token, everything but `/healthz` needs it — as a bearer
/// token or a basic-auth password — and `POST /runs` its own token; the
/// read token is in no answer.
#[tokio::test]
async fn a_read_token_guards_everything_but_healthz() {
    const READ: &str = "read-canary-5e1f";
    let mut s = settings(Some("write-token"));
    s.read_token = Some(READ.into());
    let h = Harness::new(s, Box::new(SqliteHistory::in_memory().expect("store"))).expect("harness");
    let with = |path: &str, auth: Option<String>| {
        let mut b = Request::get(path);
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(Body::empty()).expect("request")
    };
    use base64::Engine as _;
    let basic = |user: &str, pw: &str| {
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
        ))
    };
    for path in [
        "/",
        "/readiness",
        "/runs?env=local",
        "/runs/latest?env=local",
        "/metrics",
    ] {
        let resp = serve::app(h.clone())
            .oneshot(with(path, None))
            .await
            .expect("response");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            resp.headers()
                .get(header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("Basic")),
            "{path}: the browser is asked"
        );
        let (st, body) = call(&h, with(path, Some("Bearer wrong".into()))).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{path}");
        assert!(!body.to_string().contains(READ));
        let (st, body) = call(&h, with(path, basic("anyone", "wrong"))).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{path}: {body}");
        for auth in [Some(format!("Bearer {READ}")), basic("operator", READ)] {
            let (st, body) = call(&h, with(path, auth)).await;
            assert_ne!(st, StatusCode::UNAUTHORIZED, "{path}: {body}");
            assert!(
                !body.to_string().contains(READ),
                "{path}: the token is echoed"
            );
        }
    }
    // Load balancers and Kubernetes probe /healthz without it.
    let (st, _) = call(&h, get("/healthz")).await;
    assert_eq!(st, StatusCode::OK);
    // POST /runs takes its own token, not the read token.
    let (st, _) = call(&h, post("/runs?env=local", Some("write-token"))).await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let (st, _) = call(&h, post("/runs?env=local", Some(READ))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "reading is not writing");
}

/// Off loopback, serve needs a read token (or --public said out loud).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_loopback_serve_needs_a_read_token_or_public() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let state = state.to_str().expect("utf8");
    let args = [
        "serve",
        "--env",
        "local",
        "--addr",
        "0.0.0.0:0",
        "--allow-remote",
        "--state",
        state,
    ];
    let o = plain(&args, &[]).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("without a read token"), "{}", o.stderr);
    assert!(o.stderr.contains("LUCIA_HARNESS_READ_TOKEN") && o.stderr.contains("--public"));
    let o = plain(&["serve", "--env", "local", "--public"], &[]).await;
    assert_eq!(o.code, 2, "--public alone means nothing: {}", o.stderr);
}

/// A real serve with a read token: its log never holds the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_token_is_in_no_log() {
    const READ: &str = "read-canary-77aa";
    let sb = sandbox(&[], &[]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let origin = sb.origin();
    let args = serve_args(&origin, state.to_str().expect("utf8"), &[]);
    let s = Serve::start(&args, &[("LUCIA_HARNESS_READ_TOKEN", READ)]).await;
    s.runs("local", 1).await;
    assert_eq!(s.get("/").await.status(), 401);
    let page = http()
        .get(s.url("/"))
        .bearer_auth(READ)
        .send()
        .await
        .expect("GET /");
    assert_eq!(page.status(), 200);
    assert!(!page.text().await.expect("page").contains(READ));
    let (status, log, out) = s.stop().await;
    assert!(status.success(), "{log}");
    assert!(
        !log.contains(READ) && !out.contains(READ),
        "the read token leaked:\n{log}"
    );
}

/// One run's page from the history, and badges that are valid SVG and say
/// what the history says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_have_pages_and_environments_have_badges() {
    let sb = sandbox(&[], &["engine/health=500"]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let origin = sb.origin();
    let args = serve_args(
        &origin,
        state.to_str().expect("utf8"),
        &["--schedule", "1h"],
    );
    let s = Serve::start(&args, &[]).await;
    s.runs("local", 1).await;
    let runs = s.json("/runs?env=local").await;
    let run = &runs["runs"][0];
    let id = run["id"].as_i64().expect("id");
    let page = s.get(&format!("/runs/{id}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("page");
    assert!(
        html.contains(run["run_id"].as_str().expect("run id")),
        "{html}"
    );
    let json = s.json(&format!("/runs/{id}?format=json")).await;
    assert_eq!(json["run_id"], run["run_id"]);
    assert_eq!(s.get("/runs/999999").await.status(), 404);
    assert_eq!(s.get("/runs/abc").await.status(), 404);

    let dir_svg = tempfile::tempdir().expect("tmp");
    for (path, says) in [
        ("/badge/local.svg", "lucia local: failing"),
        ("/badge/local/uptime/24h.svg", "local uptime 24h: 0%"),
        ("/badge/local/uptime/30d.svg", "local uptime 30d: 0%"),
    ] {
        let r = s.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "image/svg+xml", "{path}");
        let body = r.text().await.expect("svg");
        assert!(
            body.contains(&format!("aria-label=\"{says}\"")),
            "{path}: {body}"
        );
        // Valid XML, by libxml2's own parser.
        let file = dir_svg.path().join("badge.svg");
        std::fs::write(&file, &body).expect("write");
        let lint = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg(&file)
            .output()
            .expect("xmllint (libxml2-utils; scripts/test installs it)");
        assert!(
            lint.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&lint.stderr)
        );
    }
    assert_eq!(s.get("/badge/local/uptime/1y.svg").await.status(), 404);
    assert_eq!(s.get("/badge/nowhere.svg").await.status(), 404);
    s.terminate().await;
}
