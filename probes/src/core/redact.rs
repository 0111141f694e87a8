//! Scrubbing secrets and personal data out of every text the harness produces.

use std::borrow::Cow;
use std::fmt::Debug;
use std::sync::Arc;

use serde_json::Value;

use crate::core::env::Environment;

/// The personal-data pass of a [`Redactor`], run after secrets: the
/// normalise rules (built in, or a rules file's) implement it.
pub trait PersonalData: Debug + Send + Sync {
    /// Personal data inside a text (emails, phone numbers, names).
    fn redact_text<'a>(&self, text: &'a str) -> Cow<'a, str>;
    /// `value`, found under `key` at `path` of a document, with secrets
    /// (by `secrets`) and personal data redacted, nothing else changed.
    fn redact_value(&self, value: &Value, key: &str, path: &str, secrets: &Redactor) -> Value;
}

/// Replaces every known secret value with `${NAME}` and, once given rules,
/// personal data (names, emails, phone numbers) with placeholders. Cheap to
/// clone and applied to every message before it leaves a run.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// (value, replacement), longest values first so a secret containing
    /// another is replaced whole.
    secrets: Vec<(String, String)>,
    personal: Option<Arc<dyn PersonalData>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// The environment's secrets, and `personal` (the built-in
    /// personal-data rules, as the run context hands them over).
    pub fn for_environment(env: &Environment, personal: Arc<dyn PersonalData>) -> Self {
        let mut r = Self::new();
        r.personal = Some(personal);
        for s in env.secrets.values() {
            r.add(&s.value, &format!("${{{}}}", s.name));
        }
        for (name, db) in &env.databases {
            if let Some(dsn) = &db.dsn {
                r.add(dsn, &format!("<dsn of {name}>"));
                // The password alone, should a message quote it without the rest.
                if let Ok(u) = url::Url::parse(dsn)
                    && let Some(p) = u.password()
                    && p.len() >= 4
                {
                    r.add(p, "<redacted>");
                }
                for part in dsn.split_whitespace() {
                    if let Some(p) = part.strip_prefix("password=")
                        && p.len() >= 4
                    {
                        r.add(p, "<redacted>");
                    }
                }
            }
        }
        r
    }

    /// Registers a secret value. Empty values are ignored: they cannot be
    /// told apart from the absence of text.
    pub fn add(&mut self, value: &str, replacement: &str) {
        if value.is_empty() || self.secrets.iter().any(|(v, _)| v == value) {
            return;
        }
        self.secrets
            .push((value.to_owned(), replacement.to_owned()));
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
    }

    /// Redact personal data with these rules (the names of the rules file
    /// included), after secrets.
    pub fn set_personal(&mut self, rules: Arc<impl PersonalData + 'static>) {
        self.personal = Some(rules);
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Secrets only: cheap (substring search), for texts that stay inside
    /// the run until [`Self::scrub`] gives them their final form.
    pub fn scrub_secrets<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (value, replacement) in &self.secrets {
            if out.contains(value.as_str()) {
                out = Cow::Owned(out.replace(value.as_str(), replacement));
            }
        }
        out
    }

    /// `value`, found under `key` at `path` of a response, as a message may
    /// quote it: secrets and personal data (by pattern, and by key: a
    /// `guest_name` is a name whatever it says) redacted.
    pub fn value(&self, value: &Value, key: &str, path: &str) -> Value {
        match &self.personal {
            Some(rules) => rules.redact_value(value, key, path, self),
            None => self.secrets_in(value),
        }
    }

    fn secrets_in(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.scrub_secrets(s).into_owned()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.secrets_in(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.scrub_secrets(k).into_owned(), self.secrets_in(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The start of `text`, at most `max_chars`, for a message: scrubbed
    /// first, then cut, so nothing is quoted half (a secret or an email cut
    /// short is no longer recognisable).
    pub fn preview(&self, text: &str, max_chars: usize) -> String {
        // Enough beyond the cut that whatever crosses it is seen whole.
        let longest = self.secrets.first().map_or(0, |(v, _)| v.chars().count());
        let mut chars = text.chars();
        let window: String = chars.by_ref().take(max_chars + longest.max(256)).collect();
        let more = chars.next().is_some();
        let scrubbed = self.scrub(&window);
        let mut s: String = scrubbed.chars().take(max_chars).collect();
        if more || scrubbed.chars().count() > max_chars {
            s.push('…');
        }
        s
    }

    /// Secrets, then personal data.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = self.scrub_secrets(text);
        if let Some(rules) = &self.personal
            && let Cow::Owned(redacted) = rules.redact_text(&out)
        {
            out = Cow::Owned(redacted);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_longest_first() {
        let mut r = Redactor::new();
        r.add("abc", "${SHORT}");
        r.add("abcdef", "${LONG}");
        r.add("", "${EMPTY}");
        assert_eq!(r.scrub("x abcdef y abc"), "x ${LONG} y ${SHORT}");
        assert!(matches!(r.scrub("clean"), Cow::Borrowed(_)));
    }
}
