//! The step vocabulary. Each step is a regex, a template people read in
//! "did you mean" hints and `lucia-harness steps`, and an async fn. The same
//! table feeds cucumber's step collection and the static `check`, so what
//! `check` accepts is exactly what `run` executes.

use std::rc::Rc;
use std::sync::LazyLock;

use cucumber::gherkin::{self, StepType};
use cucumber::step::{Collection, Context};
use futures::future::LocalBoxFuture;
use regex::Regex;
use serde_json::Value;

use crate::core::error::{StepError, StepResult};
use crate::core::jsonpath::JsonPath;
use crate::core::matcher::{self, MatchError, Mode};
use crate::world::World;

type StepFn = cucumber::Step<World>;

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

/// One requirement of a written step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    Mutation(String),
    Restart(String),
    Database(String),
    Secret(String),
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
    fn block(mut self, b: Block) -> Self {
        self.block = b;
        self
    }
    fn path(mut self, group: usize) -> Self {
        self.path_group = Some(group);
        self
    }
    fn needs(mut self, n: Needs) -> Self {
        self.needs = n;
        self
    }
    fn secrets(mut self, s: &'static [&'static str]) -> Self {
        self.secrets = s;
        self
    }
    fn service(mut self, group: usize) -> Self {
        self.service_group = Some(group);
        self
    }
    fn services(mut self, s: &'static [&'static str]) -> Self {
        self.services = s;
        self
    }
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

/// Wraps `async fn(&mut World, &Context) -> StepResult` into cucumber's
/// step fn type, turning an `Err` into a recorded, unwinding failure.
macro_rules! step {
    ($f:path) => {{
        fn wrapper(w: &mut World, ctx: Context) -> LocalBoxFuture<'_, ()> {
            Box::pin(async move {
                let started = std::time::Instant::now();
                let result = $f(w, &ctx).await;
                w.record_step(started.elapsed());
                if let Err(e) = result {
                    w.fail(e);
                }
            })
        }
        wrapper as StepFn
    }};
}

