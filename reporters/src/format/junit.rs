//! `junit.xml`: what CI systems read (Jenkins, GitLab, GitHub test-report
//! actions). One `<testsuite>` per feature file, one `<testcase>` per
//! scenario (`classname` = feature, `name` = scenario). Valid against the
//! common JUnit XSD (Jenkins xunit's junit-10.xsd, shipped as
//! `tests/schemas/junit-10.xsd`).
//!
//! How statuses map:
//! - failed: `<failure>` (`<error>` for `config` and `internal` kinds: the
//!   feature or the harness is wrong, not the environment), with the kind,
//!   the message, the failing step and `file:line`;
//! - claim_outdated: `<failure type="claim_outdated">`;
//! - flaky: passes, with one `<flakyFailure>` per failed attempt (Maven
//!   Surefire's rerun convention, which Jenkins reads) and a `<system-out>`
//!   note;
//! - degraded: passes (it was correct), with a `<system-out>` saying how
//!   long it took against its `@slow` budget;
//! - known_gap: `<skipped message=…>` saying which claim and why, the
//!   details in `<system-out>`;
//! - skipped: `<skipped message=…>` with the reason.
//!
//! `<skipped>` carries only `message`: the strictest readers accept no
//! other attribute there (junit-10 also allows `type`, other schemas
//! nothing), so the known-gap kind is in the message's words and the
//! claim's details in `system-out`, which every reader keeps.

use std::fmt::Write as _;
use std::io::{self, Write};

use probes::ErrorKind;

use crate::format::reporter::Reporter;
use crate::model::run::{RunReport, ScenarioReport};
use crate::model::status::Status;
use crate::text::escape::{xml_attr as attr, xml_text as text};

#[derive(Clone, Copy, Debug, Default)]
pub struct JUnit;

fn secs(ms: f64) -> String {
    format!("{:.3}", ms.max(0.0) / 1000.0)
}

/// The full story of a failure, for the element's body.
fn details(s: &ScenarioReport) -> String {
    let mut d = String::new();
    if let Some(e) = &s.error {
        let _ = writeln!(d, "[{}] {}", e.kind, e.message);
        if let Some(step) = &e.step {
            let _ = writeln!(d, "step: {step}");
        }
        let _ = writeln!(d, "at: {}", s.location());
    }
    let _ = writeln!(d, "scenario: {}:{}", s.feature_file, s.line);
    if let Some(c) = &s.claim {
        let _ = writeln!(d, "claim: @{c}");
    }
    if let Some(t) = &s.trace_id {
        let _ = writeln!(d, "trace: {t}");
    }
    for x in &s.http {
        let status = x
            .status
            .map_or_else(|| "no response".to_owned(), |c| c.to_string());
        let _ = writeln!(
            d,
            "http: {} {} → {status} ({:.0} ms)",
            x.method, x.url, x.duration_ms
        );
    }
    d
}

/// `<el type=… message=…>body</el>`, closing the open `<testcase`.
fn outcome(out: &mut String, el: &str, kind: &str, message: &str, body: &str) {
    let _ = write!(
        out,
        ">\n      <{el} type=\"{}\" message=\"{}\">{}</{el}>\n",
        attr(kind),
        attr(message),
        text(body)
    );
}

fn testcase(s: &ScenarioReport, out: &mut String) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        attr(&s.scenario),
        attr(&s.feature),
        secs(s.duration_ms)
    );
    match s.status {
        Status::Passed => {
            out.push_str("/>\n");
            return;
        }
        Status::Failed => {
            let harness = s
                .error
                .as_ref()
                .is_some_and(|e| matches!(e.kind, ErrorKind::Config | ErrorKind::Internal));
            let el = if harness { "error" } else { "failure" };
            let kind = s.error.as_ref().map_or("failed", |e| e.kind.as_str());
            outcome(out, el, kind, &s.headline(), &details(s));
        }
        Status::ClaimOutdated => {
            outcome(
                out,
                "failure",
                "claim_outdated",
                &s.outdated_message(),
                &details(s),
            );
        }
        Status::Flaky => {
            out.push_str(">\n");
            let n = s.attempts.max(2);
            for a in 1..n {
                let _ = writeln!(
                    out,
                    "      <flakyFailure type=\"flaky\" message=\"attempt {a} of {n} failed; attempt {n} passed\"/>"
                );
            }
            let _ = writeln!(
                out,
                "      <system-out>flaky: passed on attempt {n} of {n} (retried {} time{}); never folded into passed</system-out>",
                n - 1,
                if n == 2 { "" } else { "s" }
            );
        }
        Status::Degraded => {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>",
                text(&s.verdict_line())
            );
        }
        Status::KnownGap => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>",
                attr(&s.verdict_line()),
                text(&details(s))
            );
        }
        Status::Skipped => {
            let reason = s.skip_reason.as_deref().unwrap_or("not run");
            let _ = writeln!(out, ">\n      <skipped message=\"{}\"/>", attr(reason));
        }
    }
    out.push_str("    </testcase>\n");
}

impl Reporter for JUnit {
    fn file_name(&self) -> &'static str {
        "junit.xml"
    }

    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        // Features in the order the report lists them.
        let mut files: Vec<&str> = Vec::new();
        for s in &report.scenarios {
            if !files.contains(&s.feature_file.as_str()) {
                files.push(&s.feature_file);
            }
        }
        let is_error = |s: &ScenarioReport| {
            s.status == Status::Failed
                && s.error
                    .as_ref()
                    .is_some_and(|e| matches!(e.kind, ErrorKind::Config | ErrorKind::Internal))
        };
        let count = |list: &[&ScenarioReport]| {
            let errors = list.iter().filter(|s| is_error(s)).count();
            let failures = list
                .iter()
                .filter(|s| s.status.is_failure() && !is_error(s))
                .count();
            let skipped = list
                .iter()
                .filter(|s| matches!(s.status, Status::Skipped | Status::KnownGap))
                .count();
            (failures, errors, skipped)
        };
        let all: Vec<&ScenarioReport> = report.scenarios.iter().collect();
        let (failures, errors, _) = count(&all);

        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            x,
            "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{}\">",
            attr(&format!("lucia-harness {}", report.environment)),
            all.len(),
            secs(report.duration_ms)
        );
        let timestamp = report.started_at.format("%Y-%m-%dT%H:%M:%S");
        for file in files {
            let list: Vec<&ScenarioReport> = report
                .scenarios
                .iter()
                .filter(|s| s.feature_file == file)
                .collect();
            let (failures, errors, skipped) = count(&list);
            let time: f64 = list.iter().map(|s| s.duration_ms).sum();
            let first = list[0];
            let _ = writeln!(
                x,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}\" timestamp=\"{timestamp}\" package=\"{}\" file=\"{}\">",
                attr(&first.feature),
                list.len(),
                secs(time),
                attr(first.area()),
                attr(file)
            );
            x.push_str("    <properties>\n");
            for (name, value) in [
                ("environment", report.environment.as_str()),
                ("environment_status", report.environment_status.as_str()),
                ("run_id", report.run_id.as_str()),
                ("harness_version", report.harness_version.as_str()),
            ] {
                let _ = writeln!(
                    x,
                    "      <property name=\"{name}\" value=\"{}\"/>",
                    attr(value)
                );
            }
            x.push_str("    </properties>\n");
            for s in list {
                testcase(s, &mut x);
            }
            x.push_str("  </testsuite>\n");
        }
        x.push_str("</testsuites>\n");
        out.write_all(x.as_bytes())
    }
}
