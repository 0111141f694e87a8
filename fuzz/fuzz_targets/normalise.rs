//! The normaliser and the redactor: rules compiled from a rule set (or read
//! from a `normalise.toml` text), a JSON document and a text normalised with
//! secrets planted in them, and the redactor's `scrub` on its own.
//!
//! Asserts: no panic; a planted secret never survives (in any string, key or
//! number of the output) unless it could be spelt by the placeholders
//! themselves; a planted email or phone number, set apart by spaces, never
//! survives.

#![no_main]

use std::sync::Arc;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use lucia_harness_fuzz::{Input, KEYS, SCALARS, json, string};
use probes::core::normalise::{RuleSet, Rules, RulesFile};
use probes::core::redact::Redactor;
use serde_json::{Map, Value};

/// Every placeholder the normaliser writes.
const PLACEHOLDERS: &[&str] = &[
    "[timestamp]",
    "[uuid]",
    "[request_id]",
    "[volatile]",
    "[email]",
    "[phone]",
    "[name]",
    "[personal]",
];
/// Personal data that must never survive, planted between spaces.
const PERSONAL: &[&str] = &[
    "harper.quinn@example.com",
    "h+q@guest.example.co.uk",
    "+15005550006",
    "+44 20 7946 0958",
    "(500) 555-0006",
    "500-555-0006",
];
const NAMES: &[&str] = &["Harper Quinn", "Harper", "quinn", "O'Brien", "Zoë Ñ", "   "];
const PATHS: &[&str] = &[
    "$.status",
    "$.items[0]",
    "$.items[-1]",
    "$['odd key']",
    "$.a.b",
    "guest_email",
    "$",
    "$[",
    "$.",
    "",
];
const SECRETS: &[&str] = &[
    "s3cr3t-t0ken",
    "hunter2",
    "sk_live_51H",
    "1764100000",
    "pa ss",
];

struct Case {
    rules: Rules,
    /// (value, replacement)
    secrets: Vec<(String, String)>,
    doc: Value,
    text: String,
    personal_scrub: bool,
}

fuzz_target!(|data: &[u8]| {
    let case = match Input::new(data) {
        Input::Text(parts) => text_case(&parts),
        Input::Structured(mut u) => structured_case(&mut u).ok(),
    };
    if let Some(case) = case {
        check(&case);
    }
});

/// `rules TOML \0 document JSON \0 text \0 secret \0 secret …`
fn text_case(parts: &[&str]) -> Option<Case> {
    let [rules, doc, text, secrets @ ..] = parts else {
        return None;
    };
    let file: RulesFile = toml::from_str(rules).ok()?;
    if let Err(e) = file.validate() {
        let _ = e.to_string();
        return None;
    }
    let name = file.baseline.keys().next().cloned().unwrap_or_default();
    let rules = file.rules_for(&name).ok()?;
    let doc = serde_json::from_str(doc).ok()?;
    let secrets = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| ((*s).to_owned(), format!("${{{}}}", secret_name(i))))
        .collect();
    Some(Case {
        rules,
        secrets,
        doc,
        text: (*text).to_owned(),
        personal_scrub: true,
    })
}

/// A secret's name without digits, so that numeric secrets stay checkable.
fn secret_name(i: usize) -> String {
    format!("SECRET_{}", ["A", "B", "C", "D"][i % 4])
}

fn list(u: &mut Unstructured, pool: &[&str]) -> Result<Vec<String>> {
    let n = u.int_in_range(0usize..=3)?;
    (0..n).map(|_| string(u, pool)).collect()
}

