//! Normalisation and redaction of responses before a baseline saves or
//! compares them (as insta's `normalize` does): volatile values become
//! placeholders, personal data and secrets are redacted. Pure functions over
//! `serde_json::Value` and `&str`; the rules come from a file
//! (`snapshots/normalise.toml`), read by the binary.
//!
//! Order, for every value: secrets first (whatever else applies), then
//! ignored paths (removed), personal keys and paths, volatile keys and paths,
//! then patterns inside every string (emails, phone numbers, names,
//! timestamps, UUIDs). `keep_paths` exempts a value from the volatile rules
//! only: personal data and secrets are redacted everywhere, always.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::core::jsonpath::{JsonPath, push_key};
use crate::core::redact::{PersonalData, Redactor};

pub const TIMESTAMP: &str = "[timestamp]";
pub const UUID: &str = "[uuid]";
pub const REQUEST_ID: &str = "[request_id]";
pub const VOLATILE: &str = "[volatile]";
pub const EMAIL: &str = "[email]";
pub const PHONE: &str = "[phone]";
pub const NAME: &str = "[name]";
pub const PERSONAL: &str = "[personal]";
/// What a noisy path (one that differed between two samples) holds in a saved baseline.
pub const NOISE: &str = "[noise]";

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("built-in pattern {pattern}: {e}"))
}

static EMAIL_RE: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"));
/// E.164 (`+15005550006`, `+44 20 7946 0958`) and North American
/// `(500) 555-0006` / `500-555-0006`. ASCII digits and ASCII word
/// boundaries (`(?-u:\b)`): the Unicode forms made this one pattern cost
/// 1.4 ms to compile, a fifth of a run's start-up. An ASCII boundary is found
/// wherever a Unicode one is, so nothing is redacted less.
static PHONE_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\+[1-9](?:[ .\-]?[0-9]){7,14}(?-u:\b)",
        r"|\([0-9]{3}\)\s?[0-9]{3}[\s.\-][0-9]{4}(?-u:\b)",
        r"|(?-u:\b)[0-9]{3}[.\-][0-9]{3}[.\-][0-9]{4}(?-u:\b)",
    ))
});
static TIMESTAMP_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?-u:\b)[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}",
        r"(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+\-][0-9]{2}:?[0-9]{2})?",
    ))
});
static UUID_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?-u:\b)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?-u:\b)",
    )
});

/// Keys whose values are a request's identity: they differ on every request.
const REQUEST_ID_KEYS: &[&str] = &[
    "request_id",
    "requestid",
    "x_request_id",
    "x-request-id",
    "trace_id",
    "traceid",
    "span_id",
    "correlation_id",
    "nonce",
];
/// Keys whose values change with time or load.
const VOLATILE_KEYS: &[&str] = &[
    "uptime",
    "uptime_s",
    "uptime_seconds",
    "uptime_ms",
    "elapsed_ms",
    "duration_ms",
    "took_ms",
    "latency_ms",
];
/// Keys whose values name a person.
const NAME_KEYS: &[&str] = &[
    "guest_name",
    "guest_full_name",
    "first_name",
    "last_name",
    "full_name",
    "given_name",
    "family_name",
    "customer_name",
    "contact_name",
    "billing_name",
    "cardholder_name",
];
/// Keys whose values are other personal data.
const PERSONAL_KEYS: &[&str] = &["address", "street", "date_of_birth", "dob", "passport"];

/// One set of rules as written in the rules file (`[default]` or
/// `[baseline."area/name"]`). Every list adds to the built-in defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleSet {
    /// People's names, redacted wherever they appear (any case).
    pub personal_names: Vec<String>,
    /// Keys (anywhere in a document) whose values are personal data.
    pub personal_keys: Vec<String>,
    /// Paths whose values are personal data.
    pub personal_paths: Vec<String>,
    /// Keys whose values change between requests.
    pub volatile_keys: Vec<String>,
    /// Paths whose values change between requests.
    pub volatile_paths: Vec<String>,
    /// Paths removed before saving and comparing.
    pub ignore_paths: Vec<String>,
    /// Paths exempt from the volatile rules and patterns (a UUID that is a
    /// stable identity, say). Never exempt from redaction.
    pub keep_paths: Vec<String>,
}

