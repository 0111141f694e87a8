//! The sections of the dashboard, top to bottom. Each writes into the page
//! and escapes what it did not write itself.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use reporters::text::escape::html;
use reporters::{ClaimReport, ClaimVerdict, RunReport, ScenarioReport, Status};

use super::history::{
    gating_table, needs_attention, run_strip, scenario_strip, sparkline, uptime_line,
};
use super::view::{EnvView, View, badge, cell_status, latest, when};
use crate::record::history::ScenarioId;
use crate::serve::evidence::drift_fields;

/// A check's detail in the promotion list: at most this much in the line,
/// the rest behind `<details>`.
const SHORT_DETAIL: usize = 110;

/// `text` cut at a word before `max` characters, with `…`; whole if short.
fn short(text: &str, max: usize) -> (String, bool) {
    let first = text.lines().next().unwrap_or_default();
    if first.chars().count() <= max && first.len() == text.len() {
        return (first.to_owned(), false);
    }
    let cut: String = first.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => cut[..i].to_owned(),
        _ => cut,
    };
    (format!("{cut}…"), true)
}

/// The promotion: its verdict, then one line per check (the detail cut to
/// two lines at most, the whole of it behind `<details>`).
pub(super) fn readiness(v: &View, b: &mut String) {
    b.push_str("<section id=\"readiness\"><h2>Promotion</h2>\n");
    match &v.readiness {
        Ok(r) => {
            let failing = r
                .checks
                .iter()
                .filter(|c| c.status.as_str() == "fail")
                .count();
            let _ = write!(
                b,
                "<div class=\"card {}\"><p class=\"big\">{} {} → {}: {}</p><p class=\"meta\">evaluated {}{}</p><ul class=\"checks\">",
                if r.ready { "pass" } else { "fail" },
                html(&r.version),
                html(&r.from),
                html(&r.to),
                html(r.verdict.label()),
                when(v.now, r.generated_at),
                if failing > 0 {
                    format!(" · {failing} of {} checks fail", r.checks.len())
                } else {
                    String::new()
                }
            );
            for c in &r.checks {
                let (line, cut) = short(&c.detail, SHORT_DETAIL);
                let _ = write!(
                    b,
                    "<li class=\"check {0}\">{1} <code>{2}</code> <span class=\"clamp\">{3}</span>",
                    c.status.as_str(),
                    badge(c.status.as_str()),
                    html(c.id.as_str()),
                    html(&line)
                );
                if cut {
                    let _ = write!(
                        b,
                        "<details><summary>the whole detail</summary><p>{}</p></details>",
                        html(&c.detail)
                    );
                }
                b.push_str("</li>");
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

pub(super) fn environments(v: &View, b: &mut String) {
    b.push_str("<section id=\"environments\"><h2>Environments</h2><div class=\"grid\">\n");
    for e in &v.envs {
        let s = &e.state;
        let result = s.last_result.map_or("no run yet", |r| r.as_str());
        let _ = write!(
            b,
            "<div class=\"card {}\" id=\"env-{}\"><p class=\"big\">{} {}{}</p><p class=\"meta\">{} · {}</p>",
            html(result),
            html(&e.name),
            html(&e.name),
            badge(result),
            if e.maintenance.is_some() && result != "maintenance" {
                format!(" {}", badge("maintenance"))
            } else {
                String::new()
            },
            html(&e.status),
            html(&e.description)
        );
        run_strip(&e.name, &e.history.runs, b);
        if !e.history.uptime.is_empty() {
            uptime_line(&e.name, &e.history.uptime, b);
        }
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
                "<p>{} passed · <span class=\"{}\">{} failed</span> · {} flaky · {} degraded · {} skipped · {} known gaps · {} drifted</p>",
                m.passed,
                if m.failed > 0 { "bad" } else { "n0" },
                m.failed,
                m.flaky,
                m.degraded,
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
        gating_table(&e.name, &e.history.gating, b);
        b.push_str("</div>\n");
    }
    b.push_str("</div><p class=\"meta\">Uptime counts runs that passed or were degraded against those that failed, over 24 hours, 7 days and 30 days of the history kept; runs in maintenance, runs in which every scenario was skipped, and runs that could not run are left out. A bar is a run, oldest on the left: select it for that run's report.</p></section>\n");
}

/// Every scenario of the latest runs that failed, was flaky or degraded,
/// each with the strip of its last results; the message behind `<details>`.
pub(super) fn attention(v: &View, b: &mut String) {
    b.push_str("<section id=\"failing\"><h2>Needs attention</h2>\n<ul class=\"cards\">\n");
    let mut any = false;
    for e in &v.envs {
        for sc in latest(e).iter().flat_map(|r| r.scenarios.iter()) {
            if !needs_attention(sc.status) {
                continue;
            }
            any = true;
            card(v, e, sc, b);
        }
    }
    b.push_str("</ul>\n");
    if v.envs.iter().all(|e| latest(e).is_none()) {
        b.push_str("<p class=\"meta\">No run has finished yet.</p>\n");
    } else if !any {
        b.push_str(
            "<p class=\"meta\">No scenario failed, was flaky or degraded in the last runs.</p>\n",
        );
    }
    b.push_str("</section>\n");
}

fn card(v: &View, e: &EnvView, sc: &ScenarioReport, b: &mut String) {
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
    let id = ScenarioId::of(sc);
    if let Some(points) = e.history.strips.get(&id) {
        scenario_strip(
            &format!("{} › {} › {}", e.name, sc.feature, sc.scenario),
            points,
            b,
        );
    }
    let headline = match &sc.error {
        Some(err) => format!("[{}] {}", err.kind.as_str(), err.message),
        None => sc.verdict_line(),
    };
    let (line, cut) = short(&headline, 160);
    let _ = write!(b, "<p class=\"clamp\">{}</p>", html(&line));
    let slow = sc.slow_requests();
    if cut || sc.error.as_ref().is_some_and(|e| e.step.is_some()) || !slow.is_empty() {
        b.push_str("<details><summary>details</summary>");
        if let Some(err) = &sc.error {
            let _ = write!(b, "<pre>{}</pre>", html(&err.message));
            if let Some(step) = &err.step {
                let _ = write!(b, "<p class=\"meta\">step: <code>{}</code></p>", html(step));
            }
        }
        for (x, t) in slow {
            let _ = write!(
                b,
                "<p class=\"meta\">{}</p>",
                html(&reporters::text::describe::slow_request_line(x, &t))
            );
        }
        b.push_str("</details>");
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
    if let Some(t) = &sc.trace_id {
        let _ = write!(
            b,
            " · trace <code class=\"trace\" data-trace=\"{0}\">{0}</code>",
            html(t)
        );
    }
    if let Some(a) = e.alerts.get(&id).filter(|a| a.consecutive_failures > 0) {
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

/// Each feature's response times, p50 and p95, as sparklines.
pub(super) fn trends(v: &View, b: &mut String) {
    b.push_str("<section id=\"trends\"><h2>Response time</h2>\n");
    let mut any = false;
    for e in v.envs.iter().filter(|e| !e.history.trends.is_empty()) {
        any = true;
        let slower: Vec<&str> = e
            .history
            .trends
            .iter()
            .filter(|t| t.slower())
            .map(|t| t.feature.as_str())
            .collect();
        let _ = write!(
            b,
            "<details{}><summary>{} · {} feature(s){} · p50 (solid) and p95 (dashed) of their requests over the runs kept (the newest 2,000 at most)</summary><div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"response times in {}\"><table class=\"trends\"><colgroup><col class=\"name\"><col class=\"line\"><col class=\"figures\"></colgroup><thead><tr><th>feature</th><th>trend</th><th>p50 · p95</th></tr></thead><tbody>",
            if slower.is_empty() { "" } else { " open" },
            html(&e.name),
            e.history.trends.len(),
            if slower.is_empty() {
                String::new()
            } else {
                format!(", slower than usual: {}", html(&slower.join(", ")))
            },
            html(&e.name)
        );
        for t in &e.history.trends {
            sparkline(&e.name, t, b);
        }
        b.push_str("</tbody></table></div></details>\n");
    }
    if !any {
        b.push_str("<p class=\"meta\">No request has been timed yet.</p>\n");
    }
    b.push_str("</section>\n");
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

pub(super) fn matrix(v: &View, b: &mut String) {
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
    b.push_str("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"areas by environment\"><table class=\"matrix\"><thead><tr><th>area</th>");
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

pub(super) fn drift(v: &View, b: &mut String) {
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
        b.push_str("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"drift\"><table><thead><tr><th>environment</th><th>baseline</th><th>kind</th><th>fields</th></tr></thead><tbody>\n");
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

pub(super) fn baseline(v: &View, b: &mut String) {
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

pub(super) fn ledger(v: &View, b: &mut String) {
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
    // What disagrees with the Canon (or was not checked) first, in full;
    // the claims that hold behind one summary line.
    let (hold, rest): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(c, _)| c.verdict == ClaimVerdict::Holds);
    if !rest.is_empty() {
        ledger_table(v, &rest, b);
    }
    if !hold.is_empty() {
        let _ = write!(
            b,
            "<details><summary>{} claim(s) hold{}</summary>",
            hold.len(),
            if rest.is_empty() { "" } else { ": show them" }
        );
        ledger_table(v, &hold, b);
        b.push_str("</details>");
    }
    b.push_str("</section>\n");
}

fn ledger_table(v: &View, rows: &[(&ClaimReport, &EnvView)], b: &mut String) {
    b.push_str("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"claims\"><table class=\"ledger\"><thead><tr><th>claim</th><th>scenario</th><th>environment</th><th>seen</th><th>last passed</th></tr></thead><tbody>\n");
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
    b.push_str("</tbody></table></div>\n");
}
