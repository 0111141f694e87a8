//! The readiness dashboard: one server-rendered page, no script, readable
//! on a phone. Everything that comes from features, responses or the state
//! database is HTML-escaped. It refreshes itself only when asked
//! (`/?refresh=on`): a page that reloads on its own every 30 s is an
//! accessibility failure (WCAG 2.2.1) for anyone reading it slowly.
//!
//! [`View::gather`] copies what the page needs out of the shared state and
//! the history (`view`); [`render`] is a pure function of that copy. The
//! sections are in `sections`, what is drawn from the history (strips,
//! uptime, sparklines) in `history`.

mod history;
mod sections;
mod view;

use std::fmt::Write as _;

use reporters::text::escape::html;

pub use self::view::View;
use self::view::{t, url_component};

const EXTRA_CSS: &str = "\
body{max-width:72rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,20rem),1fr));gap:.6rem}
.matrix td,.matrix th{text-align:center}.matrix td:first-child,.matrix th:first-child{text-align:left}
td.cell{font-weight:600;color:#fff}
td.passed{background:var(--pass)}td.failed,td.claim_outdated{background:var(--fail)}td.flaky{background:#7d4e00}td.degraded{background:#a34100}
td.known_gap{background:var(--gap)}td.skipped{background:#5c636b}td.none{color:var(--muted);background:var(--soft);font-weight:400}
.ledger td{white-space:normal;text-align:left}
@media (max-width:40rem){.ledger thead{display:none}.ledger tr{display:block;border:1px solid var(--line);border-radius:6px;margin:.4rem 0;padding:.2rem}.ledger td{display:block;border:0;padding:.1rem .4rem}.ledger td:empty{display:none}.ledger td::before{content:attr(data-label) \": \";color:var(--muted);font-size:.85rem}}
nav a{margin-right:1rem;display:inline-block}
.strip{display:flex;gap:1px;height:1.4rem;margin:.3rem 0;max-width:40rem}.strip.thin{height:.9rem}
.bar{flex:1 1 0;min-width:2px;border-radius:1px;background:var(--skip)}
.bar.passed{background:var(--pass)}.bar.failed,.bar.claim_outdated,.bar.error{background:var(--fail)}.bar.flaky{background:var(--warn)}
.bar.degraded{background:var(--slow)}.bar.maintenance{background:#0969da}.bar.known_gap{background:var(--gap)}.bar.running{background:var(--line)}
.bar:hover,.bar:focus{outline:2px solid var(--fg);outline-offset:1px}
.uptime{margin:.2rem 0}.up{white-space:nowrap}
.banner{border:2px solid #0969da;border-radius:6px;padding:.5rem .7rem;margin:.5rem 0;background:var(--soft)}
.checks{list-style:none;padding:0;margin:.4rem 0}.checks li{padding:.25rem 0;border-top:1px solid var(--line)}
.clamp{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
details>summary{color:var(--muted);font-size:.9rem}
.gating{padding-left:1.1rem;margin:.2rem 0}.spark{vertical-align:middle;width:100%;max-width:160px;height:auto}.trends td:first-child{white-space:normal}.spark polyline{fill:none;stroke-width:1.5}.spark .p50{stroke:var(--fg)}.spark .p95{stroke:var(--slow);stroke-dasharray:3 2}
.trends{table-layout:fixed}.trends td,.trends th{text-align:left}.trends col.name{width:38%}.trends col.line{width:37%}.trends col.figures{width:25%}.trends td{white-space:nowrap}.trends td:last-child{font-size:.85rem}
";

/// The page.
pub fn render(v: &View) -> String {
    let mut b = String::with_capacity(64 * 1024);
    let refresh = if v.refreshing {
        format!(
            "<meta http-equiv=\"refresh\" content=\"{}\">\n",
            v.refresh_seconds
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        b,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
{refresh}<title>Lucia readiness · lucia-harness</title>\n\
<style>\n{}{EXTRA_CSS}</style>\n</head>\n<body>",
        reporters::format::html::CSS
    );
    let overall = if v
        .envs
        .iter()
        .any(|e| e.state.latest.as_ref().is_some_and(|r| !r.passed()))
    {
        "failed"
    } else if v.envs.iter().all(|e| e.state.latest.is_some()) {
        "passed"
    } else {
        "inconclusive"
    };
    let toggle = if v.refreshing {
        format!(
            "reloads every {} s · <a href=\"/\">stop reloading</a>",
            v.refresh_seconds
        )
    } else {
        format!(
            "<a href=\"/?refresh=on\">reload every {} s</a> (for a wall display)",
            v.refresh_seconds
        )
    };
    let _ = writeln!(
        b,
        "<header class=\"{overall}\"><h1>Lucia readiness</h1><p class=\"meta\">{} · lucia-harness {} · {toggle}</p></header>\n<main>",
        t(v.now),
        html(crate::run::HARNESS_VERSION),
    );
    for e in &v.envs {
        if let Some(m) = &e.maintenance {
            let _ = writeln!(
                b,
                "<div class=\"banner\" role=\"status\" data-maintenance=\"{0}\"><strong>{0} is in maintenance</strong> · {1}. Its runs go on and are recorded as maintenance; no alert is sent; uptime leaves them out. <a href=\"/silences\">silences</a></div>",
                html(&e.name),
                html(m)
            );
        }
    }
    for p in &v.problems {
        let _ = writeln!(b, "<p class=\"bad\">{}</p>", html(p));
    }
    sections::readiness(v, &mut b);
    sections::environments(v, &mut b);
    sections::attention(v, &mut b);
    sections::matrix(v, &mut b);
    sections::trends(v, &mut b);
    sections::drift(v, &mut b);
    sections::baseline(v, &mut b);
    sections::ledger(v, &mut b);
    b.push_str("</main>\n<footer><nav class=\"meta\" aria-label=\"raw data\"><h2>Raw</h2><a href=\"/readiness\">/readiness</a><a href=\"/readiness?format=md\">readiness.md</a>");
    for e in &v.envs {
        let _ = write!(
            b,
            "<a href=\"/runs/latest?env={0}\">last run of {1}</a><a href=\"/runs?env={0}\">history of {1}</a>",
            html(&url_component(&e.name)),
            html(&e.name)
        );
    }
    b.push_str("<a href=\"/silences\">/silences</a><a href=\"/metrics\">/metrics</a><a href=\"/healthz\">/healthz</a></nav></footer>\n</body>\n</html>\n");
    b
}

#[cfg(test)]
mod tests {
    use super::history::EnvHistory;
    use super::view::{EnvView, relative};
    use super::*;
    use crate::baseline::store::ReviewState;
    use crate::gate::BaselineEvidence;
    use crate::serve::LoopState;
    use crate::serve::evidence::BaselineView;
    use crate::serve::harness::EnvState;
    use chrono::Utc;
    use reporters::ErrorReport;
    use reporters::{ScenarioReport, Status};
    use std::collections::{BTreeMap, HashMap};
    use std::sync::Arc;

    fn env(name: &str, scenarios: Vec<ScenarioReport>) -> EnvView {
        let now = Utc::now();
        let report = crate::record::history::fixtures::report_of(name, scenarios);
        EnvView {
            name: name.into(),
            description: "<desc>".into(),
            status: "sandbox".into(),
            state: EnvState {
                interval: std::time::Duration::from_secs(300),
                latest: Some(Arc::new(report)),
                last_result: Some(crate::record::history::RunResult::Failed),
                last_finished: Some(now),
                last_started: Some(now),
                last_error: None,
                running: None,
                requested: false,
                next_due: Some(now),
                loop_state: LoopState::Waiting,
                runs: 1,
                leading: true,
            },
            last_passed: HashMap::new(),
            alerts: HashMap::new(),
            locations: BTreeMap::new(),
            history: EnvHistory::default(),
            maintenance: None,
        }
    }

    fn scenario(name: &str, status: Status, message: Option<&str>) -> ScenarioReport {
        crate::record::history::fixtures::scenario(
            "Engine <health>",
            name,
            status,
            message.map(|m| ErrorReport {
                kind: probes::ErrorKind::Http,
                message: m.into(),
                step: None,
                line: None,
            }),
        )
    }

    fn view(envs: Vec<EnvView>) -> View {
        View {
            now: Utc::now(),
            refresh_seconds: 30,
            refreshing: true,
            envs,
            readiness: Err("no readiness evaluated yet".into()),
            baseline: BaselineView {
                version: "v0.1.3.6".into(),
                evidence: BaselineEvidence {
                    manifest: "snapshots/v0.1.3.6/BASELINE.toml".into(),
                    captured_from: None,
                    review: ReviewState::NotReviewed,
                    pending: 0,
                    problem: None,
                },
            },
            promotion: None,
            problems: vec![],
        }
    }

    #[test]
    fn everything_from_outside_is_escaped_and_failures_are_shown() {
        let v = view(vec![env(
            "local",
            vec![
                scenario(
                    "<script>alert(1)</script>",
                    Status::Failed,
                    Some("got <b>500</b> & \"x\""),
                ),
                scenario("fine", Status::Passed, None),
            ],
        )]);
        let page = render(&v);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<b>500"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("got &lt;b&gt;500&lt;/b&gt; &amp; &quot;x&quot;"));
        assert!(page.contains("Engine &lt;health&gt;"));
        assert!(page.contains("&lt;desc&gt;"));
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"30\">"));
        assert!(page.contains("No readiness evaluated yet"));
        assert!(page.contains("class=\"cell failed\""), "{page}");
        assert!(page.contains("✗ 1/2"), "{page}");
    }

    #[test]
    fn before_any_run_the_page_says_so_rather_than_all_clear() {
        let mut e = env("local", vec![]);
        e.state.latest = None;
        e.state.last_finished = None;
        let v = View {
            now: Utc::now(),
            refresh_seconds: 30,
            refreshing: true,
            envs: vec![e],
            readiness: Err("waiting".into()),
            baseline: BaselineView {
                version: "v0.1.3.6".into(),
                evidence: BaselineEvidence {
                    manifest: "m".into(),
                    captured_from: None,
                    review: ReviewState::NotReviewed,
                    pending: 0,
                    problem: None,
                },
            },
            promotion: None,
            problems: vec![],
        };
        let page = render(&v);
        assert!(!page.contains("No scenario failed"), "{page}");
        assert!(page.contains("No run has finished yet."), "{page}");
        assert!(page.contains("Last run: none yet"), "{page}");
    }

    #[test]
    fn the_matrix_has_a_column_per_location_when_environments_are_probed_from_several() {
        let mut v = view(vec![env("dev", vec![scenario("ok", Status::Passed, None)])]);
        let page = render(&v);
        assert!(page.contains("<h2>Area × environment</h2>"), "{page}");
        let mut far = crate::record::history::fixtures::report_of(
            "dev",
            vec![scenario("broken", Status::Failed, Some("500"))],
        );
        far.location = Some("frankfurt".into());
        v.envs[0]
            .locations
            .insert("frankfurt".into(), Arc::new(far));
        let near = crate::record::history::fixtures::report_of(
            "dev",
            vec![scenario("ok", Status::Passed, None)],
        );
        v.envs[0].locations.insert("oregon".into(), Arc::new(near));
        let page = render(&v);
        assert!(
            page.contains("<h2>Area × environment × location</h2>"),
            "{page}"
        );
        assert!(
            page.contains("<th>dev @ frankfurt</th><th>dev @ oregon</th>"),
            "{page}"
        );
        assert!(page.contains("in dev @ frankfurt: failed"), "{page}");
        assert!(page.contains("in dev @ oregon: passed"), "{page}");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(relative(now, now - chrono::Duration::seconds(5)), "5 s ago");
        assert_eq!(
            relative(now, now + chrono::Duration::seconds(120)),
            "in 2 min"
        );
        assert_eq!(url_component("guest-lab&x"), "guest-lab%26x");
    }
}
