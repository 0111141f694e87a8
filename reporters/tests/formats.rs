//! Golden files for every report format (insta snapshots under
//! tests/snapshots/), built from one fixed run that has every status, and
//! the properties each format promises.

use chrono::{DateTime, TimeZone as _, Utc};
use probes::ErrorKind;
use reporters::HttpExchangeReport;
use reporters::model::readiness::{Check, CheckId, CheckStatus, Readiness};
use reporters::{
    Claim, ErrorReport, Masked, Reporter, RunReport, ScenarioReport, Status, StepReport,
    StepStatus, Summary, Timings,
};
use serde_json::Value;

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, h, m, s)
        .single()
        .expect("valid time")
}

fn step(keyword: &str, text: &str, line: usize, status: StepStatus, ms: f64) -> StepReport {
    StepReport {
        keyword: keyword.to_owned(),
        text: text.to_owned(),
        line,
        status,
        duration_ms: ms,
    }
}

fn scenario(file: &str, feature: &str, name: &str, line: usize, status: Status) -> ScenarioReport {
    ScenarioReport {
        feature: feature.to_owned(),
        feature_file: file.to_owned(),
        line,
        scenario: name.to_owned(),
        tags: vec!["dev".into(), "staging".into(), "local".into()],
        status,
        duration_ms: 12.5,
        attempts: 1,
        claim: Some(Claim::Implemented),
        error: None,
        skip_reason: None,
        steps: vec![step(
            "Given",
            "the \"engine\" service",
            7,
            StepStatus::Passed,
            0.01,
        )],
        http: Vec::new(),
        budget_ms: None,
        trace_id: None,
    }
}

