//! The readiness dashboard: one server-rendered page, no script, readable
//! on a phone, refreshed by `<meta http-equiv="refresh">`. Everything that
//! comes from features, responses or the state database is HTML-escaped.
//!
//! [`View::gather`] copies what the page needs out of the shared state;
//! [`render`] is a pure function of that copy.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reporters::model::readiness::Readiness;
use reporters::text::escape::html;
use reporters::{ClaimReport, ClaimVerdict};
use reporters::{RunReport, ScenarioReport, Status};

use super::evidence::{BaselineView, Promotion, drift_fields};
use super::harness::{EnvState, Harness};
use crate::record::history::{AlertState, ScenarioId};
use crate::record::recording::last_passed;

/// One environment as the page shows it.
#[derive(Clone, Debug)]
pub struct EnvView {
    pub name: String,
    pub description: String,
    pub status: String,
    pub state: EnvState,
    pub last_passed: HashMap<ScenarioId, DateTime<Utc>>,
    pub alerts: HashMap<ScenarioId, AlertState>,
    /// The latest run seen from each location that probes this environment
    /// (`--location`, sharing the history), by location; empty when none does.
    pub locations: BTreeMap<String, Arc<RunReport>>,
}

/// Everything on the page.
#[derive(Clone, Debug)]
pub struct View {
    pub now: DateTime<Utc>,
    pub refresh_seconds: u64,
    pub envs: Vec<EnvView>,
    pub readiness: Result<Readiness, String>,
    pub baseline: BaselineView,
    pub promotion: Option<Promotion>,
    /// A problem reading history (shown, not hidden).
    pub problems: Vec<String>,
}

impl View {
    pub fn gather(h: &Harness) -> Self {
        let s = h.settings();
        let mut problems = Vec::new();
        let envs = h
            .environments()
            .filter_map(|name| {
                let state = h.env_state(name)?;
                let (last_passed, alerts, locations) = h
                    .read_store(|st| {
                        let key = h.series(name);
                        let prefix = format!("{name}@");
                        let mut locations = BTreeMap::new();
                        for series in st.environments()? {
                            if let Some(l) = series.strip_prefix(&prefix)
                                && let Some(r) = st.latest_report(&series)?
                            {
                                locations.insert(l.to_owned(), Arc::new(r));
                            }
                        }
                        Ok((last_passed(st, &key)?, st.alert_states(&key)?, locations))
                    })
                    .unwrap_or_else(|e| {
                        problems.push(format!("history of {name}: {e}"));
                        Default::default()
                    });
                let cfg = s.config.environment(name).ok();
                Some(EnvView {
                    name: name.to_owned(),
                    description: cfg.map(|c| c.description.clone()).unwrap_or_default(),
                    status: cfg
                        .map(|c| c.status.as_str().to_owned())
                        .unwrap_or_default(),
                    state,
                    last_passed,
                    alerts,
                    locations,
                })
            })
            .collect();
        let (readiness, baseline) = h.evidence();
        Self {
            now: Utc::now(),
            refresh_seconds: s.refresh.as_secs().max(1),
            envs,
            readiness,
            baseline,
            promotion: s.promotion.clone(),
            problems,
        }
    }
}

