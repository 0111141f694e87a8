//! Editing a feature where a rule says, keeping everything else as
//! written: a JSON doc string is scanned for the spans of its members, and
//! only a key (a rename) or one `"key": value` member (a move into a
//! wrapper) is rewritten; the value's own text, the layout, comments and
//! tags stay byte for byte.

use std::ops::Range;

use super::rules::Move;

/// One object member of a JSON text: its path of keys, the span of its
/// key (quotes included) and of its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub path: Vec<String>,
    pub key: Range<usize>,
    pub value: Range<usize>,
}

struct Scan<'a> {
    s: &'a [u8],
    i: usize,
    out: Vec<Member>,
}

impl Scan<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn string(&mut self) -> Option<Range<usize>> {
        let start = self.i;
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(start..self.i);
                }
                _ => self.i += 1,
            }
        }
        None
    }

    fn value(&mut self, path: &[String]) -> Option<Range<usize>> {
        self.ws();
        let start = self.i;
        match self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        break;
                    }
                    let key = self.string()?;
                    let name: String = serde_json::from_slice(&self.s[key.clone()]).ok()?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return None;
                    }
                    self.i += 1;
                    let mut p = path.to_vec();
                    p.push(name);
                    let value = self.value(&p)?;
                    self.out.push(Member {
                        path: p,
                        key,
                        value,
                    });
                    self.ws();
                    match self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        break;
                    }
                    // Members inside arrays are not addressed by key paths.
                    self.value(&[String::from("[]")])?;
                    self.ws();
                    match self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => {
                self.string()?;
            }
            _ => {
                while self.i < self.s.len() && !b",}] \t\r\n".contains(&self.s[self.i]) {
                    self.i += 1;
                }
            }
        }
        Some(start..self.i)
    }
}

/// Every object member of `text`, or `None` when it is not JSON.
pub fn members(text: &str) -> Option<Vec<Member>> {
    let mut s = Scan {
        s: text.as_bytes(),
        i: 0,
        out: Vec::new(),
    };
    s.value(&[])?;
    s.ws();
    (s.i == text.len()).then_some(s.out)
}

fn quoted(k: &str) -> String {
    serde_json::to_string(k).unwrap_or_else(|_| format!("\"{k}\""))
}

/// `text` with `mv` made: the key renamed, or the member wrapped into the
/// objects `mv.to` names. `None` when the text cannot say it without
/// rewriting more (a wrapper the expectation already has, an array).
pub fn apply(text: &str, mv: &Move) -> Option<String> {
    let all = members(text)?;
    let m = all.iter().find(|m| m.path == mv.from)?;
    let parent = &mv.from[..mv.from.len() - 1];
    if mv.to.len() < parent.len() + 1 || mv.to[..parent.len()] != *parent {
        return None;
    }
    let below = &mv.to[parent.len()..];
    let mut out = String::with_capacity(text.len() + 16);
    if below.len() == 1 {
        out.push_str(&text[..m.key.start]);
        out.push_str(&quoted(&below[0]));
        out.push_str(&text[m.key.end..]);
        return Some(out);
    }
    // A wrapper the expectation already has would need a merge: not here.
    let mut first = parent.to_vec();
    first.push(below[0].clone());
    if all.iter().any(|o| o.path == first) {
        return None;
    }
    let value = &text[m.value.clone()];
    let mut member = format!("{}: {value}", quoted(&below[below.len() - 1]));
    for w in below[..below.len() - 1].iter().rev() {
        member = format!("{}: {{{member}}}", quoted(w));
    }
    out.push_str(&text[..m.key.start]);
    out.push_str(&member);
    out.push_str(&text[m.value.end..]);
    Some(out)
}

/// `text` with the value of the member at `path` replaced by `value`
/// (JSON text), everything else as written.
pub fn replace_value(text: &str, path: &[String], value: &str) -> Option<String> {
    let m = members(text)?.into_iter().find(|m| m.path == path)?;
    Some(format!(
        "{}{value}{}",
        &text[..m.value.start],
        &text[m.value.end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(from: &[&str], to: &[&str]) -> Move {
        Move {
            from: from.iter().map(|s| (*s).to_owned()).collect(),
            to: to.iter().map(|s| (*s).to_owned()).collect(),
            rule: "test",
        }
    }

    #[test]
    fn a_value_is_replaced_in_place() {
        let text = "{\"id\":   \"1b4e\", \"n\": 1}";
        assert_eq!(
            replace_value(text, &["id".to_owned()], "\"#uuid\"").expect("replaced"),
            "{\"id\":   \"#uuid\", \"n\": 1}"
        );
    }

    #[test]
    fn a_rename_touches_the_key_only_and_a_wrap_the_member_only() {
        let text = "{\n  \"status\": \"ok\",\n  \"version\": \"{{expected.v}}\",  # not JSON\n}";
        assert!(members(text).is_none(), "not JSON: left alone");
        let text = "{\n  \"status\": \"ok\",\n  \"version\":   \"{{expected.v}}\",\n  \"up\": \"#number\"\n}";
        assert_eq!(
            apply(text, &mv(&["up"], &["uptime"])).expect("renamed"),
            "{\n  \"status\": \"ok\",\n  \"version\":   \"{{expected.v}}\",\n  \"uptime\": \"#number\"\n}"
        );
        assert_eq!(
            apply(text, &mv(&["version"], &["build", "version"])).expect("wrapped"),
            "{\n  \"status\": \"ok\",\n  \"build\": {\"version\": \"{{expected.v}}\"},\n  \"up\": \"#number\"\n}"
        );
        assert_eq!(
            apply("{\"a\": 1, \"w\": {}}", &mv(&["a"], &["w", "a"])),
            None,
            "w exists"
        );
        let nested = "{\"ledger\": {\"mode\": \"dual\"}, \"x\": [{\"mode\": 1}]}";
        assert_eq!(
            apply(nested, &mv(&["ledger", "mode"], &["ledger", "kind"])).expect("nested"),
            "{\"ledger\": {\"kind\": \"dual\"}, \"x\": [{\"mode\": 1}]}"
        );
    }
}
