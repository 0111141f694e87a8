//! `cucumber.json`: the JSON format cucumber's own reporters and their many
//! readers (Jenkins cucumber-reports, cucumber-html-reporter, Allure) take.
//! An array of features (`uri`, `name`, `elements`); one element per
//! scenario, `type: "scenario"`, with its steps and each step's `result`
//! (`status`, `duration` in nanoseconds, `error_message`).
//!
//! The harness's own statuses map onto cucumber's:
//! - a known gap's failing step is `pending` (cucumber's "not implemented
//!   yet", which is what a `@deferred`/`@future` claim is), the message
//!   saying so;
//! - a claim that is outdated (passes though the Canon says deferred) and a
//!   failure outside any step get a failed `after` hook carrying the message;
//! - a flaky scenario's `after` hook passes, its result's message saying on
//!   which attempt it passed; a degraded one's (correct, over its `@slow`
//!   budget) passes with a message giving the time and the budget.
//!
//! Shaped to cucumber-jvm's JSON, as `@cucumber/cucumber-json-converter`
//! (Cucumber's own reader of this format) validates it: of the dialects it
//! knows, cucumber-jvm's is the one every element of this report fits
//! without inventing data (cucumber-js's wants step `arguments` and allows
//! no `after` hooks; cucumber-ruby's wants a line on every tag, which the
//! report does not keep). So hooks carry their note in `result.error_message`
//! (cucumber-jvm's hooks have no `output`), and each feature has its `line`,
//! read from its source (1 when the run's features are not at hand, as in
//! `report merge` elsewhere). Tags are given by name on each scenario
//! (feature tags included); features have no description.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::format::reporter::{Reporter, Sources};
use crate::model::run::{RunReport, ScenarioReport, StepStatus};
use crate::model::status::Status;

#[derive(Clone, Debug, Default)]
pub struct CucumberJson {
    sources: Sources,
}

impl CucumberJson {
    /// With the feature texts, for each feature's own line.
    pub fn with_sources(sources: Sources) -> Self {
        Self { sources }
    }

    /// The line of `Feature:` (or a translation's keyword: the first line
    /// that is not blank, a comment, a tag or a language header) in `uri`.
    fn feature_line(&self, uri: &str) -> usize {
        self.sources.get(uri).map_or(1, |text| {
            text.lines()
                .position(|l| {
                    let t = l.trim_start();
                    !(t.is_empty() || t.starts_with('#') || t.starts_with('@'))
                })
                .map_or(1, |i| i + 1)
        })
    }
}

/// The step library, where every step is matched.
const STEP_LOCATION: &str = "probes/src/steps.rs";

/// cucumber's ids: lowercase, spaces to dashes.
pub(crate) fn slug(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn nanos(ms: f64) -> u64 {
    // Durations are non-negative and far below u64::MAX nanoseconds.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (ms.max(0.0) * 1_000_000.0).round() as u64;
    n
}

fn element(s: &ScenarioReport) -> Value {
    let failing = s.failing_step();
    let steps: Vec<Value> = s
        .steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let at_error = failing == Some(i);
            let status = match st.status {
                StepStatus::Passed => "passed",
                StepStatus::Failed if s.status == Status::KnownGap => "pending",
                StepStatus::Failed => "failed",
                // An undefined step is recorded as skipped, with the failure on it.
                StepStatus::Skipped if at_error && s.status == Status::Failed => "undefined",
                StepStatus::Skipped => "skipped",
            };
            let mut result = json!({"status": status, "duration": nanos(st.duration_ms)});
            if at_error && let Some(t) = s.error_text() {
                result["error_message"] = Value::String(t);
            }
            json!({
                "keyword": format!("{} ", st.keyword),
                "name": st.text,
                "line": st.line,
                "match": {"location": STEP_LOCATION},
                "result": result,
            })
        })
        .collect();

    let mut el = json!({
        "id": format!("{};{}", slug(&s.feature), slug(&s.scenario)),
        "keyword": "Scenario",
        "name": s.scenario,
        "description": "",
        "line": s.line,
        "type": "scenario",
        "tags": s.tags.iter().map(|t| json!({"name": format!("@{t}")})).collect::<Vec<_>>(),
        "steps": steps,
    });

    let hook = |status: &str, message: Option<String>| {
        let mut h = json!({
            "match": {"location": "lucia-harness"},
            "result": {"status": status, "duration": 0},
        });
        if let Some(m) = message {
            h["result"]["error_message"] = Value::String(m);
        }
        h
    };
    let after = match s.status {
        Status::ClaimOutdated => Some(hook("failed", Some(s.outdated_message()))),
        Status::Flaky | Status::Degraded | Status::Skipped => {
            let status = if s.status == Status::Skipped {
                "skipped"
            } else {
                "passed"
            };
            Some(hook(status, Some(s.verdict_line())))
        }
        Status::Failed if failing.is_none() => Some(hook("failed", s.error_text())),
        Status::KnownGap if failing.is_none() => Some(hook("pending", s.error_text())),
        _ => None,
    };
    if let Some(h) = after {
        el["after"] = json!([h]);
    }
    el
}

impl Reporter for CucumberJson {
    fn file_name(&self) -> &'static str {
        "cucumber.json"
    }

    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let mut features: Vec<(&str, &str, Vec<Value>)> = Vec::new();
        for s in &report.scenarios {
            match features.iter_mut().find(|f| f.0 == s.feature_file) {
                Some(f) => f.2.push(element(s)),
                None => features.push((&s.feature_file, &s.feature, vec![element(s)])),
            }
        }
        let doc: Vec<Value> = features
            .into_iter()
            .map(|(uri, name, elements)| {
                json!({
                    "uri": uri,
                    "id": slug(name),
                    "keyword": "Feature",
                    "line": self.feature_line(uri),
                    "name": name,
                    "description": "",
                    "tags": [],
                    "elements": elements,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")
    }
}
