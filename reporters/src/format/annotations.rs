//! GitHub Actions workflow commands: one annotation per scenario that needs
//! a person, pointing at its feature file and line, so the failure shows on
//! the pull request's diff and the run's summary. The binary prints these
//! when `GITHUB_ACTIONS=true`.
//!
//! `::error` for a failure and for an outdated claim (both fail the run),
//! `::warning` for a flaky scenario (it passed, but only on a retry). Known
//! gaps and skips are expected and stay quiet.

use crate::model::run::{RunReport, ScenarioReport};
use crate::model::status::Status;

/// A workflow command's message: GitHub reads `%`, CR and LF as escapes.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as data, plus `:` and `,`, which
/// would end the value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn annotation(level: &str, s: &ScenarioReport, message: &str) -> String {
    let line = s.error.as_ref().and_then(|e| e.line).unwrap_or(s.line);
    let title = format!("{} › {} [{}]", s.feature, s.scenario, s.status.as_str());
    format!(
        "::{level} file={},line={line},title={}::{}",
        escape_property(&s.feature_file),
        escape_property(&title),
        escape_data(message)
    )
}

/// The workflow commands for `report`, one line each, in report order.
pub fn github(report: &RunReport) -> Vec<String> {
    report
        .scenarios
        .iter()
        .filter_map(|s| match s.status {
            Status::Failed => {
                let mut msg = s.error_text().unwrap_or_else(|| "failed".to_owned());
                if let Some(step) = s.error.as_ref().and_then(|e| e.step.as_ref()) {
                    msg = format!("{msg}\nstep: {step}");
                }
                Some(annotation("error", s, &msg))
            }
            Status::ClaimOutdated => Some(annotation("error", s, &s.outdated_message())),
            Status::Flaky | Status::Degraded => Some(annotation("warning", s, &s.verdict_line())),
            Status::Passed | Status::Skipped | Status::KnownGap => None,
        })
        .collect()
}