/// A run with every status, every failure shape (assertion on a step,
/// undefined step, timeout outside any step) and hostile names.
fn fixture() -> RunReport {
    let health = "features/engine/health.feature";
    let mut passed = scenario(
        health,
        "Engine health",
        "Engine reports healthy",
        10,
        Status::Passed,
    );
    passed.tags.push("gating".into());
    passed.steps.push(step(
        "When",
        "I GET \"/health\"",
        11,
        StepStatus::Passed,
        11.2,
    ));
    passed.steps.push(step(
        "Then",
        "the status is 200",
        12,
        StepStatus::Passed,
        0.02,
    ));
    passed.http.push(HttpExchangeReport {
        service: "engine".into(),
        method: "GET".into(),
        url: "http://127.0.0.1:8700/engine/health".into(),
        status: Some(200),
        duration_ms: 11.1,
        error: None,
        timings: Some(Timings {
            dns_ms: None,
            connect_ms: Some(0.4),
            tls_ms: None,
            ttfb_ms: Some(10.2),
            total_ms: 11.1,
        }),
        span_id: Some("b7ad6b7169203331".into()),
        evidence: Some(Box::new(reporters::ExchangeEvidence {
            started_at: at(9, 0, 1),
            request_headers: vec![
                ("accept".into(), "application/json".into()),
                ("authorization".into(), "[redacted]".into()),
            ],
            request_body: None,
            response_headers: vec![("content-type".into(), "application/json".into())],
            response_body: r#"{"status":"ok","uptime_seconds":42}"#.into(),
            response_size: 35,
            comment: None,
        })),
    });
    passed.trace_id = Some("0af7651916cd43dd8448eb211c80319c".into());

    let version = "features/engine/version.feature";
    let mut failed = scenario(
        version,
        "Engine version",
        "Engine runs the expected version",
        9,
        Status::Failed,
    );
    failed.steps.push(step(
        "When",
        "I GET \"/version\"",
        10,
        StepStatus::Passed,
        9.0,
    ));
    failed.steps.push(step(
        "Then",
        "the JSON at \"$.version\" is \"{{expected.engine_version}}\"",
        11,
        StepStatus::Failed,
        0.1,
    ));
    failed.steps.push(step(
        "And",
        "the status is 200",
        12,
        StepStatus::Skipped,
        0.0,
    ));
    failed.error = Some(ErrorReport {
        kind: ErrorKind::Assertion,
        message: "$.version: expected \"engine-v0.1.3.6\", got \"engine-v0.1.3.7\"\n  at GET http://127.0.0.1:8700/engine/version".into(),
        step: Some("Then the JSON at \"$.version\" is \"{{expected.engine_version}}\"".into()),
        line: Some(11),
    });
    failed.http.push(HttpExchangeReport {
        service: "engine".into(),
        method: "GET".into(),
        url: "http://127.0.0.1:8700/engine/version".into(),
        status: Some(200),
        duration_ms: 8.9,
        error: None,
        timings: None,
        span_id: Some("00f067aa0ba902b7".into()),
        evidence: None,
    });
    failed.trace_id = Some("4bf92f3577b34da6a3ce929d0e0e4736".into());

    let mut timeout = scenario(
        version,
        "Engine version",
        "Engine answers within the scenario budget",
        20,
        Status::Failed,
    );
    timeout.duration_ms = 20_000.0;
    timeout.steps.push(step(
        "When",
        "I GET \"/slow\"",
        21,
        StepStatus::Skipped,
        0.0,
    ));
    timeout.error = Some(ErrorReport {
        kind: ErrorKind::Timeout,
        message: "the scenario took longer than its 20s timeout".into(),
        step: None,
        line: None,
    });
    timeout.http.push(HttpExchangeReport {
        service: "engine".into(),
        method: "GET".into(),
        url: "https://staging-api.hellolucia.ai/slow".into(),
        status: None,
        duration_ms: 19_990.0,
        error: Some(ErrorKind::Timeout),
        timings: Some(Timings {
            dns_ms: Some(2.4),
            connect_ms: Some(11.0),
            tls_ms: Some(31.5),
            ttfb_ms: None,
            total_ms: 19_990.0,
        }),
        span_id: None,
        evidence: None,
    });

    let mut slow = scenario(
        health,
        "Engine health",
        "Engine reports healthy, quickly",
        20,
        Status::Degraded,
    );
    slow.tags.push("slow(800ms)".into());
    slow.budget_ms = Some(800.0);
    slow.duration_ms = 1240.0;
    slow.steps.push(step(
        "When",
        "I GET \"/health\"",
        21,
        StepStatus::Passed,
        1240.0,
    ));
    slow.http.push(HttpExchangeReport {
        service: "engine".into(),
        method: "GET".into(),
        url: "http://127.0.0.1:8700/engine/health".into(),
        status: Some(200),
        duration_ms: 1238.0,
        error: None,
        timings: Some(Timings {
            dns_ms: None,
            connect_ms: Some(0.4),
            tls_ms: None,
            ttfb_ms: Some(1231.0),
            total_ms: 1238.0,
        }),
        span_id: None,
        evidence: None,
    });

    let mut undefined = scenario(
        version,
        "Engine version",
        "A step nobody defined",
        30,
        Status::Failed,
    );
    undefined.steps.push(step(
        "Then",
        "the moon is made of cheese",
        31,
        StepStatus::Skipped,
        0.0,
    ));
    undefined.error = Some(ErrorReport {
        kind: ErrorKind::Config,
        message: "undefined step".into(),
        step: Some("Then the moon is made of cheese".into()),
        line: Some(31),
    });

    let mut flaky = scenario(
        "features/admin/version.feature",
        "Admin | version & <b>friends</b>",
        "Admin answers <script>alert('x')</script> with `ticks` and | pipes",
        8,
        Status::Flaky,
    );
    flaky.attempts = 2;
    flaky.tags.push("retry(2)".into());

    let mut gap = scenario(
        "features/payment_truth/ledger.feature",
        "Payment truth",
        "Payment truth survives a restart",
        14,
        Status::KnownGap,
    );
    gap.claim = Some(Claim::Deferred);
    gap.tags.push("deferred".into());
    gap.steps.push(step(
        "When",
        "the \"engine\" service is restarted",
        15,
        StepStatus::Failed,
        3.0,
    ));
    gap.error = Some(ErrorReport {
        kind: ErrorKind::Http,
        message: "POST /admin/restart answered 501 Not Implemented".into(),
        step: Some("When the \"engine\" service is restarted".into()),
        line: Some(15),
    });

    let mut outdated = scenario(
        "features/guest_agent/lab.feature",
        "Guest Agent lab",
        "The lab lists its tools",
        20,
        Status::ClaimOutdated,
    );
    outdated.claim = Some(Claim::Future);
    outdated.tags.push("future".into());

    let mut skipped = scenario(
        "features/waitlist/waitlist.feature",
        "Waitlist",
        "Joining the waitlist",
        10,
        Status::Skipped,
    );
    skipped.claim = Some(Claim::Tested);
    skipped.tags.push("mutating".into());
    skipped.duration_ms = 0.0;
    skipped.steps[0].status = StepStatus::Skipped;
    skipped.steps[0].duration_ms = 0.0;
    skipped.skip_reason =
        Some("@mutating, and environment 'staging' (live) does not allow mutation".into());

    let scenarios = vec![
        passed, slow, failed, timeout, undefined, flaky, gap, outdated, skipped,
    ];
    RunReport {
        harness_version: "0.1.0".into(),
        run_id: "fc2951cb5da8".into(),
        environment: "staging".into(),
        environment_status: "live".into(),
        started_at: at(20, 4, 37),
        finished_at: at(20, 4, 58),
        duration_ms: 21_034.5,
        summary: Summary::of(&scenarios),
        harness: None,
        location: None,
        shard: None,
        maintenance: None,
        claims: scenarios
            .iter()
            .filter_map(|s| s.claim_report(at(20, 4, 58)))
            .collect(),
        scenarios,
    }
}

