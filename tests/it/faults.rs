//! Every way a check can go wrong gives its own error kind, and the run
//! exits 1: each drift and fault kind of the sandbox makes the scenario that
//! should notice it fail, and issue 7's fault matrix covers every way a
//! network, a server or a body can go wrong, against the sandbox and against
//! raw sockets this test controls: nothing panics, nothing hangs beyond the
//! timeout, memory stays bounded, and the rest of the suite still runs.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{plain, repo, run_local, sandbox, write};

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

/// NXDOMAIN, SERVFAIL and a silent DNS server each give their own kind,
/// from the sandbox's own DNS (the run asks nothing of the system's
/// resolver: every lookup is in the sandbox's log).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_dns_fault_gives_its_error_kind() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "nxdomain:api-dev.hellolucia.ai",
            "api-dev.hellolucia.ai resolves",
            "nxdomain",
        ),
        (
            "servfail:hellolucia.ai",
            "hellolucia.ai is delegated to Cloudflare",
            "servfail",
        ),
        (
            "dns-timeout:guest.hellolucia.ai",
            "guest.hellolucia.ai resolves",
            "dns_timeout",
        ),
    ];
    for (spec, scenario, kind) in cases {
        let sb = sandbox(&[], &[spec]).await;
        let o = run_local(&sb.origin(), &["--timeout", "1s"]).await;
        assert_eq!(o.code, 1, "{spec}: {}", o.stdout);
        let s = o.scenario(scenario);
        assert_eq!(s["status"], "failed", "{spec}");
        assert_eq!(s["error"]["kind"], *kind, "{spec}: {}", s["error"]);
        let host = spec.split_once(':').map_or("", |(_, h)| h);
        let msg = s["error"]["message"].as_str().expect("message");
        assert!(
            msg.contains(host),
            "{spec}: the message names the host: {msg}"
        );
        // Only the scenarios asking that name fail (`servfail:hellolucia.ai`
        // also fails "hellolucia.ai resolves"); the rest of the suite passed.
        for other in o.report()["scenarios"].as_array().expect("scenarios") {
            if other["status"] == "failed" {
                assert_eq!(other["error"]["kind"], *kind, "{spec}: {other}");
                assert!(
                    other["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(host)),
                    "{spec}: {other}"
                );
            }
        }
        let lookups: Vec<String> = sb
            .received()
            .into_iter()
            .filter(|r| r.method == "DNS")
            .map(|r| r.path)
            .collect();
        assert!(
            lookups.iter().any(|l| l.ends_with(&format!(" {host}"))),
            "{spec}: the lookup reached the sandbox's DNS: {lookups:?}"
        );
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

/// A raw server on 127.0.0.1:0 that handles each connection with `f`.
async fn raw<F, Fut>(f: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let f = std::sync::Arc::new(f);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let f = f.clone();
            tokio::spawn(async move { f(stream).await });
        }
    });
    port
}

