//! The dashboard as a person sees it: a history with failing, flaky,
//! degraded and maintenance runs is written into a real SQLite state, the
//! real `serve` app answers on 127.0.0.1:0, and a real Chromium (Debian's
//! package, driven by puppeteer-core from npm: tests/tools/dashboard.mjs)
//! loads the page at 1400 and 390 px. The strips and uptime figures it
//! shows must match the database (read with SQLite itself), the console
//! must stay quiet, and axe-core must find no serious or critical
//! accessibility violation. The screenshots are kept in
//! target/test-artifacts/ (CI uploads them).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lucia_harness::input::config::Config;
use lucia_harness::input::features::Suite;
use lucia_harness::record::history::{History as _, Silence, Trigger};
use lucia_harness::record::sqlite::SqliteHistory;
use lucia_harness::serve::{self, Harness, Promotion, Schedule, Settings};
use reporters::{
    Claim, ErrorReport, HttpExchangeReport, RunReport, ScenarioReport, Status, StepReport,
    StepStatus, Summary, Timings,
};
use serde_json::Value;

use crate::support::{artifacts, repo};

/// Runs kept per environment in the crafted history.
const RUNS: usize = 60;

fn scenario(feature: &str, name: &str, status: Status, ms: f64) -> ScenarioReport {
    let slug = feature.to_lowercase().replace(' ', "_");
    ScenarioReport {
        feature: feature.to_owned(),
        feature_file: format!("features/engine/{slug}.feature"),
        line: 5,
        scenario: name.to_owned(),
        tags: vec!["local".into(), "gating".into()],
        status,
        duration_ms: ms,
        attempts: if status == Status::Flaky { 2 } else { 1 },
        claim: Some(Claim::Implemented),
        error: (status == Status::Failed).then(|| ErrorReport {
            kind: probes::ErrorKind::Assertion,
            message: format!(
                "GET https://127.0.0.1:8700/engine/{slug}: expected status 200, actual 500"
            ),
            step: Some("Then the status is 200".into()),
            line: Some(8),
        }),
        skip_reason: None,
        steps: vec![StepReport {
            keyword: "When".into(),
            text: format!("I GET \"/{slug}\""),
            line: 7,
            status: if status == Status::Failed {
                StepStatus::Failed
            } else {
                StepStatus::Passed
            },
            duration_ms: ms,
        }],
        http: vec![HttpExchangeReport {
            service: "engine".into(),
            method: "GET".into(),
            url: format!("https://127.0.0.1:8700/engine/{slug}"),
            status: Some(if status == Status::Failed { 500 } else { 200 }),
            duration_ms: ms,
            error: None,
            timings: Some(Timings {
                dns_ms: None,
                connect_ms: Some(0.3),
                tls_ms: Some(2.1),
                ttfb_ms: Some(ms - 1.0),
                total_ms: ms,
            }),
            span_id: None,
            evidence: None,
        }],
        budget_ms: (status == Status::Degraded).then_some(800.0),
        trace_id: None,
    }
}

fn report(env: &str, at: DateTime<Utc>, scenarios: Vec<ScenarioReport>) -> RunReport {
    RunReport {
        harness_version: "0.1.0".into(),
        run_id: format!("{env}-{}", at.timestamp()),
        environment: env.into(),
        environment_status: "sandbox".into(),
        started_at: at,
        finished_at: at + chrono::Duration::seconds(3),
        duration_ms: 3000.0,
        summary: Summary::of(&scenarios),
        claims: scenarios
            .iter()
            .filter_map(|s| s.claim_report(at))
            .collect(),
        scenarios,
        harness: None,
        location: None,
        shard: None,
        maintenance: None,
    }
}

