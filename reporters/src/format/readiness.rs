//! A gate's verdict as `readiness.json`, `readiness.md` (for a job
//! summary) and `readiness.html` (one self-contained page).

use std::io::{self, Write};

use super::html::page;
use crate::format::reporter::Reporter;
use crate::model::readiness::{Check, CheckStatus, Readiness, ReadinessVerdict};
use crate::text::escape::{html, md_cell, md_code};

/// `readiness.json`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadinessJson;

impl Reporter<Readiness> for ReadinessJson {
    fn file_name(&self) -> &'static str {
        "readiness.json"
    }

    fn write(&self, r: &Readiness, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, r)?;
        out.write_all(b"\n")
    }
}

/// `readiness.md`: the verdict and a table of checks, for a job summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadinessMarkdown;

impl Reporter<Readiness> for ReadinessMarkdown {
    fn file_name(&self) -> &'static str {
        "readiness.md"
    }

    fn write(&self, r: &Readiness, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "## {} {}: {}\n",
            verdict_symbol(r.verdict),
            md_cell(&r.title()),
            r.verdict.label()
        )?;
        writeln!(
            out,
            "Generated {} by lucia-harness {}.\n",
            r.generated_at.format("%Y-%m-%d %H:%M:%S UTC"),
            md_cell(&r.harness_version)
        )?;
        writeln!(out, "| | check | status | detail |")?;
        writeln!(out, "|---|---|---|---|")?;
        for c in &r.checks {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                check_symbol(c.status),
                md_code(c.id.as_str()),
                c.status.as_str(),
                md_cell(&c.detail)
            )?;
        }
        let blocking: Vec<&Check> = r.blocking().collect();
        if !blocking.is_empty() {
            writeln!(out, "\n### What to do next\n")?;
            for c in blocking {
                writeln!(
                    out,
                    "- {} {}: {}",
                    md_code(c.id.as_str()),
                    c.status.as_str(),
                    md_cell(&c.detail)
                )?;
            }
        }
        Ok(())
    }
}

/// `readiness.html`: one self-contained page.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadinessHtml;

impl Reporter<Readiness> for ReadinessHtml {
    fn file_name(&self) -> &'static str {
        "readiness.html"
    }

    fn write(&self, r: &Readiness, out: &mut dyn Write) -> io::Result<()> {
        let mut body = format!(
            "<header class=\"verdict {}\"><h1>{}</h1><p class=\"big\">{}</p><p class=\"meta\">generated {} · lucia-harness {}</p></header>\n<ul class=\"cards\">\n",
            r.verdict.as_str(),
            html(&r.title()),
            html(r.verdict.label()),
            r.generated_at.format("%Y-%m-%d %H:%M:%S UTC"),
            html(&r.harness_version)
        );
        for c in &r.checks {
            body.push_str(&format!(
                "<li class=\"card {st}\"><span class=\"badge {st}\">{st}</span> <code>{id}</code><p class=\"q\">{q}</p><p>{detail}</p></li>\n",
                st = c.status.as_str(),
                id = html(c.id.as_str()),
                q = html(c.id.question()),
                detail = html(&c.detail),
            ));
        }
        body.push_str("</ul>\n");
        page(out, &r.title(), &body)
    }
}

/// Every readiness format, in the order they are written.
pub fn all() -> Vec<Box<dyn Reporter<Readiness>>> {
    vec![
        Box::new(ReadinessJson),
        Box::new(ReadinessMarkdown),
        Box::new(ReadinessHtml),
    ]
}

/// The mark Markdown shows beside a check.
fn check_symbol(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Pass => "✅",
        CheckStatus::Fail => "❌",
        CheckStatus::Warn => "⚠️",
        CheckStatus::Unknown => "❔",
    }
}

/// The mark Markdown shows beside the verdict.
fn verdict_symbol(v: ReadinessVerdict) -> &'static str {
    match v {
        ReadinessVerdict::Ready => "✅",
        ReadinessVerdict::NotReady => "❌",
        ReadinessVerdict::Inconclusive => "❔",
    }
}