fn render<T, R: Reporter<T>>(r: &R, report: &T) -> String {
    let mut buf = Vec::new();
    r.write(report, &mut buf).expect("writes into memory");
    String::from_utf8(buf).expect("UTF-8")
}

fn readiness(status: impl Fn(CheckId) -> (CheckStatus, &'static str)) -> Readiness {
    let checks = CheckId::ALL
        .iter()
        .map(|id| {
            let (st, detail) = status(*id);
            Check::new(*id, st, detail)
        })
        .collect();
    Readiness::new("dev", "staging", "v0.1.3.6", checks, at(21, 0, 0), "0.1.0")
}

fn not_ready() -> Readiness {
    readiness(|id| match id {
        CheckId::NoDrift => (
            CheckStatus::Fail,
            "2 breaking changes against the reviewed baseline: engine/health $.status removed; run `lucia-harness baseline diff --env dev` and re-review",
        ),
        CheckId::BaselineReviewed => (
            CheckStatus::Warn,
            "approved by eval-labs on 2026-11-20 with a note: <check ledger mode>",
        ),
        CheckId::TargetHealthy => (
            CheckStatus::Unknown,
            "staging did not answer GET /health within 10s (connect refused at 127.0.0.1:39703)",
        ),
        _ => (CheckStatus::Pass, "as expected"),
    })
}

#[test]
fn golden_report_json() {
    insta::assert_snapshot!("report.json", render(&reporters::Json, &fixture()));
}

#[test]
fn golden_har() {
    insta::assert_snapshot!("exchanges.har", render(&reporters::Har, &fixture()));
}

#[test]
fn golden_junit_xml() {
    insta::assert_snapshot!("junit.xml", render(&reporters::JUnit, &fixture()));
}

#[test]
fn golden_cucumber_json() {
    insta::assert_snapshot!(
        "cucumber.json",
        render(&reporters::CucumberJson::default(), &fixture())
    );
}

#[test]
fn golden_messages_ndjson() {
    let sources = [(
        "features/engine/health.feature".to_owned(),
        "@dev\nFeature: Engine health\n".to_owned(),
    )]
    .into_iter()
    .collect();
    insta::assert_snapshot!(
        "messages.ndjson",
        render(&reporters::Messages::with_sources(sources), &fixture())
    );
}

#[test]
fn golden_markdown() {
    insta::assert_snapshot!("report.md", render(&reporters::Markdown, &fixture()));
}

#[test]
fn golden_html() {
    insta::assert_snapshot!("report.html", render(&reporters::Html, &fixture()));
}

#[test]
fn golden_annotations() {
    insta::assert_yaml_snapshot!(
        "annotations",
        reporters::format::annotations::github(&fixture())
    );
}

#[test]
fn golden_readiness() {
    let r = not_ready();
    insta::assert_snapshot!(
        "readiness.json",
        render(&reporters::format::readiness::ReadinessJson, &r)
    );
    insta::assert_snapshot!(
        "readiness.md",
        render(&reporters::format::readiness::ReadinessMarkdown, &r)
    );
    insta::assert_snapshot!(
        "readiness.html",
        render(&reporters::format::readiness::ReadinessHtml, &r)
    );
}

#[test]
fn every_run_format_has_its_own_file() {
    let names: Vec<&str> = reporters::all().iter().map(|r| r.file_name()).collect();
    assert_eq!(
        names,
        [
            "report.json",
            "junit.xml",
            "cucumber.json",
            "messages.ndjson",
            "report.md",
            "report.html",
            "exchanges.har"
        ]
    );
    let names: Vec<&str> = reporters::format::readiness::all()
        .iter()
        .map(|r| r.file_name())
        .collect();
    assert_eq!(names, ["readiness.json", "readiness.md", "readiness.html"]);
}

/// Masking makes two runs that differ only in volatile values write the
/// same bytes, in every format.
#[test]
fn masked_output_does_not_change_between_runs() {
    let a = fixture();
    let mut b = fixture();
    b.run_id = "0123456789ab".into();
    b.started_at = at(23, 0, 0);
    b.finished_at = at(23, 1, 0);
    b.duration_ms = 99.0;
    for s in &mut b.scenarios {
        s.duration_ms *= 3.0;
        for st in &mut s.steps {
            st.duration_ms += 1.0;
        }
        for x in &mut s.http {
            x.url = x.url.replace(":8700", ":41234");
        }
    }
    for r in reporters::all() {
        let masked = Masked(r);
        assert_eq!(
            render(&masked, &a),
            render(&masked, &b),
            "{}",
            masked.file_name()
        );
        assert_ne!(
            render(&masked.0, &a),
            render(&masked.0, &b),
            "{}",
            masked.file_name()
        );
    }
    let mut later = not_ready();
    later.generated_at = at(23, 0, 0);
    for r in reporters::format::readiness::all() {
        let masked = Masked(r);
        assert_eq!(render(&masked, &not_ready()), render(&masked, &later));
    }
}

#[test]
fn html_escapes_what_features_and_responses_say() {
    let page = render(&reporters::Html, &fixture());
    assert!(!page.contains("<script>"), "unescaped script tag");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(!page.contains("<b>friends</b>"));
    // Self-contained: no script, no external stylesheet, image or font.
    for forbidden in ["<script", "<link", "src=", "@import", "url("] {
        assert!(!page.contains(forbidden), "{forbidden} in report.html");
    }
    assert!(
        page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    // Failures are expanded.
    assert_eq!(
        page.matches("<details open>").count(),
        8,
        "every non-passed scenario is open"
    );
    let ready = render(&reporters::format::readiness::ReadinessHtml, &not_ready());
    assert!(ready.contains("&lt;check ledger mode&gt;"));
}

#[test]
fn markdown_cannot_be_broken_by_a_name() {
    let md = render(&reporters::Markdown, &fixture());
    assert!(!md.contains("<script>"));
    // Every table row keeps its number of cells.
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells == 6 || cells == 9, "{cells} separators in {line}");
    }
}

