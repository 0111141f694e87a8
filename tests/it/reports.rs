//! Every report format, written by a real run of the built binary against
//! the sandbox, is what its consumers expect: report.json validates against
//! its committed JSON Schema, junit.xml against the common JUnit XSD
//! (xmllint), cucumber.json has one element per scenario with step results,
//! messages.ndjson is one envelope per line; on GitHub Actions the binary
//! annotates failures and appends the Markdown to the job summary.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::{bin, repo, sandbox, write};

/// Features with one scenario of every status, and a config where `local`
/// does not allow mutation (so the @mutating one is skipped).
fn project(dir: &Path) {
    let config = std::fs::read_to_string(repo().join("environments.toml")).expect("config");
    let config = config.replacen(
        "status = \"sandbox\"\nmutation = true",
        "status = \"sandbox\"\nmutation = false",
        1,
    );
    assert!(
        config.contains("mutation = false\nrestarts = true"),
        "the local block moved"
    );
    // The copy lives elsewhere: point it at the sandbox CA in the repository.
    let ca = repo().join("sandbox/certs/sandbox-ca.pem");
    let config = config.replace(
        "ca_file = \"sandbox/certs/sandbox-ca.pem\"",
        &format!("ca_file = {:?}", ca.display().to_string()),
    );

    write(dir, "environments.toml", &config);
    write(
        dir,
        "features/engine/statuses.feature",
        r#"@local
Feature: Engine <b>statuses</b>
  Background:
    Given the "engine" service

  @implemented
  Scenario: Engine answers <script>alert('x')</script>
    When I GET "/health"
    Then the status is 200

  @implemented
  Scenario: Engine reports a status it does not have
    When I GET "/health"
    Then the JSON at "$.status" is "degraded"
    And the status is 200

  @deferred
  Scenario: A deferred claim that still fails
    When I GET "/health"
    Then the status is 418

  @future
  Scenario: A future claim that already passes
    When I GET "/health"
    Then the status is 200

  @mutating @tested
  Scenario: A mutating check where mutation is not allowed
    When I GET "/health"
    Then the status is 200

  @implemented @slow(10ms)
  Scenario: Engine says its version, slowly
    When I GET "/version"
    Then the status is 200
"#,
    );
    write(
        dir,
        "features/admin/flaky.feature",
        r#"@local
Feature: Admin retries
  @implemented @retry(2)
  Scenario: Admin answers on the second try
    Given the "admin" service
    When I GET "/api/version"
    Then the status is 200
"#,
    );
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    dir: tempfile::TempDir,
}

impl Run {
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join("reports").join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\nstderr:\n{}", self.stderr))
    }

    fn json(&self, name: &str) -> Value {
        serde_json::from_str(&self.file(name)).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
    }
}

