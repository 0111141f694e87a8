//! What is known of a written step without running it: the definition it
//! matches, the services and environment it needs, and whether its
//! arguments and block are well formed (`lucia-harness check`), with a
//! "did you mean" for a step that matches nothing.

use std::rc::Rc;
use std::sync::LazyLock;

use cucumber::gherkin::{self, StepType};
use regex::Regex;
use serde_json::Value;

use super::def::{Block, Needs, StepDef, keyword};
use super::json::parse_json_value;
use super::vocabulary::vocabulary;
use crate::core::jsonpath::JsonPath;
use crate::core::matcher;

/// One requirement of a written step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    Mutation(String),
    Restart(String),
    Database(String),
    Secret(String),
}

/// The services a written step uses.
pub fn services(step: &gherkin::Step) -> Vec<String> {
    resolve(step).services.clone()
}

/// What a written step requires of the environment it runs in.
pub fn requirements(step: &gherkin::Step) -> Vec<Requirement> {
    resolve(step).requirements.clone()
}

/// Everything known of a written step without running it.
#[derive(Clone, Debug)]
struct Resolved {
    defs: Vec<u16>,
    services: Vec<String>,
    requirements: Vec<Requirement>,
    /// What the text alone says of the step's arguments (its JSON path, a
    /// JSON value): checked once, not at every scenario that repeats it.
    text_check: Result<(), String>,
}

impl Default for Resolved {
    fn default() -> Self {
        Self {
            defs: Vec::new(),
            services: Vec::new(),
            requirements: Vec::new(),
            text_check: Ok(()),
        }
    }
}

fn analyse(step: &gherkin::Step) -> Resolved {
    let defs: Vec<u16> = vocabulary()
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.ty == step.ty && step.value.starts_with(d.prefix) && d.regex().is_match(&step.value)
        })
        .map(|(i, _)| u16::try_from(i).unwrap_or(u16::MAX))
        .collect();
    let Some(d) = defs.first().map(|i| &vocabulary()[usize::from(*i)]) else {
        return Resolved::default();
    };
    let caps = d.regex().captures(&step.value);
    let group = |g: usize| {
        caps.as_ref()
            .and_then(|c| c.get(g))
            .map_or("", |m| m.as_str())
            .to_owned()
    };
    let mut services: Vec<String> = d.services.iter().map(|s| (*s).to_owned()).collect();
    if let Some(g) = d.service_group {
        services.push(group(g));
    }
    let mut requirements: Vec<Requirement> = d
        .secrets
        .iter()
        .map(|s| Requirement::Secret((*s).to_owned()))
        .collect();
    let mutation = || Requirement::Mutation(format!("{} {}", keyword(step.ty), step.value));
    match d.needs {
        Needs::Nothing => {}
        Needs::Mutation => requirements.push(mutation()),
        Needs::MutationIfMethod(g) => {
            if !matches!(group(g).as_str(), "GET" | "HEAD" | "OPTIONS") {
                requirements.push(mutation());
            }
        }
        Needs::Restart(g) => requirements.push(Requirement::Restart(group(g))),
        Needs::Database(g) => requirements.push(Requirement::Database(group(g))),
    }
    let text_check = (|| {
        if let Some(p) = d.path_group.and_then(|g| caps.as_ref()?.get(g))
            && !p.as_str().contains("{{")
        {
            p.as_str().parse::<JsonPath>().map_err(|e| e.to_string())?;
        }
        if d.template.starts_with("the JSON at \"{path}\" is")
            && let Some(v) = caps.as_ref().and_then(|c| c.get(2))
            && !v.as_str().contains("{{")
        {
            parse_json_value(v.as_str())?;
        }
        Ok(())
    })();
    Resolved {
        defs,
        services,
        requirements,
        text_check,
    }
}

thread_local! {
    /// Steps repeat across scenarios (and are looked at by check, selection
    /// and execution): each distinct step text is analysed once per thread.
    /// One map per step type, looked up by the step's text without copying it.
    static RESOLVED: std::cell::RefCell<[std::collections::HashMap<String, Rc<Resolved>>; 3]> =
        std::cell::RefCell::default();
}

fn resolve(step: &gherkin::Step) -> Rc<Resolved> {
    let slot = slot(step.ty);
    if let Some(r) = RESOLVED.with(|c| c.borrow()[slot].get(step.value.as_str()).cloned()) {
        return r;
    }
    let r = Rc::new(analyse(step));
    RESOLVED.with(|c| c.borrow_mut()[slot].insert(step.value.clone(), Rc::clone(&r)));
    r
}