/// Run `i` of `RUNS` (0 the oldest) of `env`: what each scenario did.
/// `local`: "Engine health" fails from run 40 on (through a maintenance
/// window at runs 44–47 that starts and ends in the middle of it), "Admin
/// focus" is flaky every seventh run, "Guest lab" is over its budget in
/// runs 30–39 and in the last ten; the rest pass. `dev` fails twice, long ago.
fn run_of(env: &str, i: usize, at: DateTime<Utc>) -> RunReport {
    let mut scs = Vec::new();
    for n in 0..8 {
        scs.push(scenario(
            &format!("Feature {n}"),
            &format!("Scenario {n}"),
            Status::Passed,
            40.0 + (i * 7 + n * 13) as f64 % 90.0,
        ));
    }
    let failing = if env == "local" {
        i >= 40
    } else {
        i == 10 || i == 11
    };
    let slow = env == "local" && ((30..40).contains(&i) || i >= RUNS - 10);
    scs.push(scenario(
        "Engine health",
        "Engine reports healthy",
        if failing {
            Status::Failed
        } else {
            Status::Passed
        },
        if failing { 12.0 } else { 35.0 },
    ));
    scs.push(scenario(
        "Admin focus",
        "The operator focus loads",
        if env == "local" && i % 7 == 3 {
            Status::Flaky
        } else {
            Status::Passed
        },
        120.0,
    ));
    scs.push(scenario(
        "Guest lab",
        "The lab answers quickly",
        if slow {
            Status::Degraded
        } else {
            Status::Passed
        },
        if slow { 1240.0 } else { 300.0 },
    ));
    let mut r = report(env, at, scs);
    if env == "local" && (44..48).contains(&i) {
        r.maintenance = Some("silence #1: deploy of engine v0.1.3.7 (by cli, until …)".into());
    }
    r
}

/// Writes the crafted history of `local` and `dev` into `path`; a silence
/// of `local` is in force now.
fn crafted_state(path: &Path, now: DateTime<Utc>) {
    let mut h = SqliteHistory::open(path).expect("state");
    for env in ["local", "dev"] {
        for i in 0..RUNS {
            let at = now - chrono::Duration::minutes(5 * (RUNS - i) as i64);
            let r = run_of(env, i, at);
            let id = h.begin_run(env, Trigger::Schedule, at).expect("begin");
            h.finish_run(id, &r).expect("finish");
        }
    }
    h.add_silence(&Silence {
        id: 0,
        environment: "local".into(),
        starts_at: now - chrono::Duration::minutes(2),
        ends_at: now + chrono::Duration::minutes(28),
        reason: "deploy of engine v0.1.3.7".into(),
        created_by: "cli (ana)".into(),
        ended_at: None,
    })
    .expect("silence");
}

fn settings(state_dir: &Path) -> Settings {
    let root = repo();
    Settings {
        config: Arc::new(Config::load(&root.join("environments.toml")).expect("config")),
        suite: Arc::new(Suite::load(&root.join("features")).expect("features")),
        schedules: ["local", "dev"]
            .into_iter()
            .map(|e| Schedule {
                environment: e.into(),
                interval: Duration::from_secs(3600),
            })
            .collect(),
        origin: Some("http://127.0.0.1:9".into()),
        tags: None,
        concurrency: Some(4),
        request_timeout: None,
        scenario_timeout: None,
        token: None,
        read_token: None,
        alert_threshold: 2,
        sentry: None,
        snapshots: state_dir.join("no-snapshots"),
        promotion: Some(Promotion {
            from: "local".into(),
            to: "dev".into(),
            version: "v0.1.3.6".into(),
        }),
        version: "v0.1.3.6".into(),
        refresh: Duration::from_secs(30),
        retain: 1000,
        grace: Duration::from_secs(5),
        first_run: Duration::ZERO,
        secrets: Arc::new(|_: &str| None),
        replica: "dashboard-test".into(),
        lease: Duration::from_secs(30),
        location: None,
        alert_min_locations: 1,
    }
}

/// The app over the crafted state, listening on 127.0.0.1:0 (no scheduler:
/// what the page shows is the database's, nothing else).
async fn serving(state: &Path) -> (String, tokio::task::JoinHandle<()>) {
    let store = SqliteHistory::open(state).expect("state");
    let h = Harness::new(settings(state.parent().expect("dir")), Box::new(store)).expect("harness");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, serve::app(h)).await;
    });
    (url, task)
}

