//! Issue 7's safe defaults and flake handling, each shown against the
//! sandbox's own record of what reached it.

use std::time::Duration;

use crate::support::{plain, repo, run_cmd, run_feature, sandbox, write};

/// A copy of the repository's config with one environment's block edited
/// and the sandbox CA made absolute.
fn config_with(dir: &std::path::Path, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(repo().join("environments.toml")).expect("config");
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} not in environments.toml");
        text = text.replacen(from, to, 1);
    }
    let ca = repo().join("sandbox/certs/sandbox-ca.pem");
    let text = text.replace(
        "ca_file = \"sandbox/certs/sandbox-ca.pem\"",
        &format!("ca_file = {:?}", ca.display().to_string()),
    );
    write(dir, "environments.toml", &text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_environment_is_one_finding_not_many() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let o = run_cmd(
        &[
            "run",
            "--env",
            "local",
            "--origin",
            &format!("127.0.0.1:{port}"),
            "--concurrency",
            "1",
            "--tags",
            "@gating and not @baseline",
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 1);
    let scenarios = o.report()["scenarios"].as_array().expect("scenarios");
    let failed: Vec<_> = scenarios
        .iter()
        .filter(|s| s["status"] == "failed")
        .collect();
    assert_eq!(
        failed.len(),
        3,
        "the circuit opens after 3 unanswered requests: {}",
        o.stdout
    );
    assert!(failed.iter().all(|s| s["error"]["kind"] == "connect"));
    let unreachable: Vec<_> = scenarios
        .iter()
        .filter(|s| {
            s["skip_reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("environment unreachable: 'local'"))
        })
        .collect();
    assert!(
        unreachable.len() >= 20,
        "{} skipped as unreachable\n{}",
        unreachable.len(),
        o.stdout
    );
    assert!(
        unreachable
            .iter()
            .all(|s| s["status"] == "skipped" && s["error"]["kind"] == "unreachable")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_pass_is_flaky_after_a_backoff() {
    // The first request fails; the retry, after the backoff, passes.
    let sb = sandbox(&[], &["engine/health=500@1"]).await;
    let o = run_feature(
        &sb.origin(),
        "@local\nFeature: flaky\n  @retry(2)\n  Scenario: health on the second try\n    Given the \"engine\" service\n    When I GET \"/health\"\n    Then the status is 200\n",
        &[],
    )
    .await;
    assert_eq!(o.code, 0, "flaky does not fail the run: {}", o.stdout);
    let s = o.scenario("health on the second try");
    assert_eq!(s["status"], "flaky");
    assert_eq!(s["attempts"], 2);
    assert_eq!(o.report()["summary"]["flaky"], 1);
    assert_eq!(
        o.report()["summary"]["passed"],
        0,
        "flaky is never folded into passed"
    );
    let hits: Vec<_> = sb
        .received()
        .into_iter()
        .filter(|r| r.path == "/engine/health")
        .collect();
    assert_eq!(hits.len(), 2);
    let gap = hits[1].at.duration_since(hits[0].at);
    assert!(
        gap >= Duration::from_millis(250),
        "the retry waited {gap:?}, less than the 250 ms backoff"
    );
    let junit = std::fs::read_to_string(o.dir.path().join("junit.xml")).expect("junit");
    assert!(junit.contains("flakyFailure"), "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_rate_is_bounded() {
    let sb = sandbox(&[], &[]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config_with(
        dir.path(),
        &[(
            "request_timeout = \"5s\"\nscenario_timeout = \"20s\"",
            "request_timeout = \"5s\"\nscenario_timeout = \"20s\"\nmax_requests_per_second = 5",
        )],
    );
    let mut feature = String::from("@local\nFeature: many\n");
    for i in 0..4 {
        feature.push_str(&format!(
            "  Scenario: burst {i}\n    Given the \"engine\" service\n    When I GET \"/health\"\n    And I GET \"/version\"\n    Then the status is 200\n"
        ));
    }
    write(dir.path(), "features/many.feature", &feature);
    let o = run_cmd(
        &[
            "run",
            "--env",
            "local",
            "--origin",
            &sb.origin(),
            "--config",
            cfg.to_str().expect("utf8"),
            "--features",
            dir.path().join("features").to_str().expect("utf8"),
            "--concurrency",
            "16",
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let times: Vec<_> = sb.received().into_iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 8);
    // 5 a second whatever the concurrency: eight requests are sent over at
    // least 1.4 s. Arrival times also carry each connection's set-up time,
    // so allow for that; unlimited, all eight arrive within a few ms.
    let span = times[7].duration_since(times[0]);
    assert!(
        span >= Duration::from_millis(1000),
        "8 requests arrived within {span:?}"
    );
    // And a live environment can never be configured without a limit.
    let bad = config_with(
        dir.path(),
        &[(
            "restarts = false\n\n[environments.dev.surfaces]",
            "restarts = false\nmax_requests_per_second = 0\n\n[environments.dev.surfaces]",
        )],
    );
    let o = plain(&["check", "--config", bad.to_str().expect("utf8")], &[]).await;
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("environments.dev.max_requests_per_second"),
        "{}",
        o.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_never_receives_a_mutating_request() {
    // Production pointed at the sandbox: every feature of the repository runs
    // against it, and the sandbox sees nothing but reads.
    let sb = sandbox(&[], &[]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config_with(
        dir.path(),
        &[(
            "[environments.production.surfaces]\nengine = \"https://api.hellolucia.ai\"\nadmin = \"https://app.hellolucia.ai\"",
            "ca_file = \"sandbox/certs/sandbox-ca.pem\"\n\n[environments.production.surfaces]\nengine = \"https://127.0.0.1:8700/engine\"\nadmin = \"https://127.0.0.1:8700/admin\"\nmarketing = \"https://127.0.0.1:8700/marketing\"\nrender = \"https://127.0.0.1:8700/render\"\n\n[environments.production.render_services]\nengine = \"srv-sandbox-engine\"",
        )],
    );
    // Features written to mutate, untagged, and one that tries to restart Engine.
    let features = dir.path().join("features");
    write(
        &features,
        "mutate.feature",
        "Feature: tries to mutate\n  Scenario: a webhook without @mutating\n    Given the \"engine\" service\n    When I POST \"/webhooks/stripe\" with JSON:\n      \"\"\"\n      {}\n      \"\"\"\n    Then the status is 400\n  Scenario: a waitlist sign-up\n    Given the \"marketing\" service\n    When I POST \"/api/waitlist\"\n    Then the status is 200\n  Scenario: a restart\n    When the \"engine\" service is restarted\n",
    );
    let o = run_cmd(
        &[
            "run",
            "--env",
            "production",
            "--origin",
            &sb.origin(),
            "--config",
            cfg.to_str().expect("utf8"),
            "--features",
            features.to_str().expect("utf8"),
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    for name in [
        "a webhook without @mutating",
        "a waitlist sign-up",
        "a restart",
    ] {
        let s = o.scenario(name);
        assert_eq!(s["status"], "skipped", "{name}");
        let reason = s["skip_reason"].as_str().expect("reason");
        assert!(
            reason.contains("'production' (future) does not allow mutation")
                || reason.contains("does not allow restarts"),
            "{reason}"
        );
    }
    // The repository's features too.
    let o = run_cmd(
        &[
            "run",
            "--env",
            "production",
            "--origin",
            &sb.origin(),
            "--config",
            cfg.to_str().expect("utf8"),
        ],
        &[],
    )
    .await;
    assert!(o.report()["scenarios"].as_array().expect("scenarios").len() >= 5);
    let received = sb.received();
    assert!(
        !received.is_empty(),
        "production's read-only checks reached the sandbox"
    );
    let writes: Vec<_> = received
        .iter()
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD" | "OPTIONS"))
        .collect();
    assert!(writes.is_empty(), "production received {writes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_is_never_sent_to_another_surface() {
    let sb = sandbox(&[], &[]).await;
    let o = run_feature(
        &sb.origin(),
        "@local\nFeature: leak\n  Scenario: the operator token to Admin\n    Given the \"admin\" service\n    And the header \"X-Operator-Token\" is \"${LUCIA_OPERATOR_TOKEN}\"\n    When I GET \"/api/version\"\n    Then the status is 200\n",
        &[],
    )
    .await;
    assert_eq!(o.code, 1);
    let e = &o.scenario("the operator token to Admin")["error"];
    assert_eq!(e["kind"], "config");
    assert!(
        e["message"]
            .as_str()
            .expect("msg")
            .contains("refusing to send secret ${LUCIA_OPERATOR_TOKEN} to the \"admin\" service"),
        "{e}"
    );
    assert!(
        sb.received().iter().all(|r| !r.path.starts_with("/admin")),
        "nothing reached Admin"
    );
}

/// `forbidden_hosts` (Eval Labs' Supabase, "separate and untouched"): no
/// request reaches one, from a surface, `--origin` or a redirect a server
/// answers with; each refusal is a `config` failure before a byte leaves.
/// The forbidden host here is `localhost`, served by a listener that counts
/// every connection it is offered: it must see none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_host_is_never_contacted() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let forbidden = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let forbidden_port = forbidden.local_addr().expect("addr").port();
    let contacted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&contacted);
    tokio::spawn(async move {
        while let Ok((_s, _)) = forbidden.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    // An allowed server that redirects to the forbidden host.
    let allowed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let allowed_port = allowed.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = allowed.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: http://localhost:{forbidden_port}/eval-labs\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });

    let dir = tempfile::tempdir().expect("tmp");
    let config = |surface: &str| {
        format!(
            "forbidden_hosts = [\"localhost\"]\n\n[environments.local]\nstatus = \"sandbox\"\n\n[environments.local.surfaces]\nengine = \"{surface}\"\n"
        )
    };
    let allowed_cfg = write(
        dir.path(),
        "allowed.toml",
        &config(&format!("http://127.0.0.1:{allowed_port}")),
    );
    let features = write(
        dir.path(),
        "features/redirect.feature",
        "@local\nFeature: Redirect\n  Scenario: A server sends the harness to a forbidden host\n    Given the \"engine\" service\n    And redirects are followed\n    When I GET \"/go\"\n    Then the status is 200\n",
    );
    let f = features
        .parent()
        .expect("dir")
        .to_str()
        .expect("utf8")
        .to_owned();
    let a = allowed_cfg.to_str().expect("utf8").to_owned();

    // A redirect to it is refused, as a config failure.
    let o = run_cmd(
        &["run", "--env", "local", "--config", &a, "--features", &f],
        &[],
    )
    .await;
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    let s = o.scenario("forbidden host");
    assert_eq!(s["status"], "failed", "{s}");
    assert_eq!(s["error"]["kind"], "config", "{s}");
    assert!(
        s["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("forbidden host")),
        "{s}"
    );

    // `--origin` on it is refused before anything runs.
    let o = plain(
        &[
            "run",
            "--env",
            "local",
            "--config",
            &a,
            "--features",
            &f,
            "--origin",
            &format!("http://localhost:{forbidden_port}"),
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("forbidden host"), "{}", o.stderr);

    // A surface on it is a config error naming the file and the key.
    let bad = write(
        dir.path(),
        "bad.toml",
        &config(&format!("http://localhost:{forbidden_port}")),
    );
    let o = plain(
        &[
            "run",
            "--env",
            "local",
            "--config",
            bad.to_str().expect("utf8"),
            "--features",
            &f,
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("bad.toml")
            && o.stderr.contains("environments.local.surfaces.engine")
            && o.stderr.contains("forbidden"),
        "{}",
        o.stderr
    );

    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        contacted.load(Ordering::SeqCst),
        0,
        "the forbidden host was contacted"
    );
}

/// A sandbox asks DNS only of a resolver on loopback: without
/// `dns_resolver` (and without `--origin`, which moves it), a DNS step is a
/// config failure, never a question to the system's resolver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_never_asks_the_system_resolver() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = write(
        dir.path(),
        "env.toml",
        "[environments.local]\nstatus = \"sandbox\"\n\n[environments.local.surfaces]\nengine = \"http://127.0.0.1:9/engine\"\n",
    );
    let features = write(
        dir.path(),
        "features/dns.feature",
        "@local\nFeature: DNS\n  Scenario: The zone is delegated\n    When I look up the \"NS\" records of \"hellolucia.ai\"\n    Then at least one record is returned\n",
    );
    let o = run_cmd(
        &[
            "run",
            "--env",
            "local",
            "--config",
            cfg.to_str().expect("utf8"),
            "--features",
            features.parent().expect("dir").to_str().expect("utf8"),
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    let s = o.scenario("The zone is delegated");
    assert_eq!(s["error"]["kind"], "config", "{s}");
    assert!(
        s["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("dns_resolver")),
        "{s}"
    );
}

/// The same promise read from the sandbox's own log: a redirect to a
/// forbidden host is refused before the request to it leaves. The sandbox
/// redirects plain HTTP to HTTPS on the Host the request named; named
/// `localhost`, a forbidden host, the HTTPS request never arrives. Without
/// the entry it does: the test can fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_never_sees_a_request_to_a_forbidden_host() {
    let dir = tempfile::tempdir().expect("tmp");
    let features = write(
        dir.path(),
        "features/redirect.feature",
        "@local\nFeature: Redirect\n  Scenario: Engine sends the harness to HTTPS on another host name\n    Given the \"engine\" service\n    And the header \"Host\" is \"localhost:{{expected.port}}\"\n    And redirects are followed\n    When I GET \"/health\"\n    Then the status is 200\n",
    );
    let features = features
        .parent()
        .expect("dir")
        .to_str()
        .expect("utf8")
        .to_owned();
    let ca = repo().join("sandbox/certs/sandbox-ca.pem");
    for (forbidden, arrivals) in [("[\"localhost\"]", 1), ("[]", 2)] {
        let sb = sandbox(&[], &[]).await;
        let cfg = write(
            dir.path(),
            "env.toml",
            &format!(
                "forbidden_hosts = {forbidden}\n\n[environments.local]\nstatus = \"sandbox\"\nca_file = {:?}\n\n[environments.local.expected]\nport = \"{}\"\n\n[environments.local.surfaces]\nengine = \"{}/engine\"\n",
                ca.display(),
                sb.addr.port(),
                sb.origin()
            ),
        );
        let o = run_cmd(
            &[
                "run",
                "--env",
                "local",
                "--config",
                cfg.to_str().expect("utf8"),
                "--features",
                &features,
            ],
            &[],
        )
        .await;
        let health: Vec<_> = sb
            .received()
            .into_iter()
            .filter(|r| r.path == "/engine/health")
            .collect();
        assert_eq!(
            health.len(),
            arrivals,
            "forbidden_hosts = {forbidden}: {}\n{}",
            o.stdout,
            o.stderr
        );
        if arrivals == 1 {
            let s = o.scenario("another host name");
            assert_eq!(s["error"]["kind"], "config", "{s}");
        }
    }
}
