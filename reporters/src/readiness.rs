//! The promotion gate's verdict (DESIGN.md "Readiness") and its three
//! formats: `readiness.json`, `readiness.md` (for a job summary) and
//! `readiness.html`. The gate gathers the evidence and fills the checks;
//! this module only holds and renders them.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Reporter;
use crate::escape::{html, md_cell, md_code};

/// The seven checks of the promotion rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// The source reports the version being promoted (engine and admin).
    SourceVersion,
    /// Every @gating scenario passes in the source now.
    SourceSuite,
    /// A baseline for the version exists, captured from the source.
    BaselineCaptured,
    /// Eval Labs reviewed and approved that baseline.
    BaselineReviewed,
    /// The source still matches the reviewed baseline.
    NoDrift,
    /// No claim violation in the source.
    Claims,
    /// The target answers.
    TargetHealthy,
}

impl CheckId {
    /// Every check, in the order the gate evaluates and reports them.
    pub const ALL: [Self; 7] = [
        Self::SourceVersion,
        Self::SourceSuite,
        Self::BaselineCaptured,
        Self::BaselineReviewed,
        Self::NoDrift,
        Self::Claims,
        Self::TargetHealthy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SourceVersion => "source-version",
            Self::SourceSuite => "source-suite",
            Self::BaselineCaptured => "baseline-captured",
            Self::BaselineReviewed => "baseline-reviewed",
            Self::NoDrift => "no-drift",
            Self::Claims => "claims",
            Self::TargetHealthy => "target-healthy",
        }
    }

    /// What the check asks, for people.
    pub fn question(self) -> &'static str {
        match self {
            Self::SourceVersion => "Does the source run the version being promoted?",
            Self::SourceSuite => "Does every @gating scenario pass in the source?",
            Self::BaselineCaptured => "Is a baseline of this version captured from the source?",
            Self::BaselineReviewed => "Did Eval Labs review and approve that baseline?",
            Self::NoDrift => "Does the source still match the reviewed baseline?",
            Self::Claims => "Does every implemented/configured/tested claim hold in the source?",
            Self::TargetHealthy => "Does the target answer?",
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    /// The evidence says no: promotion must wait.
    Fail,
    /// Passes, with something a person should know (does not block).
    Warn,
    /// The evidence could not be gathered: the gate cannot tell.
    Unknown,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Warn => "warn",
            Self::Unknown => "unknown",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Self::Pass => "✅",
            Self::Fail => "❌",
            Self::Warn => "⚠️",
            Self::Unknown => "❔",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub id: CheckId,
    pub status: CheckStatus,
    /// What was found and, when it does not pass, what to do next.
    pub detail: String,
}

impl Check {
    pub fn new(id: CheckId, status: CheckStatus, detail: impl Into<String>) -> Self {
        Self {
            id,
            status,
            detail: detail.into(),
        }
    }
}

/// The gate's answer. Each maps to its own exit code, so CI never reads
/// "could not tell" as "ready" or as "not ready".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ready,
    NotReady,
    Inconclusive,
}

impl Verdict {
    /// A failed check means not ready, whatever else is unknown: the
    /// evidence already says no. Otherwise an unknown (or missing) check
    /// means inconclusive. Warnings do not block.
    pub fn of(checks: &[Check]) -> Self {
        if checks.iter().any(|c| c.status == CheckStatus::Fail) {
            Self::NotReady
        } else if checks.iter().any(|c| c.status == CheckStatus::Unknown)
            || CheckId::ALL
                .iter()
                .any(|id| !checks.iter().any(|c| c.id == *id))
        {
            Self::Inconclusive
        } else {
            Self::Ready
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::NotReady => "not_ready",
            Self::Inconclusive => "inconclusive",
        }
    }

    /// The documented exit code: 0 ready, 1 not ready, 3 inconclusive.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Ready => 0,
            Self::NotReady => 1,
            Self::Inconclusive => 3,
        }
    }

    /// The verdict in words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ready => "READY",
            Self::NotReady => "NOT READY",
            Self::Inconclusive => "INCONCLUSIVE: the evidence could not be gathered",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Self::Ready => "✅",
            Self::NotReady => "❌",
            Self::Inconclusive => "❔",
        }
    }
}

/// Whether `version` may be promoted from `from` to `to`, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    pub from: String,
    pub to: String,
    pub version: String,
    /// `verdict == ready`, for readers that want a boolean.
    pub ready: bool,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    pub generated_at: DateTime<Utc>,
    pub harness_version: String,
}

impl Readiness {
    /// A verdict from checks: `ready` and `verdict` follow [`Verdict::of`].
    pub fn new(
        from: impl Into<String>,
        to: impl Into<String>,
        version: impl Into<String>,
        checks: Vec<Check>,
        generated_at: DateTime<Utc>,
        harness_version: impl Into<String>,
    ) -> Self {
        let verdict = Verdict::of(&checks);
        Self {
            from: from.into(),
            to: to.into(),
            version: version.into(),
            ready: verdict == Verdict::Ready,
            verdict,
            checks,
            generated_at,
            harness_version: harness_version.into(),
        }
    }

    /// The checks that keep the version from being promoted (or from being judged).
    pub fn blocking(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| matches!(c.status, CheckStatus::Fail | CheckStatus::Unknown))
    }

    fn title(&self) -> String {
        format!("Promote {} from {} to {}", self.version, self.from, self.to)
    }
}

