//! What a step definition is: its regex, the template people read, the
//! block below it, what it needs of the environment, and the async fn that
//! runs it. Also the small helpers that every step family shares.

use std::time::Instant;

use cucumber::gherkin::StepType;
use cucumber::step::Context;
use regex::Regex;

use crate::core::error::ErrorKind;
use crate::world::{Exchange, World};

pub(crate) type StepFn = cucumber::Step<World>;

/// What a step needs below its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    None,
    /// A docstring holding a JSON expectation (markers allowed).
    JsonExpectation,
    /// A docstring holding a JSON request body.
    JsonBody,
    /// A two-column data table (name | value).
    Table,
}

/// What a step needs of the environment, known before anything runs, so a
/// scenario can be skipped with its reason instead of failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    /// Mutates the environment.
    Mutation,
    /// Mutates when the HTTP method in this capture group is not GET/HEAD/OPTIONS.
    MutationIfMethod(usize),
    /// Restarts the service named in this capture group.
    Restart(usize),
    /// Uses the database named in this capture group.
    Database(usize),
}

#[derive(Debug)]
pub struct StepDef {
    pub ty: StepType,
    /// The human form, e.g. `the status is {code}`.
    pub template: &'static str,
    /// The regex source; compiled the first time a step could match it.
    pub pattern: &'static str,
    compiled: std::sync::OnceLock<Regex>,
    /// The literal text every match starts with: most steps are ruled out
    /// by it without touching a regex.
    pub prefix: &'static str,
    pub block: Block,
    /// Capture group holding a JSON path, validated by `check`.
    pub path_group: Option<usize>,
    pub needs: Needs,
    /// Secrets the step uses without naming them (signing keys).
    pub secrets: &'static [&'static str],
    /// Capture group naming a service the step uses.
    pub service_group: Option<usize>,
    /// Services the step uses without naming them (Render for a restart).
    pub services: &'static [&'static str],
    pub func: StepFn,
}

impl StepDef {
    pub(crate) fn block(mut self, b: Block) -> Self {
        self.block = b;
        self
    }
    pub(crate) fn path(mut self, group: usize) -> Self {
        self.path_group = Some(group);
        self
    }
    pub(crate) fn needs(mut self, n: Needs) -> Self {
        self.needs = n;
        self
    }
    pub(crate) fn secrets(mut self, s: &'static [&'static str]) -> Self {
        self.secrets = s;
        self
    }
    pub(crate) fn service(mut self, group: usize) -> Self {
        self.service_group = Some(group);
        self
    }
    pub(crate) fn services(mut self, s: &'static [&'static str]) -> Self {
        self.services = s;
        self
    }
}

impl StepDef {
    pub fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            Regex::new(self.pattern)
                .unwrap_or_else(|e| unreachable!("step regex {}: {e}", self.pattern))
        })
    }
}

pub(crate) fn def(ty: StepType, template: &'static str, re: &'static str, func: StepFn) -> StepDef {
    StepDef {
        ty,
        template,
        pattern: re,
        compiled: std::sync::OnceLock::new(),
        prefix: literal_prefix(re),
        block: Block::None,
        path_group: None,
        needs: Needs::Nothing,
        secrets: &[],
        service_group: None,
        services: &[],
        func,
    }
}

/// The literal start of an anchored pattern (`^the status is (\d{3})$` →
/// `the status is `).
pub(crate) fn literal_prefix(re: &'static str) -> &'static str {
    let body = re.strip_prefix('^').unwrap_or("");
    // An alternation outside any group (`^a|b`) means no common prefix.
    let mut depth = 0i32;
    let mut escaped = false;
    for c in body.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '|' if depth == 0 => return "",
            _ => {}
        }
    }
    let end = body
        .find(|c: char| "\\.+*?()[]{}|$^".contains(c))
        .unwrap_or(body.len());
    // A quantifier binds to the character before it: leave that one out.
    let end = if body[end..].starts_with(['?', '*', '{']) {
        body[..end].char_indices().last().map_or(0, |(i, _)| i)
    } else {
        end
    };
    &body[..end]
}

pub fn keyword(ty: StepType) -> &'static str {
    match ty {
        StepType::Given => "Given",
        StepType::When => "When",
        StepType::Then => "Then",
    }
}

pub(crate) fn arg(ctx: &Context, i: usize) -> &str {
    ctx.matches.get(i).map_or("", |(_, v)| v.as_str())
}

pub(crate) fn record(
    w: &mut World,
    service: &str,
    method: &str,
    url: String,
    status: Option<u16>,
    started: Instant,
    error: Option<ErrorKind>,
) {
    w.push_exchange(Exchange {
        service: service.to_owned(),
        method: method.to_owned(),
        url,
        status,
        elapsed: started.elapsed(),
        error,
        timings: None,
        span_id: None,
        evidence: None,
    });
}
