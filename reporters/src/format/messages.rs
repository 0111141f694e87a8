//! `messages.ndjson`: Cucumber Messages, one JSON envelope per line, the
//! format cucumber's current tooling (html-formatter, junit-xml-formatter,
//! `@cucumber/query`) reads.
//!
//! The subset written, in order:
//! - `meta` (protocolVersion, implementation, runtime, os, cpu);
//! - `source` for every feature file whose text the writer was given
//!   ([`Messages::with_sources`]; the binary gives it the files it ran),
//!   and its `gherkinDocument`, parsed from it
//!   ([`crate::format::gherkin_document`]); without the text, a document
//!   made from the report (the feature, its scenarios and steps by line,
//!   steps shared by several scenarios as a background), so the HTML
//!   report always finds every scenario;
//! - `stepDefinition` for every step of the vocabulary the run used
//!   (regular-expression patterns, source `probes/src/steps.rs`);
//! - `hook`: one AFTER_TEST_CASE hook, "lucia-harness verdict", declared
//!   when a scenario needs it: it fails for an outdated claim, and carries a
//!   failure that belongs to no step (a hook, the scenario's timeout), and
//!   passes with the time against the budget for a degraded scenario;
//! - `testRunStarted`;
//! - per scenario: `pickle`, `testCase`, `testCaseStarted`, a
//!   `testStepStarted`/`testStepFinished` pair per step, `testCaseFinished`;
//! - `testRunFinished` (success = the run passed).
//!
//! Ids of the document's nodes are `<uri>:<line>` (tags
//! `<uri>:<line>:<column>`); pickles refer to them, an outline's example to
//! the outline and its row. A flaky or degraded scenario gets a log
//! `attachment` saying so (Cucumber has no such status: the page shows it
//! passed, with the note). Not written: `parameterType`,
//! `undefinedParameterType`, step arguments (doc strings) in pickles, and
//! attempts before the last: a flaky scenario's `testCaseStarted` carries
//! `attempt` = the number of retries. The report keeps no start time per
//! scenario: every test case starts at the run's start, its steps at that
//! start plus the durations of the steps before.
//!
//! Statuses: a known gap's failing step is PENDING (not implemented yet, as
//! the claim says), and a skipped
//! scenario's steps are SKIPPED with the reason on the first.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::format::gherkin_document::{Document, PickleIds, document};
use crate::format::reporter::{Reporter, Sources};
use crate::model::run::{RunReport, ScenarioReport, StepStatus};
use crate::model::status::Status;

/// The cucumber/messages protocol version this subset follows.
pub const PROTOCOL_VERSION: &str = "27.0.0";

const GHERKIN_MEDIA_TYPE: &str = "text/x.cucumber.gherkin+plain";
const VERDICT_HOOK_ID: &str = "hook-verdict";

#[derive(Clone, Debug, Default)]
pub struct Messages {
    sources: Sources,
}

impl Messages {
    /// Embeds these feature texts as `source` envelopes.
    pub fn with_sources(sources: Sources) -> Self {
        Self { sources }
    }
}

fn timestamp(t: DateTime<Utc>) -> Value {
    json!({"seconds": t.timestamp(), "nanos": t.timestamp_subsec_nanos()})
}

fn duration(ms: f64) -> Value {
    // Durations are non-negative and far below i64::MAX nanoseconds.
    #[allow(clippy::cast_possible_truncation)]
    let ns = (ms.max(0.0) * 1_000_000.0).round() as i64;
    json!({"seconds": ns / 1_000_000_000, "nanos": ns % 1_000_000_000})
}

fn offset(t: DateTime<Utc>, ms: f64) -> DateTime<Utc> {
    #[allow(clippy::cast_possible_truncation)]
    let us = (ms.max(0.0) * 1000.0).round() as i64;
    t + Duration::microseconds(us)
}

