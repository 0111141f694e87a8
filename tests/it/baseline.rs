//! Baselines against the sandbox: capture (twice, identically; noise
//! detected), drift of each kind reported with its path and class by `diff`
//! and by `run`, versions compared, review recorded, nothing pending ever
//! approved, insta reads the files, and no secret or personal data reaches
//! a snapshot or a report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Outcome, files, plain, repo, run_cmd, sandbox};

/// A snapshots directory with the repository's rules file in it.
fn snapshots() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::copy(
        repo().join("snapshots/normalise.toml"),
        dir.path().join("normalise.toml"),
    )
    .expect("copy the rules");
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

async fn baseline(args: &[&str], dir: &Path) -> Outcome {
    let mut all = vec!["baseline"];
    all.extend_from_slice(args);
    all.extend(["--snapshots", s(dir)]);
    plain(&all, &[]).await
}

async fn capture(origin: &str, dir: &Path, version: &str) -> Outcome {
    let o = baseline(
        &[
            "capture",
            "--env",
            "local",
            "--origin",
            origin,
            "--version",
            version,
        ],
        dir,
    )
    .await;
    assert_eq!(o.code, 0, "capture:\n{}\n{}", o.stdout, o.stderr);
    o
}

async fn approve(dir: &Path, version: &str, reviewer: &str) {
    let o = baseline(
        &["approve", "--version", version, "--reviewer", reviewer],
        dir,
    )
    .await;
    assert_eq!(o.code, 0, "approve: {}", o.stderr);
}

async fn diff_json(args: &[&str], dir: &Path) -> (i32, Value) {
    let mut all = vec!["diff", "--format", "json"];
    all.extend_from_slice(args);
    let o = baseline(&all, dir).await;
    let v = serde_json::from_str(&o.stdout)
        .unwrap_or_else(|e| panic!("diff JSON: {e}\n{}\n{}", o.stdout, o.stderr));
    (o.code, v)
}

/// `run --env local --tags @baseline` against the sandbox and a snapshots dir.
async fn run_baselines(origin: &str, dir: &Path) -> Outcome {
    run_cmd(
        &[
            "run",
            "--env",
            "local",
            "--origin",
            origin,
            "--tags",
            "@baseline",
            "--snapshots",
            s(dir),
        ],
        &[],
    )
    .await
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn snaps(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files(dir)
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "snap"))
        .collect()
}

fn entry<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["baselines"]
        .as_array()
        .expect("baselines")
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