/// tests/tools/dashboard.mjs on `url`: what Chromium saw.
fn look(url: &str) -> Value {
    let out = std::process::Command::new("node")
        .arg(repo().join("tests/tools/dashboard.mjs"))
        .arg(url)
        .arg(artifacts())
        .output()
        .expect("node runs (scripts/test installs nodejs and the npm packages)");
    assert!(
        out.status.success(),
        "dashboard.mjs: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "dashboard.mjs printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The bars a strip must show, oldest first, from `sql` (newest first:
/// the run's id and the bar's class), read with SQLite itself.
fn stored_bars(state: &Path, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(state).expect("open");
    let mut q = db.prepare(sql).expect("query");
    let mut rows: Vec<(String, String)> = q
        .query_map(params, |r| {
            Ok((r.get(1)?, format!("/runs/{}", r.get::<_, i64>(0)?)))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    rows.reverse();
    rows
}

/// `local`'s last 50 runs: a pass with a flaky scenario shows as flaky.
fn expected_runs(state: &Path) -> Vec<(String, String)> {
    stored_bars(
        state,
        "SELECT id, CASE WHEN result = 'passed' AND flaky > 0 THEN 'flaky' ELSE result END
         FROM runs WHERE environment = 'local' ORDER BY id DESC LIMIT 50",
        &[],
    )
}

/// Up and counted runs of `local` since `hours` ago, from every run row:
/// passed or degraded is up, failed is down; maintenance and runs where
/// nothing ran are left out.
fn expected_uptime(state: &Path, now: DateTime<Utc>, hours: i64) -> (u64, u64) {
    let db = rusqlite::Connection::open(state).expect("open");
    let mut q = db
        .prepare("SELECT result, started_at, passed + failed + flaky + degraded + claim_outdated FROM runs WHERE environment = 'local'")
        .expect("query");
    let since = now - chrono::Duration::hours(hours);
    let mut up = 0;
    let mut counted = 0;
    for row in q
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .expect("rows")
    {
        let (result, started, ran) = row.expect("row");
        let started = DateTime::parse_from_rfc3339(&started)
            .expect("time")
            .with_timezone(&Utc);
        if started < since || ran == 0 {
            continue;
        }
        match result.as_str() {
            "passed" | "degraded" => {
                up += 1;
                counted += 1;
            }
            "failed" => counted += 1,
            _ => {}
        }
    }
    (up, counted)
}

/// The last 50 results of one scenario of `local`: a result in a
/// maintenance run shows as maintenance.
fn expected_scenario(state: &Path, scenario: &str) -> Vec<(String, String)> {
    stored_bars(
        state,
        "SELECT s.run, CASE WHEN r.result = 'maintenance' THEN r.result ELSE s.status END
         FROM scenario_results s JOIN runs r ON r.id = s.run
         WHERE s.environment = 'local' AND s.scenario = ?1 ORDER BY s.run DESC LIMIT 50",
        &[&scenario],
    )
}

fn bars(seen: &Value, strip: &str) -> Vec<(String, String)> {
    seen["strips"]
        .as_array()
        .expect("strips")
        .iter()
        .find(|s| s["strip"] == strip)
        .unwrap_or_else(|| panic!("no strip {strip:?} in {}", seen["strips"]))["bars"]
        .as_array()
        .expect("bars")
        .iter()
        .map(|b| {
            (
                b["result"].as_str().expect("result").to_owned(),
                b["href"].as_str().expect("href").to_owned(),
            )
        })
        .collect()
}

fn figure(seen: &Value, subject: &str, window: &str) -> (u64, u64) {
    let f = seen["uptime"]
        .as_array()
        .expect("uptime")
        .iter()
        .find(|u| u["uptime"] == subject && u["window"] == window)
        .unwrap_or_else(|| panic!("no uptime of {subject} over {window}: {}", seen["uptime"]));
    let n = |k: &str| f[k].as_str().and_then(|v| v.parse().ok()).expect(k);
    (n("up"), n("counted"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_history_in_chromium_as_the_database_has_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("harness.db");
    let now = Utc::now();
    crafted_state(&state, now);
    let (url, task) = serving(&state).await;
    let seen = look(&url);

    // The page, at both widths: no console error, no serious or critical
    // accessibility violation, no horizontal scroll.
    for width in ["1400", "390"] {
        let w = &seen["widths"][width];
        assert_eq!(w["consoleErrors"], Value::Array(vec![]), "at {width}: {w}");
        let bad: Vec<&Value> = w["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(bad.is_empty(), "axe-core at {width} px: {bad:#?}");
        assert!(
            w["scrollWidth"].as_u64() <= w["clientWidth"].as_u64(),
            "a horizontal scroll at {width} px: {w}"
        );
        let shot = std::fs::read(w["screenshot"].as_str().expect("path")).expect("screenshot");
        assert!(
            shot.starts_with(b"\x89PNG") && shot.len() > 20_000,
            "{} bytes",
            shot.len()
        );
    }
    // The page's height at each width, kept beside the screenshots.
    let heights = serde_json::json!({
        "1400": seen["widths"]["1400"]["scrollHeight"],
        "390": seen["widths"]["390"]["scrollHeight"],
    });
    std::fs::write(
        artifacts().join("dashboard-heights.json"),
        heights.to_string(),
    )
    .expect("heights");

    // The strips: one bar per run, oldest first, each linking to its run.
    let runs = expected_runs(&state);
    assert_eq!(runs.len(), 50);
    assert_eq!(bars(&seen, "local"), runs);
    let classes: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.0.as_str()).collect();
    for c in ["passed", "failed", "flaky", "degraded", "maintenance"] {
        assert!(
            classes.contains(c),
            "the crafted history shows {c}: {classes:?}"
        );
    }
    for (strip, scenario) in [
        (
            "local › Engine health › Engine reports healthy",
            "Engine reports healthy",
        ),
        (
            "local › Admin focus › The operator focus loads",
            "The operator focus loads",
        ),
        (
            "local › Guest lab › The lab answers quickly",
            "The lab answers quickly",
        ),
    ] {
        assert_eq!(
            bars(&seen, strip),
            expected_scenario(&state, scenario),
            "{strip}"
        );
    }
    // A bar's link is that run's page.
    let (_, href) = &runs[runs.len() - 1];
    let page = reqwest::get(format!("{}{}", url.trim_end_matches('/'), href))
        .await
        .expect("run page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("<html"), "{href}");

    // Uptime, from the database, with maintenance and nothing-ran left out.
    for (window, hours) in [("24h", 24), ("7d", 24 * 7), ("30d", 24 * 30)] {
        assert_eq!(
            figure(&seen, "local", window),
            expected_uptime(&state, now, hours),
            "local over {window}"
        );
    }
    assert_eq!(
        expected_uptime(&state, now, 24),
        (40, 56),
        "60 runs: 4 in maintenance, 16 failed"
    );
    // The @gating scenario that fails: its failures outside the window only.
    assert_eq!(
        figure(
            &seen,
            "local › Engine health › Engine reports healthy",
            "24h"
        ),
        (40, 56)
    );
    // A sparkline per feature and environment.
    assert_eq!(seen["sparklines"]["count"], 22, "{}", seen["sparklines"]);

    // The maintenance banner says why and until when.
    let html = reqwest::get(&url)
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let banner = html
        .split("<div class=\"banner\"")
        .nth(1)
        .and_then(|b| b.split("</div>").next())
        .unwrap_or_else(|| panic!("no banner in {html}"));
    assert!(banner.contains("local is in maintenance"), "{banner}");
    assert!(banner.contains("deploy of engine v0.1.3.7"), "{banner}");
    assert!(banner.contains(" UTC"), "the end time: {banner}");
    assert!(
        !html.contains("http-equiv=\"refresh\""),
        "no reload unless asked"
    );
    let wall = reqwest::get(format!("{url}?refresh=on"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        wall.contains("<meta http-equiv=\"refresh\" content=\"30\">"),
        "a wall display asks for it"
    );
    task.abort();
}
