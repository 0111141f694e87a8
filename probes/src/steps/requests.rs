//! Request steps: the service, its headers, redirects, and the requests
//! themselves (with or without a JSON body).

use cucumber::step::Context;
use serde_json::Value;

use super::def::arg;
use crate::core::error::{StepError, StepResult};
use crate::world::World;

pub(crate) async fn given_service(w: &mut World, ctx: &Context) -> StepResult {
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
        w.basic_auth = None;
        w.follow_redirects = false;
    }
    w.service = Some(name.to_owned());
    Ok(())
}

pub(crate) async fn given_header(w: &mut World, ctx: &Context) -> StepResult {
    let (name, value) = (arg(ctx, 1), arg(ctx, 2));
    w.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    if name.eq_ignore_ascii_case("authorization") {
        w.basic_auth = None;
    }
    // Kept as written: secrets are interpolated only when the request is built.
    w.headers.push((name.to_owned(), value.to_owned()));
    Ok(())
}

/// HTTP basic auth (`Authorization: Basic base64(user:password)`), built
/// when the request is, so secrets in either part stay `${NAME}` until then
/// and go only to the surfaces they are allowed on.
pub(crate) async fn given_basic_auth(w: &mut World, ctx: &Context) -> StepResult {
    w.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    w.basic_auth = Some((arg(ctx, 1).to_owned(), arg(ctx, 2).to_owned()));
    Ok(())
}

pub(crate) async fn given_follow(w: &mut World, _ctx: &Context) -> StepResult {
    w.follow_redirects = true;
    Ok(())
}

fn method(name: &str) -> Result<reqwest::Method, StepError> {
    name.parse::<reqwest::Method>()
        .map_err(|_| StepError::config(format!("unknown HTTP method {name}")))
}

pub(crate) async fn when_request(w: &mut World, ctx: &Context) -> StepResult {
    let m = method(arg(ctx, 1))?;
    w.send(m, arg(ctx, 2), None).await
}

pub(crate) async fn when_request_json(w: &mut World, ctx: &Context) -> StepResult {
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
