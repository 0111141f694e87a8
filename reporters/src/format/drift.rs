//! A baseline comparison as Markdown (for a CI job summary or a review
//! thread) and as JSON (the model, whole).

use std::io::{self, Write};

use serde_json::Value;

use crate::model::drift::DriftReport;
use crate::text::drift::{headline, hunk_header, short, signed, summary_line};

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn md_value(v: Option<&Value>) -> String {
    v.map_or_else(String::new, |v| {
        format!("`{}`", md_cell(&short(v, 80)).replace('`', "'"))
    })
}

/// The comparison as Markdown: a verdict, a table of baselines, then each
/// drifted baseline's changes and its line diff.
pub fn write_markdown(r: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Baseline diff: {}\n", md_cell(&headline(r)))?;
    writeln!(
        out,
        "**Verdict: {}** · {}\n",
        r.verdict.as_str(),
        summary_line(r)
    )?;
    if r.observed.version.is_some() {
        writeln!(
            out,
            "{}: {}\n",
            r.observed.label,
            md_cell(&r.observed.review)
        )?;
    }
    writeln!(out, "| baseline | outcome | breaking | additive | value |")?;
    writeln!(out, "|---|---|---:|---:|---:|")?;
    for b in &r.baselines {
        let outcome = match &b.detail {
            Some(d) => format!("{}: {}", b.outcome.as_str(), md_cell(d)),
            None => b.outcome.as_str().to_owned(),
        };
        writeln!(
            out,
            "| `{}` | {outcome} | {} | {} | {} |",
            b.name, b.counts.breaking, b.counts.additive, b.counts.value
        )?;
    }
    for b in r.baselines.iter().filter(|b| !b.changes.is_empty()) {
        writeln!(out, "\n### `{}`\n", b.name)?;
        writeln!(out, "| class | kind | path | old | new |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for c in &b.changes {
            writeln!(
                out,
                "| {} | {} | `{}` | {} | {} |",
                c.class.as_str(),
                c.kind.as_str(),
                md_cell(&c.path),
                md_value(c.old.as_ref()),
                md_value(c.new.as_ref())
            )?;
        }
        if !b.text.is_empty() {
            writeln!(out, "\n```diff")?;
            for h in &b.text {
                writeln!(out, "{}", hunk_header(h))?;
                for l in &h.lines {
                    writeln!(out, "{}", signed(l).replace("```", "'''"))?;
                }
            }
            writeln!(out, "```")?;
        }
    }
    Ok(())
}

/// The comparison as JSON (the model, whole).
pub fn write_json(r: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::drift::example::{self, render};
    use probes::core::diff::{ChangeKind, Class};

    #[test]
    fn markdown_has_a_table_per_drifted_baseline_and_escapes_cells() {
        let m = render(|r, b| write_markdown(r, b));
        assert!(m.contains("**Verdict: breaking drift**"), "{m}");
        assert!(
            m.contains("| `engine/health` | drifted | 1 | 1 | 1 |"),
            "{m}"
        );
        assert!(
            m.contains("| breaking | removed | `$.status` | `\"ok\"` |  |"),
            "{m}"
        );
        assert!(m.contains("```diff\n@@ "), "{m}");
        assert!(
            m.contains("| `admin/version` | not observed: connect refused | 0 | 0 | 0 |"),
            "{m}"
        );
    }

    #[test]
    fn json_round_trips() {
        let j = render(|r, b| write_json(r, b));
        let back: DriftReport = serde_json::from_str(&j).expect("parses");
        assert_eq!(back, example::report());
        let v: Value = serde_json::from_str(&j).expect("json");
        assert_eq!(v["verdict"], "breaking");
        assert_eq!(v["baselines"][0]["changes"][0]["kind"], "removed");
        assert_eq!(v["baselines"][0]["changes"][0]["class"], "breaking");
        let kinds: Vec<ChangeKind> = example::report().baselines[0]
            .changes
            .iter()
            .map(|c| c.kind)
            .collect();
        assert!(kinds.contains(&ChangeKind::Added));
        assert_eq!(Class::of(ChangeKind::TypeChanged), Class::Breaking);
    }
}
