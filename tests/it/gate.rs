//! The promotion gate's test matrix against the sandbox: all seven checks
//! pass → exit 0; each check failed by one cause → exit 1 naming it; the
//! source unreachable → exit 3. Reports are written and valid.

use std::path::Path;

use serde_json::Value;

use crate::support::{capture_baseline, drop_database, ledger_database, plain, sandbox};

struct Verdict {
    code: i32,
    readiness: Value,
    stdout: String,
}

impl Verdict {
    fn check(&self, id: &str) -> &str {
        self.readiness["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["id"] == id)
            .and_then(|c| c["status"].as_str())
            .unwrap_or_else(|| panic!("no check {id}: {}", self.readiness))
    }
}

async fn gate(snapshots: &Path, from: &str, to: &str) -> Verdict {
    gate_with(snapshots, from, to, &[]).await
}

async fn gate_with(snapshots: &Path, from: &str, to: &str, envs: &[(&str, &str)]) -> Verdict {
    let out = tempfile::tempdir().expect("tmp");
    let o = plain(
        &[
            "--snapshots",
            snapshots.to_str().expect("utf8"),
            "gate",
            "--from",
            "local",
            "--to",
            "local",
            "--from-origin",
            from,
            "--to-origin",
            to,
            "--timeout",
            "2s",
            "--report-dir",
            out.path().to_str().expect("utf8"),
        ],
        envs,
    )
    .await;
    let text = std::fs::read_to_string(out.path().join("readiness.json"))
        .unwrap_or_else(|e| panic!("no readiness.json ({e}): {}\n{}", o.stdout, o.stderr));
    for f in [
        "readiness.md",
        "readiness.html",
        "source/report.json",
        "target/report.json",
    ] {
        assert!(out.path().join(f).exists(), "{f} not written");
    }
    Verdict {
        code: o.code,
        readiness: serde_json::from_str(&text).expect("readiness.json is JSON"),
        stdout: o.stdout,
    }
}

fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    format!("127.0.0.1:{}", l.local_addr().expect("addr").port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_seven_checks_pass_and_the_gate_is_ready() {
    let sb = sandbox(&[], &[]).await;
    let snaps = tempfile::tempdir().expect("tmp");
    capture_baseline(snaps.path(), &sb.origin(), true, &[]).await;
    // With the ledger in a real Postgres every @gating scenario runs.
    let (db, dsn) = ledger_database(false).await;
    let v = gate_with(
        snaps.path(),
        &sb.origin(),
        &sb.origin(),
        &[("LUCIA_CORE_DATABASE_URL", &dsn)],
    )
    .await;
    drop_database(&db).await;
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert_eq!(v.readiness["ready"], true);
    assert_eq!(v.readiness["verdict"], "ready");
    assert_eq!(v.readiness["checks"].as_array().expect("checks").len(), 7);
    for id in [
        "source-version",
        "source-suite",
        "baseline-captured",
        "baseline-reviewed",
        "no-drift",
        "claims",
        "target-healthy",
    ] {
        assert_eq!(v.check(id), "pass", "{id}: {}", v.stdout);
    }
    assert!(v.stdout.contains("READY"), "{}", v.stdout);

    // Without a DSN the Postgres access boundary does not run: not run is not passed.
    let v = gate(snaps.path(), &sb.origin(), &sb.origin()).await;
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert_eq!(v.check("source-suite"), "warn", "{}", v.stdout);
}

/// (what breaks, sandbox drifts, sandbox faults, approve the baseline, the check that must fail)
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    bool,
    &'static str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_check_fails_by_one_cause_and_is_named() {
    // (what breaks, sandbox drifts, sandbox faults, approve the baseline, the check that must fail)
    let cases: &[Case] = &[
        (
            "wrong version",
            &["engine/version=change:version=\"engine-v0.1.3.7\""],
            &[],
            true,
            "source-version",
        ),
        (
            "a failing @gating scenario",
            &[],
            &["clerk-open"],
            true,
            "source-suite",
        ),
        (
            "an unreviewed baseline",
            &[],
            &[],
            false,
            "baseline-reviewed",
        ),
        (
            "drift",
            &["engine/health=add:region=\"eu\""],
            &[],
            true,
            "no-drift",
        ),
        ("a claim violation", &[], &["no-cloudflare"], true, "claims"),
    ];
    let mut runs = tokio::task::JoinSet::new();
    for (what, drifts, faults, approve, check) in cases {
        runs.spawn(async move {
            // The baseline is captured from a clean sandbox; the source then breaks.
            let clean = sandbox(&[], &[]).await;
            let snaps = tempfile::tempdir().expect("tmp");
            capture_baseline(snaps.path(), &clean.origin(), *approve, &[]).await;
            let broken = sandbox(drifts, faults).await;
            let v = gate(snaps.path(), &broken.origin(), &clean.origin()).await;
            (v, *what, *check)
        });
    }
    while let Some(done) = runs.join_next().await {
        let (v, what, check) = done.expect("task");
        assert_eq!(v.code, 1, "{what}: {}", v.stdout);
        assert_eq!(v.readiness["verdict"], "not_ready", "{what}");
        assert_eq!(v.check(check), "fail", "{what}: {}", v.stdout);
        assert!(
            v.stdout.contains(&format!("FAIL    {check}")),
            "{what}: the failing check is named\n{}",
            v.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_baseline_and_a_down_target_fail_their_checks() {
    let sb = sandbox(&[], &[]).await;
    let empty = tempfile::tempdir().expect("tmp");
    let v = gate(empty.path(), &sb.origin(), &sb.origin()).await;
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert_eq!(v.check("baseline-captured"), "fail");
    assert!(
        v.stdout
            .contains("baseline capture --env local --version v0.1.3.6"),
        "the next step is named: {}",
        v.stdout
    );

    let snaps = tempfile::tempdir().expect("tmp");
    capture_baseline(snaps.path(), &sb.origin(), true, &[]).await;
    let v = gate(snaps.path(), &sb.origin(), &closed_port()).await;
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert_eq!(v.check("target-healthy"), "fail", "{}", v.stdout);
    assert_eq!(v.check("source-version"), "pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_source_is_inconclusive_exit_3() {
    let sb = sandbox(&[], &[]).await;
    let snaps = tempfile::tempdir().expect("tmp");
    capture_baseline(snaps.path(), &sb.origin(), true, &[]).await;
    let v = gate(snaps.path(), &closed_port(), &sb.origin()).await;
    assert_eq!(v.code, 3, "{}", v.stdout);
    assert_eq!(v.readiness["verdict"], "inconclusive");
    assert_eq!(v.readiness["ready"], false);
    for id in ["source-version", "source-suite", "no-drift", "claims"] {
        assert_eq!(v.check(id), "unknown", "{id}");
    }
    assert!(v.stdout.contains("INCONCLUSIVE"), "{}", v.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_gate_usage_is_exit_2() {
    let o = plain(&["gate", "--from", "nowhere", "--to", "staging"], &[]).await;
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown environment 'nowhere'"),
        "{}",
        o.stderr
    );
}
