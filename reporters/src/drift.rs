//! Baseline comparisons (`lucia-harness baseline diff`): the model and its
//! three renderings — terminal, Markdown (for a CI job summary or a review
//! thread) and JSON. The structural diff itself comes from `probes::core::diff`;
//! this module only renders it.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use probes::core::diff::{Change, Counts, LineTag, TextHunk, TextLine};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::terminal::Paint;

/// One side of a comparison: a stored baseline version or a live environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    /// What people call it: `v0.1.3.6` or `staging (live)`.
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// The environment it was captured from, or the live one.
    pub environment: String,
    pub live: bool,
    /// Whether an approved review covers exactly this content.
    pub approved: bool,
    /// `approved by … at …`, `not reviewed`, or why the review no longer applies.
    pub review: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Unchanged,
    Drifted,
    /// Only on the new side (a new baseline, or no baseline yet for a live response).
    Added,
    /// Only on the old side.
    Removed,
    /// The live response could not be observed (the scenario failed first).
    NotObserved,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::Drifted => "drifted",
            Self::Added => "added",
            Self::Removed => "removed",
            Self::NotObserved => "not observed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineDrift {
    /// `area/name`.
    pub name: String,
    pub outcome: Outcome,
    /// Why it was not observed, or where it is missing.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
    pub counts: Counts,
    pub changes: Vec<Change>,
    /// The line diff of the two snapshots, for people.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub text: Vec<TextHunk>,
    /// The old side's `.snap` file, relative to the snapshots directory.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file: Option<String>,
}

/// What the comparison says, worst first; it decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A removed field or baseline, a changed type, status or content type (exit 1).
    Breaking,
    /// Drift no approved review covers (exit 1).
    UnapprovedDrift,
    /// Nothing drifted, but some responses could not be observed (exit 3).
    Inconclusive,
    /// Drift that the new side's approved review covers (exit 0).
    ApprovedDrift,
    /// No drift (exit 0).
    NoDrift,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breaking => "breaking drift",
            Self::UnapprovedDrift => "unapproved drift",
            Self::Inconclusive => "inconclusive",
            Self::ApprovedDrift => "approved drift",
            Self::NoDrift => "no drift",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSummary {
    pub baselines: usize,
    pub unchanged: usize,
    pub drifted: usize,
    pub added: usize,
    pub removed: usize,
    pub not_observed: usize,
    pub breaking: usize,
    pub additive: usize,
    pub value: usize,
}

impl DriftSummary {
    pub fn of(baselines: &[BaselineDrift]) -> Self {
        let mut s = Self {
            baselines: baselines.len(),
            ..Self::default()
        };
        for b in baselines {
            match b.outcome {
                Outcome::Unchanged => s.unchanged += 1,
                Outcome::Drifted => s.drifted += 1,
                Outcome::Added => s.added += 1,
                Outcome::Removed => s.removed += 1,
                Outcome::NotObserved => s.not_observed += 1,
            }
            s.breaking += b.counts.breaking;
            s.additive += b.counts.additive;
            s.value += b.counts.value;
        }
        s
    }
}

/// A whole comparison, as `baseline diff` reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub harness_version: String,
    pub generated_at: DateTime<Utc>,
    /// The old side (the stored baseline).
    pub baseline: Side,
    /// The new side (a live environment or a later version).
    pub observed: Side,
    pub verdict: Verdict,
    pub summary: DriftSummary,
    pub baselines: Vec<BaselineDrift>,
}

