//! Issue 7's "flaky everywhere": a scenario that passes only on a retry is
//! `flaky`, never `passed`, in every place the harness reports it — the
//! report formats, the terminal, the claim ledger, serve's metrics, API,
//! dashboard and history — and the gate counts a flaky @gating scenario as
//! `--flaky` says. (report.json's status and attempts, JUnit's
//! `<flakyFailure>` and the backoff are in safety.rs; the GitHub annotation
//! in reports.rs.)

use std::path::Path;

use serde_json::Value;

use crate::support::serve::{Serve, state_file};
use crate::support::{capture_baseline, copy_dir, plain, repo, run_local, sandbox, write};

/// The route fails its first request (500); the retry gets the sandbox's
/// answer for an unknown path, 404. No other scenario touches it.
const FAULT: &str = "engine/flaky-check=500@1";

const FLAKY: &str = "@local\nFeature: Retries\n\n  @gating @implemented @retry(2)\n  Scenario: Engine answers on the second try\n    Given the \"engine\" service\n    When I GET \"/flaky-check\"\n    Then the status is 404\n";

const NAME: &str = "Engine answers on the second try";

/// The engine features and the flaky one, in `dir/features`.
fn features(dir: &Path) -> String {
    let features = dir.join("features");
    copy_dir(&repo().join("features/engine"), &features.join("engine"));
    write(&features, "retries/flaky.feature", FLAKY);
    features.to_str().expect("utf8").to_owned()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn flaky_element(cucumber: &Value) -> &Value {
    cucumber
        .as_array()
        .expect("features")
        .iter()
        .flat_map(|f| f["elements"].as_array().expect("elements"))
        .find(|e| e["name"] == NAME)
        .expect("the flaky scenario's element")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_passing_on_a_retry_is_flaky_in_every_report_and_the_terminal() {
    let sb = sandbox(&[], &[FAULT]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let features = features(dir.path());
    let o = run_local(&sb.origin(), &["--features", &features, "--verbose"]).await;
    let reports = o.dir.path();
    assert_eq!(
        o.code, 0,
        "flaky fails nothing:\n{}\n{}",
        o.stdout, o.stderr
    );
    let report: Value = serde_json::from_str(&read(reports, "report.json")).expect("json");
    assert_eq!(report["summary"]["flaky"], 1, "{}", report["summary"]);
    assert_eq!(report["summary"]["passed"], 4, "{}", report["summary"]);

    // The terminal: the summary counts it apart, the list marks it, and it
    // is among the scenarios needing attention, with why.
    assert!(
        o.stdout.contains("PASSED · 5 scenarios: 4 passed, 1 flaky"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains(&format!("  ≈ Retries › {NAME} (")),
        "listed as flaky: {}",
        o.stdout
    );
    assert!(
        o.stdout.contains(&format!(
            "≈ Retries › {NAME}  {features}/retries/flaky.feature:5 [flaky]"
        )),
        "among those needing attention: {}",
        o.stdout
    );
    let area = o
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("retries"))
        .expect("the area's row");
    assert_eq!(
        area.split_whitespace().collect::<Vec<_>>(),
        ["retries", "0", "0", "1", "0", "0", "0", "0"],
        "{area}"
    );

    // Cucumber JSON: every step passed, and the verdict hook says flaky.
    let cucumber: Value = serde_json::from_str(&read(reports, "cucumber.json")).expect("json");
    let el = flaky_element(&cucumber);
    for st in el["steps"].as_array().expect("steps") {
        assert_eq!(st["result"]["status"], "passed", "{st}");
    }
    let hook = &el["after"][0];
    assert_eq!(hook["result"]["status"], "passed", "{el}");
    assert!(
        hook["result"]["error_message"]
            .as_str()
            .is_some_and(|l| l.starts_with("flaky: passed on attempt 2 of 2")),
        "{el}"
    );

    // Cucumber Messages: the test case started on its second attempt (a
    // retry), its steps passed, and nothing is retried after it.
    let envelopes: Vec<Value> = read(reports, "messages.ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let pickle = envelopes
        .iter()
        .find(|e| e["pickle"]["name"] == NAME)
        .expect("the pickle")["pickle"]["id"]
        .clone();
    let case = envelopes
        .iter()
        .find(|e| e["testCase"]["pickleId"] == pickle)
        .expect("the test case")["testCase"]["id"]
        .clone();
    let started = envelopes
        .iter()
        .find(|e| e["testCaseStarted"]["testCaseId"] == case)
        .expect("testCaseStarted");
    assert_eq!(started["testCaseStarted"]["attempt"], 1, "{started}");
    let started_id = started["testCaseStarted"]["id"].clone();
    let finished: Vec<&Value> = envelopes
        .iter()
        .filter(|e| e["testStepFinished"]["testCaseStartedId"] == started_id)
        .collect();
    assert_eq!(finished.len(), 3);
    for f in finished {
        assert_eq!(
            f["testStepFinished"]["testStepResult"]["status"], "PASSED",
            "{f}"
        );
    }
    let done = envelopes
        .iter()
        .find(|e| e["testCaseFinished"]["testCaseStartedId"] == started_id)
        .expect("testCaseFinished");
    assert_eq!(done["testCaseFinished"]["willBeRetried"], false);

    // JUnit: it passes, with the failed attempt as a flakyFailure.
    let junit = read(reports, "junit.xml");
    let case = &junit[junit.find(&format!("name=\"{NAME}\"")).expect("testcase")..];
    let case = &case[..case.find("</testcase>").expect("end")];
    assert!(
        case.contains(
            "<flakyFailure type=\"flaky\" message=\"attempt 1 of 2 failed; attempt 2 passed\"/>"
        ),
        "{case}"
    );
    assert!(!case.contains("<failure"), "{case}");

    // Markdown and HTML: counted as flaky, shown as flaky.
    let md = read(reports, "report.md");
    assert!(md.contains("flaky"), "{md}");
    assert!(md.contains(NAME), "the flaky one needs attention: {md}");
    let html = read(reports, "report.html");
    assert!(
        html.contains("badge flaky") || html.contains("card flaky"),
        "{html}"
    );

    // The claim ledger: the claim holds (it passed), and says it was flaky.
    let ledger = plain(
        &[
            "claims",
            "--from-report",
            reports.join("report.json").to_str().expect("utf8"),
        ],
        &[],
    )
    .await;
    assert_eq!(ledger.code, 0, "{}", ledger.stdout);
    let line = ledger
        .stdout
        .lines()
        .skip_while(|l| !l.contains(NAME))
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(line.contains("holds"), "{line}");
    assert!(line.contains("flaky"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_shows_a_flaky_scenario_as_flaky_in_metrics_api_dashboard_and_history() {
    let sb = sandbox(&[], &[FAULT]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let features = features(dir.path());
    let state = state_file(dir.path());
    let state = state.to_str().expect("utf8");
    let origin = sb.origin();
    let s = Serve::start(
        &[
            "--features",
            &features,
            "--env",
            "local",
            "--origin",
            &origin,
            "--state",
            state,
            "--schedule",
            "1h",
            "--tags",
            "not @baseline",
        ],
        &[],
    )
    .await;
    s.runs("local", 1).await;

    let metrics = s.get("/metrics").await.text().await.expect("scrape");
    for needle in [
        format!(
            "lucia_probe_success{{environment=\"local\",feature=\"Retries\",scenario=\"{NAME}\"}} 1"
        ),
        "lucia_scenario_results_total{environment=\"local\",status=\"flaky\"} 1".to_owned(),
        "lucia_scenario_results_total{environment=\"local\",status=\"passed\"} 4".to_owned(),
        "lucia_runs_total{environment=\"local\",result=\"passed\"} 1".to_owned(),
    ] {
        assert!(metrics.contains(&needle), "no {needle} in\n{metrics}");
    }

    let latest = s.json("/runs/latest?env=local").await;
    let sc = latest["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .find(|x| x["scenario"] == NAME)
        .expect("the flaky scenario");
    assert_eq!(sc["status"], "flaky", "{sc}");
    let runs = s.json("/runs?env=local").await;
    assert_eq!(runs["runs"][0]["flaky"], 1, "{runs}");
    assert_eq!(runs["runs"][0]["passed"], 4, "{runs}");

    let page = s.get("/").await.text().await.expect("page");
    assert!(
        page.contains("<p>4 passed · <span class=\"n0\">0 failed</span> · 1 flaky · "),
        "{page}"
    );
    assert!(
        page.contains("title=\"retries in local: flaky\""),
        "the area's cell is flaky, not passed: {page}"
    );
    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");

    let o = plain(
        &["history", "--env", "local", "--state", state, "--json"],
        &[],
    )
    .await;
    let row: Value = serde_json::from_str(o.stdout.trim()).expect("one run");
    assert_eq!(row["flaky"], 1, "{row}");
    assert_eq!(row["result"], "passed", "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_counts_a_flaky_gating_scenario_as_its_flaky_option_says() {
    let dir = tempfile::tempdir().expect("tmp");
    let features = features(dir.path());
    let snaps = tempfile::tempdir().expect("tmp");
    // Captured from a sandbox without the fault.
    let clean = sandbox(&[], &[]).await;
    capture_baseline(
        snaps.path(),
        &clean.origin(),
        true,
        &["--features", &features],
    )
    .await;
    let gate = |policy: Option<&'static str>| {
        let features = features.clone();
        let snaps = snaps.path().to_str().expect("utf8").to_owned();
        async move {
            // A fresh sandbox each time: the route fails its first request.
            let sb = sandbox(&[], &[FAULT]).await;
            let out = tempfile::tempdir().expect("tmp");
            let mut args = vec![
                "--snapshots",
                &snaps,
                "--features",
                &features,
                "gate",
                "--from",
                "local",
                "--to",
                "local",
                "--report-dir",
                out.path().to_str().expect("utf8"),
            ];
            let origin = sb.origin();
            args.extend(["--from-origin", &origin, "--to-origin", &origin]);
            if let Some(p) = policy {
                args.extend(["--flaky", p]);
            }
            let o = plain(&args, &[]).await;
            let readiness: Value = serde_json::from_str(&read(out.path(), "readiness.json"))
                .unwrap_or_else(|e| panic!("{e}: {}\n{}", o.stdout, o.stderr));
            let source: Value =
                serde_json::from_str(&read(out.path(), "source/report.json")).expect("json");
            (o, readiness, source)
        }
    };
    let check = |r: &Value| {
        r["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["id"] == "source-suite")
            .cloned()
            .expect("source-suite")
    };

    // By default a flaky @gating scenario warns: ready, and said so.
    let (o, readiness, source) = gate(None).await;
    let flaky = source["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .find(|s| s["scenario"] == NAME)
        .expect("the flaky scenario ran");
    assert_eq!(flaky["status"], "flaky", "{flaky}");
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(readiness["verdict"], "ready", "{readiness}");
    let c = check(&readiness);
    assert_eq!(c["status"], "warn", "{c}");
    let detail = c["detail"].as_str().expect("detail");
    assert!(
        detail.contains("1 of them only on a retry") && detail.contains(NAME),
        "{detail}"
    );
    assert!(o.stdout.contains("warn    source-suite"), "{}", o.stdout);

    // --flaky warn says the same; --flaky fail blocks.
    let (o, readiness, _) = gate(Some("warn")).await;
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert_eq!(check(&readiness)["status"], "warn");
    let (o, readiness, _) = gate(Some("fail")).await;
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(readiness["verdict"], "not_ready", "{readiness}");
    let c = check(&readiness);
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        c["detail"].as_str().is_some_and(|d| d.contains(NAME)),
        "{c}"
    );
    assert!(o.stdout.contains("FAIL    source-suite"), "{}", o.stdout);
}
