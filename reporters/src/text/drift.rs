//! A baseline comparison in words, the same in every rendering: a value
//! in one short line, a change as a line, the headline and the summary
//! line, a unified diff's lines.

use probes::core::diff::{Change, Counts, LineTag, TextHunk, TextLine};
use serde_json::Value;

use crate::model::drift::DriftReport;

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

pub(crate) fn change_line(c: &Change) -> String {
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

pub(crate) fn counts_text(c: Counts) -> String {
    format!(
        "{} breaking, {} additive, {} value",
        c.breaking, c.additive, c.value
    )
}

/// A line of a unified diff: ` `, `-` or `+`, then the text.
pub(crate) fn signed(l: &TextLine) -> String {
    let sign = match l.tag {
        LineTag::Equal => ' ',
        LineTag::Delete => '-',
        LineTag::Insert => '+',
    };
    format!("{sign}{}", l.text)
}

pub(crate) fn hunk_header(h: &TextHunk) -> String {
    format!(
        "@@ -{},{} +{},{} @@",
        h.old_start, h.old_len, h.new_start, h.new_len
    )
}

pub(crate) fn headline(r: &DriftReport) -> String {
    format!(
        "{} against {} ({}, captured from {})",
        r.observed.label, r.baseline.label, r.baseline.review, r.baseline.environment
    )
}

pub(crate) fn summary_line(r: &DriftReport) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::drift::example;

    #[test]
    fn step_messages_are_bounded() {
        let changes = example::report().baselines[0].changes.clone();
        let s = describe_changes(&changes, 2);
        assert_eq!(s.lines().count(), 4, "{s}");
        assert!(s.ends_with("… and 1 more"), "{s}");
    }
}
