//! Helpers: start a sandbox, run the binary, read report.json.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where screenshots and what a person should look at go:
/// target/test-artifacts/ (CI uploads it).
pub fn artifacts() -> PathBuf {
    let target = Path::new(env!("CARGO_BIN_EXE_lucia-harness"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo().join("target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

pub fn bin() -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_lucia-harness"));
    c.current_dir(repo());
    c.env_remove("LUCIA_OPERATOR_TOKEN");
    c.env("NO_COLOR", "1");
    c.kill_on_drop(true);
    c
}

pub async fn sandbox(drifts: &[&str], faults: &[&str]) -> sandbox::Running {
    sandbox_from(sandbox::SandboxConfig::default(), drifts, faults).await
}

/// [`sandbox`], starting from `config` (a dialect, say).
pub async fn sandbox_from(
    mut config: sandbox::SandboxConfig,
    drifts: &[&str],
    faults: &[&str],
) -> sandbox::Running {
    for d in drifts {
        config.add_drift(d).expect("drift spec");
    }
    for f in faults {
        config.add_fault(f).expect("fault spec");
    }
    sandbox::start("127.0.0.1:0", config)
        .await
        .expect("sandbox starts")
}

/// What one invocation produced.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub report: Option<Value>,
    pub elapsed: Duration,
    pub dir: tempfile::TempDir,
}

impl Outcome {
    pub fn report(&self) -> &Value {
        self.report.as_ref().unwrap_or_else(|| {
            panic!(
                "no report.json; stderr:\n{}\nstdout:\n{}",
                self.stderr, self.stdout
            )
        })
    }

    /// The scenario whose name contains `name`.
    pub fn scenario(&self, name: &str) -> &Value {
        self.report()["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .find(|s| s["scenario"].as_str().is_some_and(|n| n.contains(name)))
            .unwrap_or_else(|| panic!("no scenario named like {name:?} in {}", self.report()))
    }

    pub fn all_output(&self) -> String {
        let mut s = format!("{}\n{}", self.stdout, self.stderr);
        for e in std::fs::read_dir(self.dir.path()).expect("dir").flatten() {
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                s.push_str(&text);
            }
        }
        s
    }
}

pub async fn run_cmd(args: &[&str], envs: &[(&str, &str)]) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.args(args).arg("--report-dir").arg(dir.path());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out: Output = cmd.output().await.expect("binary runs");
    collect(out, start.elapsed(), dir)
}

pub async fn plain(args: &[&str], envs: &[(&str, &str)]) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd.output().await.expect("binary runs");
    collect(out, start.elapsed(), dir)
}

fn collect(out: Output, elapsed: Duration, dir: tempfile::TempDir) -> Outcome {
    let report = std::fs::read_to_string(dir.path().join("report.json"))
        .ok()
        .map(|t| serde_json::from_str(&t).expect("report.json is JSON"));
    let o = Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        report,
        elapsed,
        dir,
    };
    assert!(
        !o.stderr.contains("panicked"),
        "the harness panicked:\n{}",
        o.stderr
    );
    o
}

/// A snapshots directory with the v0.1.3.6 baseline captured from `local`
/// (the sandbox at `origin`), approved or not; `global` adds options such
/// as `--features DIR`.
pub async fn capture_baseline(dir: &Path, origin: &str, approve: bool, global: &[&str]) {
    std::fs::copy(
        repo().join("snapshots/normalise.toml"),
        dir.join("normalise.toml"),
    )
    .expect("rules");
    let snaps = dir.to_str().expect("utf8");
    let capture = [
        "capture",
        "--env",
        "local",
        "--origin",
        origin,
        "--version",
        "v0.1.3.6",
    ];
    let review = [
        "approve",
        "--version",
        "v0.1.3.6",
        "--reviewer",
        "Eval Labs",
    ];
    let steps: &[&[&str]] = if approve {
        &[&capture, &review]
    } else {
        &[&capture]
    };
    for step in steps {
        let args = [&["--snapshots", snaps], global, &["baseline"], step].concat();
        let o = plain(&args, &[]).await;
        assert_eq!(o.code, 0, "{args:?}: {}\n{}", o.stdout, o.stderr);
    }
}

/// Leaves out the `@baseline` scenarios: they compare with a captured
/// baseline (and would count each drift twice); tests/it/baseline.rs
/// captures one and tests them.
pub const NOT_BASELINE: [&str; 2] = ["--tags", "not @baseline"];

