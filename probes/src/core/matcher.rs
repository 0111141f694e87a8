//! JSON matching with Karate-style `#` markers.
//!
//! `the JSON matches` is exact: every key of the actual object must be named
//! by the expectation. `the JSON contains` lets the actual side carry extra
//! keys (at every depth) and lets arrays hold the expected items in any order.
//! A failure names the JSON path, what was expected and what was found.

use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, Mutex, PoisonError};

use regex::Regex;
use serde_json::Value;

use crate::core::jsonpath::push_key;

/// Exact (`matches`) or subset (`contains`) comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Exact,
    Contains,
}

/// One difference between expectation and actual value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub path: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, actual {}",
            self.path, self.expected, self.actual
        )
    }
}

/// A malformed expectation (an unknown `#marker`, a bad `#regex`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ExpectationError {
    pub path: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("{}", render_mismatches(.0))]
    Mismatches(Vec<Mismatch>),
    #[error("invalid expectation: {0}")]
    Expectation(ExpectationError),
}

fn render_mismatches(m: &[Mismatch]) -> String {
    const SHOWN: usize = 10;
    let mut out = String::new();
    for (i, mm) in m.iter().take(SHOWN).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&mm.to_string());
    }
    if m.len() > SHOWN {
        out.push_str(&format!("\n… and {} more differences", m.len() - SHOWN));
    }
    out
}

/// A JSON type a `#type` marker names.
#[derive(Clone, Debug)]
pub enum Type {
    String,
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

/// A parsed `#` marker.
#[derive(Clone, Debug)]
pub enum Marker {
    Type(Type),
    NotNull,
    Present,
    NotPresent,
    Ignore,
    Uuid,
    Iso8601,
    Regex(Regex),
    /// `#[N]` or `#[]`, optionally followed by a marker every element must match.
    Array(Option<usize>, Option<Box<Marker>>),
    /// `##marker`: null or absent is fine, anything else must match.
    Optional(Box<Marker>),
}

/// Every marker, as the error for an unknown one lists them.
pub const MARKERS: &[&str] = &[
    "#string",
    "#number",
    "#boolean",
    "#array",
    "#object",
    "#null",
    "#notnull",
    "#present",
    "#notpresent",
    "#ignore",
    "#uuid",
    "#iso8601",
    "#regex <re>",
    "#[N]",
];

static UUID_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Compiles `pattern`, or hands back the copy compiled before: the same
/// `#regex` is matched in every scenario and every retry, and compiling one
/// costs a hundred times more than matching it. Bounded, so expectations
/// written by a generator cannot grow it without end.
pub fn cached_regex(pattern: &str) -> Result<Regex, regex::Error> {
    const MAX: usize = 1024;
    static CACHE: LazyLock<Mutex<HashMap<String, Regex>>> = LazyLock::new(Mutex::default);
    let mut map = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(re) = map.get(pattern) {
        return Ok(re.clone());
    }
    let re = Regex::new(pattern)?;
    if map.len() < MAX {
        map.insert(pattern.to_owned(), re.clone());
    }
    Ok(re)
}

impl Marker {
    /// Parses `text` if it is a marker. `Ok(None)` means "not a marker, compare
    /// literally" (text not starting with `#`, or `\#` escaping a literal `#`).
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        if !text.starts_with('#') {
            return Ok(None);
        }
        Self::parse_marker(text).map(Some)
    }