const EXTRA_CSS: &str = "\
body{max-width:72rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.6rem}
.matrix td,.matrix th{text-align:center}.matrix td:first-child,.matrix th:first-child{text-align:left}
td.cell{font-weight:600;color:#fff}
td.passed{background:var(--pass)}td.failed,td.claim_outdated{background:var(--fail)}td.flaky{background:var(--warn)}
td.known_gap{background:var(--gap)}td.skipped{background:var(--skip)}td.none{color:var(--muted);background:var(--soft);font-weight:400}
.ledger td{white-space:normal;text-align:left}
@media (max-width:40rem){.ledger thead{display:none}.ledger tr{display:block;border:1px solid var(--line);border-radius:6px;margin:.4rem 0;padding:.2rem}.ledger td{display:block;border:0;padding:.1rem .4rem}.ledger td:empty{display:none}.ledger td::before{content:attr(data-label) \": \";color:var(--muted);font-size:.85rem}}
nav a{margin-right:1rem}
";

fn t(ts: DateTime<Utc>) -> String {
    ts.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// "3 min ago" / "in 2 min".
fn relative(now: DateTime<Utc>, ts: DateTime<Utc>) -> String {
    let secs = (now - ts).num_seconds();
    let (n, future) = (secs.unsigned_abs(), secs < 0);
    let amount = match n {
        0..=59 => format!("{n} s"),
        60..=3599 => format!("{} min", n / 60),
        3600..=86_399 => format!("{} h", n / 3600),
        _ => format!("{} d", n / 86_400),
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

fn when(now: DateTime<Utc>, ts: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time> ({})",
        ts.to_rfc3339(),
        t(ts),
        relative(now, ts)
    )
}

/// The colour of a set of scenarios: the worst status among those that ran.
fn cell_status(scenarios: &[&ScenarioReport]) -> &'static str {
    let has = |s: Status| scenarios.iter().any(|sc| sc.status == s);
    if has(Status::Failed) || has(Status::ClaimOutdated) {
        "failed"
    } else if has(Status::Flaky) {
        "flaky"
    } else if has(Status::Passed) {
        "passed"
    } else if has(Status::KnownGap) {
        "known_gap"
    } else if has(Status::Skipped) {
        "skipped"
    } else {
        "none"
    }
}

fn badge(status: &str) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", html(status))
}

/// The page.
pub fn render(v: &View) -> String {
    let mut b = String::with_capacity(32 * 1024);
    let _ = writeln!(
        b,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"refresh\" content=\"{}\">\n<title>Lucia readiness · lucia-harness</title>\n\
<style>\n{}{EXTRA_CSS}</style>\n</head>\n<body>",
        v.refresh_seconds,
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
    let _ = writeln!(
        b,
        "<header class=\"{overall}\"><h1>Lucia readiness</h1><p class=\"meta\">{} · lucia-harness {} · this page refreshes every {} s</p></header>",
        t(v.now),
        html(crate::run::HARNESS_VERSION),
        v.refresh_seconds
    );
    for p in &v.problems {
        let _ = writeln!(b, "<p class=\"bad\">{}</p>", html(p));
    }
    readiness(v, &mut b);
    environments(v, &mut b);
    matrix(v, &mut b);
    failing(v, &mut b);
    drift(v, &mut b);
    baseline(v, &mut b);
    ledger(v, &mut b);
    b.push_str("<nav class=\"meta\"><h2>Raw</h2><a href=\"/readiness\">/readiness</a><a href=\"/readiness?format=md\">readiness.md</a>");
    for e in &v.envs {
        let _ = write!(
            b,
            "<a href=\"/runs/latest?env={0}\">last run of {1}</a><a href=\"/runs?env={0}\">history of {1}</a>",
            html(&url_component(&e.name)),
            html(&e.name)
        );
    }
    b.push_str("<a href=\"/metrics\">/metrics</a><a href=\"/healthz\">/healthz</a></nav>\n</body>\n</html>\n");
    b
}

/// Percent-encodes a query value.
fn url_component(s: &str) -> String {
    s.bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect()
}

fn readiness(v: &View, b: &mut String) {
    b.push_str("<section id=\"readiness\"><h2>Promotion</h2>\n");
    match &v.readiness {
        Ok(r) => {
            let _ = write!(
                b,
                "<div class=\"card {}\"><p class=\"big\">{} {} → {}: {}</p><p class=\"meta\">evaluated {}</p><ul class=\"cards\">",
                if r.ready { "pass" } else { "fail" },
                html(&r.version),
                html(&r.from),
                html(&r.to),
                html(r.verdict.label()),
                when(v.now, r.generated_at)
            );
            for c in &r.checks {
                let _ = write!(
                    b,
                    "<li class=\"card {0}\">{1} <code>{2}</code> {3}</li>",
                    c.status.as_str(),
                    badge(c.status.as_str()),
                    html(c.id.as_str()),
                    html(&c.detail)
                );
            }
            b.push_str("</ul></div>\n");
        }
        Err(why) => {
            let _ = write!(
                b,
                "<div class=\"card unknown\"><p class=\"big\">No readiness evaluated yet</p><p>{}</p>",
                html(why)
            );
            if let Some(p) = &v.promotion {
                let _ = write!(
                    b,
                    "<p class=\"meta\">watching {} from {} to {}</p>",
                    html(&p.version),
                    html(&p.from),
                    html(&p.to)
                );
            }
            b.push_str("</div>\n");
        }
    }
    b.push_str("</section>\n");
}

fn environments(v: &View, b: &mut String) {
    b.push_str("<section id=\"environments\"><h2>Environments</h2><div class=\"grid\">\n");
    for e in &v.envs {
        let s = &e.state;
        let result = s.last_result.map_or("no run yet", |r| r.as_str());
        let _ = write!(
            b,
            "<div class=\"card {}\" id=\"env-{}\"><p class=\"big\">{} {}</p><p class=\"meta\">{} · {}</p>",
            html(result),
            html(&e.name),
            html(&e.name),
            badge(result),
            html(&e.status),
            html(&e.description)
        );
        match s.last_finished {
            Some(f) => {
                let _ = write!(b, "<p>Last run: {}</p>", when(v.now, f));
            }
            None => b.push_str("<p>Last run: none yet</p>"),
        }
        if let Some(r) = &s.latest {
            let m = &r.summary;
            let _ = write!(
                b,
                "<p>{} passed · <span class=\"{}\">{} failed</span> · {} flaky · {} skipped · {} known gaps · {} drifted</p>",
                m.passed,
                if m.failed > 0 { "bad" } else { "n0" },
                m.failed,
                m.flaky,
                m.skipped,
                m.known_gaps,
                m.drifted
            );
        }
        if let Some(err) = &s.last_error {
            let _ = write!(b, "<p class=\"bad\">{}</p>", html(err));
        }
        if let Some(r) = &s.running {
            let _ = write!(
                b,
                "<p><strong>Running now</strong> ({}, since {})</p>",
                r.trigger.as_str(),
                when(v.now, r.started_at)
            );
        } else if let Some(n) = s.next_due {
            let _ = write!(
                b,
                "<p class=\"meta\">Next run {} · every {}</p>",
                when(v.now, n),
                probes::core::duration::human(s.interval)
            );
        }
        b.push_str("</div>\n");
    }
    b.push_str("</div></section>\n");
}

fn latest(e: &EnvView) -> Option<&Arc<RunReport>> {
    e.state.latest.as_ref()
}

/// The columns of the matrix: each environment, or each location it is
/// probed from (when any is), with that column's latest run.
fn columns(v: &View) -> Vec<(String, Option<&Arc<RunReport>>)> {
    let mut out = Vec::new();
    for e in &v.envs {
        if e.locations.is_empty() {
            out.push((e.name.clone(), latest(e)));
        } else {
            for (l, r) in &e.locations {
                out.push((format!("{} @ {l}", e.name), Some(r)));
            }
        }
    }
    out
}

fn matrix(v: &View, b: &mut String) {
    let columns = columns(v);
    let areas: BTreeSet<&str> = columns
        .iter()
        .filter_map(|(_, r)| *r)
        .flat_map(|r| r.scenarios.iter().map(ScenarioReport::area))
        .collect();
    let located = v.envs.iter().any(|e| !e.locations.is_empty());
    let _ = writeln!(
        b,
        "<section id=\"matrix\"><h2>Area × environment{}</h2>",
        if located { " × location" } else { "" }
    );
    if areas.is_empty() {
        b.push_str("<p class=\"meta\">No run has finished yet.</p></section>\n");
        return;
    }
    // Areas down, environments across: a phone holds five environments
    // side by side, not eight areas.
    b.push_str("<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th>area</th>");
    for (name, _) in &columns {
        let _ = write!(b, "<th>{}</th>", html(name));
    }
    b.push_str("</tr></thead><tbody>\n");
    for a in &areas {
        let _ = write!(b, "<tr><th>{}</th>", html(a));
        for (name, report) in &columns {
            let in_area: Vec<&ScenarioReport> = report
                .map(|r| r.scenarios.iter().filter(|s| s.area() == *a).collect())
                .unwrap_or_default();
            let st = cell_status(&in_area);
            let ran = in_area
                .iter()
                .filter(|s| s.status != Status::Skipped)
                .count();
            let bad = in_area.iter().filter(|s| s.status.is_failure()).count();
            let text = match st {
                "none" => "–".to_owned(),
                "skipped" => "skipped".to_owned(),
                "failed" => format!("✗ {bad}/{ran}"),
                _ => format!("✓ {ran}"),
            };
            let _ = write!(
                b,
                "<td class=\"cell {st}\" title=\"{} in {}: {st}\">{}</td>",
                html(a),
                html(name),
                html(&text)
            );
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</tbody></table></div></section>\n");
}

fn failing(v: &View, b: &mut String) {
    b.push_str("<section id=\"failing\"><h2>Failing scenarios</h2>\n<ul class=\"cards\">\n");
    let mut any = false;
    for e in &v.envs {
        for sc in latest(e).iter().flat_map(|r| r.scenarios.iter()) {
            if !sc.status.is_failure() {
                continue;
            }
            any = true;
            let st = sc.status.as_str();
            let _ = write!(
                b,
                "<li class=\"card {st}\">{} <strong>{}</strong> · {} · <strong>{}</strong> › {}",
                badge(st),
                html(&e.name),
                html(sc.area()),
                html(&sc.feature),
                html(&sc.scenario)
            );
            if let Some(err) = &sc.error {
                let _ = write!(
                    b,
                    "<p><code>{}</code></p><pre>{}</pre>",
                    html(err.kind.as_str()),
                    html(&err.message)
                );
                if let Some(step) = &err.step {
                    let _ = write!(b, "<p class=\"meta\">step: <code>{}</code></p>", html(step));
                }
            } else if st == "claim_outdated" {
                b.push_str("<p>This claim is tagged deferred/future but now passes: update the Canon's claim status.</p>");
            }
            let _ = write!(
                b,
                "<p class=\"meta\">at <code>{}:{}</code>",
                html(&sc.feature_file),
                sc.line
            );
            if let Some(c) = &sc.claim {
                let _ = write!(b, " · claim <code>@{}</code>", html(c.as_str()));
            }
            if let Some(a) = e
                .alerts
                .get(&ScenarioId::of(sc))
                .filter(|a| a.consecutive_failures > 0)
            {
                let _ = write!(b, " · failed {} run(s) in a row", a.consecutive_failures);
                if let Some(since) = a.since {
                    let _ = write!(b, " since {}", when(v.now, since));
                }
                if a.alerting {
                    b.push_str(" · <strong>alerting</strong>");
                }
            }
            b.push_str("</p></li>\n");
        }
    }
    b.push_str("</ul>\n");
    if v.envs.iter().all(|e| latest(e).is_none()) {
        b.push_str("<p class=\"meta\">No run has finished yet.</p>\n");
    } else if !any {
        b.push_str("<p class=\"meta\">No scenario failed in the last runs.</p>\n");
    }
    b.push_str("</section>\n");
}

fn drift(v: &View, b: &mut String) {
    b.push_str("<section id=\"drift\"><h2>Drift</h2>\n");
    let rows: Vec<(String, (String, String), u64)> = v
        .envs
        .iter()
        .filter_map(|e| latest(e).map(|r| (e, r)))
        .flat_map(|(e, r)| {
            drift_fields(r)
                .into_iter()
                .map(move |(k, n)| (e.name.clone(), k, n))
        })
        .collect();
    let drifted: BTreeMap<&str, usize> = v
        .envs
        .iter()
        .filter_map(|e| latest(e).map(|r| (e.name.as_str(), r.summary.drifted)))
        .collect();
    if drifted.is_empty() {
        b.push_str("<p class=\"meta\">No run has finished yet.</p>\n");
    }
    let _ = writeln!(
        b,
        "<p>{}</p>",
        drifted
            .iter()
            .map(|(e, n)| format!(
                "{}: <strong class=\"{}\">{n}</strong> scenario(s) drifted",
                html(e),
                if *n > 0 { "bad" } else { "n0" }
            ))
            .collect::<Vec<_>>()
            .join(" · ")
    );
    if !rows.is_empty() {
        b.push_str("<div class=\"scroll\"><table><thead><tr><th>environment</th><th>baseline</th><th>kind</th><th>fields</th></tr></thead><tbody>\n");
        for (env, (baseline, kind), n) in rows {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{n}</td></tr>",
                html(&env),
                html(&baseline),
                html(&kind)
            );
        }
        b.push_str("</tbody></table></div>\n");
    }
    b.push_str("</section>\n");
}

fn baseline(v: &View, b: &mut String) {
    let bl = &v.baseline;
    let st = if bl.approved() {
        "pass"
    } else if bl.exists() {
        "warn"
    } else {
        "unknown"
    };
    let label = if bl.approved() {
        "reviewed"
    } else if bl.exists() {
        "not approved"
    } else {
        "missing"
    };
    let _ = writeln!(
        b,
        "<section id=\"baseline\"><h2>Baseline</h2><div class=\"card {st}\"><p class=\"big\"><code>{}</code> <span class=\"badge {st}\">{label}</span></p><p>{}</p></div></section>",
        html(&bl.version),
        html(&bl.describe())
    );
}

/// The colour of a claim's verdict.
fn verdict_class(v: ClaimVerdict) -> &'static str {
    match v {
        ClaimVerdict::Holds => "passed",
        ClaimVerdict::Violated => "failed",
        ClaimVerdict::KnownGap => "known_gap",
        ClaimVerdict::Outdated => "claim_outdated",
        ClaimVerdict::Unverified => "skipped",
    }
}

fn ledger(v: &View, b: &mut String) {
    b.push_str("<section id=\"claims\"><h2>Claim ledger</h2>\n<p class=\"meta\">Every scenario tagged with a claim status of the Canon: implemented, configured and tested must hold; deferred and future are known gaps until they pass.</p>\n");
    let mut rows: Vec<(&ClaimReport, &EnvView)> = v
        .envs
        .iter()
        .filter_map(|e| latest(e).map(|r| (e, r)))
        .flat_map(|(e, r)| r.claims.iter().map(move |c| (c, e)))
        .collect();
    rows.sort_by(|a, b| {
        (a.0.claim, &a.0.feature, &a.0.scenario, &a.1.name).cmp(&(
            b.0.claim,
            &b.0.feature,
            &b.0.scenario,
            &b.1.name,
        ))
    });
    if rows.is_empty() {
        b.push_str("<p class=\"meta\">No claim-tagged scenario has run yet.</p></section>\n");
        return;
    }
    b.push_str("<div class=\"scroll\"><table class=\"ledger\"><thead><tr><th>claim</th><th>scenario</th><th>environment</th><th>seen</th><th>last passed</th></tr></thead><tbody>\n");
    for (c, e) in rows {
        let id = ScenarioId {
            feature: c.feature.clone(),
            scenario: c.scenario.clone(),
        };
        let last = c
            .last_passed
            .or_else(|| e.last_passed.get(&id).copied())
            .map_or_else(
                || "never (in the history kept)".to_owned(),
                |t| when(v.now, t),
            );
        let _ = writeln!(
            b,
            "<tr><td data-label=\"claim\"><code>@{}</code></td><td data-label=\"scenario\"><strong>{}</strong> › {}</td><td data-label=\"environment\">{}</td><td data-label=\"seen\"><span class=\"badge {}\">{}</span> {}</td><td data-label=\"last passed\">{last}</td></tr>",
            html(c.claim.as_str()),
            html(&c.feature),
            html(&c.scenario),
            html(&e.name),
            verdict_class(c.verdict),
            c.verdict.as_str(),
            html(&c.evidence)
        );
    }
    b.push_str("</tbody></table></div></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::store::ReviewState;
    use crate::gate::BaselineEvidence;
    use crate::serve::LoopState;
    use reporters::ErrorReport;

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
