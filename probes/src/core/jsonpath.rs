//! A small JSONPath subset: `$`, `.key`, `['key']`, `["key"]`, `[N]` and
//! `[-N]` (from the end). Enough to name one value; no wildcards or filters,
//! so a path always names at most one value and failures can say which.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(i64),
}

/// A parsed path. `Display` gives back the canonical form (`$.a['b c'][0]`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct JsonPath {
    pub segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON path `{path}` at character {at}: {reason}")]
pub struct PathError {
    pub path: String,
    pub at: usize,
    pub reason: &'static str,
}

impl JsonPath {
    pub fn root() -> Self {
        Self::default()
    }

    /// The value this path names, if present.
    pub fn get<'a>(&self, mut value: &'a Value) -> Option<&'a Value> {
        for seg in &self.segments {
            value = match (seg, value) {
                (Segment::Key(k), Value::Object(map)) => map.get(k)?,
                (Segment::Index(i), Value::Array(items)) => {
                    let idx = resolve_index(*i, items.len())?;
                    items.get(idx)?
                }
                _ => return None,
            };
        }
        Some(value)
    }

    /// A mutable reference to the value this path names, if present.
    pub fn get_mut<'a>(&self, mut value: &'a mut Value) -> Option<&'a mut Value> {
        for seg in &self.segments {
            value = match (seg, value) {
                (Segment::Key(k), Value::Object(map)) => map.get_mut(k)?,
                (Segment::Index(i), Value::Array(items)) => {
                    let idx = resolve_index(*i, items.len())?;
                    items.get_mut(idx)?
                }
                _ => return None,
            };
        }
        Some(value)
    }

    pub fn child_key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.segments.push(Segment::Key(key.to_owned()));
        p
    }

    pub fn child_index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.segments
            .push(Segment::Index(i64::try_from(index).unwrap_or(i64::MAX)));
        p
    }
}

fn resolve_index(i: i64, len: usize) -> Option<usize> {
    if i >= 0 {
        usize::try_from(i).ok()
    } else {
        len.checked_sub(usize::try_from(i.unsigned_abs()).ok()?)
    }
}

/// Appends `.key` or `['key']` to a path string; used when walking documents
/// without building a [`JsonPath`].
pub fn push_key(path: &mut String, key: &str) {
    if is_identifier(key) {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("['");
        for c in key.chars() {
            if c == '\'' || c == '\\' {
                path.push('\\');
            }
            path.push(c);
        }
        path.push_str("']");
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::from("$");
        for seg in &self.segments {
            match seg {
                Segment::Key(k) => push_key(&mut s, k),
                Segment::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
            }
        }
        f.write_str(&s)
    }
}

impl FromStr for JsonPath {
    type Err = PathError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |at: usize, reason| PathError {
            path: text.to_owned(),
            at,
            reason,
        };
        let bytes: Vec<char> = text.chars().collect();
        let mut segments = Vec::new();
        let mut i;
        if bytes.first() == Some(&'$') {
            i = 1;
        } else if !bytes.is_empty() {
            // Tolerate `a.b` as `$.a.b`: people write both.
            let end = bytes
                .iter()
                .position(|c| *c == '.' || *c == '[')
                .unwrap_or(bytes.len());
            if end == 0 {
                return Err(err(0, "expected `$` or a key"));
            }
            segments.push(Segment::Key(bytes[..end].iter().collect()));
            i = end;
        } else {
            return Err(err(0, "empty path"));
        }
        while i < bytes.len() {
            match bytes[i] {
                '.' => {
                    let start = i + 1;
                    let mut end = start;
                    while end < bytes.len() && bytes[end] != '.' && bytes[end] != '[' {
                        end += 1;
                    }
                    if end == start {
                        return Err(err(start, "expected a key after `.`"));
                    }
                    segments.push(Segment::Key(bytes[start..end].iter().collect()));
                    i = end;
                }
                '[' => {
                    let start = i + 1;
                    match bytes.get(start) {
                        Some(q @ ('\'' | '"')) => {
                            let q = *q;
                            let mut key = String::new();
                            let mut j = start + 1;
                            loop {
                                match bytes.get(j) {
                                    None => return Err(err(j, "unterminated quoted key")),
                                    Some('\\') => {
                                        let Some(c) = bytes.get(j + 1) else {
                                            return Err(err(j, "dangling escape"));
                                        };
                                        key.push(*c);
                                        j += 2;
                                    }
                                    Some(c) if *c == q => break,
                                    Some(c) => {
                                        key.push(*c);
                                        j += 1;
                                    }
                                }
                            }
                            if bytes.get(j + 1) != Some(&']') {
                                return Err(err(j + 1, "expected `]` after quoted key"));
                            }
                            segments.push(Segment::Key(key));
                            i = j + 2;
                        }
                        _ => {
                            let mut j = start;
                            while j < bytes.len() && bytes[j] != ']' {
                                j += 1;
                            }
                            if j >= bytes.len() {
                                return Err(err(start, "unterminated `[`"));
                            }
                            let num: String = bytes[start..j].iter().collect();
                            let idx = num.trim().parse::<i64>().map_err(|_| {
                                err(start, "expected an array index or a quoted key")
                            })?;
                            segments.push(Segment::Index(idx));
                            i = j + 1;
                        }
                    }
                }
                _ => return Err(err(i, "expected `.` or `[`")),
            }
        }
        Ok(Self { segments })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_displays() {
        for (input, canon) in [
            ("$", "$"),
            ("$.a.b[0]", "$.a.b[0]"),
            ("a.b", "$.a.b"),
            ("$['x y'].z", "$['x y'].z"),
            ("$[\"k\"][-1]", "$.k[-1]"),
        ] {
            let p: JsonPath = input.parse().expect(input);
            assert_eq!(p.to_string(), canon, "{input}");
        }
    }

    #[test]
    fn rejects_bad_paths() {
        for bad in ["", "$.", "$[", "$['a", "$[x]", "$a", ".a"] {
            assert!(
                bad.parse::<JsonPath>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn gets_values() {
        let v = json!({"a": {"b": [1, 2, 3]}, "x y": true});
        let get = |p: &str| p.parse::<JsonPath>().expect(p).get(&v).cloned();
        assert_eq!(get("$.a.b[1]"), Some(json!(2)));
        assert_eq!(get("$.a.b[-1]"), Some(json!(3)));
        assert_eq!(get("$['x y']"), Some(json!(true)));
        assert_eq!(get("$.a.c"), None);
        assert_eq!(get("$.a.b[9]"), None);
        assert_eq!(get("$.a.b[-9]"), None);
    }
}