fn slot(ty: StepType) -> usize {
    match ty {
        StepType::Given => 0,
        StepType::When => 1,
        StepType::Then => 2,
    }
}

/// The definitions a written step matches (one when the vocabulary is sound).
pub fn matching(step: &gherkin::Step) -> Vec<&'static StepDef> {
    resolve(step)
        .defs
        .iter()
        .map(|i| &vocabulary()[usize::from(*i)])
        .collect()
}

/// Why a step cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepProblem {
    Undefined {
        suggestion: Option<String>,
    },
    Ambiguous(Vec<String>),
    /// The step is defined but its arguments or block are wrong.
    Invalid(String),
}

impl std::fmt::Display for StepProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Undefined {
                suggestion: Some(s),
            } => write!(f, "undefined step; did you mean `{s}`?"),
            Self::Undefined { suggestion: None } => {
                write!(
                    f,
                    "undefined step (`lucia-harness steps` lists the vocabulary)"
                )
            }
            Self::Ambiguous(m) => write!(f, "ambiguous step: it matches {}", m.join(" and ")),
            Self::Invalid(m) => f.write_str(m),
        }
    }
}

/// Checks one step statically: defined, unambiguous, arguments well formed.
pub fn check_step(step: &gherkin::Step) -> Result<&'static StepDef, StepProblem> {
    let matches = matching(step);
    let d = match matches.as_slice() {
        [] => {
            return Err(StepProblem::Undefined {
                suggestion: suggest(step),
            });
        }
        [d] => *d,
        many => {
            return Err(StepProblem::Ambiguous(
                many.iter().map(|d| format!("`{}`", d.template)).collect(),
            ));
        }
    };
    resolve(step)
        .text_check
        .clone()
        .map_err(StepProblem::Invalid)?;
    validate(d, step).map_err(StepProblem::Invalid)?;
    Ok(d)
}

/// What the step's text alone cannot tell: its table or docstring.
fn validate(d: &StepDef, step: &gherkin::Step) -> Result<(), String> {
    if d.block == Block::Table {
        return match &step.table {
            Some(t) if t.rows.iter().all(|r| r.len() == 2) => Ok(()),
            Some(_) => Err(format!(
                "`{}` takes a table of two columns: | name | value |",
                d.template
            )),
            None => Err(format!(
                "`{}` needs a table below it: | name | value |",
                d.template
            )),
        };
    }
    if d.block != Block::Table && step.table.is_some() {
        return Err(format!("`{}` takes no table", d.template));
    }
    match (d.block, step.docstring.as_deref()) {
        (Block::None, Some(_)) => Err(format!("`{}` takes no docstring", d.template)),
        (Block::JsonExpectation | Block::JsonBody, None) => Err(format!(
            "`{}` needs a docstring (\"\"\") with JSON below it",
            d.template
        )),
        (Block::JsonExpectation, Some(doc)) => match serde_json::from_str::<Value>(doc) {
            Ok(v) => matcher::validate_expectation(&v)
                .map_err(|e| format!("in the JSON below the step: {e}")),
            Err(_) if doc.contains("{{") || doc.contains("${") => Ok(()),
            Err(e) => Err(format!("the docstring is not valid JSON: {e}")),
        },
        (Block::JsonBody, Some(doc)) => match serde_json::from_str::<Value>(doc) {
            Ok(_) => Ok(()),
            Err(_) if doc.contains("{{") || doc.contains("${") => Ok(()),
            Err(e) => Err(format!("the docstring is not valid JSON: {e}")),
        },
        _ => {
            if let Some(name) = super::baseline::step_baseline(&step.value) {
                super::baseline::validate_name(name)?;
            }
            Ok(())
        }
    }
}

