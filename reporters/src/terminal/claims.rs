//! The claim ledger: every claim of the Canon a run saw, by area, with its
//! status in the Canon, what the harness saw, and when it last passed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{Paint, Style};
use crate::model::claim::{ClaimReport, ClaimVerdict};
use crate::model::run::RunReport;

/// The claim ledger: every claim of the Canon this run saw, by area, with
/// its status in the Canon, what the harness saw, and when it last passed.
pub fn write_claims(report: &RunReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint(style.color);
    writeln!(
        out,
        "{} · environment {} ({}) · run {}",
        p.bold("Claims of the Canon"),
        p.bold(&report.environment),
        report.environment_status,
        report.run_id
    )?;
    let mut by_area: BTreeMap<&str, Vec<&ClaimReport>> = BTreeMap::new();
    for c in &report.claims {
        by_area.entry(c.area.as_str()).or_default().push(c);
    }
    let mut counts: BTreeMap<ClaimVerdict, usize> = BTreeMap::new();
    for (area, claims) in by_area {
        writeln!(out)?;
        writeln!(out, "{}", p.bold(area))?;
        for c in claims {
            *counts.entry(c.verdict).or_default() += 1;
            let verdict = format!("{:<10}", c.verdict.as_str());
            let verdict = match c.verdict {
                ClaimVerdict::Holds => p.green(&verdict),
                ClaimVerdict::Violated => p.red(&verdict),
                ClaimVerdict::Outdated => p.yellow(&verdict),
                ClaimVerdict::KnownGap | ClaimVerdict::Unverified => p.dim(&verdict),
            };
            writeln!(out, "  {verdict} {:<12} {}", c.claim, c.scenario)?;
            let last = c.last_passed.map_or_else(
                || "never seen passing".to_owned(),
                |t| format!("last passed {}", t.format("%Y-%m-%d %H:%M:%SZ")),
            );
            writeln!(
                out,
                "  {:<10} {:<12} {}",
                "",
                "",
                p.dim(&format!("{} · {last}", c.evidence))
            )?;
        }
    }
    let n = |v: ClaimVerdict| counts.get(&v).copied().unwrap_or(0);
    writeln!(out)?;
    writeln!(
        out,
        "{} claims: {} hold, {} violated, {} known gaps, {} outdated, {} unverified",
        report.claims.len(),
        n(ClaimVerdict::Holds),
        n(ClaimVerdict::Violated),
        n(ClaimVerdict::KnownGap),
        n(ClaimVerdict::Outdated),
        n(ClaimVerdict::Unverified)
    )
}
