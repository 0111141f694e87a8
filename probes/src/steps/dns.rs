//! DNS: look up one record type at one name, then hold the answer to what
//! the Canon says (delegated to Cloudflare, the host resolves, the SPF and
//! DKIM records Resend verifies are there).

use std::time::Instant;

use cucumber::step::Context;
use serde_json::Value;

use super::def::{arg, record};
use crate::core::error::{StepError, StepResult};
use crate::probe::dns::{Answer, RecordKind};
use crate::world::World;

/// When I look up the "NS" records of "hellolucia.ai"
pub(crate) async fn look_up(w: &mut World, ctx: &Context) -> StepResult {
    let kind: RecordKind = arg(ctx, 1).parse()?;
    let name = w.interpolate(arg(ctx, 2))?.text;
    let run = w.ctx()?;
    let client = run.dns()?;
    let timeout = run.environment.request_timeout.min(w.time_left());
    let started = Instant::now();
    let result = client.lookup(&name, kind, timeout).await;
    record(
        w,
        "dns",
        kind.as_str(),
        format!("dns://{}/{name}", client.server()),
        None,
        started,
        result.as_ref().err().map(|e| e.kind),
    );
    w.dns = Some(result?);
    Ok(())
}

fn answer(w: &World) -> Result<&Answer, StepError> {
    w.dns.as_ref().ok_or_else(|| {
        StepError::config(
            "there is no DNS answer yet: a `When I look up the \"A\" records of \"…\"` step must come before this one",
        )
    })
}

/// Then at least one record is returned
pub(crate) async fn exists(w: &mut World, _ctx: &Context) -> StepResult {
    let a = answer(w)?;
    if a.records.is_empty() {
        return Err(StepError::assertion(format!(
            "{}: the name exists, but holds no {} record",
            a.name, a.kind
        )));
    }
    Ok(())
}

/// Then every record ends with "ns.cloudflare.com" (case-insensitive, a
/// final dot ignored; an empty answer fails).
pub(crate) async fn all_end_with(w: &mut World, ctx: &Context) -> StepResult {
    let suffix = w
        .interpolate(arg(ctx, 1))?
        .text
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let a = answer(w)?;
    let stray: Vec<&String> = a
        .records
        .iter()
        .filter(|r| !r.to_ascii_lowercase().ends_with(&suffix))
        .collect();
    if a.records.is_empty() || !stray.is_empty() {
        return Err(StepError::assertion(format!(
            "expected every {} record of {} to end with {suffix:?}; {a}",
            a.kind, a.name
        )));
    }
    Ok(())
}

/// Then a record contains "v=spf1 include:amazonses.com"
pub(crate) async fn some_contains(w: &mut World, ctx: &Context) -> StepResult {
    let text = w.interpolate(arg(ctx, 1))?.text;
    let a = answer(w)?;
    if a.records.iter().any(|r| r.contains(&text)) {
        return Ok(());
    }
    Err(StepError::assertion(format!(
        "expected a {} record of {} containing {text:?}; {a}",
        a.kind, a.name
    )))
}

/// Then a record equals the remembered "dkim": the value a provider's API
/// says must be published (a JSON string, its quotes as the provider shows
/// them ignored).
pub(crate) async fn some_equals_remembered(w: &mut World, ctx: &Context) -> StepResult {
    let name = arg(ctx, 1);
    let expected = match w.remembered.get(name) {
        Some(Value::String(s)) => s.trim_matches('"').to_owned(),
        Some(other) => other.to_string(),
        None => {
            return Err(StepError::config(format!(
                "nothing was remembered as \"{name}\" in this scenario"
            )));
        }
    };
    let a = answer(w)?;
    if a.records.contains(&expected) {
        return Ok(());
    }
    Err(StepError::assertion(format!(
        "expected a {} record of {} equal to the remembered \"{name}\" ({expected:?}); {a}",
        a.kind, a.name
    )))
}
