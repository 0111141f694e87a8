//! The summary a person reads at the end of a run: a table per area, then
//! every failure with its step, location, kind and message.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::model::{RunReport, Status};

/// How the summary is drawn.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub color: bool,
    /// List every scenario, not only those needing attention.
    pub list_all: bool,
}

/// ANSI colour, or plain text when `false`.
pub(crate) struct Paint(pub(crate) bool);

impl Paint {
    pub(crate) fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}

fn symbol(p: &Paint, s: Status) -> String {
    match s {
        Status::Passed => p.green("✓"),
        Status::Flaky => p.yellow("≈"),
        Status::Failed => p.red("✗"),
        Status::Skipped => p.dim("-"),
        Status::KnownGap => p.dim("○"),
        Status::ClaimOutdated => p.yellow("!"),
    }
}

#[derive(Default)]
struct Row {
    passed: usize,
    failed: usize,
    flaky: usize,
    skipped: usize,
    gaps: usize,
    outdated: usize,
}

pub fn write_summary(report: &RunReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint(style.color);
    writeln!(
        out,
        "{} · environment {} ({}) · run {}",
        p.bold(&format!("lucia-harness {}", report.harness_version)),
        p.bold(&report.environment),
        report.environment_status,
        report.run_id
    )?;
    if report.scenarios.is_empty() {
        writeln!(
            out,
            "no scenario applies to environment '{}' with these tags",
            report.environment
        )?;
        return Ok(());
    }

    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    for s in &report.scenarios {
        let r = rows.entry(s.area()).or_default();
        match s.status {
            Status::Passed => r.passed += 1,
            Status::Failed => r.failed += 1,
            Status::Flaky => r.flaky += 1,
            Status::Skipped => r.skipped += 1,
            Status::KnownGap => r.gaps += 1,
            Status::ClaimOutdated => r.outdated += 1,
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "  {:<16} {:>6} {:>6} {:>6} {:>7} {:>5} {:>8}",
        "area", "passed", "failed", "flaky", "skipped", "gaps", "outdated"
    )?;
    for (area, r) in &rows {
        let failed = format!("{:>6}", r.failed);
        let failed = if r.failed > 0 { p.red(&failed) } else { failed };
        writeln!(
            out,
            "  {:<16} {:>6} {} {:>6} {:>7} {:>5} {:>8}",
            area, r.passed, failed, r.flaky, r.skipped, r.gaps, r.outdated
        )?;
    }

    if style.list_all {
        writeln!(out)?;
        for s in &report.scenarios {
            writeln!(
                out,
                "  {} {} › {} {}",
                symbol(&p, s.status),
                s.feature,
                s.scenario,
                p.dim(&format!("({:.0} ms)", s.duration_ms))
            )?;
        }
    }

    let attention: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| {
            !matches!(s.status, Status::Passed)
                && (s.status != Status::Skipped || s.skip_reason.is_some())
        })
        .collect();
    if !attention.is_empty() {
        writeln!(out)?;
        for s in attention {
            writeln!(
                out,
                "{} {} › {}  {}",
                symbol(&p, s.status),
                p.bold(&s.feature),
                s.scenario,
                p.dim(&format!(
                    "{}:{} [{}]",
                    s.feature_file,
                    s.line,
                    s.status.as_str()
                ))
            )?;
            if let Some(e) = &s.error {
                if let (Some(step), Some(line)) = (&e.step, e.line) {
                    writeln!(out, "    {} {}", step, p.dim(&format!("(line {line})")))?;
                }
                let kind = format!("[{}]", e.kind);
                let kind = if s.status == Status::KnownGap {
                    p.dim(&kind)
                } else {
                    p.red(&kind)
                };
                let mut lines = e.message.lines();
                if let Some(first) = lines.next() {
                    writeln!(out, "    {kind} {first}")?;
                }
                for l in lines {
                    writeln!(out, "      {l}")?;
                }
            }
            if s.status == Status::ClaimOutdated {
                writeln!(
                    out,
                    "    the Canon says `{}` but this passes: update the claim (no pretending)",
                    s.claim.as_deref().unwrap_or("deferred")
                )?;
            }
            if let Some(reason) = &s.skip_reason {
                writeln!(out, "    skipped: {reason}")?;
            }
        }
    }

    let sm = &report.summary;
    let mut parts = vec![format!("{} passed", sm.passed)];
    for (n, label) in [
        (sm.failed, "failed"),
        (sm.flaky, "flaky"),
        (sm.skipped, "skipped"),
        (sm.known_gaps, "known gaps"),
        (sm.claim_outdated, "claims outdated"),
        (sm.drifted, "drifted"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for s in &report.scenarios {
        if s.status == Status::Failed
            && let Some(e) = &s.error
        {
            *kinds.entry(e.kind.to_string()).or_default() += 1;
        }
    }
    let kinds = if kinds.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            kinds
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let verdict = if report.passed() {
        p.green("PASSED")
    } else {
        p.red("FAILED")
    };
    writeln!(out)?;
    writeln!(
        out,
        "{verdict} · {} scenarios: {}{kinds} · {:.2} s",
        sm.total,
        parts.join(", "),
        report.duration_ms / 1000.0
    )
}

/// The claim ledger: every claim of the Canon this run saw, by area, with
/// its status in the Canon, what the harness saw, and when it last passed.
pub fn write_claims(report: &RunReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    use crate::model::ClaimVerdict;
    let p = Paint(style.color);
    writeln!(
        out,
        "{} · environment {} ({}) · run {}",
        p.bold("Claims of the Canon"),
        p.bold(&report.environment),
        report.environment_status,
        report.run_id
    )?;
    let mut by_area: BTreeMap<&str, Vec<&crate::model::ClaimReport>> = BTreeMap::new();
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
