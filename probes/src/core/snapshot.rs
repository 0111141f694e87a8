//! Baseline snapshots in insta's `.snap` format, so `cargo insta review`
//! tooling and insta's own parser read them: a YAML header between `---`
//! lines (`source`, `assertion_line`, `description`, `expression`, `info`),
//! then the contents. The contents are the normalised response document:
//!
//! ```json
//! {"status": 200, "content_type": "application/json", "body": {…}}
//! ```
//!
//! Nothing volatile goes into a file (no capture time, no port): capturing
//! the same behaviour twice writes the same bytes (insta's
//! `trim_for_persistence`). Pure: text in, text out.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::core::normalise::Rules;
use crate::core::redact::Redactor;

/// The header of a `.snap` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapHeader {
    /// The feature file the response came from.
    pub source: Option<String>,
    /// The line of the baseline step.
    pub assertion_line: Option<usize>,
    pub description: Option<String>,
    /// The request (`GET engine /health`).
    pub expression: Option<String>,
    /// `info:`, a flat map of strings.
    pub info: Vec<(String, String)>,
}

/// A parsed or to-be-written `.snap` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapFile {
    pub header: SnapHeader,
    pub contents: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a .snap file: {0}")]
pub struct SnapError(pub String);

/// A YAML scalar: JSON's double-quoted strings are valid YAML.
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn unquote(raw: &str) -> String {
    let raw = raw.trim();
    if raw.starts_with('"') {
        serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.trim_matches('"').to_owned())
    } else if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else {
        raw.to_owned()
    }
}

impl SnapFile {
    /// The file's text. Ends with a newline, as insta writes it.
    pub fn render(&self) -> String {
        let h = &self.header;
        let mut out = String::from("---\n");
        if let Some(s) = &h.source {
            let _ = writeln!(out, "source: {}", quote(s));
        }
        if let Some(l) = h.assertion_line {
            let _ = writeln!(out, "assertion_line: {l}");
        }
        if let Some(d) = &h.description {
            let _ = writeln!(out, "description: {}", quote(d));
        }
        if let Some(e) = &h.expression {
            let _ = writeln!(out, "expression: {}", quote(e));
        }
        if !h.info.is_empty() {
            out.push_str("info:\n");
            for (k, v) in &h.info {
                let _ = writeln!(out, "  {k}: {}", quote(v));
            }
        }
        out.push_str("---\n");
        out.push_str(self.contents.trim_end_matches('\n'));
        out.push('\n');
        out
    }

    /// Reads a `.snap` file: ours, insta's (after `cargo insta review`
    /// rewrote it), or insta's legacy header-less format.
    pub fn parse(text: &str) -> Result<Self, SnapError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.split_inclusive('\n');
        let first = lines
            .next()
            .ok_or_else(|| SnapError("the file is empty".into()))?;
        let mut header = SnapHeader::default();
        let mut consumed = first.len();
        let mut in_info = false;
        let modern = first.trim_end() == "---";
        if !modern {
            consumed = 0;
        }
        let mut closed = false;
        for line in text[consumed..].split_inclusive('\n') {
            consumed += line.len();
            let l = line.trim_end_matches(['\n', '\r']);
            if (modern && l == "---") || (!modern && l.trim().is_empty()) {
                closed = true;
                break;
            }
            if let Some(rest) = l.strip_prefix("  ")
                && in_info
            {
                if let Some((k, v)) = rest.split_once(':')
                    && !k.starts_with(' ')
                {
                    header.info.push((k.trim().to_owned(), unquote(v)));
                }
                continue;
            }
            in_info = false;
            let Some((key, value)) = l.split_once(':') else {
                continue;
            };
            match key.trim() {
                "source" => header.source = Some(unquote(value)),
                "assertion_line" => header.assertion_line = value.trim().parse().ok(),
                "description" => header.description = Some(unquote(value)),
                "expression" => header.expression = Some(unquote(value)),
                "info" => in_info = value.trim().is_empty(),
                _ => {}
            }
        }
        if modern && !closed {
            return Err(SnapError(
                "the header opened by `---` is never closed by another `---`".into(),
            ));
        }
        let contents = text[consumed.min(text.len())..]
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        Ok(Self { header, contents })
    }

    /// The contents as a response document.
    pub fn document(&self) -> Result<Value, SnapError> {
        serde_json::from_str(&self.contents)
            .map_err(|e| SnapError(format!("the contents are not JSON: {e}")))
    }
}

/// The media type of a `content-type` header, lower case, without parameters.
pub fn media_type(content_type: Option<&str>) -> Option<String> {
    content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
}