/// Runs the binary in a project directory (so reports name files
/// `features/…`, as in the repository), against a sandbox whose admin
/// version route fails once.
async fn run_project(envs: &[(&str, &str)]) -> Run {
    let sb = sandbox(
        &[],
        &["admin/api/version=500@1", "engine/version=latency:60ms"],
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path());
    let mut cmd = bin();
    cmd.current_dir(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args([
            "run",
            "--env",
            "local",
            "--origin",
            &sb.origin(),
            "--report-dir",
            "reports",
        ]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out: Output = cmd.output().await.expect("binary runs");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        dir,
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| {
            (
                s["scenario"].as_str().expect("name").to_owned(),
                s["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_run_writes_every_format_valid_for_its_readers() {
    let run = run_project(&[]).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);

    // Every status is there, so every format's every branch is exercised.
    let report = run.json("report.json");
    let mut seen: Vec<String> = statuses(&report).into_iter().map(|(_, s)| s).collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            "claim_outdated",
            "degraded",
            "failed",
            "flaky",
            "known_gap",
            "passed",
            "skipped"
        ],
        "{:#?}",
        statuses(&report)
    );

    // report.json against the committed schema.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("reporters/schema/report.schema.json"))
            .expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json does not match its schema: {errors:#?}"
    );
    // The demo's report (every repository feature, all passing) too.
    let demo = crate::support::run_cmd(&["demo"], &[]).await;
    let errors: Vec<String> = validator
        .iter_errors(demo.report())
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "demo report.json: {errors:#?}");

    // junit.xml against the common JUnit XSD.
    let junit = run.dir.path().join("reports/junit.xml");
    let xsd = repo().join("tests/schemas/junit-10.xsd");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&junit)
        .output()
        .expect("xmllint runs (Debian package libxml2-utils; .ci/run installs it)");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && said.contains("validates"),
        "xmllint: {said}"
    );
    let xml = run.file("junit.xml");
    assert_eq!(xml.matches("<testcase ").count(), 7);
    assert!(
        xml.contains("classname=\"Engine &lt;b&gt;statuses&lt;/b&gt;\""),
        "{xml}"
    );
    assert!(xml.contains("<failure type=\"assertion\""), "{xml}");
    assert!(xml.contains("features/engine/statuses.feature:14"), "{xml}");
    assert!(xml.contains("<failure type=\"claim_outdated\""), "{xml}");
    assert!(xml.contains("<skipped message=\"known gap (@"), "{xml}");
    assert!(
        !xml.contains("<skipped type="),
        "skipped carries only message: {xml}"
    );
    assert!(xml.contains("<flakyFailure type=\"flaky\""), "{xml}");
    assert!(xml.contains("does not allow mutation"), "{xml}");
    // Two consumers from PyPI read the same counts: junitparser counts
    // what each testcase holds, junit2html renders every testcase.
    let junit_html = run.dir.path().join("junit-html");
    let said = crate::support::tool(
        "junit_check.py",
        &[
            junit.as_os_str(),
            junit_html.as_os_str(),
            r#"{"tests": 7, "failures": 2, "errors": 0, "skipped": 2}"#.as_ref(),
        ],
    );
    assert!(
        said.contains("\"ok\": true") || said.contains("\"ok\":true"),
        "{said}"
    );

    // exchanges.har: HAR 1.2 by har-validator's schema and HAR's timing rules.
    let har = run.dir.path().join("reports/exchanges.har");
    crate::support::tool("har.mjs", &[har.as_os_str()]);
    let har: Value = serde_json::from_str(&run.file("exchanges.har")).expect("HAR is JSON");
    let entries = har["log"]["entries"].as_array().expect("entries");
    let requests: usize = report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| s["http"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(entries.len(), requests, "every request of the run");
    assert!(
        entries.iter().all(|e| e["request"]["headers"]
            .as_array()
            .is_some_and(|h| !h.is_empty())),
        "each entry carries what was sent"
    );

    // cucumber.json: one element per scenario, each step with a result.
    let cucumber = run.json("cucumber.json");
    let elements: Vec<&Value> = cucumber
        .as_array()
        .expect("features")
        .iter()
        .flat_map(|f| f["elements"].as_array().expect("elements"))
        .collect();
    assert_eq!(elements.len(), 7);
    for (el, sc) in elements
        .iter()
        .zip(report["scenarios"].as_array().expect("scenarios"))
    {
        assert_eq!(el["name"], sc["scenario"]);
        assert_eq!(el["type"], "scenario");
        let steps = el["steps"].as_array().expect("steps");
        assert_eq!(steps.len(), sc["steps"].as_array().expect("steps").len());
        for st in steps {
            let status = st["result"]["status"].as_str().expect("status");
            assert!(
                ["passed", "failed", "skipped", "pending", "undefined"].contains(&status),
                "{st}"
            );
            assert!(st["result"]["duration"].is_u64(), "{st}");
        }
    }
    let failing = elements
        .iter()
        .find(|e| e["name"] == "Engine reports a status it does not have")
        .expect("failing scenario");
    assert_eq!(failing["steps"][2]["result"]["status"], "failed");
    assert!(
        failing["steps"][2]["result"]["error_message"]
            .as_str()
            .expect("message")
            .contains("$.status"),
        "{failing}"
    );

    // messages.ndjson: one envelope per line, the feature sources embedded.
    let ndjson = run.file("messages.ndjson");
    let kinds: Vec<String> = ndjson
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("each line is JSON");
            v.as_object()
                .expect("envelope")
                .keys()
                .next()
                .expect("one key")
                .clone()
        })
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "source").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "testCase").count(), 7);
    assert_eq!(kinds.iter().filter(|k| *k == "gherkinDocument").count(), 2);

    // Cucumber's own tools accept them: the JSON converter (as
    // cucumber-jvm's dialect), the messages schema with every reference
    // resolved, and the HTML formatter, whose page Chromium shows with
    // each scenario's status as report.json has it (Cucumber has no flaky
    // or degraded: those pass, with a log line saying which).
    let reports = run.dir.path().join("reports");
    let said = crate::support::tool(
        "cucumber.mjs",
        &[
            "json".as_ref(),
            reports.join("cucumber.json").as_os_str(),
            "--impl".as_ref(),
            "cucumber-jvm".as_ref(),
        ],
    );
    assert!(said.contains("accepted as: cucumber-jvm"), "{said}");
    crate::support::tool(
        "cucumber.mjs",
        &[
            "messages".as_ref(),
            reports.join("messages.ndjson").as_os_str(),
        ],
    );
    let page = crate::support::artifacts().join("cucumber.html");
    crate::support::tool(
        "cucumber.mjs",
        &[
            "html".as_ref(),
            reports.join("messages.ndjson").as_os_str(),
            page.as_os_str(),
        ],
    );
    let shown: Value = serde_json::from_str(&crate::support::tool(
        "cucumber.mjs",
        &[
            "page".as_ref(),
            page.as_os_str(),
            "--screenshot".as_ref(),
            crate::support::artifacts()
                .join("cucumber-html.png")
                .as_os_str(),
        ],
    ))
    .expect("page JSON");
    assert_eq!(shown["consoleErrors"], serde_json::json!([]), "{shown}");
    assert_eq!(shown["pageErrors"], serde_json::json!([]), "{shown}");
    let mut on_page: Vec<(String, String, String)> = Vec::new();
    for f in shown["features"].as_array().expect("features") {
        for sc in f["scenarios"].as_array().expect("scenarios") {
            let notes: String = sc["steps"]
                .as_array()
                .into_iter()
                .chain(sc["hooks"].as_array())
                .flatten()
                .flat_map(|st| st["attachments"].as_array().cloned().unwrap_or_default())
                .map(|a| a["text"].as_str().unwrap_or_default().to_owned())
                .collect();
            on_page.push((
                sc["name"].as_str().expect("name").to_owned(),
                sc["status"].as_str().expect("status").to_owned(),
                notes,
            ));
        }
    }
    assert_eq!(on_page.len(), 7, "every scenario is shown: {on_page:#?}");
    for (name, status) in statuses(&report) {
        let (_, shows, notes) = on_page
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap_or_else(|| panic!("{name} is not on the page: {on_page:#?}"));
        let expected = match status.as_str() {
            "passed" | "flaky" | "degraded" => "PASSED",
            "failed" | "claim_outdated" => "FAILED",
            "known_gap" => "PENDING",
            "skipped" => "SKIPPED",
            other => panic!("unexpected status {other}"),
        };
        assert_eq!(shows, expected, "{name} ({status}) on the page");
        if status == "flaky" || status == "degraded" {
            assert!(
                notes.starts_with(&status),
                "{name}: the page says {status}: {notes:?}"
            );
        }
    }
    assert_eq!(kinds.last().map(String::as_str), Some("testRunFinished"));

    // HTML and Markdown escape what the feature says.
    let html = run.file("report.html");
    assert!(!html.contains("<script>alert"), "unescaped");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    let md = run.file("report.md");
    assert!(
        md.contains("### Needs attention") && !md.contains("<script>"),
        "{md}"
    );

    // Off GitHub, no workflow commands.
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_github_actions_failures_are_annotated_and_the_summary_appended() {
    let summary_dir = tempfile::tempdir().expect("tempdir");
    let summary = summary_dir.path().join("step_summary.md");
    std::fs::write(&summary, "# earlier step\n").expect("summary");
    let run = run_project(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf8")),
    ])
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let commands: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::")).collect();
    let failed = commands
        .iter()
        .find(|c| c.starts_with("::error file=features/engine/statuses.feature,line=14,title=Engine <b>statuses</b> › Engine reports a status it does not have [failed]::[assertion] GET https://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no annotation of the failing step: {commands:#?}"));
    assert!(
        failed.ends_with(
            "$.status: expected \"degraded\" (string), actual \"ok\" (string)%0Astep: Then the JSON at \"$.status\" is \"degraded\""
        ),
        "{failed}"
    );
    assert!(
        commands.iter().any(|c| c.starts_with(
            "::error file=features/engine/statuses.feature,line=23,title=Engine <b>statuses</b> › A future claim that already passes [claim_outdated]::"
        )),
        "{commands:#?}"
    );
    assert!(
        commands.iter().any(|c| c.starts_with(
            "::warning file=features/admin/flaky.feature,line=4,title=Admin retries › Admin answers on the second try [flaky]::"
        )),
        "{commands:#?}"
    );
    assert!(
        commands.iter().any(|c| c.starts_with(
            "::warning file=features/engine/statuses.feature,line=33,title=Engine <b>statuses</b> › Engine says its version%2C slowly [degraded]::degraded: correct, but took "
        )),
        "{commands:#?}"
    );
    assert_eq!(
        commands.len(),
        4,
        "known gaps and skips stay quiet: {commands:#?}"
    );

    let text = std::fs::read_to_string(&summary).expect("summary written");
    assert!(
        text.starts_with("# earlier step\n## ❌ lucia-harness · `local`"),
        "{text}"
    );
    assert_eq!(
        text.trim_start_matches("# earlier step\n"),
        run.file("report.md")
    );
}
