//! A baseline comparison on the terminal: each baseline with its mark,
//! its changes and its line diff, then the verdict.

use std::io::{self, Write};

use probes::core::diff::LineTag;

use super::Paint;
use crate::model::drift::{DriftOutcome, DriftReport, DriftVerdict};
use crate::text::drift::{change_line, counts_text, headline, hunk_header, signed, summary_line};

/// The human summary of a comparison.
pub fn write_drift(r: &DriftReport, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint(color);
    writeln!(out, "baseline diff · {}", headline(r))?;
    if r.observed.version.is_some() {
        writeln!(out, "  {}: {}", r.observed.label, r.observed.review)?;
    }
    for b in &r.baselines {
        let (mark, code) = match b.outcome {
            DriftOutcome::Unchanged => ("✓", "32"),
            DriftOutcome::NotObserved => ("?", "33"),
            _ if b.counts.breaking > 0 || b.outcome == DriftOutcome::Removed => ("✗", "31"),
            _ => ("~", "33"),
        };
        let what = match b.outcome {
            DriftOutcome::Drifted => format!("drifted: {}", counts_text(b.counts)),
            other => match &b.detail {
                Some(d) => format!("{}: {d}", other.as_str()),
                None => other.as_str().to_owned(),
            },
        };
        writeln!(out, "  {} {:<28} {what}", p.wrap(code, mark), b.name)?;
        for c in &b.changes {
            let line = change_line(c);
            let code = match c.class {
                probes::core::diff::Class::Breaking => "31",
                probes::core::diff::Class::Additive => "32",
                probes::core::diff::Class::Value => "33",
            };
            writeln!(out, "      {}", p.wrap(code, &line))?;
        }
        if !b.text.is_empty() {
            writeln!(
                out,
                "      --- {}",
                b.file.as_deref().unwrap_or(&r.baseline.label)
            )?;
            writeln!(out, "      +++ {}", r.observed.label)?;
            for h in &b.text {
                writeln!(out, "      {}", p.wrap("36", &hunk_header(h)))?;
                for l in &h.lines {
                    let text = signed(l);
                    let code = match l.tag {
                        LineTag::Equal => "",
                        LineTag::Delete => "31",
                        LineTag::Insert => "32",
                    };
                    if code.is_empty() {
                        writeln!(out, "      {text}")?;
                    } else {
                        writeln!(out, "      {}", p.wrap(code, &text))?;
                    }
                }
            }
        }
    }
    let verdict = r.verdict.as_str().to_uppercase();
    let code = match r.verdict {
        DriftVerdict::NoDrift | DriftVerdict::ApprovedDrift => "32",
        DriftVerdict::Inconclusive => "33",
        _ => "31",
    };
    writeln!(out, "{} · {}", p.wrap(code, &verdict), summary_line(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::drift::example::render;

    #[test]
    fn terminal_lists_each_change_with_class_and_the_line_diff() {
        let t = render(|r, b| write_drift(r, false, b));
        assert!(
            t.starts_with("baseline diff · staging (live) against v0.1.3.6"),
            "{t}"
        );
        assert!(t.contains("✗ engine/health"), "{t}");
        assert!(
            t.contains("breaking  removed      $.status  was \"ok\""),
            "{t}"
        );
        assert!(t.contains("additive  added        $.region  \"eu\""), "{t}");
        assert!(
            t.contains("value     changed      $.version  \"v1\" → \"v2\""),
            "{t}"
        );
        assert!(t.contains("-    \"status\": \"ok\","), "{t}");
        assert!(t.contains("? admin/version"), "{t}");
        assert!(t.contains("not observed: connect refused"), "{t}");
        assert!(t.trim_end().ends_with(
            "BREAKING DRIFT · 2 baselines: 1 drifted (1 breaking, 1 additive, 1 value), 0 unchanged, 1 not observed"
        ), "{t}");
        assert!(!t.contains('\x1b'));
        assert!(render(|r, b| write_drift(r, true, b)).contains("\x1b[31m"));
    }
}
