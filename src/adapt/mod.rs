//! `lucia-harness adapt`: from guessed contracts to Lucia's real ones. A
//! first run against a real environment fails in many places for a dull
//! reason (`uptime` rather than `uptime_seconds`); this turns that run into
//! reviewed edits of the features, never one that hides a broken claim.
//!
//! For each failing scenario whose failure is an assertion ([`propose`]):
//! the failing step and the response it checked (the run keeps every
//! exchange, redacted, as for `exchanges.har`) go to the rules
//! ([`rules`]): a JSON path, an expected key or a header name may move to
//! where the response has *the value the feature expects*; nothing else
//! is ever changed. A fault (a timeout, a 500, a refused connection), a
//! status, a body text, a baseline step, or a value found nowhere stays
//! failing and is listed: "not a contract difference: check the claim".
//! The edits are made in the feature text itself ([`text`]), key or member
//! only, so formatting, comments and tags stay as written.

pub mod rules;
pub mod text;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use probes::ErrorKind;
use probes::core::jsonpath::JsonPath;
use probes::core::matcher::Mode;
use reporters::{RunReport, ScenarioReport, Status};
use serde_json::Value;

/// One proposed edit of a feature file, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The feature file, as the report names it.
    pub file: String,
    /// The first line replaced (1-based), the lines as they are and as proposed.
    pub line: usize,
    pub before: Vec<String>,
    pub after: Vec<String>,
    /// `Feature › Scenario`.
    pub scenario: String,
    /// Each rule that proposed part of it, with what it moved.
    pub rules: Vec<String>,
    /// The part of the response that shows it (redacted like every output).
    pub observed: String,
}

/// A failing scenario adapt leaves failing, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remaining {
    pub scenario: String,
    pub location: String,
    pub why: String,
}

/// What `adapt` proposes for one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adaptation {
    /// Scenarios that failed in the run (known gaps are expected to fail:
    /// their claims say so, and adapt leaves them to the claim).
    pub failing: usize,
    pub edits: Vec<Edit>,
    /// Scenarios with at least one edit.
    pub adapted: usize,
    pub remaining: Vec<Remaining>,
    /// Values that look volatile but were seen once: a second run tells.
    pub volatile_pending: usize,
}

const NOT_CONTRACT: &str = "not a contract difference: check the claim";

fn label(s: &ScenarioReport) -> String {
    format!("{} › {}", s.feature, s.scenario)
}

/// The text with `{{expected.K}}`, `{{run_id}}` and the other run values
/// filled in, as the run's own interpolation does; `None` when it names a
/// secret (`${NAME}`: adapt compares no secret) or an unknown key.
fn interpolate(text: &str, expected: &BTreeMap<String, String>, run_id: &str) -> Option<String> {
    let mut env = probes::Environment::new("adapt", probes::EnvStatus::Live);
    env.expected = expected.clone();
    let remembered = std::collections::HashMap::new();
    probes::core::template::Interpolator {
        env: &env,
        run_id,
        remembered: &remembered,
    }
    .interpolate(text)
    .ok()
    .map(|i| i.text)
}

/// The doc string below the step at `line` (1-based): the range of its
/// content lines, their text with the delimiter's indentation removed, and
/// what each line's indentation was.
fn doc_string(lines: &[&str], line: usize) -> Option<(usize, usize, String, Vec<String>)> {
    let open = (line..lines.len()).find(|i| !lines[*i].trim().is_empty())?;
    let t = lines[open].trim_start();
    let delim = if t.starts_with("\"\"\"") {
        "\"\"\""
    } else if t.starts_with("```") {
        "```"
    } else {
        return None;
    };
    let indent = lines[open].len() - t.len();
    let close = (open + 1..lines.len()).find(|i| lines[*i].trim_start().starts_with(delim))?;
    // Each line loses at most the delimiter's indentation, of ASCII spaces
    // and tabs only; what it lost is kept to be given back as it was.
    let mut prefixes = Vec::new();
    let mut body = Vec::new();
    for l in &lines[open + 1..close] {
        let cut = l
            .bytes()
            .take(indent)
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count();
        prefixes.push(l[..cut].to_owned());
        body.push(&l[cut..]);
    }
    Some((open + 1, close, body.join("\n"), prefixes))
}

