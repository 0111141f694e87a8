//! Checks of the last response: its status, headers, body, response time
//! and Content-Security-Policy.

use cucumber::step::Context;

use super::def::arg;
use crate::core::error::{StepError, StepResult};
use crate::core::matcher;
use crate::world::World;

pub(crate) async fn then_status(w: &mut World, ctx: &Context) -> StepResult {
    let want: u16 = arg(ctx, 1)
        .parse()
        .map_err(|_| StepError::config("bad status code"))?;
    check_status(w, &[want])
}

pub(crate) async fn then_status_one_of(w: &mut World, ctx: &Context) -> StepResult {
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

pub(crate) async fn then_header(w: &mut World, ctx: &Context) -> StepResult {
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

pub(crate) async fn then_header_presence(w: &mut World, ctx: &Context) -> StepResult {
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

pub(crate) async fn then_body_contains(w: &mut World, ctx: &Context) -> StepResult {
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

pub(crate) async fn then_body_lacks(w: &mut World, ctx: &Context) -> StepResult {
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

pub(crate) async fn then_response_time(w: &mut World, ctx: &Context) -> StepResult {
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

/// Then the Content-Security-Policy does not let the browser connect to "host"
pub(crate) async fn csp_blocks(w: &mut World, ctx: &Context) -> StepResult {
    let host = w.interpolate(arg(ctx, 1))?.text;
    let r = w.response()?;
    match crate::core::csp::connect_allowed(r.header("content-security-policy"), &host) {
        None => Ok(()),
        Some(why) => Err(StepError::assertion(format!(
            "{} {}: {why}",
            r.method, r.url
        ))),
    }
}