/// `readiness.json`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Json;

impl Reporter<Readiness> for Json {
    fn file_name(&self) -> &'static str {
        "readiness.json"
    }

    fn write(&self, r: &Readiness, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, r)?;
        out.write_all(b"\n")
    }
}

/// `readiness.md`: the verdict and a table of checks, for a job summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct Markdown;

impl Reporter<Readiness> for Markdown {
    fn file_name(&self) -> &'static str {
        "readiness.md"
    }

    fn write(&self, r: &Readiness, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "## {} {}: {}\n",
            r.verdict.symbol(),
            md_cell(&r.title()),
            r.verdict.label()
        )?;
        writeln!(
            out,
            "Generated {} by lucia-harness {}.\n",
            r.generated_at.format("%Y-%m-%d %H:%M:%S UTC"),
            md_cell(&r.harness_version)
        )?;
        writeln!(out, "| | check | status | detail |")?;
        writeln!(out, "|---|---|---|---|")?;
        for c in &r.checks {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.status.symbol(),
                md_code(c.id.as_str()),
                c.status.as_str(),
                md_cell(&c.detail)
            )?;
        }
        let blocking: Vec<&Check> = r.blocking().collect();
        if !blocking.is_empty() {
            writeln!(out, "\n### What to do next\n")?;
            for c in blocking {
                writeln!(
                    out,
                    "- {} {}: {}",
                    md_code(c.id.as_str()),
                    c.status.as_str(),
                    md_cell(&c.detail)
                )?;
            }
        }
        Ok(())
    }
}

/// `readiness.html`: one self-contained page.
#[derive(Clone, Copy, Debug, Default)]
pub struct Html;

impl Reporter<Readiness> for Html {
    fn file_name(&self) -> &'static str {
        "readiness.html"
    }

    fn write(&self, r: &Readiness, out: &mut dyn Write) -> io::Result<()> {
        let mut body = format!(
            "<header class=\"verdict {}\"><h1>{}</h1><p class=\"big\">{}</p><p class=\"meta\">generated {} · lucia-harness {}</p></header>\n<ul class=\"cards\">\n",
            r.verdict.as_str(),
            html(&r.title()),
            html(r.verdict.label()),
            r.generated_at.format("%Y-%m-%d %H:%M:%S UTC"),
            html(&r.harness_version)
        );
        for c in &r.checks {
            body.push_str(&format!(
                "<li class=\"card {st}\"><span class=\"badge {st}\">{st}</span> <code>{id}</code><p class=\"q\">{q}</p><p>{detail}</p></li>\n",
                st = c.status.as_str(),
                id = html(c.id.as_str()),
                q = html(c.id.question()),
                detail = html(&c.detail),
            ));
        }
        body.push_str("</ul>\n");
        crate::html::page(out, &r.title(), &body)
    }
}

/// Every readiness format, in the order they are written.
pub fn all() -> Vec<Box<dyn Reporter<Readiness>>> {
    vec![Box::new(Json), Box::new(Markdown), Box::new(Html)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks(status: impl Fn(CheckId) -> CheckStatus) -> Vec<Check> {
        CheckId::ALL
            .iter()
            .map(|id| Check::new(*id, status(*id), "x"))
            .collect()
    }

    #[test]
    fn verdict_follows_the_checks() {
        assert_eq!(Verdict::of(&checks(|_| CheckStatus::Pass)), Verdict::Ready);
        assert_eq!(
            Verdict::of(&checks(|id| if id == CheckId::NoDrift {
                CheckStatus::Warn
            } else {
                CheckStatus::Pass
            })),
            Verdict::Ready
        );
        let one = |bad: CheckStatus| {
            checks(move |id| {
                if id == CheckId::Claims {
                    bad
                } else {
                    CheckStatus::Pass
                }
            })
        };
        assert_eq!(Verdict::of(&one(CheckStatus::Fail)), Verdict::NotReady);
        assert_eq!(
            Verdict::of(&one(CheckStatus::Unknown)),
            Verdict::Inconclusive
        );
        // A known failure outweighs what could not be looked at.
        let mut mixed = one(CheckStatus::Fail);
        mixed[0].status = CheckStatus::Unknown;
        assert_eq!(Verdict::of(&mixed), Verdict::NotReady);
        // A missing check is never read as a pass.
        let mut missing = checks(|_| CheckStatus::Pass);
        missing.pop();
        assert_eq!(Verdict::of(&missing), Verdict::Inconclusive);
        assert_eq!(Verdict::of(&[]), Verdict::Inconclusive);
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(Verdict::Ready.exit_code(), 0);
        assert_eq!(Verdict::NotReady.exit_code(), 1);
        assert_eq!(Verdict::Inconclusive.exit_code(), 3);
    }

    #[test]
    fn ids_serialise_as_design_md_names_them() {
        let names: Vec<String> = CheckId::ALL
            .iter()
            .map(|id| {
                serde_json::to_value(id)
                    .expect("id")
                    .as_str()
                    .expect("str")
                    .to_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "source-version",
                "source-suite",
                "baseline-captured",
                "baseline-reviewed",
                "no-drift",
                "claims",
                "target-healthy"
            ]
        );
        for id in CheckId::ALL {
            assert_eq!(serde_json::to_value(id).expect("id"), id.as_str());
        }
    }
}