#[test]
fn cucumber_json_has_one_element_per_scenario_with_step_results() {
    let report = fixture();
    let doc: Value =
        serde_json::from_str(&render(&reporters::CucumberJson::default(), &report)).expect("JSON");
    let elements: Vec<&Value> = doc
        .as_array()
        .expect("array of features")
        .iter()
        .flat_map(|f| f["elements"].as_array().expect("elements"))
        .collect();
    assert_eq!(elements.len(), report.scenarios.len());
    for (el, s) in elements.iter().zip(&report.scenarios) {
        assert_eq!(el["type"], "scenario");
        assert_eq!(el["name"], s.scenario.as_str());
        let steps = el["steps"].as_array().expect("steps");
        assert_eq!(steps.len(), s.steps.len());
        for (st, rs) in steps.iter().zip(&s.steps) {
            assert_eq!(st["line"], rs.line);
            assert!(st["result"]["status"].is_string());
            assert!(st["result"]["duration"].is_u64());
        }
    }
    // The failing step carries the message, the steps after it are skipped.
    let failed = elements[2]["steps"].as_array().expect("steps");
    assert_eq!(failed[1]["result"]["status"], "passed");
    assert_eq!(failed[2]["result"]["status"], "failed");
    assert!(
        failed[2]["result"]["error_message"]
            .as_str()
            .expect("message")
            .starts_with("[assertion] $.version")
    );
    assert_eq!(failed[3]["result"]["status"], "skipped");
    assert_eq!(elements[0]["steps"][1]["result"]["duration"], 11_200_000);
}