/// A value in one short line (JSON, cut at `max` characters).
pub fn short(v: &Value, max: usize) -> String {
    let s = v.to_string();
    if s.chars().count() <= max {
        s
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn change_line(c: &Change) -> String {
    let what = match (&c.old, &c.new) {
        (Some(o), Some(n)) => format!("{} → {}", short(o, 60), short(n, 60)),
        (Some(o), None) => format!("was {}", short(o, 60)),
        (None, Some(n)) => short(n, 60),
        (None, None) => String::new(),
    };
    format!(
        "{:<9} {:<12} {}  {what}",
        c.class.as_str(),
        c.kind.as_str(),
        c.path
    )
}

/// The structural diff as lines for a step's failure message (at most
/// `max` changes, then a count of the rest).
pub fn describe_changes(changes: &[Change], max: usize) -> String {
    let mut out = String::new();
    for c in changes.iter().take(max) {
        out.push_str("\n  ");
        out.push_str(&change_line(c));
    }
    if changes.len() > max {
        out.push_str(&format!("\n  … and {} more", changes.len() - max));
    }
    out
}

fn counts_text(c: Counts) -> String {
    format!(
        "{} breaking, {} additive, {} value",
        c.breaking, c.additive, c.value
    )
}

/// A line of a unified diff: ` `, `-` or `+`, then the text.
fn signed(l: &TextLine) -> String {
    let sign = match l.tag {
        LineTag::Equal => ' ',
        LineTag::Delete => '-',
        LineTag::Insert => '+',
    };
    format!("{sign}{}", l.text)
}

fn hunk_header(h: &TextHunk) -> String {
    format!(
        "@@ -{},{} +{},{} @@",
        h.old_start, h.old_len, h.new_start, h.new_len
    )
}

fn headline(r: &DriftReport) -> String {
    format!(
        "{} against {} ({}, captured from {})",
        r.observed.label, r.baseline.label, r.baseline.review, r.baseline.environment
    )
}

fn summary_line(r: &DriftReport) -> String {
    let s = &r.summary;
    let mut parts = vec![format!(
        "{} drifted ({} breaking, {} additive, {} value)",
        s.drifted, s.breaking, s.additive, s.value
    )];
    parts.push(format!("{} unchanged", s.unchanged));
    if s.added > 0 {
        parts.push(format!("{} added", s.added));
    }
    if s.removed > 0 {
        parts.push(format!("{} removed", s.removed));
    }
    if s.not_observed > 0 {
        parts.push(format!("{} not observed", s.not_observed));
    }
    format!("{} baselines: {}", s.baselines, parts.join(", "))
}

/// The human summary of a comparison.
pub fn write_terminal(r: &DriftReport, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint(color);
    writeln!(out, "baseline diff · {}", headline(r))?;
    if r.observed.version.is_some() {
        writeln!(out, "  {}: {}", r.observed.label, r.observed.review)?;
    }
    for b in &r.baselines {
        let (mark, code) = match b.outcome {
            Outcome::Unchanged => ("✓", "32"),
            Outcome::NotObserved => ("?", "33"),
            _ if b.counts.breaking > 0 || b.outcome == Outcome::Removed => ("✗", "31"),
            _ => ("~", "33"),
        };
        let what = match b.outcome {
            Outcome::Drifted => format!("drifted: {}", counts_text(b.counts)),
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
        Verdict::NoDrift | Verdict::ApprovedDrift => "32",
        Verdict::Inconclusive => "33",
        _ => "31",
    };
    writeln!(out, "{} · {}", p.wrap(code, &verdict), summary_line(r))
}

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
    use probes::core::diff::{ChangeKind, Class, diff_responses, text_diff};
    use serde_json::json;

    fn report() -> DriftReport {
        let old = json!({"status": 200, "content_type": "application/json", "body": {"status": "ok", "version": "v1", "note": "a|b"}});
        let new = json!({"status": 200, "content_type": "application/json", "body": {"version": "v2", "region": "eu", "note": "a|b"}});
        let changes = diff_responses(&old, &new, &[]);
        let text = text_diff(
            &serde_json::to_string_pretty(&old).expect("json"),
            &serde_json::to_string_pretty(&new).expect("json"),
            1,
        );
        let baselines = vec![
            BaselineDrift {
                name: "engine/health".into(),
                outcome: Outcome::Drifted,
                detail: None,
                counts: Counts::of(&changes),
                changes,
                text,
                file: Some("v0.1.3.6/local/engine/health.snap".into()),
            },
            BaselineDrift {
                name: "admin/version".into(),
                outcome: Outcome::NotObserved,
                detail: Some("connect refused".into()),
                counts: Counts::default(),
                changes: vec![],
                text: vec![],
                file: None,
            },
        ];
        DriftReport {
            harness_version: "0.1.0".into(),
            generated_at: DateTime::<Utc>::UNIX_EPOCH,
            baseline: Side {
                label: "v0.1.3.6".into(),
                version: Some("v0.1.3.6".into()),
                environment: "dev".into(),
                live: false,
                approved: true,
                review: "approved by Ada at 2026-11-25T00:00:00Z".into(),
            },
            observed: Side {
                label: "staging (live)".into(),
                version: None,
                environment: "staging".into(),
                live: true,
                approved: false,
                review: "live, not reviewed".into(),
            },
            verdict: Verdict::Breaking,
            summary: DriftSummary::of(&baselines),
            baselines,
        }
    }

    fn render(f: impl Fn(&DriftReport, &mut Vec<u8>) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        f(&report(), &mut buf).expect("render");
        String::from_utf8(buf).expect("utf8")
    }

    #[test]
    fn terminal_lists_each_change_with_class_and_the_line_diff() {
        let t = render(|r, b| write_terminal(r, false, b));
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
        assert!(render(|r, b| write_terminal(r, true, b)).contains("\x1b[31m"));
    }

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
        assert_eq!(back, report());
        let v: Value = serde_json::from_str(&j).expect("json");
        assert_eq!(v["verdict"], "breaking");
        assert_eq!(v["baselines"][0]["changes"][0]["kind"], "removed");
        assert_eq!(v["baselines"][0]["changes"][0]["class"], "breaking");
        let kinds: Vec<ChangeKind> = report().baselines[0]
            .changes
            .iter()
            .map(|c| c.kind)
            .collect();
        assert!(kinds.contains(&ChangeKind::Added));
        assert_eq!(Class::of(ChangeKind::TypeChanged), Class::Breaking);
    }

    #[test]
    fn step_messages_are_bounded() {
        let changes = report().baselines[0].changes.clone();
        let s = describe_changes(&changes, 2);
        assert_eq!(s.lines().count(), 4, "{s}");
        assert!(s.ends_with("… and 1 more"), "{s}");
    }
}
