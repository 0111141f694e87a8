//! `report.md`: the run for a GitHub job summary (the binary appends it to
//! `$GITHUB_STEP_SUMMARY`) or a pull-request comment. A table of counts per
//! area, a table of scenarios per area, then every scenario that needs a
//! person: kind, message, step and `file:line`. Everything taken from
//! features or responses is escaped, so a scenario name or a message cannot
//! inject Markdown or HTML.

use std::io::{self, Write};

use crate::format::reporter::Reporter;
use crate::model::run::RunReport;
use crate::model::status::Status;
use crate::text::describe::{by_area, count, slow_request_line, summary_line};
use crate::text::escape::{duration, md_cell, md_code, md_fence, md_inline};

#[derive(Clone, Copy, Debug, Default)]
pub struct Markdown;

impl Reporter for Markdown {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn write(&self, r: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let mark = if r.passed() { "✅" } else { "❌" };
        writeln!(
            out,
            "## {mark} lucia-harness · {} ({}) · {}\n",
            md_code(&r.environment),
            md_inline(&r.environment_status),
            md_inline(&summary_line(r))
        )?;
        writeln!(
            out,
            "Run {} · started {} · {} · harness {}\n",
            md_code(&r.run_id),
            r.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            duration(r.duration_ms),
            md_inline(&r.harness_version)
        )?;
        if r.scenarios.is_empty() {
            writeln!(
                out,
                "No scenario applies to environment {} with these tags.",
                md_code(&r.environment)
            )?;
            return Ok(());
        }

        let areas = by_area(r);
        write!(out, "| area |")?;
        for st in Status::ALL {
            write!(out, " {} |", st.plural())?;
        }
        write!(out, "\n|---|")?;
        for _ in Status::ALL {
            write!(out, "---:|")?;
        }
        writeln!(out)?;
        for (area, list) in &areas {
            write!(out, "| {} |", md_cell(area))?;
            for st in Status::ALL {
                let n = count(list, st);
                if n > 0 && st.is_failure() {
                    write!(out, " **{n}** |")?;
                } else {
                    write!(out, " {n} |")?;
                }
            }
            writeln!(out)?;
        }

        for (area, list) in &areas {
            writeln!(out, "\n### {}\n", md_inline(area))?;
            writeln!(out, "| | feature › scenario | status | time | where |")?;
            writeln!(out, "|---|---|---|---:|---|")?;
            for s in list {
                writeln!(
                    out,
                    "| {} | {} › {} | {} | {} | {} |",
                    s.status.emoji(),
                    md_cell(&s.feature),
                    md_cell(&s.scenario),
                    s.status.as_str(),
                    duration(s.duration_ms),
                    md_code(&format!("{}:{}", s.feature_file, s.line))
                )?;
            }
        }

        let attention: Vec<_> = r
            .scenarios
            .iter()
            .filter(|s| s.status != Status::Passed)
            .collect();
        if attention.is_empty() {
            return Ok(());
        }
        writeln!(out, "\n### Needs attention\n")?;
        for s in attention {
            writeln!(
                out,
                "#### {} {} › {} ({})\n",
                s.status.emoji(),
                md_inline(&s.feature),
                md_inline(&s.scenario),
                s.status.as_str()
            )?;
            writeln!(out, "- where: {}", md_code(&s.location()))?;
            if let Some(e) = &s.error {
                writeln!(out, "- kind: {}", md_code(e.kind.as_str()))?;
                if let Some(step) = &e.step {
                    writeln!(out, "- step: {}", md_code(step))?;
                }
            }
            if let Some(c) = &s.claim {
                writeln!(out, "- claim: {}", md_code(&format!("@{c}")))?;
            }
            if let Some(t) = &s.trace_id {
                writeln!(
                    out,
                    "- trace: {} (the backend's Sentry has its side)",
                    md_code(t)
                )?;
            }
            for (x, t) in s.slow_requests() {
                writeln!(
                    out,
                    "- slow request: {}",
                    md_inline(&slow_request_line(x, &t))
                )?;
            }
            match s.status {
                Status::Failed | Status::KnownGap => {
                    if s.status == Status::KnownGap {
                        writeln!(
                            out,
                            "\nknown gap: the Canon says {}; expected to fail until it ships",
                            md_code(&format!("@{}", s.claim_or_deferred()))
                        )?;
                    }
                    if let Some(e) = &s.error {
                        writeln!(out, "\n{}", md_fence("text", &e.message))?;
                    } else {
                        writeln!(out)?;
                    }
                }
                _ => writeln!(out, "\n{}\n", md_inline(&s.verdict_line()))?,
            }
        }
        Ok(())
    }
}