const RELEASE: &str = "v0.1.3.6";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_twice_in_a_row_writes_identical_files() {
    let sb = sandbox(&[], &[]).await;
    let dir = snapshots();
    let first = capture(&sb.origin(), dir.path(), RELEASE).await;
    assert!(
        first.stdout.contains("4 baselines: 4 written"),
        "{}",
        first.stdout
    );
    let before = files(dir.path());
    assert_eq!(snaps(dir.path()).len(), 4, "{:?}", before.keys());
    assert!(before.contains_key(Path::new("v0.1.3.6/BASELINE.toml")));
    assert!(before.contains_key(Path::new("v0.1.3.6/local/engine/health.snap")));

    // Again into the same directory: every file keeps its bytes, nothing pending.
    let again = capture(&sb.origin(), dir.path(), RELEASE).await;
    assert!(
        again
            .stdout
            .contains("4 baselines: 0 written, 4 unchanged, 0 pending"),
        "{}",
        again.stdout
    );
    assert_eq!(files(dir.path()), before);

    // And into a fresh directory from another sandbox (another port, another
    // start time, other request ids): the same snapshots, byte for byte.
    let other = sandbox(&[], &[]).await;
    let fresh = snapshots();
    capture(&other.origin(), fresh.path(), RELEASE).await;
    assert_eq!(snaps(fresh.path()), snaps(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snap_files_load_with_insta() {
    let sb = sandbox(&[], &[]).await;
    let dir = snapshots();
    capture(&sb.origin(), dir.path(), RELEASE).await;
    let all = snaps(dir.path());
    assert_eq!(all.len(), 4);
    for rel in all.keys() {
        let path = dir.path().join(rel);
        let snap = insta::Snapshot::from_file(&path)
            .unwrap_or_else(|e| panic!("insta cannot read {}: {e}", path.display()));
        let md = snap.metadata();
        assert!(
            md.source()
                .is_some_and(|s| s.starts_with("features/") && s.ends_with(".feature")),
            "{rel:?}: {:?}",
            md.source()
        );
        assert!(md.assertion_line().is_some_and(|l| l > 0));
        assert!(
            md.expression().is_some_and(|e| e.starts_with("GET ")),
            "{:?}",
            md.expression()
        );
        let text = snap
            .contents()
            .as_text()
            .expect("a text snapshot")
            .to_string();
        let doc: Value = serde_json::from_str(&text).expect("contents are JSON");
        assert_eq!(doc["status"], 200, "{rel:?}");
        assert_eq!(doc["content_type"], "application/json");
        // insta's reading and ours agree.
        let ours =
            probes::core::snapshot::SnapFile::parse(&std::fs::read_to_string(&path).expect("read"))
                .expect("parses");
        assert_eq!(ours.document().expect("json"), doc);
        assert_eq!(ours.header.expression.as_deref(), md.expression());
        // A file insta rewrites (as `cargo insta review` does) still reads back.
        let rewritten = dir.path().join("rewritten.snap");
        snap.save(&rewritten).expect("insta saves");
        let back = probes::core::snapshot::SnapFile::parse(
            &std::fs::read_to_string(&rewritten).expect("read"),
        )
        .expect("parses insta's file");
        assert_eq!(back.document().expect("json"), doc);
        std::fs::remove_file(&rewritten).expect("rm");
    }
}

/// (sandbox drift, baseline, path, kind, class, scenario)
const DRIFTS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "engine/version=change:branch=\"stage\"",
        "engine/version",
        "$.branch",
        "changed",
        "value",
        "Engine version matches the baseline",
    ),
    (
        "engine/health=remove:status",
        "engine/health",
        "$.status",
        "removed",
        "breaking",
        "Engine health matches the baseline",
    ),
    (
        "engine/admin/operator-focus=type:focus_reservation.nights",
        "eval_labs/operator_focus",
        "$.focus_reservation.nights",
        "type-changed",
        "breaking",
        "Operator focus matches the baseline",
    ),
    (
        "admin/api/version=add:region=\"eu\"",
        "admin/version",
        "$.region",
        "added",
        "additive",
        "Admin version matches the baseline",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_drift_is_reported_with_path_and_class_by_diff_and_run() {
    let clean = sandbox(&[], &[]).await;
    let dir = snapshots();
    capture(&clean.origin(), dir.path(), RELEASE).await;
    for (spec, name, path, kind, class, scenario) in DRIFTS {
        let sb = sandbox(&[spec], &[]).await;

        let (code, r) = diff_json(&["--env", "local", "--origin", &sb.origin()], dir.path()).await;
        assert_eq!(code, 1, "{spec}: live drift is never approved: {r}");
        let verdict = if *class == "breaking" {
            "breaking"
        } else {
            "unapproved_drift"
        };
        assert_eq!(r["verdict"], verdict, "{spec}");
        assert_eq!(
            r["summary"]["drifted"], 1,
            "{spec}: only the drifted route: {r}"
        );
        assert_eq!(r["summary"]["unchanged"], 3, "{spec}");
        let b = entry(&r, name);
        assert_eq!(b["outcome"], "drifted", "{spec}");
        let changes = b["changes"].as_array().expect("changes");
        assert_eq!(changes.len(), 1, "{spec}: {changes:?}");
        assert_eq!(changes[0]["path"], *path, "{spec}");
        assert_eq!(changes[0]["kind"], *kind, "{spec}");
        assert_eq!(changes[0]["class"], *class, "{spec}");
        assert!(
            !b["text"].as_array().expect("text diff").is_empty(),
            "{spec}"
        );

        for format in ["terminal", "markdown"] {
            let o = baseline(
                &[
                    "diff",
                    "--env",
                    "local",
                    "--origin",
                    &sb.origin(),
                    "--format",
                    format,
                ],
                dir.path(),
            )
            .await;
            assert_eq!(o.code, 1, "{spec} {format}");
            assert!(
                o.stdout.contains(path) && o.stdout.contains(class),
                "{spec} {format}:\n{}",
                o.stdout
            );
        }

        let o = run_baselines(&sb.origin(), dir.path()).await;
        assert_eq!(o.code, 1, "{spec}: {}", o.stdout);
        let rs = o.scenario(scenario);
        assert_eq!(rs["status"], "failed", "{spec}");
        assert_eq!(rs["error"]["kind"], "drift", "{spec}: {}", rs["error"]);
        let msg = rs["error"]["message"].as_str().expect("message");
        assert!(
            msg.contains(path) && msg.contains(class) && msg.contains(kind),
            "{spec}: {msg}"
        );
        assert_eq!(o.report()["summary"]["drifted"], 1, "{spec}: {}", o.stdout);
        assert_eq!(o.report()["summary"]["passed"], 3, "{spec}: {}", o.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noise_is_detected_at_capture_and_never_reported_as_drift() {
    let sb = sandbox(&[], &[]).await;
    let dir = snapshots();
    let o = capture(&sb.origin(), dir.path(), RELEASE).await;
    assert!(o.stdout.contains("noise: $.sequence"), "{}", o.stdout);
    let manifest =
        std::fs::read_to_string(dir.path().join("v0.1.3.6/BASELINE.toml")).expect("manifest");
    let m: toml::Table = toml::from_str(&manifest).expect("toml");
    let noise = |name: &str| {
        m["baselines"][name]["noise"]
            .as_array()
            .expect("noise")
            .clone()
    };
    // The counter differs on every request and has no recognisable format:
    // only the two samples can tell it is noise.
    assert_eq!(
        noise("eval_labs/operator_focus"),
        vec![toml::Value::from("$.sequence")]
    );
    assert!(
        noise("engine/health").is_empty(),
        "uptime, time and request_id are normalised, not noise"
    );
    let focus = read(dir.path(), "v0.1.3.6/local/eval_labs/operator_focus.snap");
    assert!(focus.contains("\"sequence\": \"[noise]\""), "{focus}");
    let health = read(dir.path(), "v0.1.3.6/local/engine/health.snap");
    for placeholder in [
        "\"time\": \"[timestamp]\"",
        "\"request_id\": \"[request_id]\"",
        "\"uptime_seconds\": \"[volatile]\"",
    ] {
        assert!(health.contains(placeholder), "{placeholder}: {health}");
    }

    // The counter has moved on by now; nothing drifted.
    for _ in 0..2 {
        let (code, r) = diff_json(&["--env", "local", "--origin", &sb.origin()], dir.path()).await;
        assert_eq!(code, 0, "{r}");
        assert_eq!(r["verdict"], "no_drift");
        assert_eq!(
            entry(&r, "eval_labs/operator_focus")["outcome"],
            "unchanged"
        );
    }
    let o = run_baselines(&sb.origin(), dir.path()).await;
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert_eq!(o.report()["summary"]["passed"], 4);
    assert_eq!(o.report()["summary"]["drifted"], 0);

    // A response that cannot be observed is "could not tell" (exit 3), not drift.
    let broken = sandbox(&[], &["engine/version=503"]).await;
    let (code, r) = diff_json(
        &["--env", "local", "--origin", &broken.origin()],
        dir.path(),
    )
    .await;
    assert_eq!(code, 3, "{r}");
    assert_eq!(r["verdict"], "inconclusive");
    let b = entry(&r, "engine/version");
    assert_eq!(b["outcome"], "not_observed");
    assert!(
        b["detail"].as_str().is_some_and(|d| d.contains("503")),
        "{b}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stored_versions_are_compared_and_approval_decides_the_exit_code() {
    let clean = sandbox(&[], &[]).await;
    let dir = snapshots();
    capture(&clean.origin(), dir.path(), "v0.1.3.6").await;
    let specs: Vec<&str> = DRIFTS.iter().map(|d| d.0).collect();
    let drifted = sandbox(&specs, &[]).await;
    capture(&drifted.origin(), dir.path(), "v0.1.3.7").await;

    let (code, r) = diff_json(&["--from", "v0.1.3.6", "--to", "v0.1.3.7"], dir.path()).await;
    assert_eq!(code, 1, "{r}");
    assert_eq!(r["verdict"], "breaking");
    assert_eq!(r["summary"]["drifted"], 4);
    assert_eq!(r["summary"]["breaking"], 2, "{r}");
    assert_eq!(r["summary"]["additive"], 1, "{r}");
    assert_eq!(r["summary"]["value"], 1, "{r}");
    for (_, name, path, kind, class, _) in DRIFTS {
        let c = &entry(&r, name)["changes"][0];
        assert_eq!(
            (c["path"].as_str(), c["kind"].as_str(), c["class"].as_str()),
            (Some(*path), Some(*kind), Some(*class)),
            "{name}"
        );
    }

    // Only an additive change: exit 1 until the new version is approved, then 0.
    let additive = sandbox(&[DRIFTS[3].0], &[]).await;
    capture(&additive.origin(), dir.path(), "v0.1.3.8").await;
    let (code, r) = diff_json(&["--from", "v0.1.3.6", "--to", "v0.1.3.8"], dir.path()).await;
    assert_eq!(
        (code, r["verdict"].as_str()),
        (1, Some("unapproved_drift")),
        "{r}"
    );
    approve(dir.path(), "v0.1.3.8", "Eval Labs").await;
    let (code, r) = diff_json(&["--from", "v0.1.3.6", "--to", "v0.1.3.8"], dir.path()).await;
    assert_eq!(
        (code, r["verdict"].as_str()),
        (0, Some("approved_drift")),
        "{r}"
    );
    // Breaking drift stays exit 1, approved or not.
    approve(dir.path(), "v0.1.3.7", "Eval Labs").await;
    let (code, _) = diff_json(&["--from", "v0.1.3.6", "--to", "v0.1.3.7"], dir.path()).await;
    assert_eq!(code, 1);

    // Bad input is exit 2, naming what is missing.
    let o = baseline(&["diff", "--from", "v9", "--to", "v0.1.3.6"], dir.path()).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("v9/BASELINE.toml"), "{}", o.stderr);
    let o = baseline(&["diff", "--from", "v0.1.3.6"], dir.path()).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    let o = baseline(
        &[
            "diff", "--env", "local", "--from", "v0.1.3.6", "--to", "v0.1.3.7",
        ],
        dir.path(),
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_never_overwrites_and_approval_is_explicit_and_recorded() {
    let clean = sandbox(&[], &[]).await;
    let dir = snapshots();
    capture(&clean.origin(), dir.path(), RELEASE).await;
    let o = baseline(&["status"], dir.path()).await;
    assert!(
        o.stdout.contains("v0.1.3.6  captured from local")
            && o.stdout.contains("4 baselines · 0 pending · not reviewed"),
        "{}",
        o.stdout
    );

    let o = baseline(
        &[
            "approve",
            "--version",
            RELEASE,
            "--reviewer",
            "Ada Lovelace",
            "--note",
            "dev baseline, first pass",
        ],
        dir.path(),
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    let approved = files(dir.path());
    let manifest: toml::Table = toml::from_str(
        std::str::from_utf8(&approved[Path::new("v0.1.3.6/BASELINE.toml")]).expect("utf8"),
    )
    .expect("toml");
    let review = &manifest["review"];
    assert_eq!(review["reviewer"].as_str(), Some("Ada Lovelace"));
    assert_eq!(review["verdict"].as_str(), Some("approved"));
    assert_eq!(review["note"].as_str(), Some("dev baseline, first pass"));
    assert!(
        review["reviewed_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("20"))
    );
    assert!(
        review["hash"]
            .as_str()
            .is_some_and(|h| h.starts_with("sha256:") && h.len() == 71)
    );

    // A capture that differs writes .snap.new beside the approved .snap.
    let drifted = sandbox(&["engine/health=remove:status"], &[]).await;
    let o = capture(&drifted.origin(), dir.path(), RELEASE).await;
    assert!(
        o.stdout.contains("engine/health.snap.new waits for review")
            && o.stdout.contains("breaking  removed      $.status"),
        "{}",
        o.stdout
    );
    let snap = Path::new("v0.1.3.6/local/engine/health.snap");
    let now = files(dir.path());
    assert_eq!(
        now[snap], approved[snap],
        "the approved snapshot is untouched"
    );
    assert!(now.contains_key(Path::new("v0.1.3.6/local/engine/health.snap.new")));
    // `run` still compares with the approved snapshot.
    let o = run_baselines(&drifted.origin(), dir.path()).await;
    assert_eq!(
        o.scenario("Engine health matches")["error"]["kind"],
        "drift"
    );

    // Approval refuses while something is pending.
    let o = baseline(
        &[
            "approve",
            "--version",
            RELEASE,
            "--reviewer",
            "Ada Lovelace",
        ],
        dir.path(),
    )
    .await;
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("refusing to approve v0.1.3.6")
            && o.stderr.contains("engine/health.snap.new"),
        "{}",
        o.stderr
    );
    let o = baseline(&["status", "--format", "json"], dir.path()).await;
    let st: Value = serde_json::from_str(&o.stdout).expect("json");
    assert_eq!(st[0]["pending"].as_array().expect("pending").len(), 1);
    assert_eq!(st[0]["approved"], true, "the approved files did not change");

    // Reject drops it; capture again, accept promotes it, and the review goes stale.
    let o = baseline(&["reject", "--version", RELEASE], dir.path()).await;
    assert!(o.stdout.contains("rejected engine/health"), "{}", o.stdout);
    assert_eq!(files(dir.path()), approved);
    capture(&drifted.origin(), dir.path(), RELEASE).await;
    let o = baseline(&["accept", "--version", RELEASE, "engine/nope"], dir.path()).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    let o = baseline(
        &["accept", "--version", RELEASE, "engine/health"],
        dir.path(),
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("accepted engine/health") && o.stdout.contains("no longer matches"),
        "{}",
        o.stdout
    );
    let o = baseline(&["status", "--version", RELEASE], dir.path()).await;
    assert!(
        o.stdout.contains("0 pending · reviewed by Ada Lovelace")
            && o.stdout.contains("changed since"),
        "{}",
        o.stdout
    );
    let o = run_baselines(&drifted.origin(), dir.path()).await;
    assert_eq!(
        o.code, 0,
        "the accepted snapshot is the baseline now: {}",
        o.stdout
    );
    approve(dir.path(), RELEASE, "Ada Lovelace").await;
    let o = baseline(&["status"], dir.path()).await;
    assert!(
        o.stdout.contains("· approved by Ada Lovelace"),
        "{}",
        o.stdout
    );

    // Bad input.
    let o = baseline(
        &["approve", "--version", RELEASE, "--reviewer", "  "],
        dir.path(),
    )
    .await;
    assert_eq!(o.code, 2);
    let o = baseline(
        &[
            "capture",
            "--env",
            "local",
            "--origin",
            &clean.origin(),
            "--version",
            "../x",
        ],
        dir.path(),
    )
    .await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("bad version"), "{}", o.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_baseline_fails_the_step_naming_the_file() {
    let sb = sandbox(&[], &[]).await;
    let empty = snapshots();
    let o = run_baselines(&sb.origin(), empty.path()).await;
    assert_eq!(o.code, 1, "never a silent pass: {}", o.stdout);
    for s in o.report()["scenarios"].as_array().expect("scenarios") {
        assert_eq!(s["status"], "failed", "{s}");
        assert_eq!(s["error"]["kind"], "config", "{s}");
        let msg = s["error"]["message"].as_str().expect("msg");
        assert!(
            msg.contains("v0.1.3.6/BASELINE.toml") && msg.contains("baseline capture"),
            "{msg}"
        );
    }
    assert_eq!(o.report()["summary"]["drifted"], 0);

    // A manifest whose snapshot file is gone: the message names that file.
    capture(&sb.origin(), empty.path(), RELEASE).await;
    std::fs::remove_file(empty.path().join("v0.1.3.6/local/admin/version.snap")).expect("rm");
    let o = run_baselines(&sb.origin(), empty.path()).await;
    let s = o.scenario("Admin version matches the baseline");
    assert_eq!(s["error"]["kind"], "config");
    assert!(
        s["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("local/admin/version.snap: does not exist"),
        "{s}"
    );

    // A broken rules file is bad input: exit 2 with file and line.
    std::fs::write(
        empty.path().join("normalise.toml"),
        "[default]\nvolatile_paths = [\"$[\"]\n",
    )
    .expect("write");
    let o = run_baselines(&sb.origin(), empty.path()).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("normalise.toml") && o.stderr.contains("volatile_paths"),
        "{}",
        o.stderr
    );
}

const CANARY: &str = "canary-5e0c2b7a-operator-secret";

async fn with_canary(args: &[&str], dir: &Path) -> Outcome {
    let mut all = args.to_vec();
    all.extend(["--snapshots", s(dir)]);
    plain(&all, &[("LUCIA_OPERATOR_TOKEN", CANARY)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_and_personal_data_never_reach_snapshots_or_reports() {
    // The sandbox knows the canary as its operator token, and its answers
    // carry the seed's guest (operator focus) plus planted personal data and
    // the secret itself.
    let planted = [
        "engine/health=add:contact=Call Rowan Ellery (rowan.e@guest.example) on +44 20 7946 0958",
        "engine/version=add:debug_token=canary-5e0c2b7a-operator-secret",
        "admin/api/version=add:owner=ROWAN ellery",
    ];
    let start = |drifts: &[&str]| {
        let mut config = sandbox::SandboxConfig {
            credentials: sandbox::Credentials {
                operator_token: CANARY.to_owned(),
                ..sandbox::Credentials::default()
            },
            ..sandbox::SandboxConfig::default()
        };
        for d in drifts {
            config.drifts.push(d.parse().expect("drift"));
        }
        sandbox::start("127.0.0.1:0", config)
    };
    let clean = start(&[]).await.expect("sandbox");
    let leaky = start(&planted).await.expect("sandbox");
    let dir = snapshots();
    // The planted guest joins the seed's in the rules file (knowledge in files).
    let rules = read(dir.path(), "normalise.toml").replace(
        "personal_names = [\"Harper Quinn\"]",
        "personal_names = [\"Harper Quinn\", \"Rowan Ellery\"]",
    );
    assert!(rules.contains("Rowan Ellery"), "{rules}");
    std::fs::write(dir.path().join("normalise.toml"), rules).expect("rules");
    let reports = tempfile::tempdir().expect("tmp");
    let mut outputs = String::new();
    // Capture from the clean sandbox, and a second version from the leaky one.
    for (origin, version) in [(clean.origin(), "v0.1.3.6"), (leaky.origin(), "v0.1.3.7")] {
        let o = with_canary(
            &[
                "baseline",
                "capture",
                "--env",
                "local",
                "--origin",
                &origin,
                "--version",
                version,
            ],
            dir.path(),
        )
        .await;
        assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
        outputs += &o.stdout;
        outputs += &o.stderr;
    }
    // Compare live and stored, in every format.
    for format in ["terminal", "markdown", "json"] {
        let o = with_canary(
            &[
                "baseline",
                "diff",
                "--env",
                "local",
                "--origin",
                &leaky.origin(),
                "--format",
                format,
            ],
            dir.path(),
        )
        .await;
        assert_eq!(o.code, 1, "{}", o.stderr);
        outputs += &o.stdout;
        let o = with_canary(
            &[
                "baseline", "diff", "--from", "v0.1.3.6", "--to", "v0.1.3.7", "--format", format,
            ],
            dir.path(),
        )
        .await;
        outputs += &o.stdout;
    }
    let o = with_canary(&["baseline", "status"], dir.path()).await;
    outputs += &o.stdout;
    // A full run (functional scenarios quote the planted fields in their failures).
    let o = with_canary(
        &[
            "run",
            "--env",
            "local",
            "--origin",
            &leaky.origin(),
            "--report-dir",
            s(reports.path()),
        ],
        dir.path(),
    )
    .await;
    assert_eq!(o.code, 1);
    outputs += &o.stdout;
    outputs += &o.stderr;

    // The planted values really went through: their placeholders are there.
    let report = std::fs::read_to_string(reports.path().join("report.json")).expect("report");
    for placeholder in ["[name]", "[email]", "[phone]", "${LUCIA_OPERATOR_TOKEN}"] {
        assert!(
            outputs.contains(placeholder),
            "{placeholder} not in the outputs"
        );
    }
    assert!(
        report.contains("[name]") && report.contains("${LUCIA_OPERATOR_TOKEN}"),
        "{report}"
    );
    let focus = read(dir.path(), "v0.1.3.6/local/eval_labs/operator_focus.snap");
    assert!(focus.contains("\"guest_name\": \"[name]\""), "{focus}");

    // Everything written: stdout and stderr, every report, every file under
    // the snapshots directory but the rules file (an input naming whom to redact).
    let mut snapshot_files = String::new();
    for (rel, bytes) in files(dir.path()) {
        if rel != Path::new("normalise.toml") {
            snapshot_files += &format!(
                "\n=== {}\n{}",
                rel.display(),
                String::from_utf8_lossy(&bytes)
            );
        }
    }
    let mut everything = outputs + &snapshot_files;
    for (rel, bytes) in files(reports.path()) {
        everything += &format!(
            "\n=== {}\n{}",
            rel.display(),
            String::from_utf8_lossy(&bytes)
        );
    }
    // Values that only the sandbox's answers carry.
    let lower = everything.to_lowercase();
    for leak in [
        CANARY,
        "rowan",
        "ellery",
        "guest.example",
        "harper.quinn@example.com",
        "+44 20 7946 0958",
        "7946 0958",
    ] {
        assert!(
            !lower.contains(&leak.to_lowercase()),
            "{leak} leaked:\n{everything}"
        );
    }
    // The seed's guest is also named in feature files (scenario names reach
    // reports); in the snapshots, made of answers only, she never appears.
    let snaps_lower = snapshot_files.to_lowercase();
    for leak in ["harper", "quinn", "+15005550006", "5005550006"] {
        assert!(
            !snaps_lower.contains(leak),
            "{leak} leaked:\n{snapshot_files}"
        );
    }
}