fn def(ty: StepType, template: &'static str, re: &'static str, func: StepFn) -> StepDef {
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

static VOCABULARY: LazyLock<Vec<StepDef>> = LazyLock::new(|| {
    use crate::provider_steps as p;
    use Block::{JsonBody, JsonExpectation, Table};
    use StepType::{Given, Then, When};
    vec![
        // Requests
        def(Given, r#"the "{service}" service"#, r#"^the "([^"]+)" service$"#, step!(given_service)).service(1),
        def(Given, r#"the header "{name}" is "{value}""#, r#"^the header "([^"]+)" is "(.*)"$"#, step!(given_header)),
        def(Given, "redirects are followed", r"^redirects are followed$", step!(given_follow)),
        def(When, r#"I {GET|HEAD|DELETE|OPTIONS} "{path}""#, r#"^I (GET|HEAD|DELETE|OPTIONS) "([^"]*)"$"#, step!(when_request))
            .needs(Needs::MutationIfMethod(1)),
        def(When, r#"I {POST|PUT|PATCH} "{path}""#, r#"^I (POST|PUT|PATCH) "([^"]*)"$"#, step!(when_request)).needs(Needs::Mutation),
        def(When, r#"I {POST|PUT|PATCH|DELETE} "{path}" with JSON:"#, r#"^I (POST|PUT|PATCH|DELETE) "([^"]*)" with JSON:?$"#, step!(when_request_json))
            .block(JsonBody)
            .needs(Needs::Mutation),
        def(When, r#"I remember the JSON at "{path}" as "{name}""#, r#"^I remember the JSON at "([^"]+)" as "([^"]+)"$"#, step!(when_remember)).path(1),
        // Providers
        def(
            When,
            r#"Twilio sends a {signed|unsigned|wrongly signed} {SMS|WhatsApp message} to "{path}" with:"#,
            r#"^Twilio sends an? (signed|unsigned|wrongly signed) (SMS|WhatsApp message) to "([^"]+)" with:?$"#,
            step!(p::twilio),
        )
        .block(Table)
        .needs(Needs::Mutation)
        .secrets(&["TWILIO_AUTH_TOKEN"]),
        def(
            When,
            r#"Stripe sends a {signed|unsigned|wrongly signed} "{event type}" event to "{path}" with JSON:"#,
            r#"^Stripe sends an? (signed|unsigned|wrongly signed) "([^"]+)" event to "([^"]+)" with JSON:?$"#,
            step!(p::stripe),
        )
        .block(JsonBody)
        .needs(Needs::Mutation)
        .secrets(&["STRIPE_WEBHOOK_SECRET"]),
        def(
            When,
            r#"Postmark delivers an inbound email to "{path}" {with|without|with wrong} basic auth:"#,
            r#"^Postmark delivers an inbound email to "([^"]+)" (with|without|with wrong) basic auth:?$"#,
            step!(p::postmark),
        )
        .block(JsonBody)
        .needs(Needs::Mutation)
        .secrets(&["POSTMARK_INBOUND_AUTH"]),
        def(When, r#"the "{service}" service is restarted"#, r#"^the "([^"]+)" service is restarted$"#, step!(p::restart))
            .needs(Needs::Restart(1))
            .service(1)
            .services(&["render"])
            .secrets(&["RENDER_API_KEY"]),
        def(Given, r#"the Postgres database "{name}""#, r#"^the Postgres database "([^"]+)"$"#, step!(p::database)).needs(Needs::Database(1)),
        // Checks
        def(Then, "the status is {code}", r"^the status is (\d{3})$", step!(then_status)),
        def(Then, "the status is one of {code}, {code}…", r"^the status is one of (\d{3}(?:\s*(?:,|or)\s*\d{3})*)$", step!(then_status_one_of)),
        def(Then, r#"the header "{name}" {is|contains|matches} "{value}""#, r#"^the header "([^"]+)" (is|contains|matches) "(.*)"$"#, step!(then_header)),
        def(Then, r#"the header "{name}" is {present|absent}"#, r#"^the header "([^"]+)" is (present|absent)$"#, step!(then_header_presence)),
        def(Then, r#"the JSON at "{path}" is {json value}"#, r#"^the JSON at "([^"]+)" is (.+)$"#, step!(then_json_at_is)).path(1),
        def(Then, r#"the JSON at "{path}" {matches|contains}:"#, r#"^the JSON at "([^"]+)" (matches|contains):?$"#, step!(then_json_at_block))
            .block(JsonExpectation)
            .path(1),
        def(Then, "the JSON {matches|contains}:", r"^the JSON (matches|contains):?$", step!(then_json_block)).block(JsonExpectation),
        def(Then, r#"the JSON at "{path}" equals the remembered "{name}""#, r#"^the JSON at "([^"]+)" equals the remembered "([^"]+)"$"#, step!(then_equals_remembered))
            .path(1),
        def(Then, r#"the body contains "{text}""#, r#"^the body contains "(.*)"$"#, step!(then_body_contains)),
        def(Then, r#"the body does not contain "{text}""#, r#"^the body does not contain "(.*)"$"#, step!(then_body_lacks)),
        def(Then, "the response time is under {n} ms", r"^the response time is under (\d+) ?ms$", step!(then_response_time)),
        def(Then, r#"the response matches the baseline "{area/name}""#, crate::baseline::STEP_PATTERN, step!(crate::baseline::then_matches_baseline)),
        def(
            Then,
            r#"the TLS certificate of the "{service}" service is valid for at least {n} days"#,
            r#"^the TLS certificate of the "([^"]+)" service is valid for at least (\d+) days?$"#,
            step!(p::tls_valid),
        )
        .service(1),
        def(Then, r#"plain HTTP to the "{service}" service redirects to HTTPS"#, r#"^plain HTTP to the "([^"]+)" service redirects to HTTPS$"#, step!(p::https_redirect)).service(1),
        def(
            Then,
            r#"the Content-Security-Policy does not let the browser connect to "{host}""#,
            r#"^the Content-Security-Policy does not let the browser connect to "([^"]+)"$"#,
            step!(p::csp_blocks),
        ),
        def(
            Then,
            r#"the JSON embedded in the page as "{#id}" equals the remembered "{name}""#,
            r#"^the JSON embedded in the page as "([^"]+)" equals the remembered "([^"]+)"$"#,
            step!(p::embedded_equals),
        ),
        def(Then, r#"row level security is enabled on table "{table}""#, r#"^row level security is enabled on table "([^"]+)"$"#, step!(p::rls_enabled)),
        def(Then, r#"no policy on table "{table}" lets "{role}" read"#, r#"^no policy on table "([^"]+)" lets "([^"]+)" read$"#, step!(p::no_read_policy)),
        def(Then, r#"the claim cannot be checked yet: "{reason}""#, r#"^the claim cannot be checked yet: "(.+)"$"#, step!(p::unchecked)),
    ]
});

/// Every step the harness defines.
pub fn vocabulary() -> &'static [StepDef] {
    &VOCABULARY
}

/// The vocabulary as a cucumber step collection.
/// The literal start of an anchored pattern (`^the status is (\d{3})$` →
/// `the status is `).
fn literal_prefix(re: &'static str) -> &'static str {
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

impl StepDef {
    pub fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            Regex::new(self.pattern)
                .unwrap_or_else(|e| unreachable!("step regex {}: {e}", self.pattern))
        })
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

/// Runs the definition a step matches. Cucumber's own lookup tries every
/// regex of the step's type with captures; this dispatches with one
/// regex-set pass and one capture, and `check` has already ruled out
/// undefined and ambiguous steps.
fn dispatch(w: &mut World, ctx: Context) -> LocalBoxFuture<'_, ()> {
    let Some(d) = matching(&ctx.step).first().copied() else {
        let step = format!("{} {}", keyword(ctx.step.ty), ctx.step.value);
        return Box::pin(
            async move { w.fail(StepError::config(format!("undefined step `{step}`"))) },
        );
    };
    let re = d.regex();
    let matches = re.captures(&ctx.step.value).map_or_else(Vec::new, |c| {
        re.capture_names()
            .zip(c.iter())
            .map(|(name, m)| {
                (
                    name.map(str::to_owned),
                    m.map_or_else(String::new, |m| m.as_str().to_owned()),
                )
            })
            .collect()
    });
    (d.func)(
        w,
        Context {
            step: ctx.step,
            matches,
        },
    )
}

/// The vocabulary as a cucumber step collection: one catch-all per step
/// type that dispatches through the regex sets.
pub fn collection() -> Collection<World> {
    let all = || Regex::new(r"(?s)^.*$").unwrap_or_else(|e| unreachable!("{e}"));
    Collection::new()
        .given(None, all(), dispatch)
        .when(None, all(), dispatch)
        .then(None, all(), dispatch)
}

pub fn keyword(ty: StepType) -> &'static str {
    match ty {
        StepType::Given => "Given",
        StepType::When => "When",
        StepType::Then => "Then",
    }
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
            if let Some(name) = crate::baseline::step_baseline(&step.value) {
                crate::baseline::validate_name(name)?;
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

pub(crate) fn arg(ctx: &Context, i: usize) -> &str {
    ctx.matches.get(i).map_or("", |(_, v)| v.as_str())
}

fn parse_path(text: &str) -> Result<JsonPath, StepError> {
    text.parse::<JsonPath>()
        .map_err(|e| StepError::config(e.to_string()))
}

fn parse_json_value(text: &str) -> Result<Value, String> {
    serde_json::from_str(text.trim()).map_err(|_| {
        format!("{text} is not a JSON value: write strings in quotes (\"ok\"), numbers, true, false or null")
    })
}

async fn given_service(w: &mut World, ctx: &Context) -> StepResult {
    let name = arg(ctx, 1);
    let run = w.ctx()?;
    if !run.environment.surfaces.contains_key(name) {
        return Err(StepError::config(format!(
            "environment '{}' has no \"{name}\" service (it has: {})",
            run.environment.name,
            run.environment
                .surfaces
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    // Headers belong to the service they were set for: switching services
    // starts afresh, so a secret never follows the scenario to another surface.
    if w.service.as_deref() != Some(name) {
        w.headers.clear();
        w.follow_redirects = false;
    }
    w.service = Some(name.to_owned());
    Ok(())
}

async fn given_header(w: &mut World, ctx: &Context) -> StepResult {
    let (name, value) = (arg(ctx, 1), arg(ctx, 2));
    w.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    // Kept as written: secrets are interpolated only when the request is built.
    w.headers.push((name.to_owned(), value.to_owned()));
    Ok(())
}

async fn given_follow(w: &mut World, _ctx: &Context) -> StepResult {
    w.follow_redirects = true;
    Ok(())
}

fn method(name: &str) -> Result<reqwest::Method, StepError> {
    name.parse::<reqwest::Method>()
        .map_err(|_| StepError::config(format!("unknown HTTP method {name}")))
}

async fn when_request(w: &mut World, ctx: &Context) -> StepResult {
    let m = method(arg(ctx, 1))?;
    w.send(m, arg(ctx, 2), None).await
}

async fn when_request_json(w: &mut World, ctx: &Context) -> StepResult {
    let m = method(arg(ctx, 1))?;
    let body = ctx.step.docstring.clone().unwrap_or_default();
    let interpolated = w.interpolate(&body)?;
    if let Err(e) = serde_json::from_str::<Value>(&interpolated.text) {
        let scrubbed = w.ctx()?.redactor.scrub(&e.to_string()).into_owned();
        return Err(StepError::config(format!(
            "the JSON body below the step is not valid JSON: {scrubbed}"
        )));
    }
    w.send(m, arg(ctx, 2), Some(&body)).await
}

async fn when_remember(w: &mut World, ctx: &Context) -> StepResult {
    let path = parse_path(arg(ctx, 1))?;
    let value = path
        .get(w.json()?)
        .cloned()
        .ok_or_else(|| StepError::assertion(format!("{path}: nothing there to remember")))?;
    w.remembered.insert(arg(ctx, 2).to_owned(), value);
    Ok(())
}

async fn then_status(w: &mut World, ctx: &Context) -> StepResult {
    let want: u16 = arg(ctx, 1)
        .parse()
        .map_err(|_| StepError::config("bad status code"))?;
    check_status(w, &[want])
}

async fn then_status_one_of(w: &mut World, ctx: &Context) -> StepResult {
    let codes: Vec<u16> = arg(ctx, 1)
        .split([',', ' '])
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    check_status(w, &codes)
}

fn check_status(w: &World, want: &[u16]) -> StepResult {
    let r = w.response()?;
    if want.contains(&r.status) {
        return Ok(());
    }
    let want_text = want
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    let message = format!(
        "{} {}: expected status {want_text}, actual {}; body: {}",
        r.method,
        r.url,
        r.status,
        r.body_preview(200)
    );
    // A 5xx nobody asked for is the service failing, not a different answer.
    if r.status >= 500 && !want.iter().any(|w| *w >= 500) {
        Err(StepError::new(
            crate::core::error::ErrorKind::ServerError,
            message,
        ))
    } else {
        Err(StepError::assertion(message))
    }
}

async fn then_header(w: &mut World, ctx: &Context) -> StepResult {
    let (name, op, want) = (arg(ctx, 1), arg(ctx, 2), w.interpolate(arg(ctx, 3))?.text);
    let r = w.response()?;
    let values: Vec<&str> = r
        .headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return Err(StepError::assertion(format!(
            "{} {}: no \"{name}\" header in the response (expected it to {op} {want:?})",
            r.method, r.url
        )));
    }
    let ok = match op {
        "is" => values.iter().any(|v| *v == want),
        "contains" => values.iter().any(|v| v.contains(&want)),
        _ => {
            let re = matcher::cached_regex(&want)
                .map_err(|e| StepError::config(format!("bad regex {want:?}: {e}")))?;
            values.iter().any(|v| re.is_match(v))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(StepError::assertion(format!(
            "{} {}: header \"{name}\": expected it to {op} {want:?}, actual {:?}",
            r.method,
            r.url,
            values.join(", ")
        )))
    }
}

async fn then_header_presence(w: &mut World, ctx: &Context) -> StepResult {
    let (name, want_present) = (arg(ctx, 1), arg(ctx, 2) == "present");
    let r = w.response()?;
    let present = r.headers.contains_key(name);
    if present == want_present {
        Ok(())
    } else {
        Err(StepError::assertion(format!(
            "{} {}: expected the \"{name}\" header to be {}, but it is {}",
            r.method,
            r.url,
            arg(ctx, 2),
            if present { "present" } else { "absent" }
        )))
    }
}

/// Matches `actual` (selected at `root` of the last response), quoting
/// actual values in a failure with secrets and personal data redacted.
fn check_json(
    w: &World,
    root: &str,
    want: &Value,
    actual: Option<&Value>,
    mode: Mode,
) -> StepResult {
    let ctx = w.ctx()?;
    let r = w.response()?;
    let redact = |path: &str, key: &str, v: &Value| ctx.redactor.value(v, key, path);
    matcher::match_redacted(root, want, actual, mode, &redact).map_err(|e| match_error(e, r))
}

fn match_error(e: MatchError, r: &crate::probe::http::HttpResponse) -> StepError {
    match e {
        MatchError::Expectation(e) => StepError::config(format!("invalid expectation: {e}")),
        MatchError::Mismatches(_) => StepError::assertion(format!("{} {}: {e}", r.method, r.url)),
    }
}

async fn then_json_at_is(w: &mut World, ctx: &Context) -> StepResult {
    let path = parse_path(arg(ctx, 1))?;
    let want = w.interpolate(arg(ctx, 2))?.text;
    let want = parse_json_value(&want).map_err(StepError::config)?;
    let actual = path.get(w.response()?.json()?);
    check_json(w, &path.to_string(), &want, actual, Mode::Exact)
}

fn block_mode(word: &str) -> Mode {
    if word == "contains" {
        Mode::Contains
    } else {
        Mode::Exact
    }
}

fn expectation(w: &World, ctx: &Context) -> Result<Value, StepError> {
    let doc = ctx.step.docstring.clone().unwrap_or_default();
    let text = w.interpolate(&doc)?.text;
    serde_json::from_str(&text)
        .map_err(|e| StepError::config(format!("the JSON below the step is not valid JSON: {e}")))
}

async fn then_json_block(w: &mut World, ctx: &Context) -> StepResult {
    let want = expectation(w, ctx)?;
    let actual = w.response()?.json()?;
    check_json(w, "$", &want, Some(actual), block_mode(arg(ctx, 1)))
}

async fn then_json_at_block(w: &mut World, ctx: &Context) -> StepResult {
    let path = parse_path(arg(ctx, 1))?;
    let want = expectation(w, ctx)?;
    let actual = path.get(w.response()?.json()?);
    check_json(w, &path.to_string(), &want, actual, block_mode(arg(ctx, 2)))
}

async fn then_equals_remembered(w: &mut World, ctx: &Context) -> StepResult {
    let path = parse_path(arg(ctx, 1))?;
    let name = arg(ctx, 2);
    let remembered = w.remembered.get(name).ok_or_else(|| {
        StepError::config(format!(
            "nothing was remembered as \"{name}\" in this scenario"
        ))
    })?;
    let r = w.response()?;
    let run = w.ctx()?;
    let (at, key) = (path.to_string(), matcher::last_key(&path.to_string()));
    // Both sides are answers: quoted redacted, before `describe` cuts them.
    let shown = |v: &Value| matcher::describe(&run.redactor.value(v, &key, &at));
    match path.get(r.json()?) {
        Some(v) if v == remembered => Ok(()),
        other => Err(StepError::assertion(format!(
            "{path}: expected the remembered \"{name}\" = {}, actual {}",
            shown(remembered),
            other.map_or_else(|| "nothing (absent)".to_owned(), shown)
        ))),
    }
}

async fn then_body_contains(w: &mut World, ctx: &Context) -> StepResult {
    let want = w.interpolate(arg(ctx, 1))?.text;
    let r = w.response()?;
    if r.text_strict()?.contains(&want) {
        Ok(())
    } else {
        Err(StepError::assertion(format!(
            "{} {}: the body does not contain {want:?}; it starts: {}",
            r.method,
            r.url,
            r.body_preview(200)
        )))
    }
}

async fn then_body_lacks(w: &mut World, ctx: &Context) -> StepResult {
    let unwanted = w.interpolate(arg(ctx, 1))?.text;
    let r = w.response()?;
    if r.text_strict()?.contains(&unwanted) {
        Err(StepError::assertion(format!(
            "{} {}: the body contains {unwanted:?}",
            r.method, r.url
        )))
    } else {
        Ok(())
    }
}

async fn then_response_time(w: &mut World, ctx: &Context) -> StepResult {
    let budget: u64 = arg(ctx, 1)
        .parse()
        .map_err(|_| StepError::config("bad number of ms"))?;
    let r = w.response()?;
    let took = r.elapsed.as_millis();
    if took < u128::from(budget) {
        Ok(())
    } else {
        Err(StepError::assertion(format!(
            "{} {}: took {took} ms, over the {budget} ms budget",
            r.method, r.url
        )))
    }
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
    fn literal_prefixes_are_sound() {
        assert_eq!(literal_prefix("^the status is (\\d+)$"), "the status is ");
        assert_eq!(literal_prefix("^abc?d"), "ab");
        assert_eq!(literal_prefix("^ab*"), "a");
        assert_eq!(literal_prefix("^ab{2}"), "a");
        assert_eq!(literal_prefix("^abc|xyz"), "");
        assert_eq!(literal_prefix("^a(b|c)"), "a");
        assert_eq!(literal_prefix("no anchor"), "");
        // Every definition's prefix is literally the start of what it matches:
        // the prefix filter may never rule out a step its regex accepts.
        for d in vocabulary() {
            assert!(
                d.pattern.starts_with(&format!("^{}", d.prefix)),
                "{}: prefix {:?}",
                d.template,
                d.prefix
            );
            assert!(
                !d.prefix.contains(['\\', '(', '[', '|', '.', '*', '?', '+']),
                "{}: prefix {:?} holds regex syntax",
                d.template,
                d.prefix
            );
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