/// The rules file: `[default]` for every baseline, `[baseline."area/name"]` for one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesFile {
    pub default: RuleSet,
    pub baseline: BTreeMap<String, RuleSet>,
}

/// A rule that cannot be used: which list, which entry, why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{list}: {message}")]
pub struct RuleError {
    pub list: String,
    pub message: String,
}

impl RulesFile {
    /// Every path is well formed, every name non-empty.
    pub fn validate(&self) -> Result<(), RuleError> {
        Rules::compile(&[&self.default])?;
        for (name, set) in &self.baseline {
            Rules::compile(&[&self.default, set]).map_err(|e| RuleError {
                list: format!("baseline.\"{name}\".{}", e.list),
                message: e.message,
            })?;
        }
        Ok(())
    }

    /// The compiled rules for one baseline: built-ins, `[default]`, then its own.
    pub fn rules_for(&self, baseline: &str) -> Result<Rules, RuleError> {
        match self.baseline.get(baseline) {
            Some(own) => Rules::compile(&[&self.default, own]),
            None => Rules::compile(&[&self.default]),
        }
    }
}

/// Compiled rules: the built-in defaults plus the rule sets given.
#[derive(Clone, Debug)]
pub struct Rules {
    names: Option<Regex>,
    personal_keys: BTreeSet<String>,
    personal_paths: BTreeSet<String>,
    volatile_keys: BTreeSet<String>,
    volatile_paths: BTreeSet<String>,
    ignore_paths: BTreeSet<String>,
    keep_paths: BTreeSet<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Self::builtin()
    }
}

fn canonical_paths(list: &str, paths: &[String]) -> Result<BTreeSet<String>, RuleError> {
    paths
        .iter()
        .map(|p| {
            p.parse::<JsonPath>()
                .map(|p| p.to_string())
                .map_err(|e| RuleError {
                    list: list.to_owned(),
                    message: e.to_string(),
                })
        })
        .collect()
}

impl Rules {
    /// The built-in defaults alone.
    pub fn builtin() -> Self {
        Self::compile(&[]).unwrap_or_else(|e| unreachable!("built-in rules: {e}"))
    }

    /// Built-ins plus `sets`, in order.
    pub fn compile(sets: &[&RuleSet]) -> Result<Self, RuleError> {
        let mut names: Vec<String> = Vec::new();
        let mut rules = Self {
            names: None,
            personal_keys: PERSONAL_KEYS
                .iter()
                .chain(NAME_KEYS)
                .map(|k| (*k).to_owned())
                .collect(),
            personal_paths: BTreeSet::new(),
            volatile_keys: VOLATILE_KEYS
                .iter()
                .chain(REQUEST_ID_KEYS)
                .map(|k| (*k).to_owned())
                .collect(),
            volatile_paths: BTreeSet::new(),
            ignore_paths: BTreeSet::new(),
            keep_paths: BTreeSet::new(),
        };
        for set in sets {
            for n in &set.personal_names {
                let words: Vec<&str> = n.split_whitespace().collect();
                if words.is_empty() {
                    return Err(RuleError {
                        list: "personal_names".into(),
                        message: "an empty name".into(),
                    });
                }
                names.push(
                    words
                        .iter()
                        .map(|w| regex::escape(w))
                        .collect::<Vec<_>>()
                        .join(r"\s+"),
                );
            }
            rules
                .personal_keys
                .extend(set.personal_keys.iter().map(|k| k.to_lowercase()));
            rules
                .volatile_keys
                .extend(set.volatile_keys.iter().map(|k| k.to_lowercase()));
            rules
                .personal_paths
                .extend(canonical_paths("personal_paths", &set.personal_paths)?);
            rules
                .volatile_paths
                .extend(canonical_paths("volatile_paths", &set.volatile_paths)?);
            rules
                .ignore_paths
                .extend(canonical_paths("ignore_paths", &set.ignore_paths)?);
            rules
                .keep_paths
                .extend(canonical_paths("keep_paths", &set.keep_paths)?);
        }
        if !names.is_empty() {
            // Longest first, so "Harper Quinn" wins over "Harper".
            names.sort_by_key(|n| std::cmp::Reverse(n.len()));
            names.dedup();
            let pattern = format!(r"(?i)\b(?:{})\b", names.join("|"));
            rules.names = Some(Regex::new(&pattern).map_err(|e| RuleError {
                list: "personal_names".into(),
                message: e.to_string(),
            })?);
        }
        Ok(rules)
    }

