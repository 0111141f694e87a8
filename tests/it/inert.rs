//! Text from a live response is inert in every format: a drifted field
//! holding markup, table pipes and backticks (after Hurl's report-injection
//! tests) is quoted, never rendered, in report.md (read by a real Markdown
//! renderer, as GitHub's job summary would), report.html, junit.xml and the
//! dashboard.

use crate::support::serve::{ENGINE, Serve, serve_args, state_file};
use crate::support::{NOT_BASELINE, run_cmd, sandbox, tool};

/// What a compromised or broken backend might answer in a field.
const PLANT: &str = "<script>alert(1)</script><img src=x onerror=alert(2)> | cell | `tick` ``two`` [link](http://x) **bold**";

/// No live element of the planted markup in `html` (a page or a rendering).
fn no_live_markup(what: &str, html: &str) {
    for tag in ["<script", "<img", "<a href=\"http://x"] {
        assert!(!html.contains(tag), "{what} carries a live {tag}: {html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_pipes_and_backticks_from_a_response_stay_inert() {
    let drift = format!("engine/health=change:status={PLANT}");
    let sb = sandbox(&[drift.as_str()], &[]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let origin = sb.origin();
    let mut args = vec![
        "run",
        "--env",
        "local",
        "--origin",
        &origin,
        "--features",
        ENGINE,
    ];
    args.extend(NOT_BASELINE);
    let out = run_cmd(&args, &[]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let reports = out.dir.path();
    let read = |f: &str| std::fs::read_to_string(reports.join(f)).expect(f);
    let report = read("report.json");
    assert!(
        report.contains("onerror=alert(2)"),
        "the failure quotes what came back"
    );

    // Markdown, rendered as GitHub would: no raw HTML but our own line
    // breaks, and every table row has its header's cells.
    let md = read("report.md");
    let rendered: serde_json::Value = serde_json::from_str(&tool(
        "markdown.mjs",
        &[reports.join("report.md").as_os_str()],
    ))
    .expect("JSON");
    let raw: Vec<&str> = rendered["raw_html"]
        .as_array()
        .expect("raw_html")
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|h| h.trim() != "<br>")
        .collect();
    assert!(raw.is_empty(), "raw HTML passes through: {raw:?}\n{md}");
    for table in rendered["tables"].as_array().expect("tables") {
        let rows: Vec<u64> = table
            .as_array()
            .expect("rows")
            .iter()
            .map(|n| n.as_u64().expect("cells"))
            .collect();
        assert!(
            rows.iter().all(|n| *n == rows[0]),
            "a pipe broke out of its cell: {rows:?}\n{md}"
        );
    }
    let text = rendered["text"].as_str().expect("text");
    assert!(
        text.contains("onerror=alert(2)"),
        "the planted text is shown, as text: {text}"
    );

    // HTML and JUnit.
    no_live_markup("report.html", &read("report.html"));
    let junit = read("junit.xml");
    no_live_markup("junit.xml", &junit);
    assert!(
        junit.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{junit}"
    );

    // The dashboard, after a scheduled run against the same sandbox.
    let state = state_file(dir.path());
    let state = state.to_str().expect("utf8");
    let origin = sb.origin();
    let s = Serve::start(&serve_args(&origin, state, &["--schedule", "1h"]), &[]).await;
    s.runs("local", 1).await;
    let page = s.get("/").await.text().await.expect("page");
    assert!(
        page.contains("onerror=alert(2)"),
        "the dashboard shows the failure"
    );
    no_live_markup("the dashboard", &page);
}
