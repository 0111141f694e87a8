//! The summary a person reads at the end of a run: a table per area, then
//! every failure with its step, location, kind and message.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{Paint, Style};
use crate::model::run::{RunReport, ScenarioReport};
use crate::model::status::Status;
use crate::text::describe::slow_request_line;

fn symbol(p: &Paint, s: Status) -> String {
    match s {
        Status::Passed => p.green("✓"),
        Status::Flaky => p.yellow("≈"),
        Status::Degraded => p.yellow("~"),
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
    degraded: usize,
    skipped: usize,
    gaps: usize,
    outdated: usize,
}

/// The run summary: the header, a table per area, every scenario (with
/// `list_all`), every scenario that needs a person, then the totals.
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
    write_areas(report, &p, out)?;
    if style.list_all {
        write_every_scenario(report, &p, out)?;
    }
    write_attention(report, &p, out)?;
    write_totals(report, &p, out)
}

/// One row of counts per area.
fn write_areas(report: &RunReport, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    for s in &report.scenarios {
        let r = rows.entry(s.area()).or_default();
        match s.status {
            Status::Passed => r.passed += 1,
            Status::Failed => r.failed += 1,
            Status::Flaky => r.flaky += 1,
            Status::Degraded => r.degraded += 1,
            Status::Skipped => r.skipped += 1,
            Status::KnownGap => r.gaps += 1,
            Status::ClaimOutdated => r.outdated += 1,
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "  {:<16} {:>6} {:>6} {:>6} {:>8} {:>7} {:>5} {:>8}",
        "area", "passed", "failed", "flaky", "degraded", "skipped", "gaps", "outdated"
    )?;
    for (area, r) in &rows {
        let failed = format!("{:>6}", r.failed);
        let failed = if r.failed > 0 { p.red(&failed) } else { failed };
        writeln!(
            out,
            "  {:<16} {:>6} {} {:>6} {:>8} {:>7} {:>5} {:>8}",
            area, r.passed, failed, r.flaky, r.degraded, r.skipped, r.gaps, r.outdated
        )?;
    }
    Ok(())
}

/// Every scenario, one line each, with its mark and duration.
fn write_every_scenario(report: &RunReport, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    for s in &report.scenarios {
        writeln!(
            out,
            "  {} {} › {} {}",
            symbol(p, s.status),
            s.feature,
            s.scenario,
            p.dim(&format!("({:.0} ms)", s.duration_ms))
        )?;
    }
    Ok(())
}

/// Every scenario that did not pass (a skip only with its reason).
fn write_attention(report: &RunReport, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let attention: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| {
            !matches!(s.status, Status::Passed)
                && (s.status != Status::Skipped || s.skip_reason.is_some())
        })
        .collect();
    if attention.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    for s in attention {
        write_needs_attention(s, p, out)?;
    }
    Ok(())
}

/// One scenario that needs a person: where it is, its step, kind and
/// message, and what to do about an outdated claim or a skip.
fn write_needs_attention(s: &ScenarioReport, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} {} › {}  {}",
        symbol(p, s.status),
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
    if s.status == Status::Degraded {
        writeln!(out, "    {}", p.yellow(&s.verdict_line()))?;
    }
    for (x, t) in s.slow_requests() {
        writeln!(out, "    slow: {}", slow_request_line(x, &t))?;
    }
    if s.status == Status::ClaimOutdated {
        writeln!(
            out,
            "    the Canon says `{}` but this passes: update the claim (no pretending)",
            s.claim_or_deferred()
        )?;
    }
    if let Some(reason) = &s.skip_reason {
        writeln!(out, "    skipped: {reason}")?;
    }
    Ok(())
}

/// The last line: the verdict, the counts, the failures by kind, the time.
fn write_totals(report: &RunReport, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let sm = &report.summary;
    let mut parts = vec![format!("{} passed", sm.passed)];
    for (n, label) in [
        (sm.failed, "failed"),
        (sm.flaky, "flaky"),
        (sm.degraded, "degraded"),
        (sm.skipped, "skipped"),
        (sm.known_gaps, "known gaps"),
        (sm.claim_outdated, "claims outdated"),
        (sm.drifted, "drifted"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    let verdict = if report.passed() {
        p.green("PASSED")
    } else {
        p.red("FAILED")
    };
    writeln!(out)?;
    writeln!(
        out,
        "{verdict} · {} scenarios: {}{} · {}",
        sm.total,
        parts.join(", "),
        failures_by_kind(report),
        crate::text::escape::duration(report.duration_ms)
    )
}

/// ` (timeout 2, status 1)`: the failures by error kind, or nothing.
fn failures_by_kind(report: &RunReport) -> String {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for s in &report.scenarios {
        if s.status == Status::Failed
            && let Some(e) = &s.error
        {
            *kinds.entry(e.kind.to_string()).or_default() += 1;
        }
    }
    if kinds.is_empty() {
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
    }
}
