//! Scrubbing secrets and personal data out of every text the harness produces.

use std::borrow::Cow;
use std::sync::Arc;

use crate::env::Environment;
use crate::normalise::Rules;

/// Replaces every known secret value with `${NAME}` and, once given rules,
/// personal data (names, emails, phone numbers) with placeholders. Cheap to
/// clone and applied to every message before it leaves a run.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// (value, replacement), longest values first so a secret containing
    /// another is replaced whole.
    secrets: Vec<(String, String)>,
    personal: Option<Arc<Rules>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// The environment's secrets, and the built-in personal-data patterns.
    pub fn for_environment(env: &Environment) -> Self {
        let mut r = Self::new();
        r.personal = Some(Arc::new(Rules::builtin()));
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
    pub fn set_personal(&mut self, rules: Arc<Rules>) {
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

    /// Secrets, then personal data.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = self.scrub_secrets(text);
        if let Some(rules) = &self.personal
            && let Cow::Owned(redacted) = rules.redact_personal(&out)
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

    #[test]
    fn scrubs_personal_data_after_secrets() {
        let mut r = Redactor::for_environment(&Environment::new("t", crate::EnvStatus::Sandbox));
        r.add("tok@example.com", "${TOKEN}");
        assert_eq!(
            r.scrub("tok@example.com, harper.quinn@example.com, +15005550006"),
            "${TOKEN}, [email], [phone]"
        );
        assert!(matches!(r.scrub("status 200"), Cow::Borrowed(_)));
    }
}
