//! Structural diff of two JSON documents, and of two normalised responses
//! (status, content type, body), classified by what the change means to a
//! caller. Returns data: rendering is the reporters' business.
//!
//! Classes: *breaking* — a removed field, a changed type, a changed status
//! or content type (a client written against the old answer breaks);
//! *additive* — a new field; *value* — same shape, another value.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::jsonpath::push_key;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
    TypeChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Changed => "changed",
            Self::TypeChanged => "type-changed",
        }
    }
}

/// What a change means to a caller, worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Breaking,
    Additive,
    Value,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breaking => "breaking",
            Self::Additive => "additive",
            Self::Value => "value",
        }
    }

    pub fn of(kind: ChangeKind) -> Self {
        match kind {
            ChangeKind::Removed | ChangeKind::TypeChanged => Self::Breaking,
            ChangeKind::Added => Self::Additive,
            ChangeKind::Changed => Self::Value,
        }
    }
}

/// One difference. `path` is a JSON path into the body (`$.ledger.mode`),
/// or `status` / `content-type` for the response's own attributes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
    pub class: Class,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub new: Option<Value>,
}

/// The JSON type name of a value.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn change(path: &str, kind: ChangeKind, old: Option<&Value>, new: Option<&Value>) -> Change {
    Change {
        path: path.to_owned(),
        kind,
        class: Class::of(kind),
        old: old.cloned(),
        new: new.cloned(),
    }
}

/// Every difference between `old` and `new`, in document order. Arrays are
/// compared index by index (an element inserted in the middle shows as
/// changes from there on, then one added at the end).
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let mut path = String::from("$");
    walk(old, new, &mut path, &mut out);
    out
}

fn walk(old: &Value, new: &Value, path: &mut String, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let len = path.len();
            for (k, va) in a {
                push_key(path, k);
                match b.get(k) {
                    Some(vb) => walk(va, vb, path, out),
                    None => out.push(change(path, ChangeKind::Removed, Some(va), None)),
                }
                path.truncate(len);
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    push_key(path, k);
                    out.push(change(path, ChangeKind::Added, None, Some(vb)));
                    path.truncate(len);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let len = path.len();
            for i in 0..a.len().max(b.len()) {
                let _ = write!(path, "[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(va), Some(vb)) => walk(va, vb, path, out),
                    (Some(va), None) => out.push(change(path, ChangeKind::Removed, Some(va), None)),
                    (None, Some(vb)) => out.push(change(path, ChangeKind::Added, None, Some(vb))),
                    (None, None) => {}
                }
                path.truncate(len);
            }
        }
        (a, b) if type_name(a) != type_name(b) => {
            out.push(change(path, ChangeKind::TypeChanged, Some(a), Some(b)));
        }
        (a, b) => {
            if a != b {
                out.push(change(path, ChangeKind::Changed, Some(a), Some(b)));
            }
        }
    }
}

/// Whether `path` is `prefix` or inside it (`$.a` covers `$.a.b` and `$.a[0]`).
pub fn is_within(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// The difference between two normalised response documents
/// (`{"status", "content_type", "body"}`, see [`crate::core::snapshot`]), leaving
/// out changes within the noise paths (body paths, `$.…`).
pub fn diff_responses(old: &Value, new: &Value, noise: &[String]) -> Vec<Change> {
    let mut out = Vec::new();
    for (field, path) in [("status", "status"), ("content_type", "content-type")] {
        let (a, b) = (old.get(field), new.get(field));
        if a != b {
            out.push(Change {
                path: path.to_owned(),
                kind: ChangeKind::Changed,
                class: Class::Breaking,
                old: a.cloned(),
                new: b.cloned(),
            });
        }
    }
    let null = Value::Null;
    let body = diff(
        old.get("body").unwrap_or(&null),
        new.get("body").unwrap_or(&null),
    );
    out.extend(
        body.into_iter()
            .filter(|c| !noise.iter().any(|n| is_within(&c.path, n))),
    );
    out
}

/// Paths whose values differ between two samples of the same response:
/// the noise a baseline must not compare (Diffy's primary/secondary idea).
pub fn noise_between(a: &Value, b: &Value) -> Vec<String> {
    let mut paths: Vec<String> = diff(a, b).into_iter().map(|c| c.path).collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Counts per class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub breaking: usize,
    pub additive: usize,
    pub value: usize,
}

impl Counts {
    pub fn of(changes: &[Change]) -> Self {
        let mut c = Self::default();
        for ch in changes {
            match ch.class {
                Class::Breaking => c.breaking += 1,
                Class::Additive => c.additive += 1,
                Class::Value => c.value += 1,
            }
        }
        c
    }

    pub fn total(self) -> usize {
        self.breaking + self.additive + self.value
    }
}

/// One line of a text diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineTag {
    Equal,
    Delete,
    Insert,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLine {
    pub tag: LineTag,
    /// The line without its newline.
    pub text: String,
}

/// A group of nearby changed lines with their context, as in a unified diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextHunk {
    /// 1-based first line and line count, old side then new side.
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    pub lines: Vec<TextLine>,
}