fn excerpt(v: &Value) -> String {
    let mut s = v.to_string();
    if s.chars().count() > 240 {
        s = s.chars().take(240).collect::<String>() + "…";
    }
    s
}

/// What the rules make of one failing step: the edit, and what is left.
struct Verdict {
    edit: Option<Edit>,
    left: Option<String>,
    /// Values that may be volatile, seen once.
    pending: usize,
}

fn verdict(
    s: &ScenarioReport,
    report: &RunReport,
    expected: &BTreeMap<String, String>,
    source: &str,
    earlier: Option<&Value>,
) -> Verdict {
    let leave = |why: String| Verdict {
        edit: None,
        left: Some(why),
        pending: 0,
    };
    let Some(e) = &s.error else {
        return leave(format!("{NOT_CONTRACT} (no error recorded)"));
    };
    if e.kind != ErrorKind::Assertion {
        return leave(format!(
            "a fault ({}), not an assertion: {NOT_CONTRACT}",
            e.kind.as_str()
        ));
    }
    let Some(step) = s.failing_step().and_then(|i| s.steps.get(i)) else {
        return leave(format!("{NOT_CONTRACT} (no failing step)"));
    };
    let lines: Vec<&str> = source.lines().collect();
    let Some(written) = lines.get(step.line.saturating_sub(1)) else {
        return leave(format!("the feature file no longer has line {}", step.line));
    };
    if !written.contains(step.text.as_str()) {
        return leave(format!(
            "line {} is no longer the step that ran: run adapt again",
            step.line
        ));
    }
    // An outline's example: every row shares the template's lines.
    let row = lines
        .get(s.line.saturating_sub(1))
        .is_some_and(|l| l.trim_start().starts_with('|'));
    if row || (written.contains('<') && written.contains('>')) {
        return leave(
            "an outline's step (its placeholders, shared by every row): edit it by hand".into(),
        );
    }
    let Some((status, x)) = s
        .http
        .iter()
        .rev()
        .find_map(|x| x.evidence.as_deref().map(|e| (x.status, e)))
    else {
        return leave("no response was kept for the failing step".into());
    };
    if status.is_none_or(|c| c >= 500) {
        return leave(format!(
            "the response was {}: a fault, not a contract: {NOT_CONTRACT}",
            status.map_or_else(|| "missing".to_owned(), |c| c.to_string())
        ));
    }
    let body: Option<Value> = serde_json::from_str(&x.response_body).ok();
    let text = step.text.as_str();
    let caps = |re: &str| regex::Regex::new(re).ok()?.captures(text);
    let mut edit = Edit {
        file: s.feature_file.clone(),
        line: step.line,
        before: vec![(*written).to_owned()],
        after: Vec::new(),
        scenario: label(s),
        rules: Vec::new(),
        observed: String::new(),
    };
    if let Some(c) = caps(r#"^the header "([^"]+)" (is|contains) "(.*)"$"#) {
        let Some(value) = interpolate(&c[3], expected, &report.run_id) else {
            return leave("the expected header value has a secret or an unknown key".into());
        };
        return match rules::header_move(&c[1], &c[2], &value, &x.response_headers) {
            Ok(name) => {
                edit.after =
                    vec![written.replacen(&format!("\"{}\"", &c[1]), &format!("\"{name}\""), 1)];
                edit.rules
                    .push(format!("{} (\"{}\" → \"{name}\")", rules::HEADER, &c[1]));
                edit.observed = format!(
                    "{name}: {}",
                    x.response_headers
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or("", |(_, v)| v.as_str())
                );
                Verdict {
                    edit: Some(edit),
                    left: None,
                    pending: 0,
                }
            }
            Err(why) => leave(format!("{why}: {NOT_CONTRACT}")),
        };
    }
    let json_step = ["the JSON at \"", "the JSON matches", "the JSON contains"]
        .iter()
        .any(|p| text.starts_with(p));
    if !json_step {
        return leave(format!(
            "`{text}` checks a status, a text, a baseline or a value adapt does not move: {NOT_CONTRACT}"
        ));
    }
    let Some(doc) = body else {
        return leave(format!("the response is not JSON: {NOT_CONTRACT}"));
    };
    if let Some(c) = caps(r#"^the JSON at "([^"]+)" is (.+)$"#) {
        let (Ok(path), Some(want)) = (
            c[1].parse::<JsonPath>(),
            interpolate(&c[2], expected, &report.run_id)
                .and_then(|w| serde_json::from_str::<Value>(w.trim()).ok()),
        ) else {
            return leave(
                "the step's path or value cannot be read without the run's secrets".into(),
            );
        };
        if let Some(actual) = path.get(&doc)
            && rules::volatile_shape(&want, actual).is_some()
        {
            return match rules::volatile(&want, actual, earlier.and_then(|e| path.get(e))) {
                Some(_) if c[2].contains("{{") => Verdict {
                    edit: None,
                    left: Some(format!(
                        "{} differs from environments.toml's value: {NOT_CONTRACT}",
                        &c[1]
                    )),
                    pending: 0,
                },
                Some(marker) => {
                    let t = written.trim_end();
                    let Some(head) = t.strip_suffix(c[2].trim()) else {
                        return leave("the step's value cannot be found at its end".into());
                    };
                    edit.after = vec![format!("{head}\"{marker}\"")];
                    edit.rules
                        .push(format!("{} ({} → {marker})", rules::VOLATILE, &c[1]));
                    edit.observed = excerpt(actual);
                    Verdict {
                        edit: Some(edit),
                        left: None,
                        pending: 0,
                    }
                }
                None => Verdict {
                    edit: None,
                    left: Some(format!(
                        "{} differs, and may be volatile: a second run tells",
                        &c[1]
                    )),
                    pending: usize::from(earlier.is_none()),
                },
            };
        }
        return match rules::path_move(&path, &want, &doc) {
            Ok((to, rule)) => {
                edit.after =
                    vec![written.replacen(&format!("\"{}\"", &c[1]), &format!("\"{to}\""), 1)];
                edit.rules.push(format!("{rule} ({} → {to})", &c[1]));
                edit.observed = excerpt(to.get(&doc).unwrap_or(&Value::Null));
                Verdict {
                    edit: Some(edit),
                    left: None,
                    pending: 0,
                }
            }
            Err(why) => leave(format!("{why}: {NOT_CONTRACT}")),
        };
    }
    let (root, mode) = if let Some(c) = caps(r#"^the JSON at "([^"]+)" (matches|contains):?$"#) {
        (c[1].to_owned(), c[2].to_owned())
    } else if let Some(c) = caps(r"^the JSON (matches|contains):?$") {
        ("$".to_owned(), c[1].to_owned())
    } else {
        return leave(format!(
            "`{text}` checks a status, a text, a baseline or a value adapt does not move: {NOT_CONTRACT}"
        ));
    };
    let mode = if mode == "contains" {
        Mode::Contains
    } else {
        Mode::Exact
    };
    let Ok(root) = root.parse::<JsonPath>() else {
        return leave("the step's path does not parse".into());
    };
    let Some((first, close, raw, prefixes)) = doc_string(&lines, step.line) else {
        return leave("the step's JSON is not a doc string below it".into());
    };
    let Some(filled) = interpolate(&raw, expected, &report.run_id) else {
        return leave("the expectation has a secret or an unknown key".into());
    };
    let Ok(want) = serde_json::from_str::<Value>(&filled) else {
        return leave("the expectation is not JSON".into());
    };
    let (moves, mut left, mismatched) =
        rules::block_moves_and_mismatches(&want, &doc, &root.segments, mode);
    let mut pending = 0;
    let mut new_raw = raw.clone();
    for mv in &moves {
        match text::apply(&new_raw, mv) {
            Some(r) => {
                new_raw = r;
                edit.rules.push(format!(
                    "{} (\"{}\" → \"{}\")",
                    mv.rule,
                    mv.from.join("."),
                    mv.to.join(".")
                ));
            }
            None => left.push(format!(
                "\"{}\" would move to \"{}\", which the expectation cannot say without rewriting more",
                mv.from.join("."),
                mv.to.join(".")
            )),
        }
    }
    // A value of a volatile shape that differed in two runs gets its marker.
    for (key, at, value) in &mismatched {
        let path = rules::json_path(at);
        let Some(actual) = path.get(&doc) else {
            continue;
        };
        if rules::volatile_shape(value, actual).is_none() {
            continue;
        }
        // A value from environments.toml is a claim, not a copied sample.
        let templated = text::members(&new_raw)
            .and_then(|m| m.into_iter().find(|m| m.path == *key))
            .is_some_and(|m| new_raw[m.value].contains("{{"));
        if templated {
            left.push(format!(
                "\"{}\" differs from environments.toml's value",
                key.join(".")
            ));
            continue;
        }
        match rules::volatile(value, actual, earlier.and_then(|e| path.get(e))) {
            Some(marker) => match text::replace_value(&new_raw, key, &format!("\"{marker}\"")) {
                Some(r) => {
                    new_raw = r;
                    edit.rules.push(format!(
                        "{} (\"{}\" → {marker})",
                        rules::VOLATILE,
                        key.join(".")
                    ));
                }
                None => left.push(format!(
                    "\"{}\" would become {marker}, but its text cannot be found",
                    key.join(".")
                )),
            },
            None => {
                pending += usize::from(earlier.is_none());
                left.push(format!(
                    "\"{}\" differs, and may be volatile: a second run tells",
                    key.join(".")
                ));
            }
        }
    }
    // Whether the edited step then passes is for the next run to say:
    // the kept responses are redacted, so an e-mail or a name cannot be
    // compared here.
    let left = (!left.is_empty()).then(|| format!("{NOT_CONTRACT}: {}", left.join("; ")));
    if edit.rules.is_empty() {
        return Verdict {
            edit: None,
            left,
            pending,
        };
    }
    edit.line = first + 1;
    edit.before = lines[first..close]
        .iter()
        .map(|l| (*l).to_owned())
        .collect();
    let new_lines: Vec<&str> = new_raw.split('\n').collect();
    if new_lines.len() != prefixes.len() {
        return Verdict {
            edit: None,
            left: Some("the edit would change how many lines the doc string has: not made".into()),
            pending,
        };
    }
    edit.after = prefixes
        .iter()
        .zip(new_lines)
        .map(|(p, l)| format!("{p}{l}"))
        .collect();
    edit.observed = excerpt(root.get(&doc).unwrap_or(&Value::Null));
    Verdict {
        edit: Some(edit),
        left,
        pending,
    }
}