    fn personal_placeholder(&self, key: &str, path: &str) -> Option<&'static str> {
        let k = key.to_lowercase();
        if k.contains("email") {
            Some(EMAIL)
        } else if k.contains("phone") || k.contains("mobile") {
            Some(PHONE)
        } else if NAME_KEYS.contains(&k.as_str()) {
            Some(NAME)
        } else if self.personal_keys.contains(&k) || self.personal_paths.contains(path) {
            Some(PERSONAL)
        } else {
            None
        }
    }

    fn volatile_placeholder(&self, key: &str, path: &str, value: &Value) -> Option<&'static str> {
        let k = key.to_lowercase();
        if REQUEST_ID_KEYS.contains(&k.as_str()) {
            return Some(REQUEST_ID);
        }
        if self.volatile_keys.contains(&k) || self.volatile_paths.contains(path) {
            return Some(VOLATILE);
        }
        // Epoch numbers under time-like keys (`created_at: 1764100000`).
        let timey = k.ends_with("_at") || matches!(k.as_str(), "time" | "timestamp" | "ts" | "now");
        (timey && value.is_number()).then_some(TIMESTAMP)
    }

    /// Personal data inside a text: emails, phone numbers, then names.
    /// Names go last: a name inside an email (`quinn` in
    /// `harper.quinn@example.com`) would otherwise break the address apart
    /// before the email pattern sees it, and leave the rest of it behind.
    pub fn redact_personal<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (re, placeholder) in [(&*EMAIL_RE, EMAIL), (&*PHONE_RE, PHONE)] {
            if re.is_match(&out) {
                out = Cow::Owned(re.replace_all(&out, placeholder).into_owned());
            }
        }
        if let Some(names) = &self.names
            && names.is_match(&out)
        {
            out = Cow::Owned(names.replace_all(&out, NAME).into_owned());
        }
        out
    }

    /// Volatile values inside a text: timestamps and UUIDs.
    pub fn mask_volatile<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (re, placeholder) in [(&*TIMESTAMP_RE, TIMESTAMP), (&*UUID_RE, UUID)] {
            if re.is_match(&out) {
                out = Cow::Owned(re.replace_all(&out, placeholder).into_owned());
            }
        }
        out
    }

    /// A text body (or any string): secrets, personal data, volatile values.
    pub fn text(&self, text: &str, secrets: &Redactor) -> String {
        let s = secrets.scrub(text);
        let s = self.redact_personal(&s).into_owned();
        self.mask_volatile(&s).into_owned()
    }

    /// A JSON document, normalised. Object keys come out sorted so two
    /// captures of the same content are the same bytes whatever order the
    /// server wrote them in.
    pub fn json(&self, value: &Value, secrets: &Redactor) -> Value {
        let mut path = String::from("$");
        self.walk(value, "", &mut path, Walk::Normalise, secrets)
    }

    /// Secrets and personal data redacted, nothing else changed (no
    /// volatile placeholders, nothing ignored, keys in their order): what a
    /// message may quote of `value`, found under `key` at `path`.
    pub fn redact_at(&self, value: &Value, key: &str, path: &str, secrets: &Redactor) -> Value {
        let mut path = path.to_owned();
        self.walk(value, key, &mut path, Walk::RedactOnly, secrets)
    }

    fn scalar_string(&self, s: &str, keep: bool, secrets: &Redactor) -> String {
        let s = secrets.scrub(s);
        let s = self.redact_personal(&s);
        if keep {
            s.into_owned()
        } else {
            self.mask_volatile(&s).into_owned()
        }
    }

    fn walk(
        &self,
        value: &Value,
        key: &str,
        path: &mut String,
        how: Walk,
        secrets: &Redactor,
    ) -> Value {
        let how = if how == Walk::Normalise && self.keep_paths.contains(path.as_str()) {
            Walk::Keep
        } else {
            how
        };
        let keep = how != Walk::Normalise;
        let scalar = !matches!(value, Value::Object(_) | Value::Array(_) | Value::Null);
        if scalar {
            if let Some(p) = self.personal_placeholder(key, path) {
                return Value::String(p.to_owned());
            }
            if !keep && let Some(p) = self.volatile_placeholder(key, path, value) {
                return Value::String(p.to_owned());
            }
        }
        match value {
            Value::String(s) => Value::String(self.scalar_string(s, keep, secrets)),
            Value::Array(items) => {
                let len = path.len();
                let out = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let _ = write!(path, "[{i}]");
                        let v = self.walk(v, key, path, how, secrets);
                        path.truncate(len);
                        v
                    })
                    .collect();
                Value::Array(out)
            }
            Value::Object(map) => {
                let len = path.len();
                let mut entries: Vec<(String, Value)> = Vec::with_capacity(map.len());
                for (k, v) in map {
                    push_key(path, k);
                    if how == Walk::RedactOnly || !self.ignore_paths.contains(path.as_str()) {
                        let nk = self.scalar_string(k, true, secrets);
                        entries.push((nk, self.walk(v, k, path, how, secrets)));
                    }
                    path.truncate(len);
                }
                if how != Walk::RedactOnly {
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                }
                Value::Object(entries.into_iter().collect::<Map<String, Value>>())
            }
            // A secret may be all digits (a PIN, an account number): a number
            // that spells one becomes a string, normalised as any other.
            Value::Number(n) => {
                let text = n.to_string();
                if matches!(secrets.scrub_secrets(&text), Cow::Owned(_)) {
                    Value::String(self.scalar_string(&text, keep, secrets))
                } else {
                    value.clone()
                }
            }
            other => other.clone(),
        }
    }
}