/// Cucumber's step types, from the keyword.
fn step_type(keyword: &str, previous: &'static str) -> &'static str {
    match keyword.trim() {
        "Given" => "Context",
        "When" => "Action",
        "Then" => "Outcome",
        // And/But/* continue the previous step's type.
        _ => previous,
    }
}

/// The vocabulary entry a step's text matches, as (id, regex).
fn definition(text: &str) -> Option<(usize, &'static str)> {
    probes::steps::vocabulary()
        .iter()
        .enumerate()
        .find(|(_, d)| d.regex().is_match(text))
        .map(|(i, d)| (i, d.pattern))
}

fn envelope(out: &mut dyn Write, key: &str, body: Value) -> io::Result<()> {
    let mut map = serde_json::Map::new();
    map.insert(key.to_owned(), body);
    serde_json::to_writer(&mut *out, &Value::Object(map))?;
    out.write_all(b"\n")
}

/// What the verdict hook reports for `s`, if `s` needs it.
fn verdict(s: &ScenarioReport) -> Option<(&'static str, String)> {
    match s.status {
        Status::ClaimOutdated => Some(("FAILED", s.outdated_message())),
        Status::Failed if s.failing_step().is_none() => Some(("FAILED", s.error_text()?)),
        Status::KnownGap if s.failing_step().is_none() => Some(("PENDING", s.error_text()?)),
        // Correct but slow: the hook passes and says how slow.
        Status::Degraded => Some(("PASSED", s.verdict_line())),
        _ => None,
    }
}

fn status_of(s: &ScenarioReport, st: StepStatus, at_error: bool) -> &'static str {
    match st {
        StepStatus::Passed => "PASSED",
        StepStatus::Failed if s.status == Status::KnownGap => "PENDING",
        StepStatus::Failed => "FAILED",
        StepStatus::Skipped if at_error && s.status == Status::Failed => "UNDEFINED",
        StepStatus::Skipped => "SKIPPED",
    }
}

impl Reporter for Messages {
    fn file_name(&self) -> &'static str {
        "messages.ndjson"
    }

    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        envelope(
            out,
            "meta",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "implementation": {"name": "lucia-harness", "version": report.harness_version},
                "runtime": {"name": "rust"},
                "os": {"name": std::env::consts::OS},
                "cpu": {"name": std::env::consts::ARCH},
            }),
        )?;
        let mut uris: Vec<&str> = Vec::new();
        for s in &report.scenarios {
            if !uris.contains(&s.feature_file.as_str()) {
                uris.push(&s.feature_file);
            }
        }
        let mut docs: BTreeMap<&str, Document> = BTreeMap::new();
        for uri in &uris {
            if let Some(data) = self.sources.get(*uri) {
                envelope(
                    out,
                    "source",
                    json!({"uri": uri, "data": data, "mediaType": GHERKIN_MEDIA_TYPE}),
                )?;
            }
            // The parsed document, if it has every scenario the report ran
            // from this file (a file edited since the run may not).
            let whole = |d: &Document| {
                report
                    .scenarios
                    .iter()
                    .filter(|s| s.feature_file == *uri)
                    .all(|s| d.pickles.contains_key(&s.line))
            };
            let doc = self
                .sources
                .get(*uri)
                .and_then(|data| document(uri, data))
                .filter(whole)
                .unwrap_or_else(|| from_report(uri, &report.scenarios));
            envelope(out, "gherkinDocument", doc.envelope.clone())?;
            docs.insert(uri, doc);
        }
        let mut defs: BTreeMap<usize, &'static str> = BTreeMap::new();
        for st in report.scenarios.iter().flat_map(|s| &s.steps) {
            if let Some((i, re)) = definition(&st.text) {
                defs.insert(i, re);
            }
        }
        for (i, re) in &defs {
            envelope(
                out,
                "stepDefinition",
                json!({
                    "id": format!("stepdef-{i}"),
                    "pattern": {"source": re, "type": "REGULAR_EXPRESSION"},
                    "sourceReference": {"uri": "probes/src/steps.rs"},
                }),
            )?;
        }
        if report.scenarios.iter().any(|s| verdict(s).is_some()) {
            envelope(
                out,
                "hook",
                json!({
                    "id": VERDICT_HOOK_ID,
                    "name": "lucia-harness verdict",
                    "type": "AFTER_TEST_CASE",
                    "sourceReference": {"uri": "src/run.rs"},
                }),
            )?;
        }
        let run_id = format!("run-{}", report.run_id);
        envelope(
            out,
            "testRunStarted",
            json!({"id": run_id, "timestamp": timestamp(report.started_at)}),
        )?;

        for (n, s) in report.scenarios.iter().enumerate() {
            let ids = docs
                .get(s.feature_file.as_str())
                .and_then(|d| d.pickles.get(&s.line))
                .cloned()
                .unwrap_or_else(|| fallback_ids(s));
            scenario(out, report, &run_id, n, s, &ids)?;
        }

        envelope(
            out,
            "testRunFinished",
            json!({
                "testRunStartedId": run_id,
                "success": report.passed(),
                "timestamp": timestamp(report.finished_at),
            }),
        )
    }
}

