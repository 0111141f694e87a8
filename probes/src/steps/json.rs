//! JSON steps: a value at a path, a document or a part of it matched with
//! `#` markers, failures quoting what they found redacted.

use cucumber::step::Context;
use serde_json::Value;

use super::def::arg;
use crate::core::error::{StepError, StepResult};
use crate::core::jsonpath::JsonPath;
use crate::core::matcher::{self, MatchError, Mode};
use crate::world::World;

pub(crate) fn parse_path(text: &str) -> Result<JsonPath, StepError> {
    text.parse::<JsonPath>()
        .map_err(|e| StepError::config(e.to_string()))
}

pub(crate) fn parse_json_value(text: &str) -> Result<Value, String> {
    serde_json::from_str(text.trim()).map_err(|_| {
        format!("{text} is not a JSON value: write strings in quotes (\"ok\"), numbers, true, false or null")
    })
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

pub(crate) async fn then_json_at_is(w: &mut World, ctx: &Context) -> StepResult {
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

pub(crate) async fn then_json_block(w: &mut World, ctx: &Context) -> StepResult {
    let want = expectation(w, ctx)?;
    let actual = w.response()?.json()?;
    check_json(w, "$", &want, Some(actual), block_mode(arg(ctx, 1)))
}

pub(crate) async fn then_json_at_block(w: &mut World, ctx: &Context) -> StepResult {
    let path = parse_path(arg(ctx, 1))?;
    let want = expectation(w, ctx)?;
    let actual = path.get(w.response()?.json()?);
    check_json(w, &path.to_string(), &want, actual, block_mode(arg(ctx, 2)))
}