fn structured_case(u: &mut Unstructured) -> Result<Case> {
    let set = RuleSet {
        personal_names: list(u, NAMES)?,
        personal_keys: list(u, KEYS)?,
        personal_paths: list(u, PATHS)?,
        volatile_keys: list(u, KEYS)?,
        volatile_paths: list(u, PATHS)?,
        ignore_paths: list(u, PATHS)?,
        keep_paths: list(u, PATHS)?,
    };
    let rules = match Rules::compile(&[&set]) {
        Ok(r) => r,
        Err(e) => {
            let _ = e.to_string();
            return Err(arbitrary::Error::IncorrectFormat);
        }
    };
    let n = u.int_in_range(0usize..=3)?;
    let mut secrets = Vec::with_capacity(n);
    for i in 0..n {
        let value = string(u, SECRETS)?;
        let name: String = if u.arbitrary()? {
            secret_name(i)
        } else {
            String::arbitrary(u)?
        };
        secrets.push((value, format!("${{{name}}}")));
    }
    // Plant the secrets and personal data among arbitrary content.
    let mut planted = Vec::new();
    for (value, _) in &secrets {
        planted.push(Value::String(format!(
            "{}{value}{}",
            string(u, SCALARS)?,
            string(u, SCALARS)?
        )));
        if let Ok(n) = value.parse::<serde_json::Number>() {
            planted.push(Value::Number(n));
        }
    }
    let mut keyed = Map::new();
    for (value, _) in &secrets {
        keyed.insert(value.clone(), json(u, 1, SCALARS, KEYS)?);
    }
    for _ in 0..u.int_in_range(0usize..=2)? {
        planted.push(Value::String(format!(
            "{} {} {}",
            string(u, SCALARS)?,
            u.choose(PERSONAL)?,
            string(u, SCALARS)?
        )));
    }
    let body = json(u, 4, SCALARS, KEYS)?;
    let doc = serde_json::json!({"body": body, "planted": planted, "keyed": keyed});
    let mut text = string(u, SCALARS)?;
    for (value, _) in &secrets {
        text.push_str(value);
        text.push_str(&string(u, SCALARS)?);
    }
    text.push(' ');
    text.push_str(u.choose(PERSONAL)?);
    text.push(' ');
    text.push_str(&string(u, SCALARS)?);
    Ok(Case {
        rules,
        secrets,
        doc,
        text,
        personal_scrub: u.arbitrary()?,
    })
}

fn check(case: &Case) {
    let mut redactor = Redactor::new();
    for (value, replacement) in &case.secrets {
        redactor.add(value, replacement);
    }
    if case.personal_scrub {
        redactor.set_personal(Arc::new(case.rules.clone()));
    }
    let rules = &case.rules;

    let doc = rules.json(&case.doc, &redactor);
    let text = rules.text(&case.text, &redactor);
    let scrubbed = redactor.scrub(&case.text).into_owned();
    let _ = rules.redact_personal(&case.text);
    let _ = rules.mask_volatile(&case.text);

    let mut outputs = Vec::new();
    texts(&doc, &mut outputs);
    outputs.push(text.clone());
    outputs.push(scrubbed.clone());

    // Characters a placeholder or replacement could contribute.
    let spelt: String = PLACEHOLDERS
        .iter()
        .copied()
        .chain(case.secrets.iter().map(|(_, r)| r.as_str()))
        .collect();
    for (value, _) in &case.secrets {
        if value.is_empty() || value.chars().any(|c| spelt.contains(c)) {
            continue;
        }
        for out in &outputs {
            assert!(
                !out.contains(value.as_str()),
                "secret {value:?} survived in {out:?}\ninput: {:?}\ntext: {:?}",
                case.doc,
                case.text
            );
        }
    }
    // Only where it was planted: set apart by spaces. (Glued to a word, as in
    // `(500) 555-0006ext`, a number is not told from an identifier.)
    for p in PERSONAL {
        let planted = format!(" {p} ");
        for (input, out) in [
            (case.text.clone(), text.clone()),
            (case.doc.to_string(), doc.to_string()),
        ] {
            if input.contains(&planted) {
                assert!(
                    !out.contains(&planted),
                    "{p:?} survived in {out:?}\ninput: {:?}\ntext: {:?}",
                    case.doc,
                    case.text
                );
            }
        }
    }

    // Not asserted: idempotence. The design does not promise it and nothing
    // relies on it (a stored baseline is never normalised again): a key that
    // is an email becomes `[email]`, which a second pass reads as a personal
    // key, and a personal name such as "email" matches inside `[email]`.
}

/// Every string, key and number (as written) in a document.
fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|i| texts(i, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                texts(v, out);
            }
        }
        _ => {}
    }
}
