//! `report.html`: the run as one self-contained page — inline CSS, no
//! script, no external asset — readable on a phone. Statuses are coloured,
//! every scenario that needs a person is expanded with its kind, message,
//! step and `file:line`; passed scenarios are listed per area. Everything
//! taken from features or responses is HTML-escaped.

use std::io::{self, Write};

use crate::format::reporter::Reporter;
use crate::model::run::{RunReport, ScenarioReport};
use crate::model::status::Status;
use crate::text::describe::{by_area, count, slow_request_line, summary_line};
use crate::text::escape::{duration, html};

#[derive(Clone, Copy, Debug, Default)]
pub struct Html;

/// The stylesheet every page of the harness shares.
pub const CSS: &str = "\
:root{--slow:#bc4c00;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--skip:#6e7781;--gap:#8250df;--bg:#fff;--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--soft:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--slow:#db6d28;--pass:#3fb950;--fail:#f85149;--warn:#d29922;--skip:#8b949e;--gap:#a371f7;--bg:#0d1117;--fg:#e6edf3;--muted:#8b949e;--line:#30363d;--soft:#161b22}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:60rem;padding:1rem;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;background:var(--bg);color:var(--fg);overflow-wrap:anywhere}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.5rem 0 .5rem;border-bottom:1px solid var(--line)}
code,pre{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.6rem;white-space:pre-wrap;margin:.4rem 0}
.meta,.q{color:var(--muted);font-size:.9rem;margin:.2rem 0}.big{font-size:1.2rem;font-weight:600;margin:.2rem 0}
header{border-left:6px solid var(--skip);padding:.2rem .8rem;margin-bottom:1rem}
header.passed,header.ready{border-color:var(--pass)}header.failed,header.not_ready{border-color:var(--fail)}header.inconclusive{border-color:var(--warn)}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:right;white-space:nowrap;overflow-wrap:normal}th:first-child,td:first-child{text-align:left}
.cards{list-style:none;padding:0;margin:0}.card{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:.5rem .7rem;margin:.5rem 0}
.card.passed,.card.pass{border-left-color:var(--pass)}.card.failed,.card.fail,.card.claim_outdated{border-left-color:var(--fail)}.card.flaky,.card.warn,.card.unknown{border-left-color:var(--warn)}.card.degraded,.card.maintenance{border-left-color:var(--slow)}.card.skipped{border-left-color:var(--skip)}.card.known_gap{border-left-color:var(--gap)}
.card p{margin:.3rem 0}summary{cursor:pointer}
.badge{display:inline-block;border-radius:1em;padding:0 .6em;font-size:.8rem;font-weight:600;color:#fff;background:var(--skip);vertical-align:middle}
.badge.passed,.badge.pass{background:var(--pass)}.badge.failed,.badge.fail,.badge.claim_outdated{background:var(--fail)}.badge.flaky,.badge.warn,.badge.unknown{background:var(--warn)}.badge.degraded,.badge.maintenance{background:var(--slow)}.badge.known_gap{background:var(--gap)}
.n0{color:var(--muted)}.bad{color:var(--fail);font-weight:700}
";

/// Writes a whole page around `body` (already HTML).
pub(crate) fn page(out: &mut dyn Write, title: &str, body: &str) -> io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        html(title)
    )
}