/// A line diff for people (built with `similar`), `context` lines around
/// each change. Gives up refining after a second on pathological input.
pub fn text_diff(old: &str, new: &str, context: usize) -> Vec<TextHunk> {
    let diff = similar::TextDiff::configure()
        .timeout(Duration::from_secs(1))
        .diff_lines(old, new);
    diff.grouped_ops(context)
        .iter()
        .map(|group| {
            let (first, last) = (group.first(), group.last());
            let old_range = match (first, last) {
                (Some(f), Some(l)) => f.old_range().start..l.old_range().end,
                _ => 0..0,
            };
            let new_range = match (first, last) {
                (Some(f), Some(l)) => f.new_range().start..l.new_range().end,
                _ => 0..0,
            };
            let lines = group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|c| TextLine {
                    tag: match c.tag() {
                        similar::ChangeTag::Equal => LineTag::Equal,
                        similar::ChangeTag::Delete => LineTag::Delete,
                        similar::ChangeTag::Insert => LineTag::Insert,
                    },
                    text: c.value().trim_end_matches(['\n', '\r']).to_owned(),
                })
                .collect();
            TextHunk {
                old_start: old_range.start + 1,
                old_len: old_range.len(),
                new_start: new_range.start + 1,
                new_len: new_range.len(),
                lines,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(changes: &[Change]) -> Vec<(&str, ChangeKind, Class)> {
        changes
            .iter()
            .map(|c| (c.path.as_str(), c.kind, c.class))
            .collect()
    }

    #[test]
    fn each_kind_has_its_path_and_class() {
        let old = json!({"status": "ok", "version": "v1", "uptime": 5, "ledger": {"mode": "dual"}, "tags": ["a", "b"], "odd key": 1});
        let new = json!({"version": "v2", "uptime": "5", "ledger": {"mode": "dual", "region": "eu"}, "tags": ["a"], "odd key": 1});
        let d = diff(&old, &new);
        assert_eq!(
            kinds(&d),
            vec![
                ("$.status", ChangeKind::Removed, Class::Breaking),
                ("$.version", ChangeKind::Changed, Class::Value),
                ("$.uptime", ChangeKind::TypeChanged, Class::Breaking),
                ("$.ledger.region", ChangeKind::Added, Class::Additive),
                ("$.tags[1]", ChangeKind::Removed, Class::Breaking),
            ]
        );
        assert_eq!(d[1].old, Some(json!("v1")));
        assert_eq!(d[1].new, Some(json!("v2")));
        assert_eq!(d[0].new, None);
        assert!(diff(&old, &old).is_empty());
        // Key order is not a change.
        assert!(diff(&json!({"a": 1, "b": 2}), &json!({"b": 2, "a": 1})).is_empty());
        // Odd keys get a quoted path.
        let d = diff(&json!({"odd key": 1}), &json!({"odd key": 2}));
        assert_eq!(d[0].path, "$['odd key']");
    }

    #[test]
    fn responses_add_status_and_content_type_and_skip_noise() {
        let old = json!({"status": 200, "content_type": "application/json", "body": {"a": 1, "n": {"x": 1}, "seq": 4}});
        let new = json!({"status": 503, "content_type": "text/html", "body": {"a": 2, "n": {"x": 2}, "seq": 9}});
        let d = diff_responses(&old, &new, &["$.seq".to_owned(), "$.n".to_owned()]);
        assert_eq!(
            kinds(&d),
            vec![
                ("status", ChangeKind::Changed, Class::Breaking),
                ("content-type", ChangeKind::Changed, Class::Breaking),
                ("$.a", ChangeKind::Changed, Class::Value),
            ]
        );
        assert_eq!(
            Counts::of(&d),
            Counts {
                breaking: 2,
                additive: 0,
                value: 1
            }
        );
        assert!(
            is_within("$.a[0]", "$.a") && is_within("$.a.b", "$.a") && !is_within("$.ab", "$.a")
        );
    }

    #[test]
    fn noise_is_what_differs_between_samples() {
        let a = json!({"seq": 1, "ok": true, "items": [1, 2]});
        let b = json!({"seq": 2, "ok": true, "items": [1, 2, 3]});
        assert_eq!(noise_between(&a, &b), vec!["$.items[2]", "$.seq"]);
    }

    #[test]
    fn text_diff_gives_hunks_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\n";
        let new = "a\nb\nc\nD\ne\nf\ng\n";
        let hunks = text_diff(old, new, 1);
        assert_eq!(hunks.len(), 1);
        let h = &hunks[0];
        assert_eq!(
            (h.old_start, h.old_len, h.new_start, h.new_len),
            (3, 3, 3, 3)
        );
        let tags: Vec<(LineTag, &str)> = h.lines.iter().map(|l| (l.tag, l.text.as_str())).collect();
        assert_eq!(
            tags,
            vec![
                (LineTag::Equal, "c"),
                (LineTag::Delete, "d"),
                (LineTag::Insert, "D"),
                (LineTag::Equal, "e"),
            ]
        );
        assert!(text_diff(old, old, 3).is_empty());
    }
}