/// `run --env local` against a sandbox origin, with extra arguments (and,
/// unless they say `--tags`, without the `@baseline` scenarios).
pub async fn run_local(origin: &str, extra: &[&str]) -> Outcome {
    let mut args = vec!["run", "--env", "local", "--origin", origin];
    args.extend_from_slice(extra);
    if !extra.contains(&"--tags") {
        args.extend(NOT_BASELINE);
    }
    run_cmd(&args, &[]).await
}

/// `run --env local` against a sandbox origin with one feature written for
/// the test, alone in its directory so nothing else runs.
pub async fn run_feature(origin: &str, feature: &str, envs: &[(&str, &str)]) -> Outcome {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "test.feature", feature);
    let features = dir.path().to_str().expect("utf8");
    run_cmd(
        &[
            "run",
            "--env",
            "local",
            "--origin",
            origin,
            "--features",
            features,
        ],
        envs,
    )
    .await
}

/// Every file under `dir`, relative path → bytes.
pub fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root").to_owned();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Copies every file under `from` to the same place under `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for (rel, bytes) in files(from) {
        write_bytes(&to.join(rel), &bytes);
    }
}

fn write_bytes(p: &Path, bytes: &[u8]) {
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, bytes).expect("write");
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    write_bytes(&p, text.as_bytes());
    p
}

/// Every failed scenario failed with `kind`, few failed, and the rest of
/// the suite ran and passed.
pub fn only_route_failures(o: &Outcome, spec: &str, kind: &str) {
    let scenarios = o.report()["scenarios"].as_array().expect("scenarios");
    let failed: Vec<&Value> = scenarios
        .iter()
        .filter(|s| s["status"] == "failed")
        .collect();
    assert!(
        (1..=3).contains(&failed.len()),
        "{spec}: {} failed\n{}",
        failed.len(),
        o.stdout
    );
    for s in &failed {
        assert_eq!(s["error"]["kind"], kind, "{spec}: {s}");
    }
    let passed = scenarios.iter().filter(|s| s["status"] == "passed").count();
    assert!(passed >= 35, "{spec}: only {passed} passed\n{}", o.stdout);
}

/// A session as `postgres` on the machine's PostgreSQL (127.0.0.1:5432).
pub async fn postgres_admin() -> tokio_postgres::Client {
    let admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres";
    let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    tokio::spawn(conn);
    client
}

/// A fresh database on the machine's PostgreSQL with the ledger schema
/// (the demo's own mechanism), or its misconfigured variant.
pub async fn ledger_database(misconfigured: bool) -> (String, String) {
    let name = format!(
        "lucia_ledger_{}",
        std::process::id() * 10 + u32::from(misconfigured)
    );
    let dsn = lucia_harness::demo::database::create_ledger_database(&name)
        .await
        .expect("the ledger database loads");
    if misconfigured {
        let (db, conn) = tokio_postgres::connect(&dsn, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        let bad = std::fs::read_to_string(repo().join("sandbox/sql/ledger-misconfigured.sql"))
            .expect("variant");
        db.batch_execute(&bad).await.expect("variant loads");
    }
    (name, dsn)
}

pub async fn drop_database(name: &str) {
    lucia_harness::demo::database::drop_database(name)
        .await
        .expect("drop");
}

/// A fresh, empty database on the machine's PostgreSQL for a `--state`
/// URL; [`StateDatabase::drop`] removes it.
#[derive(Debug)]
pub struct StateDatabase {
    pub name: String,
    pub url: String,
}

impl StateDatabase {
    pub async fn create() -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "lucia_state_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let admin = postgres_admin().await;
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .expect("drop");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create");
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        Self { name, url }
    }

    pub async fn drop(self) {
        let _ = postgres_admin()
            .await
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

/// Runs one of the ecosystem's own checkers from tests/tools (`node
/// tests/tools/X.mjs …`, or `tests/tools/.venv/bin/python tests/tools/X.py
/// …`; scripts/test installs both) and returns its stdout; fails the test,
/// with what it said, when it exits non-zero.
pub fn tool(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let path = repo().join("tests/tools").join(script);
    let mut cmd = if script.ends_with(".py") {
        let mut c = std::process::Command::new(repo().join("tests/tools/.venv/bin/python"));
        c.arg(&path);
        c
    } else {
        let mut c = std::process::Command::new("node");
        c.arg(&path);
        c
    };
    let out = cmd
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{script} runs (scripts/test --setup-only installs it): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} {args:?}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
