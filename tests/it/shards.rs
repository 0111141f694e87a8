//! Sharded runs that merge: `run --shard I/N` on N "machines" (processes),
//! `report merge` of their reports, compared with one unsharded run.

use reporters::{Mask as _, Reporter as _, RunReport};

use crate::support::{NOT_BASELINE, plain, run_cmd, sandbox};

fn report(dir: &std::path::Path) -> RunReport {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report.json"))
        .expect("a report")
}

/// Every format a report renders to, masked of what changes run to run
/// (the claims' evidence quotes each request's time: "→ 200 in 4 ms").
fn rendered(mut r: RunReport) -> Vec<(String, Vec<u8>)> {
    let run_id = r.run_id.clone();
    r.mask();
    let took = regex::Regex::new(r" in [0-9.]+ (ms|s)\b").expect("regex");
    for c in &mut r.claims {
        c.evidence = took.replace_all(&c.evidence, " in T").into_owned();
    }
    reporters::all()
        .iter()
        .map(|f| {
            let mut out = Vec::new();
            f.write(&r, &mut out).expect("render");
            // What features derive from the run id ({{run_id}}, {{run_number}}).
            let text = String::from_utf8_lossy(&out).replace(&run_id, "RUN_ID");
            let numbered = regex::Regex::new(r"[0-9]{9,}").expect("regex");
            (
                f.file_name().to_owned(),
                numbered.replace_all(&text, "N").into_owned().into_bytes(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_merge_into_the_report_of_one_run() {
    let sb = sandbox(&[], &["engine/version=500"]).await;
    let origin = sb.origin();
    let base = [
        "run",
        "--env",
        "local",
        "--origin",
        &origin,
        NOT_BASELINE[0],
        NOT_BASELINE[1],
    ];
    let whole = run_cmd(&base, &[]).await;
    assert_eq!(whole.code, 1, "the 500 fails a scenario: {}", whole.stdout);
    let mut parts = Vec::new();
    let mut counts = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let o = run_cmd(&[&base[..], &["--shard", &shard]].concat(), &[]).await;
        assert!(matches!(o.code, 0 | 1), "{shard}: {}", o.stderr);
        let r = report(o.dir.path());
        assert_eq!(r.shard.as_deref(), Some(shard.as_str()));
        counts.push(r.scenarios.len());
        parts.push(o);
    }
    let total = whole.report()["scenarios"]
        .as_array()
        .expect("scenarios")
        .len();
    assert_eq!(
        counts.iter().sum::<usize>(),
        total,
        "every scenario in one shard: {counts:?}"
    );
    assert!(counts.iter().all(|&n| n > 0), "{counts:?}");

    let out = tempfile::tempdir().expect("tmp");
    let mut args = vec!["report".to_owned(), "merge".to_owned()];
    args.extend(parts.iter().map(|o| o.dir.path().display().to_string()));
    args.extend(["--report-dir".to_owned(), out.path().display().to_string()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let m = plain(&refs, &[]).await;
    assert_eq!(m.code, 0, "{}", m.stderr);
    assert!(
        m.stderr
            .contains(&format!("merged 3 shards of local: {total} scenarios")),
        "{}",
        m.stderr
    );
    for file in [
        "report.json",
        "junit.xml",
        "cucumber.json",
        "messages.ndjson",
        "report.md",
        "report.html",
    ] {
        assert!(out.path().join(file).exists(), "{file} was not written");
    }
    let merged = report(out.path());
    assert_eq!(merged.shard, None);
    let unsharded = report(whole.dir.path());
    assert_eq!(merged.summary, unsharded.summary);
    for ((name, a), (_, b)) in rendered(unsharded).into_iter().zip(rendered(merged)) {
        let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        let first = a
            .lines()
            .zip(b.lines())
            .enumerate()
            .find(|(_, (x, y))| x != y)
            .map(|(i, (x, y))| format!("line {}:\n  unsharded: {x}\n  merged:    {y}", i + 1));
        assert!(
            a == b,
            "{name} differs between the unsharded run and the merged shards ({} vs {} lines); first difference: {}",
            a.lines().count(),
            b.lines().count(),
            first.unwrap_or_else(|| "one is longer".into())
        );
    }

    // What is not the N shards of one run is refused, exit 2, saying why.
    let dir = |o: &crate::support::Outcome| o.dir.path().display().to_string();
    let (one, two, three) = (dir(&parts[0]), dir(&parts[1]), dir(&parts[2]));
    let o = plain(
        &["report", "merge", &one, &two, "--report-dir", &dir(&whole)],
        &[],
    )
    .await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("shard 3/3 missing"), "{}", o.stderr);
    let o = plain(
        &[
            "report",
            "merge",
            &one,
            &one,
            &three,
            "--report-dir",
            &dir(&whole),
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("are both shard 1/3"), "{}", o.stderr);
    let elsewhere = run_cmd(
        &[
            "run",
            "--env",
            "dev",
            "--origin",
            &sb.https_origin(),
            "--features",
            "features/intake/routing.feature",
            "--shard",
            "2/3",
        ],
        &[],
    )
    .await;
    let o = plain(
        &[
            "report",
            "merge",
            &one,
            &dir(&elsewhere),
            &three,
            "--report-dir",
            &dir(&whole),
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("ran environment \"dev\""), "{}", o.stderr);

    // The gate decides on the whole suite.
    let o = plain(&["gate", "--shard", "1/2"], &[]).await;
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("never on one shard"), "{}", o.stderr);
}