/// The nearest step template, by edit distance on the text with quoted
/// arguments blanked out (so argument values do not dominate).
pub fn suggest(step: &gherkin::Step) -> Option<String> {
    let shape = |s: &str| -> String {
        static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#""[^"]*"|\{[^}]*\}|\d+"#).unwrap_or_else(|e| unreachable!("{e}"))
        });
        QUOTED.replace_all(s, "\"\"").to_lowercase()
    };
    let wanted = shape(&step.value);
    let best = vocabulary()
        .iter()
        .map(|d| {
            // Prefer the step's own type: a Then written as When is still a typo.
            let penalty = usize::from(d.ty != step.ty) * 2;
            (
                crate::core::suggest::distance(&wanted, &shape(d.template)) + penalty,
                d,
            )
        })
        .min_by_key(|(dist, _)| *dist)?;
    let limit = wanted.chars().count().max(8) / 2;
    (best.0 <= limit).then(|| format!("{} {}", keyword(best.1.ty), best.1.template))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(ty: StepType, value: &str, doc: Option<&str>) -> gherkin::Step {
        gherkin::Step {
            keyword: keyword(ty).to_owned(),
            ty,
            value: value.to_owned(),
            docstring: doc.map(str::to_owned),
            table: None,
            span: gherkin::Span { start: 0, end: 0 },
            position: gherkin::LineCol { line: 1, col: 1 },
        }
    }

    #[test]
    fn every_template_example_is_unambiguous() {
        for (ty, text, doc) in [
            (StepType::Given, r#"the "engine" service"#, None),
            (
                StepType::Given,
                r#"the header "X-Operator-Token" is "${LUCIA_OPERATOR_TOKEN}""#,
                None,
            ),
            (StepType::When, r#"I GET "/health""#, None),
            (
                StepType::When,
                r#"I POST "/api/waitlist" with JSON:"#,
                Some("{\"email\": \"a@b.c\"}"),
            ),
            (StepType::When, r#"I POST "/x""#, None),
            (StepType::Then, "the status is 200", None),
            (StepType::Then, "the status is one of 401, 403", None),
            (
                StepType::Then,
                r#"the header "content-type" contains "json""#,
                None,
            ),
            (StepType::Then, r#"the header "location" is absent"#, None),
            (
                StepType::Then,
                r#"the JSON at "$.version" is "{{expected.engine_version}}""#,
                None,
            ),
            (StepType::Then, r#"the JSON at "$.n" is 3"#, None),
            (
                StepType::Then,
                "the JSON matches:",
                Some("{\"a\": \"#string\"}"),
            ),
            (StepType::Then, "the JSON contains:", Some("{\"a\": 1}")),
            (
                StepType::Then,
                r#"the JSON at "$.a" contains:"#,
                Some("{\"a\": 1}"),
            ),
            (
                StepType::Then,
                r#"the JSON at "$.records" equals the remembered "before""#,
                None,
            ),
            (StepType::Then, r#"the body contains "Lucia""#, None),
            (
                StepType::Then,
                r#"the body does not contain "supabase.co""#,
                None,
            ),
            (StepType::Then, "the response time is under 800 ms", None),
            (
                StepType::Then,
                r#"the response matches the baseline "engine/health""#,
                None,
            ),
            (
                StepType::When,
                r#"I remember the JSON at "$.records" as "before""#,
                None,
            ),
        ] {
            check_step(&step(ty, text, doc)).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn undefined_steps_suggest_the_nearest() {
        let e = check_step(&step(StepType::Then, "the staus is 200", None)).expect_err("typo");
        assert_eq!(
            e,
            StepProblem::Undefined {
                suggestion: Some("Then the status is {code}".into())
            }
        );
        let e = check_step(&step(StepType::When, r#"I fetch "/health""#, None)).expect_err("typo");
        assert!(
            e.to_string()
                .contains("did you mean `When I {GET|HEAD|DELETE|OPTIONS}"),
            "{e}"
        );
        let e = check_step(&step(
            StepType::Then,
            "the moon is made of cheese and more",
            None,
        ))
        .expect_err("nothing near");
        assert_eq!(e, StepProblem::Undefined { suggestion: None });
    }

    #[test]
    fn invalid_arguments_are_caught_statically() {
        let bad = [
            (StepType::Then, r#"the JSON at "$[" is 1"#, None),
            (StepType::Then, r#"the JSON at "$.a" is ok"#, None),
            (
                StepType::Then,
                "the JSON matches:",
                Some("{\"a\": \"#strng\"}"),
            ),
            (StepType::Then, "the JSON matches:", Some("{not json")),
            (StepType::Then, "the JSON matches:", None),
            (StepType::Then, "the status is 200", Some("{}")),
            (
                StepType::Then,
                r#"the response matches the baseline "../secrets""#,
                None,
            ),
        ];
        for (ty, text, doc) in bad {
            assert!(
                matches!(
                    check_step(&step(ty, text, doc)),
                    Err(StepProblem::Invalid(_))
                ),
                "{text} {doc:?} should be invalid"
            );
        }
    }
}