impl PersonalData for Rules {
    fn redact_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redact_personal(text)
    }

    fn redact_value(&self, value: &Value, key: &str, path: &str, secrets: &Redactor) -> Value {
        self.redact_at(value, key, path, secrets)
    }
}

/// How [`Rules::walk`] treats a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Walk {
    /// Everything: redaction, volatile values, ignored paths, sorted keys.
    Normalise,
    /// As `Normalise`, but under a `keep_paths` path: no volatile rules.
    Keep,
    /// Secrets and personal data only.
    RedactOnly,
}

/// Sorts every object's keys (serde_json keeps insertion order here).
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), canonical(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::core::env::Environment;
    use serde_json::json;

    fn rules_with_names() -> Rules {
        Rules::compile(&[&RuleSet {
            personal_names: vec!["Harper Quinn".into()],
            ..RuleSet::default()
        }])
        .expect("rules")
    }

    #[test]
    fn volatile_values_become_placeholders() {
        let body = json!({
            "status": "ok",
            "time": "2026-11-25T20:07:32.123Z",
            "request_id": "not-a-uuid-at-all",
            "trace": "started 2026-11-25 20:07:32+01:00 as 0e0b4f7c-51f4-4c7e-9a4e-3f1d2c3b4a5f",
            "uptime_seconds": 4711,
            "created_at": 1764100000,
            "check_in": "2026-12-04",
            "nights": 3,
        });
        let n = Rules::builtin().json(&body, &Redactor::new());
        assert_eq!(
            n,
            json!({
                "check_in": "2026-12-04",
                "created_at": TIMESTAMP,
                "nights": 3,
                "request_id": REQUEST_ID,
                "status": "ok",
                "time": TIMESTAMP,
                "trace": format!("started {TIMESTAMP} as {UUID}"),
                "uptime_seconds": VOLATILE,
            })
        );
        // Keys come out sorted, whatever order they went in.
        let keys: Vec<&String> = n.as_object().expect("object").keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn personal_data_and_secrets_are_redacted_everywhere() {
        let mut secrets = Redactor::new();
        secrets.add("s3cr3t-t0ken", "${LUCIA_OPERATOR_TOKEN}");
        let body = json!({
            "focus_reservation": {
                "guest_name": "Harper Quinn",
                "guest_email": "harper.quinn@example.com",
                "guest_phone": "+15005550006",
                "reservation_id": 29110012,
            },
            "note": "call HARPER   quinn on +44 20 7946 0958 or (500) 555-0006, mail harper.q@guest.example",
            "echo": "token=s3cr3t-t0ken",
            "harper.quinn@example.com": true,
            "mobile_number": 15005550006_u64,
        });
        let n = rules_with_names().json(&body, &secrets);
        assert_eq!(
            n,
            json!({
                "[email]": true,
                "echo": "token=${LUCIA_OPERATOR_TOKEN}",
                "focus_reservation": {
                    "guest_email": EMAIL,
                    "guest_name": NAME,
                    "guest_phone": PHONE,
                    "reservation_id": 29110012,
                },
                "mobile_number": PHONE,
                "note": "call [name] on [phone] or [phone], mail [email]",
            })
        );
        let text = n.to_string();
        for leak in ["Harper", "harper", "5550006", "7946", "s3cr3t"] {
            assert!(!text.contains(leak), "{leak} leaked: {text}");
        }
    }

    /// Found by fuzzing (fuzz target `normalise`): a secret of digits
    /// survived in a JSON number, which only strings were scrubbed of.
    #[test]
    fn numeric_secrets_are_redacted_in_numbers_too() {
        let mut secrets = Redactor::new();
        secrets.add("1764100000", "${ACCOUNT_PIN}");
        let kept = Rules::compile(&[&RuleSet {
            keep_paths: vec!["$.kept".into()],
            ..RuleSet::default()
        }])
        .expect("rules");
        let n = kept.json(
            &json!({"pin": 1764100000, "kept": 1764100000, "longer": 917641000001_u64, "other": 42}),
            &secrets,
        );
        assert_eq!(
            n,
            json!({
                "kept": "${ACCOUNT_PIN}",
                "longer": "9${ACCOUNT_PIN}1",
                "other": 42,
                "pin": "${ACCOUNT_PIN}",
            })
        );
        // Exactly as the number's text would be, personal data included (the
        // fuzzer's second finding: the first fix scrubbed secrets only).
        let mut odd = Redactor::new();
        odd.add("4711", "${PIN} of harper.quinn@example.com");
        let r = Rules::builtin();
        let as_number = r.json(&json!({"n": 4711}), &odd);
        assert_eq!(as_number, r.json(&json!({"n": "4711"}), &odd));
        assert_eq!(as_number["n"], "${PIN} of [email]");
    }

    #[test]
    fn file_rules_ignore_keep_and_mark_paths() {
        let file = RulesFile {
            default: RuleSet {
                volatile_keys: vec!["Counter".into()],
                ..RuleSet::default()
            },
            baseline: BTreeMap::from([(
                "engine/health".to_owned(),
                RuleSet {
                    ignore_paths: vec!["$.debug".into()],
                    keep_paths: vec!["$.property_id".into()],
                    volatile_paths: vec!["$.queues[0].depth".into()],
                    personal_paths: vec!["$.room".into()],
                    ..RuleSet::default()
                },
            )]),
        };
        file.validate().expect("valid");
        let body = json!({
            "debug": {"anything": 1},
            "property_id": "0e0b4f7c-51f4-4c7e-9a4e-3f1d2c3b4a5f",
            "other_id": "0e0b4f7c-51f4-4c7e-9a4e-3f1d2c3b4a5f",
            "queues": [{"depth": 3}, {"depth": 4}],
            "counter": 17,
            "room": "12B",
        });
        let n = file
            .rules_for("engine/health")
            .expect("rules")
            .json(&body, &Redactor::new());
        assert_eq!(
            n,
            json!({
                "counter": VOLATILE,
                "other_id": UUID,
                "property_id": "0e0b4f7c-51f4-4c7e-9a4e-3f1d2c3b4a5f",
                "queues": [{"depth": VOLATILE}, {"depth": 4}],
                "room": PERSONAL,
            })
        );
        // Another baseline gets [default] only.
        let other = file
            .rules_for("admin/version")
            .expect("rules")
            .json(&body, &Redactor::new());
        assert_eq!(other["debug"], json!({"anything": 1}));

        let bad = RulesFile {
            baseline: BTreeMap::from([(
                "x/y".to_owned(),
                RuleSet {
                    ignore_paths: vec!["$[".into()],
                    ..RuleSet::default()
                },
            )]),
            ..RulesFile::default()
        };
        let e = bad.validate().expect_err("bad path");
        assert!(e.list.starts_with("baseline.\"x/y\".ignore_paths"), "{e}");
    }

    #[test]
    fn text_bodies_are_normalised_and_keep_never_unredacts() {
        let rules = rules_with_names();
        let html = "<p>Hi Harper Quinn (harper.quinn@example.com), built 2026-11-25T20:07:32Z</p>";
        assert_eq!(
            rules.text(html, &Redactor::new()),
            "<p>Hi [name] ([email]), built [timestamp]</p>"
        );
        let kept = Rules::compile(&[&RuleSet {
            keep_paths: vec!["$.contact".into()],
            ..RuleSet::default()
        }])
        .expect("rules");
        let n = kept.json(
            &json!({"contact": "harper.quinn@example.com at 2026-11-25T20:07:32Z"}),
            &Redactor::new(),
        );
        assert_eq!(n["contact"], "[email] at 2026-11-25T20:07:32Z");
    }

    /// Found reviewing the fuzz target `normalise`: with names redacted
    /// first, a listed name inside an email split the address, so the email
    /// pattern no longer matched and the rest of it (`harper.`) survived.
    #[test]
    fn a_name_inside_an_email_does_not_save_the_rest_of_it() {
        let rules = Rules::compile(&[&RuleSet {
            personal_names: vec!["quinn".into(), "Example".into()],
            ..RuleSet::default()
        }])
        .expect("rules");
        assert_eq!(
            rules.redact_personal("mail harper.quinn@example.com or Quinn"),
            "mail [email] or [name]"
        );
    }

    #[test]
    fn phone_pattern_leaves_ordinary_numbers_alone() {
        let r = Rules::builtin();
        for fine in [
            "status 200, actual 500",
            "reservation 29110012",
            "2026-12-04",
            "took 1234 ms",
            "v0.1.3.6",
            "5f3c2a1d9e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c",
        ] {
            assert_eq!(r.redact_personal(fine), fine);
        }
    }

    // The Redactor with the built-in rules, as every run makes it.
    #[test]
    fn values_and_previews_are_redacted_before_they_are_cut() {
        let mut r = Redactor::for_environment(
            &Environment::new("t", crate::EnvStatus::Sandbox),
            Arc::new(Rules::builtin()),
        );
        r.add("tok-123456", "${TOKEN}");
        let doc = serde_json::json!({"guest_name": "Marisol V", "note": "tok-123456 for m@x.example", "n": 1});
        assert_eq!(
            r.value(&doc, "", "$"),
            serde_json::json!({"guest_name": "[name]", "note": "${TOKEN} for [email]", "n": 1})
        );
        // Under a personal key, a scalar selected on its own.
        assert_eq!(
            r.value(
                &serde_json::json!("Marisol V"),
                "guest_name",
                "$.guest_name"
            ),
            "[name]"
        );
        // Cut in the middle of the secret or the email: neither is quoted half.
        let pad = "x".repeat(18);
        assert_eq!(
            r.preview(&format!("{pad} tok-123456 and more"), 22),
            format!("{pad} ${{T…")
        );
        assert_eq!(
            r.preview(&format!("{pad} m@x.example"), 24),
            format!("{pad} [emai…")
        );
        assert_eq!(r.preview("short", 24), "short");
    }

    #[test]
    fn scrubs_personal_data_after_secrets() {
        let mut r = Redactor::for_environment(
            &Environment::new("t", crate::EnvStatus::Sandbox),
            Arc::new(Rules::builtin()),
        );
        r.add("tok@example.com", "${TOKEN}");
        assert_eq!(
            r.scrub("tok@example.com, harper.quinn@example.com, +15005550006"),
            "${TOKEN}, [email], [phone]"
        );
        assert!(matches!(r.scrub("status 200"), Cow::Borrowed(_)));
    }
}