#[test]
fn messages_are_one_envelope_per_line_with_a_test_case_per_scenario() {
    let report = fixture();
    let text = render(&reporters::Messages::default(), &report);
    let envelopes: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let kinds: Vec<&str> = envelopes
        .iter()
        .map(|e| {
            let o = e.as_object().expect("object");
            assert_eq!(o.len(), 1, "one message per envelope: {e}");
            o.keys().next().map(String::as_str).expect("key")
        })
        .collect();
    assert_eq!(kinds.first(), Some(&"meta"));
    assert_eq!(kinds.last(), Some(&"testRunFinished"));
    for k in ["pickle", "testCase", "testCaseStarted", "testCaseFinished"] {
        assert_eq!(
            kinds.iter().filter(|x| **x == k).count(),
            report.scenarios.len(),
            "{k}"
        );
    }
    let steps: usize = report.scenarios.iter().map(|s| s.steps.len()).sum();
    // Plus the verdict hook of the outdated claim, of the timeout and of
    // the degraded scenario.
    assert_eq!(
        kinds.iter().filter(|x| **x == "testStepFinished").count(),
        steps + 3
    );
    assert_eq!(
        envelopes.last().expect("last")["testRunFinished"]["success"],
        false
    );
    // Every testStepFinished names a testStep of a testCase that exists.
    let step_ids: Vec<&str> = envelopes
        .iter()
        .filter_map(|e| e.get("testCase"))
        .flat_map(|tc| tc["testSteps"].as_array().expect("steps"))
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    for e in envelopes.iter().filter_map(|e| e.get("testStepFinished")) {
        assert!(step_ids.contains(&e["testStepId"].as_str().expect("id")));
    }
    // The flaky scenario says which attempt passed.
    let attempts: Vec<u64> = envelopes
        .iter()
        .filter_map(|e| e.get("testCaseStarted"))
        .map(|e| e["attempt"].as_u64().expect("attempt"))
        .collect();
    assert_eq!(attempts, [0, 0, 0, 0, 0, 1, 0, 0, 0]);
}

#[test]
fn annotations_escape_per_github_rules() {
    use reporters::format::annotations::{escape_data, escape_property};
    assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
    assert_eq!(escape_property("a: b, c%"), "a%3A b%2C c%25");
    let lines = reporters::format::annotations::github(&fixture());
    // Failures and the outdated claim are errors, the degraded and the
    // flaky ones warnings; the known gap and the skip stay quiet.
    let levels: Vec<&str> = lines
        .iter()
        .map(|l| l.split(' ').next().expect("level"))
        .collect();
    assert_eq!(
        levels,
        [
            "::warning",
            "::error",
            "::error",
            "::error",
            "::warning",
            "::error"
        ]
    );
    for l in &lines {
        assert!(!l.contains('\n') && !l.contains('\r'), "{l}");
        assert!(l.starts_with("::") && l.matches("::").count() == 2, "{l}");
    }
    assert!(lines[1].starts_with(
        "::error file=features/engine/version.feature,line=11,title=Engine version › Engine runs the expected version [failed]::[assertion] $.version"
    ), "{}", lines[1]);
    assert!(
        lines[0].contains("[degraded]::degraded: correct, but took 1.24 s, over its 800 ms budget"),
        "{}",
        lines[0]
    );
}

#[test]
fn the_fixture_validates_against_the_report_schema() {
    let schema: Value = serde_json::from_str(reporters::REPORT_SCHEMA).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let instance: Value =
        serde_json::from_str(&render(&reporters::Json, &fixture())).expect("JSON");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // And the schema is not a rubber stamp.
    let mut bad = instance.clone();
    bad["scenarios"][2]["status"] = "kinda_passed".into();
    assert!(!validator.is_valid(&bad));
    let mut bad = instance.clone();
    bad["scenarios"][2]
        .as_object_mut()
        .expect("object")
        .remove("error");
    assert!(!validator.is_valid(&bad), "a failure needs an error");
    let mut bad = instance;
    bad["started_at"] = "yesterday".into();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn the_schema_names_every_error_kind_and_status() {
    let schema: Value = serde_json::from_str(reporters::REPORT_SCHEMA).expect("schema is JSON");
    let kinds: Vec<&str> = schema["$defs"]["error_kind"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .map(|v| v.as_str().expect("str"))
        .collect();
    let ours: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(kinds, ours, "update reporters/schema/report.schema.json");
    let statuses: Vec<&str> = schema["$defs"]["status"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .map(|v| v.as_str().expect("str"))
        .collect();
    let mut ours: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    ours.sort_unstable();
    let mut theirs = statuses.clone();
    theirs.sort_unstable();
    assert_eq!(theirs, ours);
}