    fn parse_marker(text: &str) -> Result<Self, String> {
        if let Some(rest) = text.strip_prefix("##") {
            let inner = Self::parse_marker(&format!("#{rest}"))?;
            return Ok(Self::Optional(Box::new(inner)));
        }
        if let Some(re) = text.strip_prefix("#regex") {
            let re = re.trim_start();
            if re.is_empty() {
                return Err("`#regex` needs a pattern: `#regex [a-z]+`".into());
            }
            // The pattern must stand on its own: `a)|(b` would otherwise close
            // the group below and escape the anchors (matching any value that
            // merely starts with `a`).
            cached_regex(re).map_err(|e| format!("bad pattern in `{text}`: {e}"))?;
            return cached_regex(&format!("^(?:{re})$"))
                .map(Self::Regex)
                .map_err(|e| format!("bad pattern in `{text}`: {e}"));
        }
        if let Some(rest) = text.strip_prefix("#[") {
            let Some(close) = rest.find(']') else {
                return Err(format!("`{text}`: missing `]`"));
            };
            let n = rest[..close].trim();
            let len = if n.is_empty() {
                None
            } else {
                Some(n.parse::<usize>().map_err(|_| {
                    format!("`{text}`: the array length must be a number, as in `#[3]`")
                })?)
            };
            let tail = rest[close + 1..].trim();
            let each = if tail.is_empty() {
                None
            } else {
                Some(Box::new(Self::parse_marker(tail)?))
            };
            return Ok(Self::Array(len, each));
        }
        Ok(match text {
            "#string" => Self::Type(Type::String),
            "#number" => Self::Type(Type::Number),
            "#boolean" => Self::Type(Type::Boolean),
            "#array" => Self::Type(Type::Array),
            "#object" => Self::Type(Type::Object),
            "#null" => Self::Type(Type::Null),
            "#notnull" => Self::NotNull,
            "#present" => Self::Present,
            "#notpresent" => Self::NotPresent,
            "#ignore" => Self::Ignore,
            "#uuid" => Self::Uuid,
            "#iso8601" => Self::Iso8601,
            other => {
                let hint = nearest_marker(other)
                    .map(|m| format!(" (did you mean `{m}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "unknown marker `{other}`{hint}; markers are {}; write `\\#` for a literal `#`",
                    MARKERS.join(" ")
                ));
            }
        })
    }

    /// Whether an absent key satisfies this marker.
    fn allows_absent(&self) -> bool {
        matches!(self, Self::NotPresent | Self::Ignore | Self::Optional(_))
    }

    /// Checks a present value (under `key`). Returns a description of what was expected on failure.
    fn check(
        &self,
        actual: &Value,
        path: &str,
        key: &str,
        show: Show<'_>,
        out: &mut Vec<Mismatch>,
    ) {
        let ok = match self {
            Self::Type(t) => match t {
                Type::String => actual.is_string(),
                Type::Number => actual.is_number(),
                Type::Boolean => actual.is_boolean(),
                Type::Array => actual.is_array(),
                Type::Object => actual.is_object(),
                Type::Null => actual.is_null(),
            },
            Self::NotNull => !actual.is_null(),
            Self::Present | Self::Ignore => true,
            Self::NotPresent => false,
            Self::Uuid => actual.as_str().is_some_and(|s| UUID_RE.is_match(s)),
            Self::Iso8601 => actual.as_str().is_some_and(is_iso8601),
            Self::Regex(re) => actual.as_str().is_some_and(|s| re.is_match(s)),
            Self::Array(len, each) => {
                let Some(items) = actual.as_array() else {
                    out.push(mismatch(path, key, self.to_string(), actual, show));
                    return;
                };
                if let Some(n) = len
                    && items.len() != *n
                {
                    out.push(Mismatch {
                        path: path.to_owned(),
                        expected: format!("an array of {n} items"),
                        actual: format!("{} items", items.len()),
                    });
                    return;
                }
                if let Some(m) = each {
                    for (i, item) in items.iter().enumerate() {
                        m.check(item, &format!("{path}[{i}]"), key, show, out);
                    }
                }
                return;
            }
            Self::Optional(inner) => {
                if actual.is_null() {
                    true
                } else {
                    inner.check(actual, path, key, show, out);
                    return;
                }
            }
        };
        if !ok {
            out.push(mismatch(path, key, self.to_string(), actual, show));
        }
    }
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Type(t) => write!(
                f,
                "#{}",
                match t {
                    Type::String => "string",
                    Type::Number => "number",
                    Type::Boolean => "boolean",
                    Type::Array => "array",
                    Type::Object => "object",
                    Type::Null => "null",
                }
            ),
            Self::NotNull => f.write_str("#notnull"),
            Self::Present => f.write_str("#present"),
            Self::NotPresent => f.write_str("#notpresent"),
            Self::Ignore => f.write_str("#ignore"),
            Self::Uuid => f.write_str("#uuid"),
            Self::Iso8601 => f.write_str("#iso8601"),
            Self::Regex(re) => {
                let s = re.as_str();
                let inner = s
                    .strip_prefix("^(?:")
                    .and_then(|s| s.strip_suffix(")$"))
                    .unwrap_or(s);
                write!(f, "#regex {inner}")
            }
            Self::Array(len, each) => {
                match len {
                    Some(n) => write!(f, "#[{n}]")?,
                    None => f.write_str("#[]")?,
                }
                if let Some(m) = each {
                    write!(f, " {m}")?;
                }
                Ok(())
            }
            Self::Optional(inner) => write!(f, "#{inner}"),
        }
    }
}