/// The edits that bring the features onto what `report`'s responses say,
/// reading each feature file through `read` (by the report's path).
/// `earlier`, a previous run of the same features, is the second
/// observation a volatile value's marker needs.
pub fn propose(
    report: &RunReport,
    expected: &BTreeMap<String, String>,
    read: &dyn Fn(&str) -> Option<String>,
    earlier: Option<&RunReport>,
) -> Adaptation {
    let mut out = Adaptation::default();
    for s in report
        .scenarios
        .iter()
        .filter(|s| s.status == Status::Failed)
    {
        out.failing += 1;
        let Some(source) = read(&s.feature_file) else {
            out.remaining.push(Remaining {
                scenario: label(s),
                location: s.location(),
                why: format!("cannot read {}", s.feature_file),
            });
            continue;
        };
        // The second observation must be of the same exchange: the same
        // failing step, the same method and URL.
        let last = |o: &ScenarioReport| {
            o.http
                .iter()
                .rev()
                .find(|x| x.evidence.is_some())
                .map(|x| (x.method.clone(), x.url.clone()))
        };
        let step_line = |o: &ScenarioReport| {
            o.failing_step()
                .and_then(|i| o.steps.get(i))
                .map(|st| st.line)
        };
        let before: Option<Value> = earlier
            .and_then(|e| {
                e.scenarios
                    .iter()
                    .find(|o| o.feature_file == s.feature_file && o.line == s.line)
            })
            .filter(|o| step_line(o) == step_line(s) && last(o).is_some() && last(o) == last(s))
            .and_then(|o| o.http.iter().rev().find_map(|x| x.evidence.as_deref()))
            .and_then(|x| serde_json::from_str(&x.response_body).ok());
        let v = verdict(s, report, expected, &source, before.as_ref());
        out.volatile_pending += v.pending;
        if let Some(e) = v.edit {
            out.adapted += 1;
            out.edits.push(e);
        }
        if let Some(why) = v.left {
            out.remaining.push(Remaining {
                scenario: label(s),
                location: s.location(),
                why,
            });
        }
    }
    out
}

