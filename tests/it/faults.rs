//! Every drift and fault kind of the sandbox makes the scenario that should
//! notice it fail, with the right error kind, and the run exit 1.

use std::time::Duration;

use crate::support::{run_local, sandbox};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_sandbox_passes_every_scenario() {
    let sb = sandbox(&[], &[]).await;
    let o = run_local(&sb.origin(), &[]).await;
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let r = o.report();
    assert_eq!(r["summary"]["failed"], 0);
    assert!(r["summary"]["passed"].as_u64().expect("passed") >= 9);
    assert_eq!(r["environment"], "local");
}

/// (drift spec, scenario that must catch it, JSON path named in the error)
const DRIFTS: &[(&str, &str, &str)] = &[
    (
        "admin/api/version=change:version=\"admin-v0.1.3.7\"",
        "Admin runs the expected version",
        "$.version",
    ),
    (
        "engine/health=remove:status",
        "Engine reports healthy",
        "$.status",
    ),
    (
        "engine/health=type:uptime_seconds",
        "Engine reports healthy",
        "$.uptime_seconds",
    ),
    (
        "engine/version=add:feature_flags=[]",
        "Engine runs the expected version",
        "$.feature_flags",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_drift_kind_is_caught() {
    for (spec, scenario, path) in DRIFTS {
        let sb = sandbox(&[spec], &[]).await;
        let o = run_local(&sb.origin(), &[]).await;
        assert_eq!(o.code, 1, "{spec}: {}", o.stdout);
        let s = o.scenario(scenario);
        assert_eq!(s["status"], "failed", "{spec}");
        assert_eq!(s["error"]["kind"], "assertion", "{spec}");
        let msg = s["error"]["message"].as_str().expect("message");
        assert!(msg.contains(path), "{spec}: {msg}");
        // Only scenarios reading the drifted route fail; the rest passes.
        crate::support::only_route_failures(&o, spec, "assertion");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_kind_gives_its_error_kind() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "engine/version=500",
            "Engine runs the expected version",
            "server_error",
        ),
        (
            "engine/version=reset",
            "Engine runs the expected version",
            "reset",
        ),
        (
            "engine/version=truncate",
            "Engine runs the expected version",
            "truncated_json",
        ),
        (
            "admin/api/version=latency:6s",
            "Admin runs the expected version",
            "timeout",
        ),
        (
            "admin/api/version=hang",
            "Admin runs the expected version",
            "timeout",
        ),
    ];
    for (spec, scenario, kind) in cases {
        let sb = sandbox(&[], &[spec]).await;
        let o = run_local(&sb.origin(), &["--timeout", "2s"]).await;
        assert_eq!(o.code, 1, "{spec}: {}", o.stdout);
        let s = o.scenario(scenario);
        assert_eq!(s["status"], "failed", "{spec}");
        assert_eq!(s["error"]["kind"], *kind, "{spec}: {}", s["error"]);
        // The rest of the suite still ran and passed.
        crate::support::only_route_failures(&o, spec, kind);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_response_times_out_within_the_timeout_plus_a_margin() {
    let sb = sandbox(&[], &["engine/*=hang"]).await;
    let o = run_local(&sb.origin(), &["--timeout", "700ms", "--tags", "@gating"]).await;
    assert_eq!(o.code, 1);
    let s = o.scenario("Engine reports healthy");
    assert_eq!(s["error"]["kind"], "timeout");
    let took = s["duration_ms"].as_f64().expect("duration");
    assert!((700.0..1700.0).contains(&took), "scenario took {took} ms");
    assert!(
        s["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("700 ms")
    );
    // Concurrent scenarios time out together: the whole run is one timeout, not four.
    assert!(
        o.elapsed < Duration::from_secs(10),
        "run took {:?}",
        o.elapsed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_connect() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let o = run_local(&format!("http://127.0.0.1:{port}"), &["--tags", "@gating"]).await;
    assert_eq!(o.code, 1);
    let mut failed = 0;
    for s in o.report()["scenarios"].as_array().expect("scenarios") {
        if s["status"] == "skipped" {
            // Not attempted once the circuit opened (or no database configured).
            continue;
        }
        assert_eq!(s["error"]["kind"], "connect", "{s}");
        failed += 1;
    }
    // At least the three that open the circuit, at most one wave of concurrent scenarios.
    assert!(
        (3..=16).contains(&failed),
        "{failed} scenarios reached the closed port"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_focus_without_the_token_is_401_and_with_a_wrong_one_fails() {
    let sb = sandbox(&[], &[]).await;
    let o = crate::support::run_cmd(
        &["run", "--env", "local", "--origin", &sb.origin()],
        &[("LUCIA_OPERATOR_TOKEN", "not-the-sandbox-token")],
    )
    .await;
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert_eq!(o.scenario("refuses a caller without")["status"], "passed");
    let s = o.scenario("answers the operator");
    assert_eq!(s["error"]["kind"], "assertion");
    assert!(
        s["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("actual 403")
    );
}