fn nearest_marker(text: &str) -> Option<&'static str> {
    MARKERS
        .iter()
        .filter(|m| !m.contains(' ') && !m.contains('['))
        .map(|m| (crate::core::suggest::distance(text, m), *m))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, m)| m)
}

/// RFC 3339 date-time, or a plain `YYYY-MM-DD` date.
pub fn is_iso8601(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// Compact rendering of a value for messages, with its type for scalars
/// where the type is the point (`"12" (string)`).
pub fn describe(v: &Value) -> String {
    const MAX: usize = 120;
    let mut s = v.to_string();
    if s.chars().count() > MAX {
        s = s.chars().take(MAX).collect::<String>() + "…";
    }
    match v {
        Value::String(_) => format!("{s} (string)"),
        Value::Number(_) => format!("{s} (number)"),
        Value::Bool(_) => format!("{s} (boolean)"),
        Value::Null => "null".to_owned(),
        Value::Array(a) => format!("{s} (array of {})", a.len()),
        Value::Object(_) => format!("{s} (object)"),
    }
}

/// How a message shows an actual value: as it is, or through a function of
/// (path, the key it is under, value) that redacts it. Applied before
/// [`describe`] cuts a long value short, so a secret or a guest's email is
/// never quoted half, where no scrubbing of the finished message can
/// recognise it.
pub type Redact<'a> = &'a dyn Fn(&str, &str, &Value) -> Value;

#[derive(Clone, Copy)]
struct Show<'a>(Option<Redact<'a>>);

impl Show<'_> {
    fn describe(self, path: &str, key: &str, v: &Value) -> String {
        match self.0 {
            Some(f) => describe(&f(path, key, v)),
            None => describe(v),
        }
    }
}

fn mismatch(path: &str, key: &str, expected: String, actual: &Value, show: Show<'_>) -> Mismatch {
    Mismatch {
        path: path.to_owned(),
        expected,
        actual: show.describe(path, key, actual),
    }
}