fn scenario_card(s: &ScenarioReport, b: &mut String) {
    let st = s.status.as_str();
    let head = format!(
        "<span class=\"badge {st}\">{st}</span> <strong>{}</strong> › {} <span class=\"meta\">{}</span>",
        html(&s.feature),
        html(&s.scenario),
        duration(s.duration_ms)
    );
    if s.status == Status::Passed {
        b.push_str(&format!("<li class=\"card {st}\">{head}</li>\n"));
        return;
    }
    b.push_str(&format!(
        "<li class=\"card {st}\"><details open><summary>{head}</summary>\n"
    ));
    b.push_str(&format!(
        "<p class=\"meta\">at <code>{}</code>",
        html(&s.location())
    ));
    if let Some(c) = &s.claim {
        b.push_str(&format!(" · claim <code>@{}</code>", html(c.as_str())));
    }
    if let Some(t) = &s.trace_id {
        b.push_str(&format!(
            " · trace <code class=\"trace\">{}</code>",
            html(t)
        ));
    }
    b.push_str("</p>\n");
    if let Some(e) = &s.error {
        b.push_str(&format!(
            "<p><span class=\"badge\">{}</span>",
            html(e.kind.as_str())
        ));
        if let Some(step) = &e.step {
            b.push_str(&format!(" <code>{}</code>", html(step)));
        }
        b.push_str("</p>\n");
    }
    match (s.status, &s.error) {
        (Status::Failed | Status::KnownGap, Some(e)) => {
            if s.status == Status::KnownGap {
                b.push_str(&format!(
                    "<p>known gap: the Canon says <code>@{}</code>; expected to fail until it ships</p>\n",
                    html(s.claim_or_deferred().as_str())
                ));
            }
            b.push_str(&format!("<pre>{}</pre>\n", html(&e.message)));
        }
        _ => b.push_str(&format!("<p>{}</p>\n", html(&s.verdict_line()))),
    }
    let slow = s.slow_requests();
    if !slow.is_empty() {
        b.push_str("<p>Where the time went:</p><ul class=\"phases\">");
        for (x, t) in slow {
            b.push_str(&format!("<li>{}</li>", html(&slow_request_line(x, &t))));
        }
        b.push_str("</ul>\n");
    }
    if !s.http.is_empty() {
        b.push_str("<p class=\"meta\">");
        for x in &s.http {
            let code = x
                .status
                .map_or_else(|| "no response".to_owned(), |c| c.to_string());
            b.push_str(&format!(
                "{} <code>{}</code> → {} ({})<br>",
                html(&x.method),
                html(&x.url),
                html(&code),
                duration(x.duration_ms)
            ));
        }
        b.push_str("</p>\n");
    }
    b.push_str("</details></li>\n");
}

impl Reporter for Html {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn write(&self, r: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let verdict = if r.passed() { "passed" } else { "failed" };
        let title = format!("lucia-harness · {} · {verdict}", r.environment);
        let mut b = format!(
            "<header class=\"{verdict}\"><h1>lucia-harness · {} <span class=\"meta\">({})</span></h1>\
<p class=\"big\">{}</p><p class=\"meta\">run <code>{}</code> · started {} · {} · harness {}</p></header>\n",
            html(&r.environment),
            html(&r.environment_status),
            html(&summary_line(r)),
            html(&r.run_id),
            r.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            duration(r.duration_ms),
            html(&r.harness_version)
        );
        if r.scenarios.is_empty() {
            b.push_str(&format!(
                "<p>No scenario applies to environment <code>{}</code> with these tags.</p>\n",
                html(&r.environment)
            ));
            return page(out, &title, &b);
        }
        let areas = by_area(r);
        b.push_str("<div class=\"scroll\"><table><thead><tr><th>area</th>");
        for st in Status::ALL {
            b.push_str(&format!("<th>{}</th>", st.plural()));
        }
        b.push_str("</tr></thead><tbody>\n");
        for (area, list) in &areas {
            b.push_str(&format!("<tr><td>{}</td>", html(area)));
            for st in Status::ALL {
                let n = count(list, st);
                let class = if n == 0 {
                    "n0"
                } else if st.is_failure() {
                    "bad"
                } else {
                    ""
                };
                b.push_str(&format!("<td class=\"{class}\">{n}</td>"));
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</tbody></table></div>\n");

        let attention: Vec<&ScenarioReport> = r
            .scenarios
            .iter()
            .filter(|s| s.status != Status::Passed)
            .collect();
        if !attention.is_empty() {
            b.push_str("<h2>Needs attention</h2>\n<ul class=\"cards\">\n");
            for s in attention {
                scenario_card(s, &mut b);
            }
            b.push_str("</ul>\n");
        }
        for (area, list) in &areas {
            b.push_str(&format!("<h2>{}</h2>\n<ul class=\"cards\">\n", html(area)));
            for s in list {
                if s.status == Status::Passed {
                    scenario_card(s, &mut b);
                } else {
                    b.push_str(&format!(
                        "<li class=\"card {st}\"><span class=\"badge {st}\">{st}</span> <strong>{}</strong> › {} <span class=\"meta\">(above)</span></li>\n",
                        html(&s.feature),
                        html(&s.scenario),
                        st = s.status.as_str(),
                    ));
                }
            }
            b.push_str("</ul>\n");
        }
        page(out, &title, &b)
    }
}
