//! Interpolation of step arguments: `${NAME}` is a secret of the environment
//! (never printed), `{{expected.key}}` a value from environments.toml,
//! `{{run_id}}`, `{{environment}}`, `{{uuid}}` and `{{remembered.name}}`.

use std::collections::HashMap;

use serde_json::Value;

use crate::core::env::Environment;
use crate::core::error::StepError;

/// A reference found in a template, for static checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    Secret(String),
    Expected(String),
    Builtin(String),
    Remembered(String),
    Unknown(String),
}

/// Lists the references of a template without resolving them.
pub fn references(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find(['$', '{']) {
        let tail = &rest[pos..];
        if let Some(inner) = tail.strip_prefix("${") {
            if let Some(end) = inner.find('}') {
                out.push(Reference::Secret(inner[..end].trim().to_owned()));
                rest = &inner[end + 1..];
                continue;
            }
        } else if let Some(inner) = tail.strip_prefix("{{")
            && let Some(end) = inner.find("}}")
        {
            out.push(classify(inner[..end].trim()));
            rest = &inner[end + 2..];
            continue;
        }
        rest = &tail[1..];
    }
    out
}

fn classify(name: &str) -> Reference {
    if let Some(k) = name.strip_prefix("expected.") {
        Reference::Expected(k.to_owned())
    } else if let Some(k) = name.strip_prefix("remembered.") {
        Reference::Remembered(k.to_owned())
    } else if matches!(
        name,
        "run_id" | "run_number" | "environment" | "uuid" | "now"
    ) {
        Reference::Builtin(name.to_owned())
    } else {
        Reference::Unknown(name.to_owned())
    }
}

/// The result of interpolating: the text and the names of the secrets in it.
#[derive(Debug, Default)]
pub struct Interpolated {
    pub text: String,
    pub secrets: Vec<String>,
}

#[derive(Debug)]
pub struct Interpolator<'a> {
    pub env: &'a Environment,
    pub run_id: &'a str,
    pub remembered: &'a HashMap<String, Value>,
}

impl Interpolator<'_> {
    pub fn interpolate(&self, text: &str) -> Result<Interpolated, StepError> {
        let mut out = Interpolated::default();
        if !text.contains("${") && !text.contains("{{") {
            out.text = text.to_owned();
            return Ok(out);
        }
        let mut rest = text;
        while let Some(pos) = rest.find(['$', '{']) {
            out.text.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            if let Some(inner) = tail.strip_prefix("${")
                && let Some(end) = inner.find('}')
            {
                let name = inner[..end].trim();
                let secret = self.env.secrets.get(name).ok_or_else(|| {
                    StepError::config(format!(
                        "secret ${{{name}}} is not declared for environment '{}': add it under [environments.{}.secrets] in environments.toml",
                        self.env.name, self.env.name
                    ))
                })?;
                out.text.push_str(&secret.value);
                if !out.secrets.iter().any(|s| s == name) {
                    out.secrets.push(name.to_owned());
                }
                rest = &inner[end + 1..];
                continue;
            }
            if let Some(inner) = tail.strip_prefix("{{")
                && let Some(end) = inner.find("}}")
            {
                out.text.push_str(&self.resolve(inner[..end].trim())?);
                rest = &inner[end + 2..];
                continue;
            }
            out.text.push_str(&tail[..1]);
            rest = &tail[1..];
        }
        out.text.push_str(rest);
        Ok(out)
    }

    fn resolve(&self, name: &str) -> Result<String, StepError> {
        match classify(name) {
            Reference::Expected(k) => self.env.expected.get(&k).cloned().ok_or_else(|| {
                StepError::config(format!(
                    "{{{{expected.{k}}}}} is not set for environment '{}': add `{k} = \"…\"` under [expected] or [environments.{}.expected] in environments.toml",
                    self.env.name, self.env.name
                ))
            }),
            Reference::Builtin(b) => Ok(match b.as_str() {
                "run_id" => self.run_id.to_owned(),
                // A number unique to the run, for fields that must be numeric
                // (a probe reservation id): the run id's first 10 hex digits.
                "run_number" => u64::from_str_radix(self.run_id.get(..10).unwrap_or(self.run_id), 16)
                    .map_or_else(|_| "9000000001".to_owned(), |n| n.to_string()),
                "environment" => self.env.name.clone(),
                "uuid" => uuid::Uuid::new_v4().to_string(),
                _ => chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
            Reference::Remembered(k) => match self.remembered.get(&k) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(v) => Ok(v.to_string()),
                None => Err(StepError::config(format!(
                    "{{{{remembered.{k}}}}}: nothing was remembered as \"{k}\" in this scenario"
                ))),
            },
            Reference::Secret(_) | Reference::Unknown(_) => Err(StepError::config(format!(
                "unknown template value {{{{{name}}}}}: use expected.<key>, run_id, run_number, environment, uuid, now or remembered.<name>"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::env::{EnvStatus, Secret};

    fn env() -> Environment {
        let mut e = Environment::new("dev", EnvStatus::Live);
        e.expected
            .insert("engine_version".into(), "engine-v0.1.3.6".into());
        e.secrets.insert(
            "TOKEN".into(),
            Secret {
                name: "TOKEN".into(),
                env_var: "LUCIA_TOKEN".into(),
                value: "s3cret".into(),
                surfaces: vec![],
            },
        );
        e
    }

    #[test]
    fn interpolates_everything() {
        let e = env();
        let remembered = HashMap::from([("id".to_owned(), Value::from(7))]);
        let i = Interpolator {
            env: &e,
            run_id: "r1",
            remembered: &remembered,
        };
        let out = i
            .interpolate("Bearer ${TOKEN} {{expected.engine_version}} {{ run_id }} {{environment}} {{remembered.id}} $5 {x}")
            .expect("ok");
        assert_eq!(out.text, "Bearer s3cret engine-v0.1.3.6 r1 dev 7 $5 {x}");
        assert_eq!(out.secrets, ["TOKEN"]);
    }

    #[test]
    fn errors_name_what_is_missing() {
        let e = env();
        let remembered = HashMap::new();
        let i = Interpolator {
            env: &e,
            run_id: "r1",
            remembered: &remembered,
        };
        let err = i.interpolate("${NOPE}").expect_err("undeclared");
        assert!(
            err.message.contains("${NOPE}") && err.message.contains("environments.dev.secrets")
        );
        let err = i.interpolate("{{expected.nope}}").expect_err("missing");
        assert!(err.message.contains("expected.nope"));
        assert!(i.interpolate("{{bogus}}").is_err());
    }

    #[test]
    fn lists_references() {
        assert_eq!(
            references("${A} {{expected.b}} {{run_id}} {{x}} {{remembered.r}}"),
            [
                Reference::Secret("A".into()),
                Reference::Expected("b".into()),
                Reference::Builtin("run_id".into()),
                Reference::Unknown("x".into()),
                Reference::Remembered("r".into()),
            ]
        );
    }
}
