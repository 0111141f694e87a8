//! Helpers for `serve` tests: the binary serving on 127.0.0.1:0 with its
//! log captured, readiness waits on /healthz, and a Sentry-compatible
//! envelope receiver on 127.0.0.1:0.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};

use super::harness::bin;

/// How long any wait in these tests may take before it fails the test.
pub const PATIENCE: Duration = Duration::from_secs(90);

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// `lucia-harness serve` running in the background.
pub struct Serve {
    pub child: tokio::process::Child,
    pub base: String,
    log: Arc<Mutex<String>>,
    out: Arc<Mutex<String>>,
}

impl Serve {
    /// Starts `serve --addr 127.0.0.1:0 ARGS` and waits for its "listening on" line.
    pub async fn start(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut cmd = bin();
        cmd.arg("serve").arg("--addr").arg("127.0.0.1:0").args(args);
        cmd.env_remove("SENTRY_DSN")
            .env_remove("LUCIA_HARNESS_TOKEN")
            .env_remove("RUST_LOG");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut stdout = child.stdout.take().expect("stdout");
        let out = Arc::new(Mutex::new(String::new()));
        let out_sink = Arc::clone(&out);
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt as _;
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf).await;
            out_sink
                .lock()
                .expect("stdout")
                .push_str(&String::from_utf8_lossy(&buf));
        });
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sink = Arc::clone(&log);
        tokio::spawn(async move {
            let mut tx = Some(tx);
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("listening on http://").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let addr = rest.split('/').next().unwrap_or("").to_owned();
                    let _ = tx.send(addr);
                }
                let mut l = sink.lock().expect("log");
                l.push_str(&line);
                l.push('\n');
            }
        });
        let addr = match tokio::time::timeout(PATIENCE, rx).await {
            Ok(Ok(a)) => a,
            _ => panic!(
                "serve did not start; its log:\n{}",
                log.lock().expect("log")
            ),
        };
        Self {
            child,
            base: format!("http://{addr}"),
            log,
            out,
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// What it wrote to stdout (complete once it has exited).
    pub fn stdout(&self) -> String {
        self.out.lock().expect("stdout").clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        http().get(self.url(path)).send().await.expect("GET")
    }

    pub async fn json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("JSON")
    }

    /// Polls /healthz until `f` holds (a readiness wait, not a sleep).
    pub async fn wait_until(&self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            if let Ok(r) = http().get(self.url("/healthz")).send().await
                && let Ok(v) = r.json::<Value>().await
                && f(&v)
            {
                return v;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for {what}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `env` has finished `n` runs in this process.
    pub async fn runs(&self, env: &str, n: u64) -> Value {
        self.wait_until(&format!("{n} run(s) of {env}"), |h| {
            h["environments"][env]["runs_this_process"]
                .as_u64()
                .is_some_and(|r| r >= n)
        })
        .await
    }

    /// SIGTERM, then waits for the exit.
    pub async fn terminate(self) -> (ExitStatus, String) {
        let (status, log, _) = self.stop().await;
        (status, log)
    }

    /// SIGTERM, then waits for the exit: the status, stderr and stdout.
    pub async fn stop(mut self) -> (ExitStatus, String, String) {
        let pid = self.child.id().expect("running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("serve did not stop on SIGTERM; log:\n{}", self.log()))
            .expect("wait");
        // The log tasks drain what is left of stderr and stdout.
        tokio::time::sleep(Duration::from_millis(100)).await;
        (status, self.log(), self.stdout())
    }

    /// SIGKILL: no chance to clean up.
    pub async fn kill9(mut self) -> String {
        self.child.kill().await.expect("SIGKILL");
        self.log()
    }
}

/// The state database of a test.
pub fn state_file(dir: &Path) -> PathBuf {
    dir.join("state/harness.db")
}

/// One HTTP request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub auth: String,
    pub body: Vec<u8>,
}

/// A Sentry-compatible envelope endpoint (`POST /api/<project>/envelope/`)
/// on 127.0.0.1:0: what the real reqwest+rustls transport talks to.
pub struct SentryReceiver {
    pub dsn: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SentryReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SentryReceiver {
    pub async fn start() -> Self {
        use axum::extract::{Path as UrlPath, State};
        use axum::http::HeaderMap;
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let app = axum::Router::new()
            .route(
                "/api/{project}/envelope/",
                axum::routing::post(
                    |State(store): State<Arc<Mutex<Vec<Received>>>>,
                     UrlPath(project): UrlPath<String>,
                     headers: HeaderMap,
                     body: axum::body::Bytes| async move {
                        store.lock().expect("store").push(Received {
                            path: format!("/api/{project}/envelope/"),
                            auth: headers
                                .get("x-sentry-auth")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned(),
                            body: body.to_vec(),
                        });
                        "{}"
                    },
                ),
            )
            .with_state(Arc::clone(&received));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            dsn: format!("http://public@{addr}/1"),
            received,
            task,
        }
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().expect("received").clone()
    }

    /// Every envelope item, in the order received.
    pub fn items(&self) -> Vec<sentry::protocol::EnvelopeItem> {
        self.all()
            .iter()
            .flat_map(|r| {
                sentry::Envelope::from_slice(&r.body)
                    .unwrap_or_else(|e| {
                        panic!(
                            "not an envelope ({e}): {}",
                            String::from_utf8_lossy(&r.body)
                        )
                    })
                    .into_items()
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub fn events(&self) -> Vec<sentry::protocol::Event<'static>> {
        self.items()
            .into_iter()
            .filter_map(|i| match i {
                sentry::protocol::EnvelopeItem::Event(e) => Some(*e),
                _ => None,
            })
            .collect()
    }

    pub fn check_ins(&self) -> Vec<sentry::protocol::MonitorCheckIn> {
        self.items()
            .into_iter()
            .filter_map(|i| match i {
                sentry::protocol::EnvelopeItem::MonitorCheckIn(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// Every byte received, as text (for secret canaries).
    pub fn raw(&self) -> String {
        self.all()
            .iter()
            .map(|r| {
                format!(
                    "{} {}\n{}\n",
                    r.path,
                    r.auth,
                    String::from_utf8_lossy(&r.body)
                )
            })
            .collect()
    }
}

/// Runs `promtool ARGS` with `stdin`; the tool is required (scripts/test installs it).
pub fn promtool(args: &[&str], stdin: Option<&[u8]>, dir: &Path) -> (bool, String) {
    use std::io::Write as _;
    let mut child = std::process::Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs (Debian package prometheus; scripts/test installs it)");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("promtool");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The engine area of the repository's features: four scenarios (without
/// the @baseline ones), fast.
pub const ENGINE: &str = "features/engine";

/// `serve` of the engine features against `origin`, every second unless `extra` says otherwise.
pub fn serve_args<'a>(origin: &'a str, state: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "--features",
        ENGINE,
        "--env",
        "local",
        "--origin",
        origin,
        "--state",
        state,
    ];
    if !extra.contains(&"--schedule") {
        a.extend(["--schedule", "1s"]);
    }
    // No baseline is captured in the repository: leave the comparisons out.
    a.extend(super::harness::NOT_BASELINE);
    a.extend_from_slice(extra);
    a
}