/// A test step's started and finished envelopes.
fn test_step(
    out: &mut dyn Write,
    started: &str,
    step_id: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    result: Value,
) -> io::Result<()> {
    envelope(
        out,
        "testStepStarted",
        json!({"testCaseStartedId": started, "testStepId": step_id, "timestamp": timestamp(from)}),
    )?;
    envelope(
        out,
        "testStepFinished",
        json!({
            "testCaseStartedId": started,
            "testStepId": step_id,
            "testStepResult": result,
            "timestamp": timestamp(to),
        }),
    )
}

/// The ids a scenario's pickle uses when its document was made from the
/// report ([`from_report`]).
fn fallback_ids(s: &ScenarioReport) -> PickleIds {
    let uri = &s.feature_file;
    PickleIds {
        ast_node_ids: vec![format!("{uri}:{}", s.line)],
        row: None,
        tags: s
            .tags
            .iter()
            .map(|t| (format!("@{t}"), format!("{uri}:{}:@{t}", s.line)))
            .collect(),
    }
}

/// A document made from the report alone (no feature text, or text that
/// no longer parses): each scenario by its line with its own steps; a step
/// line several scenarios share (a background, an outline's steps) once,
/// in a background.
fn from_report(uri: &str, scenarios: &[ScenarioReport]) -> Document {
    let mine: Vec<&ScenarioReport> = scenarios.iter().filter(|s| s.feature_file == uri).collect();
    let mut uses: BTreeMap<usize, usize> = BTreeMap::new();
    for s in &mine {
        for st in &s.steps {
            *uses.entry(st.line).or_default() += 1;
        }
    }
    let shared = |line: usize| uses.get(&line).copied().unwrap_or(0) > 1;
    let step = |st: &crate::model::run::StepReport| {
        json!({
            "location": {"line": st.line, "column": 1},
            "keyword": format!("{} ", st.keyword.trim()),
            "text": st.text,
            "id": format!("{uri}:{}", st.line),
        })
    };
    let mut background: BTreeMap<usize, Value> = BTreeMap::new();
    let mut children = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for s in &mine {
        for st in s.steps.iter().filter(|st| shared(st.line)) {
            background.entry(st.line).or_insert_with(|| step(st));
        }
        if !seen.insert(s.line) {
            continue;
        }
        let ids = fallback_ids(s);
        children.push(json!({"scenario": {
            "location": {"line": s.line, "column": 1},
            "tags": ids.tags.iter().map(|(n, i)| json!({"location": {"line": s.line, "column": 1}, "name": n, "id": i})).collect::<Vec<_>>(),
            "keyword": "Scenario",
            "name": s.scenario,
            "description": "",
            "steps": s.steps.iter().filter(|st| !shared(st.line)).map(step).collect::<Vec<_>>(),
            "examples": [],
            "id": format!("{uri}:{}", s.line),
        }}));
    }
    if !background.is_empty() {
        children.insert(
            0,
            json!({"background": {
                "location": {"line": background.keys().next().copied().unwrap_or(1), "column": 1},
                "keyword": "Background",
                "name": "",
                "description": "",
                "steps": background.into_values().collect::<Vec<_>>(),
                "id": format!("{uri}:background"),
            }}),
        );
    }
    Document {
        envelope: json!({
            "uri": uri,
            "feature": {
                "location": {"line": 1, "column": 1},
                "tags": [],
                "language": "en",
                "keyword": "Feature",
                "name": mine.first().map_or("", |s| s.feature.as_str()),
                "description": "",
                "children": children,
            },
            "comments": [],
        }),
        pickles: Default::default(),
    }
}