/// The normalised document of a response: JSON bodies as JSON (keys
/// sorted), anything else as text, an empty body as `null`.
pub fn response_document(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    rules: &Rules,
    secrets: &Redactor,
) -> Value {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => rules.json(&v, secrets),
            Err(_) => Value::String(rules.text(&String::from_utf8_lossy(body), secrets)),
        }
    };
    let mut doc = Map::new();
    doc.insert("status".into(), Value::from(status));
    doc.insert(
        "content_type".into(),
        media_type(content_type).map_or(Value::Null, Value::String),
    );
    doc.insert("body".into(), body);
    Value::Object(doc)
}

/// A document as snapshot contents: pretty JSON, status first.
pub fn contents_of(doc: &Value) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|_| doc.to_string())
}

/// `doc` with every noise path's value replaced by [`crate::core::normalise::NOISE`],
/// so the saved file does not change with the noise. Paths are body paths.
pub fn mask_noise(doc: &mut Value, noise: &[String]) {
    let Some(body) = doc.get_mut("body") else {
        return;
    };
    for p in noise {
        if let Ok(path) = p.parse::<crate::core::jsonpath::JsonPath>()
            && let Some(slot) = path.get_mut(body)
        {
            *slot = Value::String(crate::core::normalise::NOISE.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> SnapFile {
        SnapFile {
            header: SnapHeader {
                source: Some("features/engine/health.feature".into()),
                assertion_line: Some(23),
                description: Some("engine/health: \"v0.1.3.6\" from local".into()),
                expression: Some("GET engine /health".into()),
                info: vec![
                    ("baseline".into(), "engine/health".into()),
                    ("environment".into(), "local".into()),
                ],
            },
            contents: "{\n  \"status\": 200\n}".into(),
        }
    }

    #[test]
    fn renders_and_parses_back() {
        let s = sample();
        let text = s.render();
        assert!(text.starts_with("---\nsource: \"features/engine/health.feature\"\n"));
        assert!(text.ends_with("---\n{\n  \"status\": 200\n}\n"));
        assert_eq!(SnapFile::parse(&text).expect("parses"), s);
    }

    #[test]
    fn reads_insta_written_and_legacy_files() {
        let insta = "---\nsource: features/engine/health.feature\nexpression: 'GET engine /health'\ninfo:\n  baseline: engine/health\nsnapshot_kind: text\n---\n{\"status\": 200}\n";
        let s = SnapFile::parse(insta).expect("insta");
        assert_eq!(s.header.expression.as_deref(), Some("GET engine /health"));
        assert_eq!(
            s.header.info,
            vec![("baseline".into(), "engine/health".into())]
        );
        assert_eq!(s.document().expect("json"), json!({"status": 200}));
        let legacy = "Created: 2019-01-01\nSource: x.feature\n\n{\"status\": 201}\n";
        assert_eq!(
            SnapFile::parse(legacy)
                .expect("legacy")
                .document()
                .expect("json"),
            json!({"status": 201})
        );
        assert!(SnapFile::parse("---\nsource: x\n{}").is_err());
        assert!(SnapFile::parse("").is_err());
    }

    #[test]
    fn response_documents_are_normalised_and_stable() {
        let rules = Rules::builtin();
        let body = br#"{"z": 1, "request_id": "abc", "a": "2026-11-25T20:07:32Z"}"#;
        let doc = response_document(
            200,
            Some("application/json; charset=utf-8"),
            body,
            &rules,
            &Redactor::new(),
        );
        assert_eq!(
            contents_of(&doc),
            "{\n  \"status\": 200,\n  \"content_type\": \"application/json\",\n  \"body\": {\n    \"a\": \"[timestamp]\",\n    \"request_id\": \"[request_id]\",\n    \"z\": 1\n  }\n}"
        );
        let html = response_document(
            200,
            Some("text/html"),
            b"<p>mail harper@example.com</p>",
            &rules,
            &Redactor::new(),
        );
        assert_eq!(html["body"], "<p>mail [email]</p>");
        let empty = response_document(204, None, b"", &rules, &Redactor::new());
        assert_eq!(
            empty,
            json!({"status": 204, "content_type": null, "body": null})
        );

        let mut d = json!({"status": 200, "body": {"seq": 4, "items": [{"n": 1}]}});
        mask_noise(
            &mut d,
            &["$.seq".into(), "$.items[0].n".into(), "$.absent".into()],
        );
        assert_eq!(
            d["body"],
            json!({"seq": "[noise]", "items": [{"n": "[noise]"}]})
        );
    }
}