/// Validates every marker in an expectation without matching anything
/// (for `check`, which touches no network).
pub fn validate_expectation(expected: &Value) -> Result<(), ExpectationError> {
    fn walk(v: &Value, path: &mut String) -> Result<(), ExpectationError> {
        match v {
            Value::String(s) => Marker::parse(s)
                .map(|_| ())
                .map_err(|reason| ExpectationError {
                    path: path.clone(),
                    reason,
                }),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Object(map) => {
                for (k, item) in map {
                    let len = path.len();
                    push_key(path, k);
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(expected, &mut String::from("$"))
}

/// Matches `actual` against `expected`, naming the path of the root `root`
/// (usually `$`, or the path a step selected).
pub fn match_json(expected: &Value, actual: &Value, mode: Mode) -> Result<(), MatchError> {
    match_at("$", expected, Some(actual), mode)
}

/// Like [`match_json`] but `actual` may be absent (a path that selected nothing).
pub fn match_at(
    root: &str,
    expected: &Value,
    actual: Option<&Value>,
    mode: Mode,
) -> Result<(), MatchError> {
    matching(root, expected, actual, mode, Show(None))
}

/// [`match_at`], quoting actual values in the mismatches through `redact`.
pub fn match_redacted(
    root: &str,
    expected: &Value,
    actual: Option<&Value>,
    mode: Mode,
    redact: Redact<'_>,
) -> Result<(), MatchError> {
    matching(root, expected, actual, mode, Show(Some(redact)))
}

fn matching(
    root: &str,
    expected: &Value,
    actual: Option<&Value>,
    mode: Mode,
    show: Show<'_>,
) -> Result<(), MatchError> {
    let mut out = Vec::new();
    let mut path = root.to_owned();
    let key = last_key(root);
    walk(expected, actual, mode, &mut path, &key, show, &mut out)
        .map_err(MatchError::Expectation)?;
    if out.is_empty() {
        Ok(())
    } else {
        Err(MatchError::Mismatches(out))
    }
}

/// The key a path ends in (`$.guest.email` → `email`; `$` → ``), for the
/// redaction of what a step selected.
pub fn last_key(root: &str) -> String {
    let last = root.rsplit(['.', '[']).next().unwrap_or("");
    last.trim_end_matches(']').trim_matches('\'').to_owned()
}

#[allow(clippy::too_many_arguments)]
fn walk(
    expected: &Value,
    actual: Option<&Value>,
    mode: Mode,
    path: &mut String,
    key: &str,
    show: Show<'_>,
    out: &mut Vec<Mismatch>,
) -> Result<(), ExpectationError> {
    if let Value::String(s) = expected {
        let marker = Marker::parse(s).map_err(|reason| ExpectationError {
            path: path.clone(),
            reason,
        })?;
        if let Some(marker) = marker {
            match actual {
                None if marker.allows_absent() => {}
                None => out.push(Mismatch {
                    path: path.clone(),
                    expected: marker.to_string(),
                    actual: "nothing (the key is absent)".to_owned(),
                }),
                Some(a) => marker.check(a, path, key, show, out),
            }
            return Ok(());
        }
    }
    let Some(actual) = actual else {
        out.push(Mismatch {
            path: path.clone(),
            expected: describe(&unescape(expected)),
            actual: "nothing (the key is absent)".to_owned(),
        });
        return Ok(());
    };
    match (expected, actual) {
        (Value::Object(exp), Value::Object(act)) => walk_object(exp, act, mode, path, show, out)?,
        (Value::Array(exp), Value::Array(act)) => {
            walk_array(exp, act, actual, mode, path, key, show, out)?;
        }
        (Value::Number(e), Value::Number(a)) => {
            let equal = match (e.as_i64(), a.as_i64()) {
                (Some(x), Some(y)) => x == y,
                _ => match (e.as_u64(), a.as_u64()) {
                    (Some(x), Some(y)) => x == y,
                    _ => e.as_f64() == a.as_f64(),
                },
            };
            if !equal {
                out.push(mismatch(path, key, describe(expected), actual, show));
            }
        }
        (e, a) => {
            let e = unescape(e);
            if &e != a {
                out.push(mismatch(path, key, describe(&e), a, show));
            }
        }
    }
    Ok(())
}

/// The keys of an expected object, and (when exact) the actual keys it
/// does not name.
fn walk_object(
    exp: &serde_json::Map<String, Value>,
    act: &serde_json::Map<String, Value>,
    mode: Mode,
    path: &mut String,
    show: Show<'_>,
    out: &mut Vec<Mismatch>,
) -> Result<(), ExpectationError> {
    for (k, ev) in exp {
        let len = path.len();
        push_key(path, k);
        walk(ev, act.get(k), mode, path, k, show, out)?;
        path.truncate(len);
    }
    if mode == Mode::Exact {
        for (k, av) in act {
            if !exp.contains_key(k) {
                let len = path.len();
                push_key(path, k);
                out.push(Mismatch {
                    path: path.clone(),
                    expected: "no such key (the expectation does not name it; use `the JSON contains` to allow extra keys)".to_owned(),
                    actual: show.describe(path, k, av),
                });
                path.truncate(len);
            }
        }
    }
    Ok(())
}

/// Exact: the same length, item by item. Contains: every expected item
/// matched by some actual item, in any order.
#[allow(clippy::too_many_arguments)]
fn walk_array(
    exp: &[Value],
    act: &[Value],
    actual: &Value,
    mode: Mode,
    path: &mut String,
    key: &str,
    show: Show<'_>,
    out: &mut Vec<Mismatch>,
) -> Result<(), ExpectationError> {
    match mode {
        Mode::Exact => {
            if exp.len() != act.len() {
                out.push(Mismatch {
                    path: path.clone(),
                    expected: format!("an array of {} items", exp.len()),
                    actual: format!("{} items: {}", act.len(), show.describe(path, key, actual)),
                });
                return Ok(());
            }
            for (i, (e, a)) in exp.iter().zip(act).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(e, Some(a), mode, path, key, show, out)?;
                path.truncate(len);
            }
        }
        Mode::Contains => {
            for (i, e) in exp.iter().enumerate() {
                let mut found = false;
                for a in act {
                    let mut scratch = Vec::new();
                    let mut p = path.clone();
                    // Only whether it matched counts here: nothing to show.
                    walk(e, Some(a), mode, &mut p, key, Show(None), &mut scratch)?;
                    if scratch.is_empty() {
                        found = true;
                        break;
                    }
                }
                if !found {
                    out.push(Mismatch {
                        path: format!("{path}[*]"),
                        expected: format!("an item matching expected[{i}] = {}", describe(e)),
                        actual: format!("no such item among {}", act.len()),
                    });
                }
            }
        }
    }
    Ok(())
}

/// `\#literal` in an expectation stands for the string `#literal`.
fn unescape(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("\\#") => Value::String(s[1..].to_owned()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exact(e: Value, a: Value) -> Result<(), MatchError> {
        match_json(&e, &a, Mode::Exact)
    }

    fn contains(e: Value, a: Value) -> Result<(), MatchError> {
        match_json(&e, &a, Mode::Contains)
    }

    fn mismatches(r: Result<(), MatchError>) -> Vec<Mismatch> {
        match r {
            Err(MatchError::Mismatches(m)) => m,
            other => panic!("expected mismatches, got {other:?}"),
        }
    }

    #[test]
    fn redacted_matching_quotes_what_redact_returns_before_cutting_it() {
        let long = format!("{}SECRET-VALUE", "p".repeat(110));
        let actual = json!({"status": "ok", "echo": long, "guest_name": 7});
        let redact = |path: &str, key: &str, v: &Value| match v {
            Value::String(s) => Value::String(s.replace("SECRET-VALUE", "${S}")),
            _ if key == "guest_name" => json!(format!("[name at {path}]")),
            other => other.clone(),
        };
        let m = match match_redacted(
            "$",
            &json!({"status": "ok", "guest_name": "#string"}),
            Some(&actual),
            Mode::Exact,
            &redact,
        ) {
            Err(MatchError::Mismatches(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m[0].actual, "\"[name at $.guest_name]\" (string)");
        assert!(m[1].actual.contains("${S}"), "{}", m[1].actual);
        // Unredacted, the cut falls in the middle of the value.
        let plain = mismatches(exact(json!({"status": "ok", "guest_name": 7}), actual));
        assert!(
            plain[0].actual.contains("SECRET-VA…"),
            "{}",
            plain[0].actual
        );
        assert_eq!(last_key("$.guest.email"), "email");
        assert_eq!(last_key("$['odd key']"), "odd key");
        assert_eq!(last_key("$.items[2]"), "2");
        assert_eq!(last_key("$"), "$");
    }

    #[test]
    fn type_markers() {
        let actual = json!({"s": "x", "n": 1.5, "b": false, "a": [1], "o": {}, "z": null});
        exact(
            json!({"s": "#string", "n": "#number", "b": "#boolean", "a": "#array", "o": "#object", "z": "#null"}),
            actual.clone(),
        )
        .expect("all types match");
        for (key, marker) in [
            ("s", "#number"),
            ("n", "#string"),
            ("b", "#string"),
            ("a", "#object"),
            ("o", "#array"),
            ("z", "#string"),
        ] {
            let m = mismatches(contains(json!({ key: marker }), actual.clone()));
            assert_eq!(m.len(), 1);
            assert_eq!(m[0].path, format!("$.{key}"));
            assert_eq!(m[0].expected, marker);
        }
    }

    #[test]
    fn presence_markers() {
        let actual = json!({"a": 1, "n": null});
        contains(json!({"a": "#present", "n": "#present"}), actual.clone()).expect("present");
        contains(json!({"a": "#notnull"}), actual.clone()).expect("notnull");
        contains(json!({"gone": "#notpresent"}), actual.clone()).expect("notpresent");
        contains(json!({"gone": "#ignore", "a": "#ignore"}), actual.clone()).expect("ignore");

        let m = mismatches(contains(json!({"n": "#notnull"}), actual.clone()));
        assert_eq!(m[0].path, "$.n");
        assert_eq!(m[0].actual, "null");
        let m = mismatches(contains(json!({"a": "#notpresent"}), actual.clone()));
        assert_eq!(
            (m[0].path.as_str(), m[0].actual.as_str()),
            ("$.a", "1 (number)")
        );
        let m = mismatches(contains(json!({"gone": "#present"}), actual.clone()));
        assert_eq!(m[0].actual, "nothing (the key is absent)");
        let m = mismatches(contains(json!({"gone": "#null"}), actual));
        assert_eq!(m[0].path, "$.gone");
    }

    #[test]
    fn format_markers() {
        let actual = json!({
            "id": "7f1b3c2e-9d4a-4e8b-a1c3-5d6e7f809a1b",
            "at": "2026-11-25T19:38:54.123Z",
            "day": "2026-11-25",
            "v": "engine-v0.1.3.6"
        });
        exact(
            json!({"id": "#uuid", "at": "#iso8601", "day": "#iso8601", "v": "#regex engine-v\\d+\\.\\d+\\.\\d+\\.\\d+"}),
            actual,
        )
        .expect("formats match");
        let m = mismatches(contains(
            json!({"id": "#uuid", "at": "#iso8601", "v": "#regex admin-.*"}),
            json!({"id": "not-a-uuid", "at": "yesterday", "v": "engine-v0.1.3.6"}),
        ));
        let paths: Vec<_> = m.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["$.id", "$.at", "$.v"]);
        assert_eq!(m[2].expected, "#regex admin-.*");
        // A regex must match the whole string, not a part of it.
        assert!(contains(json!({"v": "#regex v0"}), json!({"v": "engine-v0.1"})).is_err());
    }

    #[test]
    fn array_markers() {
        let actual = json!({"a": [1, 2, 3], "s": ["x", "y"]});
        contains(json!({"a": "#[3]", "s": "#[] #string"}), actual.clone()).expect("arrays");
        contains(json!({"s": "#[2] #string"}), actual.clone()).expect("length and type");
        let m = mismatches(contains(json!({"a": "#[2]"}), actual.clone()));
        assert_eq!(m[0].expected, "an array of 2 items");
        assert_eq!(m[0].actual, "3 items");
        let m = mismatches(contains(json!({"a": "#[] #string"}), actual.clone()));
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].path, "$.a[1]");
        let m = mismatches(contains(json!({"s": "#[]"}), json!({"s": "x"})));
        assert_eq!(m[0].expected, "#[]");
    }

    #[test]
    fn optional_markers() {
        contains(json!({"a": "##string"}), json!({})).expect("absent is fine");
        contains(json!({"a": "##string"}), json!({"a": null})).expect("null is fine");
        contains(json!({"a": "##string"}), json!({"a": "x"})).expect("a string is fine");
        let m = mismatches(contains(json!({"a": "##string"}), json!({"a": 1})));
        assert_eq!(m[0].expected, "#string");
        assert_eq!(m[0].actual, "1 (number)");
    }

    #[test]
    fn nested_objects_and_arrays_exact() {
        let expected = json!({"ledger": {"mode": "dual", "durable_required": true}, "items": [{"id": 1}, {"id": 2}]});
        exact(expected.clone(), expected.clone()).expect("identical");
        let m = mismatches(exact(
            expected,
            json!({"ledger": {"mode": "memory", "durable_required": true, "extra": 1}, "items": [{"id": 1}, {"id": 3}]}),
        ));
        assert_eq!(
            m.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "$.ledger.mode: expected \"dual\" (string), actual \"memory\" (string)",
                "$.ledger.extra: expected no such key (the expectation does not name it; use `the JSON contains` to allow extra keys), actual 1 (number)",
                "$.items[1].id: expected 2 (number), actual 3 (number)",
            ]
        );
    }

    #[test]
    fn exact_arrays_must_have_same_length() {
        let m = mismatches(exact(json!([1, 2]), json!([1, 2, 3])));
        assert_eq!(m[0].path, "$");
        assert!(m[0].expected.contains("2 items"));
    }

    #[test]
    fn contains_allows_extra_keys_at_every_depth_and_any_order() {
        contains(
            json!({"a": {"b": 1}, "list": [{"id": 2}]}),
            json!({"a": {"b": 1, "c": 2}, "list": [{"id": 1, "x": 0}, {"id": 2, "y": 0}], "z": 0}),
        )
        .expect("subset");
        let m = mismatches(contains(
            json!({"list": [{"id": 9}]}),
            json!({"list": [{"id": 1}]}),
        ));
        assert_eq!(m[0].path, "$.list[*]");
    }

    #[test]
    fn numbers_compare_by_value() {
        exact(json!({"n": 1}), json!({"n": 1.0})).expect("1 == 1.0");
        assert!(exact(json!({"n": 1}), json!({"n": 1.5})).is_err());
        assert!(exact(json!({"n": 1}), json!({"n": "1"})).is_err());
    }

    #[test]
    fn missing_key_and_type_change_named() {
        let m = mismatches(exact(json!({"status": "ok"}), json!({})));
        assert_eq!(
            m[0].to_string(),
            "$.status: expected \"ok\" (string), actual nothing (the key is absent)"
        );
        let m = mismatches(exact(json!({"odd key": "ok"}), json!({"odd key": 5})));
        assert_eq!(m[0].path, "$['odd key']");
    }

    #[test]
    fn unknown_marker_is_an_expectation_error_with_a_hint() {
        match exact(json!({"a": "#strng"}), json!({"a": "x"})) {
            Err(MatchError::Expectation(e)) => {
                assert_eq!(e.path, "$.a");
                assert!(e.reason.contains("did you mean `#string`"), "{}", e.reason);
            }
            other => panic!("{other:?}"),
        }
        assert!(validate_expectation(&json!({"x": ["#regex ("]})).is_err());
        assert!(validate_expectation(&json!({"x": ["#[x]"]})).is_err());
        assert!(validate_expectation(&json!({"x": "#[2] #uuid"})).is_ok());
    }

    /// Found by fuzzing (fuzz target `matcher`): a pattern that closes the
    /// anchoring group early matched values it should not.
    #[test]
    fn a_regex_cannot_escape_its_anchors() {
        for bad in ["#regex a)|(b", "#regex a)|(?:b", "#regex x)(y"] {
            assert!(validate_expectation(&json!({ "v": bad })).is_err(), "{bad}");
            match contains(json!({ "v": bad }), json!({"v": "abc"})) {
                Err(MatchError::Expectation(e)) => {
                    assert!(e.reason.contains("bad pattern"), "{e}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        contains(json!({"v": "#regex (a)|(b)"}), json!({"v": "b"})).expect("groups are fine");
        assert!(contains(json!({"v": "#regex (a)|(b)"}), json!({"v": "ab"})).is_err());
    }

    #[test]
    fn escaped_hash_is_literal() {
        exact(json!({"tag": "\\#lucia"}), json!({"tag": "#lucia"})).expect("literal");
        assert!(exact(json!({"tag": "\\#lucia"}), json!({"tag": "lucia"})).is_err());
    }

    #[test]
    fn many_mismatches_are_summarised() {
        let exp: serde_json::Map<String, Value> =
            (0..15).map(|i| (format!("k{i}"), json!(i))).collect();
        let act: serde_json::Map<String, Value> =
            (0..15).map(|i| (format!("k{i}"), json!(-i - 1))).collect();
        let err = exact(Value::Object(exp), Value::Object(act)).expect_err("differs");
        assert!(
            err.to_string().ends_with("… and 5 more differences"),
            "{err}"
        );
    }
}
