//! `adapt` proved on a second dialect: the sandbox's `renamed` dialect
//! answers with the same behaviour under other names and paths in every
//! area. The repository's features fail against it; `adapt` proposes a
//! reviewed diff and writes nothing; `adapt --write` makes the features
//! pass, except the scenarios where a real violation is planted behind the
//! renamed fields (a wrong version, the ledger in memory mode, unsigned
//! webhooks accepted), which still fail as violations; `adapt` again
//! proposes nothing.

use std::path::Path;

use serde_json::Value;

use crate::support::{NOT_BASELINE, bin, copy_dir, files, repo};

/// The repository's features and config in `dir` (the CA made absolute).
fn project(dir: &Path) {
    copy_dir(&repo().join("features"), &dir.join("features"));
    let config = std::fs::read_to_string(repo().join("environments.toml")).expect("config");
    let ca = repo().join("sandbox/certs/sandbox-ca.pem");
    let config = config.replace(
        "ca_file = \"sandbox/certs/sandbox-ca.pem\"",
        &format!("ca_file = {:?}", ca.display().to_string()),
    );
    std::fs::write(dir.join("environments.toml"), config).expect("config");
}

async fn renamed(drifts: &[&str], faults: &[&str]) -> sandbox::Running {
    let mut config = sandbox::SandboxConfig::default();
    config.set_dialect("renamed").expect("dialect");
    crate::support::sandbox_from(config, drifts, faults).await
}

struct Out {
    code: i32,
    stdout: String,
}

async fn harness(dir: &Path, args: &[&str]) -> Out {
    let mut all = args.to_vec();
    if !args.contains(&"--tags") {
        all.extend(NOT_BASELINE);
    }
    let out = bin()
        .current_dir(dir)
        .args(&all)
        .args(["--no-color"])
        .output()
        .await
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: format!("{stdout}\n{stderr}"),
    }
}

