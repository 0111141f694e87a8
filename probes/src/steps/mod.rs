//! The step vocabulary. Each step is a regex, a template people read in
//! "did you mean" hints and `lucia-harness steps`, and an async fn.
//!
//! - `def`: what a step definition is, and the helpers the families share;
//! - `vocabulary`: the table of every step;
//! - `check`: a written step resolved and checked without running it;
//! - one file per family of steps: `requests`, `responses` (status,
//!   headers, body, timing, Content-Security-Policy), `json`, `memory`
//!   (remembered values, JSON embedded in a page), `baseline`, `providers`
//!   (signed webhooks, a Render restart), `tls` (certificates, the HTTPS
//!   redirect), `dns` (a record type at a name), `postgres`, `unchecked`.
//!
//! This file hands cucumber the table as a step collection.

pub mod baseline;
mod check;
mod def;
mod dns;
mod json;
mod memory;
mod postgres;
mod providers;
mod requests;
mod responses;
mod tls;
mod unchecked;
mod vocabulary;

use cucumber::step::{Collection, Context};
use futures::future::LocalBoxFuture;
use regex::Regex;

pub use check::{Requirement, StepProblem, check_step, matching, requirements, services, suggest};
pub use def::{Block, Needs, StepDef, keyword};
pub use vocabulary::vocabulary;

use crate::core::error::StepError;
use crate::world::World;

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