fn scenario(
    out: &mut dyn Write,
    report: &RunReport,
    run_id: &str,
    n: usize,
    s: &ScenarioReport,
    ids: &PickleIds,
) -> io::Result<()> {
    let pickle = format!("pickle-{n}");
    let uri = &s.feature_file;
    let mut kind = "Context";
    let steps: Vec<Value> = s
        .steps
        .iter()
        .enumerate()
        .map(|(j, st)| {
            kind = step_type(&st.keyword, kind);
            let mut ast = vec![format!("{uri}:{}", st.line)];
            ast.extend(ids.row.clone());
            json!({
                "id": format!("{pickle}-step-{j}"),
                "text": st.text,
                "type": kind,
                "astNodeIds": ast,
            })
        })
        .collect();
    envelope(
        out,
        "pickle",
        json!({
            "id": pickle,
            "uri": uri,
            "location": {"line": s.line},
            "name": s.scenario,
            "language": "en",
            "steps": steps,
            "tags": s.tags.iter().map(|t| {
                let name = format!("@{t}");
                let id = ids.tags.iter().find(|(n, _)| *n == name).map_or_else(
                    || format!("{uri}:{}:@{t}", s.line),
                    |(_, i)| i.clone(),
                );
                json!({"name": name, "astNodeId": id})
            }).collect::<Vec<_>>(),
            "astNodeIds": ids.ast_node_ids,
        }),
    )?;

    let case = format!("testcase-{n}");
    let verdict = verdict(s);
    let mut test_steps: Vec<Value> = s
        .steps
        .iter()
        .enumerate()
        .map(|(j, st)| {
            json!({
                "id": format!("{case}-step-{j}"),
                "pickleStepId": format!("{pickle}-step-{j}"),
                "stepDefinitionIds": definition(&st.text)
                    .map(|(i, _)| vec![format!("stepdef-{i}")])
                    .unwrap_or_default(),
                "stepMatchArgumentsLists": [],
            })
        })
        .collect();
    if verdict.is_some() {
        test_steps.push(json!({"id": format!("{case}-verdict"), "hookId": VERDICT_HOOK_ID}));
    }
    envelope(
        out,
        "testCase",
        json!({"id": case, "pickleId": pickle, "testSteps": test_steps, "testRunStartedId": run_id}),
    )?;

    let started = format!("started-{n}");
    let mut t = report.started_at;
    envelope(
        out,
        "testCaseStarted",
        json!({
            "id": started,
            "testCaseId": case,
            "attempt": s.attempts.saturating_sub(1),
            "timestamp": timestamp(t),
        }),
    )?;
    let failing = s.failing_step();
    for (j, st) in s.steps.iter().enumerate() {
        let at_error = failing == Some(j);
        let mut result = json!({
            "status": status_of(s, st.status, at_error),
            "duration": duration(st.duration_ms),
        });
        if at_error && let Some(text) = s.error_text() {
            result["message"] = Value::String(text);
        }
        if j == 0
            && s.status == Status::Skipped
            && let Some(r) = &s.skip_reason
        {
            result["message"] = Value::String(format!("skipped: {r}"));
        }
        let end = offset(t, st.duration_ms);
        test_step(out, &started, &format!("{case}-step-{j}"), (t, end), result)?;
        t = end;
    }
    if let Some((status, message)) = verdict {
        let result = json!({"status": status, "duration": duration(0.0), "message": message});
        test_step(out, &started, &format!("{case}-verdict"), (t, t), result)?;
    }
    // Cucumber has no flaky or degraded status: a log line the page shows
    // under the scenario says which it was.
    if matches!(s.status, Status::Flaky | Status::Degraded) {
        let step = if s.status == Status::Degraded {
            format!("{case}-verdict")
        } else {
            format!("{case}-step-{}", s.steps.len().saturating_sub(1))
        };
        envelope(
            out,
            "attachment",
            json!({
                "testCaseStartedId": started,
                "testStepId": step,
                "body": s.verdict_line(),
                "mediaType": "text/x.cucumber.log+plain",
                "contentEncoding": "IDENTITY",
            }),
        )?;
    }
    envelope(
        out,
        "testCaseFinished",
        json!({"testCaseStartedId": started, "timestamp": timestamp(t), "willBeRetried": false}),
    )
}