async fn read_request(s: &mut TcpStream) {
    let mut buf = vec![0u8; 8192];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// (scenario, service, path, extra steps, expected kind)
const MATRIX: &[(&str, &str, &str, &str, &str)] = &[
    ("connection refused", "refused", "/health", "", "connect"),
    (
        "accepts and never answers",
        "silent",
        "/health",
        "",
        "timeout",
    ),
    ("reset mid-body", "rst", "/health", "", "reset"),
    ("not a TLS server", "notls", "/health", "", "tls"),
    ("50 MB body", "rawbig", "/health", "", "body_too_large"),
    (
        "expired certificate",
        "expired",
        "/health",
        "",
        "certificate",
    ),
    (
        "HTTP 500",
        "sandbox",
        "/e500",
        "    Then the status is 200\n",
        "server_error",
    ),
    ("redirect loop", "sandbox", "/loop", "", "redirect_loop"),
    (
        "malformed JSON",
        "sandbox",
        "/malformed",
        "",
        "invalid_json",
    ),
    (
        "truncated JSON",
        "sandbox",
        "/version",
        "",
        "truncated_json",
    ),
    (
        "wrong content type",
        "sandbox",
        "/health",
        "",
        "content_type",
    ),
    ("non-UTF-8 body", "sandbox", "/latin", "", "encoding"),
    ("slow drip of bytes", "sandbox", "/drip", "", "body_timeout"),
    ("sandbox reset", "sandbox", "/reset", "", "reset"),
    (
        "sandbox 50 MB body",
        "sandbox",
        "/big",
        "",
        "body_too_large",
    ),
];

fn features() -> String {
    let mut f = String::from("@matrix\nFeature: the fault matrix\n\n");
    for (name, service, path, extra, _) in MATRIX {
        let follow = if *name == "redirect loop" {
            "    And redirects are followed\n"
        } else {
            ""
        };
        let check = if extra.is_empty() {
            "    Then the JSON at \"$.status\" is \"ok\"\n"
        } else {
            extra
        };
        f.push_str(&format!(
            "  Scenario: {name}\n    Given the \"{service}\" service\n{follow}    When I GET \"{path}\"\n{check}\n"
        ));
    }
    f.push_str("  Scenario: the rest of the suite still runs\n    Given the \"healthy\" service\n    When I GET \"/api/version\"\n    Then the JSON at \"$.app\" is \"lucia-admin\"\n\n");
    f.push_str("  @dns\n  Scenario: DNS failure\n    Given the \"dns\" service\n    When I GET \"/health\"\n");
    f
}

fn config(ports: &[(&str, String)]) -> String {
    let ca = repo().join("sandbox/certs/sandbox-ca.pem");
    let mut c = format!(
        "[environments.matrix]\nstatus = \"live\"\nmax_requests_per_second = 100\nrequest_timeout = \"1s\"\nscenario_timeout = \"5s\"\nmax_body_bytes = 1048576\nca_file = {:?}\n\n[environments.matrix.surfaces]\n",
        ca.display().to_string()
    );
    for (name, url) in ports {
        c.push_str(&format!("{name} = \"{url}\"\n"));
    }
    c
}

fn check_matrix(o: &crate::support::Outcome, limit: Duration) {
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    for (name, _, _, _, kind) in MATRIX {
        let s = o.scenario(name);
        assert_eq!(s["status"], "failed", "{name}: {s}");
        assert_eq!(s["error"]["kind"], *kind, "{name}: {}", s["error"]);
        // No hang beyond the configured timeout (1 s a request).
        let took = s["duration_ms"].as_f64().expect("duration");
        assert!(took < 3000.0, "{name} took {took} ms");
    }
    assert_eq!(
        o.scenario("the rest of the suite still runs")["status"],
        "passed"
    );
    assert!(o.elapsed < limit, "the run took {:?}", o.elapsed);
}

async fn start_matrix() -> (
    Vec<(&'static str, String)>,
    sandbox::Running,
    sandbox::Running,
) {
    let mut sb = sandbox::SandboxConfig::default();
    for f in [
        "engine/e500=500",
        "engine/loop=redirect-loop",
        "engine/malformed=malformed",
        "engine/version=truncate",
        "engine/health=content-type:text/html",
        "engine/latin=non-utf8",
        "engine/drip=drip",
        "engine/reset=reset",
        "engine/big=big:50MB",
    ] {
        sb.add_fault(f).expect("fault");
    }
    let faulty = sandbox::start("127.0.0.1:0", sb).await.expect("sandbox");
    let mut ex = sandbox::SandboxConfig::default();
    ex.add_fault("expired-certificate").expect("fault");
    let expired = sandbox::start("127.0.0.1:0", ex).await.expect("sandbox");
    // A route without faults on the same sandbox: one origin's faults do not
    // spoil its other routes.
    let healthy = format!("https://{}/admin", faulty.addr);
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let silent = raw(|mut s| async move {
        read_request(&mut s).await;
        // Accept, read, and never answer.
        std::future::pending::<()>().await;
        drop(s);
    })
    .await;
    let rst = raw(|mut s| async move {
        read_request(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"status\":")
            .await;
        let _ = s.flush().await;
        // SO_LINGER 0: closing sends a TCP RST, mid-body.
        let _ = s.set_zero_linger();
        drop(s);
    })
    .await;
    let notls = raw(|mut s| async move {
        // Whatever the client says (a TLS ClientHello), answer plain HTTP.
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let _ = s
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let rawbig = raw(|mut s| async move {
        read_request(&mut s).await;
        // 50 MB, close-delimited (no Content-Length): only reading tells the size.
        if s.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[",
        )
        .await
        .is_err()
        {
            return;
        }
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..800 {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = s.write_all(b"]").await;
    })
    .await;
    let surfaces = vec![
        ("sandbox", format!("https://{}/engine", faulty.addr)),
        ("healthy", healthy),
        ("expired", format!("https://{}/engine", expired.addr)),
        ("refused", format!("http://127.0.0.1:{refused}")),
        ("silent", format!("http://127.0.0.1:{silent}")),
        ("rst", format!("http://127.0.0.1:{rst}")),
        ("notls", format!("https://127.0.0.1:{notls}")),
        ("rawbig", format!("http://127.0.0.1:{rawbig}")),
        ("dns", "http://lucia-dns-canary.invalid".to_owned()),
    ];
    (surfaces, faulty, expired)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_gives_its_own_kind_and_the_rest_runs() {
    let (surfaces, _faulty, _expired) = start_matrix().await;
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = write(dir.path(), "environments.toml", &config(&surfaces));
    write(dir.path(), "features/matrix.feature", &features());
    let reports = dir.path().join("reports");
    let started = Instant::now();
    let o = plain(
        &[
            "run",
            "--env",
            "matrix",
            "--config",
            cfg.to_str().expect("utf8"),
            "--features",
            dir.path().join("features").to_str().expect("utf8"),
            "--tags",
            "not @dns",
            "--report-dir",
            reports.to_str().expect("utf8"),
        ],
        &[],
    )
    .await;
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("report.json")).expect("report"),
    )
    .expect("json");
    let o = crate::support::Outcome {
        report: Some(report),
        ..o
    };
    check_matrix(&o, Duration::from_secs(8));
    assert!(started.elapsed() < Duration::from_secs(10));
    // Memory stayed bounded: 50 MB bodies were cut at the 1 MB limit, not buffered.
    let rss = o.report()["harness"]["peak_rss_mb"]
        .as_f64()
        .expect("the harness reports its peak RSS");
    assert!(rss < 45.0, "peak RSS {rss} MB: the body was buffered");
    let big = o.scenario("sandbox 50 MB body")["error"]["message"]
        .as_str()
        .expect("msg")
        .to_owned();
    assert!(big.contains("1048576-byte limit"), "{big}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_does_not_resolve_is_dns() {
    // In a network namespace of its own with only loopback, the resolver is
    // unreachable: the lookup fails without a packet leaving the machine.
    let probe = std::process::Command::new("unshare")
        .args(["--net", "true"])
        .status();
    assert!(
        probe.is_ok_and(|s| s.success()),
        "`unshare --net` is needed (root, util-linux): .ci/run runs as root"
    );
    let (surfaces, _faulty, _expired) = start_matrix().await;
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = write(dir.path(), "environments.toml", &config(&surfaces));
    write(dir.path(), "features/matrix.feature", &features());
    let reports = dir.path().join("reports");
    let out = tokio::process::Command::new("unshare")
        .args([
            "--net",
            "sh",
            "-c",
            "ip link set lo up && exec \"$0\" \"$@\"",
        ])
        .arg(env!("CARGO_BIN_EXE_lucia-harness"))
        .args([
            "run",
            "--env",
            "matrix",
            "--tags",
            "@dns",
            "--no-color",
            "--config",
        ])
        .arg(&cfg)
        .arg("--features")
        .arg(dir.path().join("features"))
        .arg("--report-dir")
        .arg(&reports)
        .output()
        .await
        .expect("unshare runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("report.json")).expect("report"),
    )
    .expect("json");
    let s = &report["scenarios"][0];
    assert_eq!(s["scenario"], "DNS failure");
    assert_eq!(s["error"]["kind"], "dns", "{s}");
}