/// `source` with the edits made (each names its lines as they were).
pub fn edited(source: &str, edits: &[&Edit]) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_owned).collect();
    let mut sorted = edits.to_vec();
    sorted.sort_by_key(|e| std::cmp::Reverse(e.line));
    for e in sorted {
        let from = e.line - 1;
        let to = from + e.before.len();
        if lines
            .get(from..to)
            .is_some_and(|l| l == e.before.as_slice())
        {
            lines.splice(from..to, e.after.iter().cloned());
        }
    }
    // Line endings as the file has them (CRLF from an editor on Windows).
    let eol = if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut text = lines.join(eol);
    if source.ends_with('\n') {
        text.push_str(eol);
    }
    text
}

/// The proposals as a person reviews them: per file, each edit's rule and
/// evidence as `#` lines, then a unified diff of the file.
pub fn render(a: &Adaptation, read: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut by_file: BTreeMap<&str, Vec<&Edit>> = BTreeMap::new();
    for e in &a.edits {
        by_file.entry(e.file.as_str()).or_default().push(e);
    }
    for (file, edits) in &by_file {
        for e in edits {
            let _ = writeln!(out, "# {file}:{} · {}", e.line, e.scenario);
            for r in &e.rules {
                let _ = writeln!(out, "#   rule: {r}");
            }
            let _ = writeln!(out, "#   observed: {}", e.observed);
        }
        let Some(source) = read(file) else { continue };
        let new = edited(&source, edits);
        let diff = similar::TextDiff::from_lines(&source, &new);
        let _ = write!(
            out,
            "{}",
            diff.unified_diff()
                .context_radius(2)
                .header(&format!("a/{file}"), &format!("b/{file}"))
        );
    }
    out
}

/// The one-line count: failing, adapted, edits, remaining.
pub fn summary(a: &Adaptation) -> String {
    format!(
        "{} failing scenario(s): {} adapted with {} edit(s), {} remain",
        a.failing,
        a.adapted,
        a.edits.iter().map(|e| e.rules.len()).sum::<usize>(),
        a.remaining.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_keeps_the_files_line_endings_and_the_lines_around_it() {
        let e = Edit {
            file: "f".into(),
            line: 2,
            before: vec!["  \"a\": 1".into()],
            after: vec!["  \"b\": 1".into()],
            scenario: "s".into(),
            rules: vec!["r".into()],
            observed: String::new(),
        };
        assert_eq!(
            edited("{\r\n  \"a\": 1\r\n}\r\n", &[&e]),
            "{\r\n  \"b\": 1\r\n}\r\n"
        );
        assert_eq!(edited("{\n  \"a\": 1\n}", &[&e]), "{\n  \"b\": 1\n}");
        // A file changed since: the edit is not made.
        assert_eq!(edited("{\n  \"c\": 1\n}\n", &[&e]), "{\n  \"c\": 1\n}\n");
    }
}
