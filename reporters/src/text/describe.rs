//! How a scenario's outcome is told, the same way in every format.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::claim::Claim;
use crate::model::run::{HttpExchangeReport, RunReport, ScenarioReport, StepStatus, Timings};
use crate::model::status::Status;
use crate::text::escape::duration;
use probes::ErrorKind;

/// A request this long is shown with its phases wherever its scenario is.
pub const SLOW_REQUEST_MS: f64 = 1000.0;

/// `GET https://… → 200 (dns 2 ms · connect 1 ms · …)`: a slow request in one line.
pub fn slow_request_line(x: &HttpExchangeReport, t: &Timings) -> String {
    let answer = match (x.status, x.error) {
        (Some(code), _) => code.to_string(),
        (None, Some(kind)) => kind.as_str().to_owned(),
        (None, None) => "no answer".to_owned(),
    };
    format!("{} {} → {answer} ({})", x.method, x.url, t.describe())
}

impl ScenarioReport {
    /// The index of the step the error belongs to, if it belongs to one
    /// (a hook failure or a scenario timeout does not).
    pub fn failing_step(&self) -> Option<usize> {
        let line = self.error.as_ref()?.line?;
        self.steps
            .iter()
            .position(|st| st.line == line && st.status != StepStatus::Passed)
    }

    /// `file:line` of the failing step, else of the scenario.
    pub fn location(&self) -> String {
        let line = self
            .error
            .as_ref()
            .and_then(|e| e.line)
            .unwrap_or(self.line);
        format!("{}:{line}", self.feature_file)
    }

    /// The claim this scenario is held to, `deferred` when a gap has none.
    pub fn claim_or_deferred(&self) -> Claim {
        self.claim.unwrap_or(Claim::Deferred)
    }

    /// Why an outdated claim fails the run.
    pub fn outdated_message(&self) -> String {
        format!(
            "claim outdated: the Canon says @{} but this passes; update the claim (no pretending)",
            self.claim_or_deferred()
        )
    }

    /// `[kind] first line of the message — step (file:line)`: the one line
    /// a list view shows. Empty without an error.
    pub fn headline(&self) -> String {
        let Some(e) = &self.error else {
            return String::new();
        };
        let first = e.message.lines().next().unwrap_or_default();
        let mut h = format!("[{}] {first}", e.kind);
        match &e.step {
            Some(step) => {
                let _ = write!(h, " — {step} ({})", self.location());
            }
            None => {
                let _ = write!(h, " ({})", self.location());
            }
        }
        h
    }

    /// The one line that says why this scenario needs attention, for any
    /// status but passed.
    pub fn verdict_line(&self) -> String {
        match self.status {
            Status::Passed => String::new(),
            Status::Failed => self.headline(),
            Status::ClaimOutdated => self.outdated_message(),
            Status::Flaky => format!(
                "flaky: passed on attempt {} of {} (never folded into passed)",
                self.attempts, self.attempts
            ),
            Status::Degraded => format!(
                "degraded: correct, but took {}, over its {} budget (@slow; neither passed nor failed)",
                duration(self.duration_ms),
                duration(self.budget_ms.unwrap_or_default())
            ),
            Status::KnownGap => format!(
                "known gap (@{}): {}",
                self.claim_or_deferred(),
                self.headline()
            ),
            Status::Skipped => format!(
                "skipped: {}",
                self.skip_reason.as_deref().unwrap_or("not run")
            ),
        }
    }

    /// The requests whose phases a person should see: every request of a
    /// degraded scenario, and any request that timed out or took a second
    /// or more, each with its timings.
    pub fn slow_requests(&self) -> Vec<(&HttpExchangeReport, Timings)> {
        self.http
            .iter()
            .filter_map(|x| x.timings.map(|t| (x, t)))
            .filter(|(x, t)| {
                self.status == Status::Degraded
                    || matches!(x.error, Some(ErrorKind::Timeout | ErrorKind::BodyTimeout))
                    || t.total_ms >= SLOW_REQUEST_MS
            })
            .collect()
    }

    /// `[kind] message`, with the known-gap note when it is one.
    pub fn error_text(&self) -> Option<String> {
        self.error.as_ref().map(|e| {
            let t = format!("[{}] {}", e.kind, e.message);
            if self.status == Status::KnownGap {
                format!("known gap (@{}): {t}", self.claim_or_deferred())
            } else {
                t
            }
        })
    }
}

impl Status {
    /// Every status, in the order reports count them.
    pub const ALL: [Self; 7] = [
        Self::Passed,
        Self::Failed,
        Self::Flaky,
        Self::Degraded,
        Self::Skipped,
        Self::KnownGap,
        Self::ClaimOutdated,
    ];

    /// A column heading for counts of this status.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Flaky => "flaky",
            Self::Degraded => "degraded",
            Self::Skipped => "skipped",
            Self::KnownGap => "known gaps",
            Self::ClaimOutdated => "claims outdated",
        }
    }

    /// The mark Markdown and HTML reports show beside a scenario.
    pub fn emoji(self) -> &'static str {
        match self {
            Self::Passed => "✅",
            Self::Failed => "❌",
            Self::Flaky => "⚠️",
            Self::Degraded => "🐢",
            Self::Skipped => "⏭️",
            Self::KnownGap => "⚪",
            Self::ClaimOutdated => "❗",
        }
    }
}

/// Scenarios by area (features/<area>/…), areas sorted by name.
pub(crate) fn by_area(report: &RunReport) -> BTreeMap<&str, Vec<&ScenarioReport>> {
    let mut areas: BTreeMap<&str, Vec<&ScenarioReport>> = BTreeMap::new();
    for s in &report.scenarios {
        areas.entry(s.area()).or_default().push(s);
    }
    areas
}

/// How many of `list` have `status`.
pub(crate) fn count(list: &[&ScenarioReport], status: Status) -> usize {
    list.iter().filter(|s| s.status == status).count()
}

/// The run's verdict and counts in one line: `PASSED · 9 scenarios: 9 passed`.
pub(crate) fn summary_line(report: &RunReport) -> String {
    let all: Vec<&ScenarioReport> = report.scenarios.iter().collect();
    let parts: Vec<String> = Status::ALL
        .iter()
        .map(|st| (count(&all, *st), st.plural()))
        .filter(|(n, st)| *n > 0 || *st == "passed")
        .map(|(n, st)| format!("{n} {st}"))
        .collect();
    format!(
        "{} · {} scenarios: {}",
        if report.passed() { "PASSED" } else { "FAILED" },
        all.len(),
        parts.join(", ")
    )
}