/// The failing scenarios of report.json in `dir/reports`, with their error kinds.
fn failing(dir: &Path) -> Vec<(String, String)> {
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("reports/report.json")).expect("report"),
    )
    .expect("json");
    report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter(|s| s["status"] == "failed")
        .map(|s| {
            (
                s["scenario"].as_str().expect("name").to_owned(),
                s["error"]["kind"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn local(origin: &str) -> Vec<&str> {
    vec!["--env", "local", "--origin", origin]
}

async fn run(dir: &Path, origin: &str) -> Out {
    harness(
        dir,
        &[
            &["run"][..],
            &local(origin)[..],
            &["--report-dir", "reports"][..],
        ]
        .concat(),
    )
    .await
}

async fn adapt(dir: &Path, origin: &str, write: bool) -> Out {
    let mut args = vec!["adapt"];
    args.extend(local(origin));
    if write {
        args.push("--write");
    }
    harness(dir, &args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_renamed_dialect_is_adapted_to_with_a_reviewed_diff() {
    let sb = renamed(&[], &[]).await;
    let origin = sb.origin();
    let dir = tempfile::tempdir().expect("tmp");
    project(dir.path());

    // The unmodified features fail on the dialect's names.
    let before = run(dir.path(), &origin).await;
    assert_eq!(before.code, 1, "{}", before.stdout);
    let failed_before = failing(dir.path());
    for name in [
        "Engine reports healthy",
        "Joining the waitlist returns Resend's message id and send status",
        "Engine runs the expected version",
        "Admin runs the expected version",
    ] {
        assert!(
            failed_before.iter().any(|(n, _)| n.starts_with(name)),
            "{name} fails before adaptation: {failed_before:#?}"
        );
    }

    // adapt: a diff with its evidence; nothing written.
    let untouched = files(&dir.path().join("features"));
    let proposed = adapt(dir.path(), &origin, false).await;
    assert_eq!(proposed.code, 1, "{}", proposed.stdout);
    let out = &proposed.stdout;
    assert!(
        out.contains("--- a/features/engine/health.feature"),
        "{out}"
    );
    assert!(
        out.contains("-        \"uptime_seconds\": \"#number\""),
        "{out}"
    );
    assert!(out.contains("+        \"uptime\": \"#number\""), "{out}");
    assert!(out.contains("#   rule: renamed key"), "{out}");
    assert!(out.contains("#   observed: {"), "{out}");
    assert!(out.contains("nothing written"), "{out}");
    assert_eq!(
        files(&dir.path().join("features")),
        untouched,
        "nothing was written"
    );
    for line in out
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
    {
        assert!(
            !line.contains("the status is")
                && !line.contains("the body contains")
                && !line.contains("#ignore"),
            "never a status, a text or a looser check: {line}"
        );
    }

    // adapt --write: every failing contract guess adapted, formatting,
    // comments and tags kept, and the run passes.
    let wrote = adapt(dir.path(), &origin, true).await;
    assert_eq!(wrote.code, 0, "{}", wrote.stdout);
    assert!(wrote.stdout.contains("adapt: wrote "), "{}", wrote.stdout);
    let after = files(&dir.path().join("features"));
    let mut changed = 0;
    for (path, bytes) in &after {
        let old = String::from_utf8_lossy(&untouched[path]).into_owned();
        let new = String::from_utf8_lossy(bytes).into_owned();
        if old == new {
            continue;
        }
        changed += 1;
        let (o, n): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
        assert_eq!(o.len(), n.len(), "{}: lines kept", path.display());
        for (a, b) in o.iter().zip(&n) {
            if a != b {
                let t = a.trim_start();
                assert!(
                    !t.starts_with('#') && !t.starts_with('@') && !t.starts_with("Scenario"),
                    "{}: a comment, tag or name changed: {a:?} → {b:?}",
                    path.display()
                );
            }
        }
    }
    assert!(changed >= 7, "every area's renames: {changed} files");
    let health = String::from_utf8_lossy(&after[Path::new("engine/health.feature")]).into_owned();
    assert!(
        health.contains("\"build\": {\"version\": \"{{expected.engine_version}}\"}"),
        "{health}"
    );
    let focus =
        String::from_utf8_lossy(&after[Path::new("eval_labs/operator_focus.feature")]).into_owned();
    assert!(
        focus.contains("\"focus\": {\"target\": \"eval-labs\"}"),
        "{focus}"
    );
    let passes = run(dir.path(), &origin).await;
    assert_eq!(
        failing(dir.path()),
        Vec::<(String, String)>::new(),
        "{}",
        passes.stdout
    );
    assert_eq!(passes.code, 0, "{}", passes.stdout);

    // Again: nothing more to propose.
    let again = adapt(dir.path(), &origin, false).await;
    assert!(!again.stdout.contains("--- a/"), "{}", again.stdout);
    assert!(
        again.stdout.contains("0 adapted with 0 edit(s)"),
        "{}",
        again.stdout
    );
    assert_eq!(again.code, 0, "{}", again.stdout);

    // Baselines: a baseline step is never adapted (without a captured
    // baseline it fails as what it is); the adapted features capture one
    // and then match it.
    std::fs::create_dir_all(dir.path().join("snapshots")).expect("snapshots");
    std::fs::copy(
        repo().join("snapshots/normalise.toml"),
        dir.path().join("snapshots/normalise.toml"),
    )
    .expect("rules");
    let mut baseline_adapt = vec!["adapt"];
    baseline_adapt.extend(local(&origin));
    baseline_adapt.extend(["--tags", "@baseline"]);
    let untouched = files(&dir.path().join("features"));
    let b = harness(dir.path(), &baseline_adapt).await;
    assert!(
        b.stdout.contains("0 adapted with 0 edit(s)"),
        "{}",
        b.stdout
    );
    assert!(
        b.stdout.contains("Engine health matches the baseline")
            && b.stdout.contains("a fault (config), not an assertion"),
        "{}",
        b.stdout
    );
    assert_eq!(files(&dir.path().join("features")), untouched);
    let mut capture = vec!["baseline", "capture"];
    capture.extend(local(&origin));
    capture.extend(["--tags", "@baseline"]);
    let c = harness(dir.path(), &capture).await;
    assert_eq!(c.code, 0, "{}", c.stdout);
    let mut compare = vec!["run"];
    compare.extend(local(&origin));
    compare.extend(["--tags", "@baseline", "--report-dir", "reports"]);
    let compared = harness(dir.path(), &compare).await;
    assert_eq!(
        compared.code, 0,
        "the adapted features match their baseline: {}",
        compared.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_violation_behind_a_renamed_field_survives_adaptation() {
    // The version health reports (under build.version) is wrong, the ledger
    // reports memory mode, unsigned webhooks are accepted.
    let sb = renamed(
        &["engine/health=change:build.version=\"engine-v9.9.9\""],
        &["ledger-memory-mode", "accept-unsigned-webhooks"],
    )
    .await;
    let origin = sb.origin();
    let dir = tempfile::tempdir().expect("tmp");
    project(dir.path());
    let wrote = adapt(dir.path(), &origin, true).await;
    assert_eq!(wrote.code, 1, "violations remain: {}", wrote.stdout);
    let out = &wrote.stdout;
    assert!(
        !out.contains("engine-v9.9.9\"")
            || !out
                .lines()
                .any(|l| l.starts_with('+') && l.contains("v9.9.9")),
        "{out}"
    );
    assert!(
        out.contains(
            "still failing: Engine health › Engine reports healthy (features/engine/health.feature:14): not a contract difference: check the claim: \"version\": $.build.version is there with another value (\"engine-v9.9.9\"): not moved elsewhere"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "still failing: Engine's durable ledger mode › Engine's ledger runs in dual mode"
        ),
        "{out}"
    );

    // What still fails is each planted violation, as an assertion, never a fault.
    run(dir.path(), &origin).await;
    let left = failing(dir.path());
    let names: Vec<&str> = left.iter().map(|(n, _)| n.as_str()).collect();
    // As the environment's own behaviour (an assertion, a 5xx), never the
    // harness's or the features' fault.
    for (n, kind) in &left {
        assert!(
            kind == "assertion" || kind == "server_error",
            "{n} fails as a violation, not as {kind}: {names:#?}"
        );
    }
    assert!(names.contains(&"Engine reports healthy"), "{names:#?}");
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("Engine's ledger runs in dual mode")),
        "{names:#?}"
    );
    assert!(names.iter().any(|n| n.contains("unsigned")), "{names:#?}");
    // Health's other renamed field was adapted around the violation; the
    // version it expects was not moved onto the wrong one.
    let health =
        std::fs::read_to_string(dir.path().join("features/engine/health.feature")).expect("health");
    assert!(health.contains("\"uptime\": \"#number\""), "{health}");
    assert!(
        health.contains("        \"version\": \"{{expected.engine_version}}\","),
        "the wrong version is not adapted: {health}"
    );

    // Again: nothing more to propose.
    let again = adapt(dir.path(), &origin, false).await;
    assert!(!again.stdout.contains("--- a/"), "{}", again.stdout);
    assert!(
        again.stdout.contains("0 adapted with 0 edit(s)"),
        "{}",
        again.stdout
    );
}

/// A literal where the response has a fresh value each time (a request
/// id) becomes the marker of its shape, once two runs show it changing; a
/// stable wrong value never does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volatile_value_gets_its_marker_after_two_runs_a_stable_one_never() {
    let sb = sandbox::start("127.0.0.1:0", sandbox::SandboxConfig::default())
        .await
        .expect("sandbox");
    let origin = sb.origin();
    let dir = tempfile::tempdir().expect("tmp");
    project(dir.path());
    std::fs::remove_dir_all(dir.path().join("features")).expect("rm");
    crate::support::write(
        dir.path(),
        "features/volatile.feature",
        r#"@local
Feature: Volatile values

  # A request id copied from one answer.
  Scenario: Engine names each request
    Given the "engine" service
    When I GET "/health"
    Then the status is 200
    And the JSON contains:
      """
      {"status": "ok", "request_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"}
      """

  Scenario: Engine names its service
    Given the "engine" service
    When I GET "/health"
    Then the JSON at "$.service" is "lucia-booking-engine-2"
"#,
    );
    let wrote = adapt(dir.path(), &origin, true).await;
    let text =
        std::fs::read_to_string(dir.path().join("features/volatile.feature")).expect("feature");
    assert!(
        text.contains(r##"{"status": "ok", "request_id": "#uuid"}"##),
        "{text}\n{}",
        wrote.stdout
    );
    assert!(
        text.contains("# A request id copied from one answer."),
        "{text}"
    );
    assert!(
        text.contains(r#"Then the JSON at "$.service" is "lucia-booking-engine-2""#),
        "{text}"
    );
    assert!(wrote.stdout.contains("volatile value"), "{}", wrote.stdout);
    assert!(
        wrote
            .stdout
            .contains("still failing: Volatile values › Engine names its service")
            && wrote
                .stdout
                .contains("the path is there, with another value"),
        "{}",
        wrote.stdout
    );
    assert_eq!(wrote.code, 1, "{}", wrote.stdout);
}
