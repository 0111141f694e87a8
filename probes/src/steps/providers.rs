//! Steps that play Lucia's providers: signed Twilio, Stripe and Postmark
//! webhooks, and a restart through Render's API.

use std::time::{Duration, Instant};

use cucumber::step::Context;
use serde_json::{Value, json};

use super::def::arg;
use crate::core::duration::human;
use crate::core::error::{ErrorKind, StepError, StepResult};
use crate::core::signing;
use crate::world::{Outgoing, World};

fn secret(w: &World, name: &str) -> Result<String, StepError> {
    let ctx = w.ctx()?;
    ctx.environment
        .secrets
        .get(name)
        .map(|s| s.value.clone())
        .ok_or_else(|| {
            StepError::config(format!(
                "this step signs with ${{{name}}}, which environment '{}' does not provide",
                ctx.environment.name
            ))
        })
}

/// `signed`, `unsigned` or `wrongly signed`: the key to sign with, if any.
fn signing_key(w: &World, how: &str, secret_name: &str) -> Result<Option<String>, StepError> {
    match how {
        "unsigned" | "without" => Ok(None),
        "wrongly signed" | "with wrong" => Ok(Some(signing::wrong_key(&secret(w, secret_name)?))),
        _ => Ok(Some(secret(w, secret_name)?)),
    }
}

/// When Twilio sends a (signed|unsigned|wrongly signed) (SMS|WhatsApp message) to "path" with: | table |
pub(crate) async fn twilio(w: &mut World, ctx: &Context) -> StepResult {
    let (how, what, path) = (arg(ctx, 1), arg(ctx, 2), arg(ctx, 3));
    let service = w.selected_service()?;
    let path = w.interpolate(path)?.text;
    let mut params: Vec<(String, String)> = Vec::new();
    if let Some(table) = &ctx.step.table {
        for row in &table.rows {
            if let [k, v] = row.as_slice() {
                params.push((k.trim().to_owned(), w.interpolate(v.trim())?.text));
            }
        }
    }
    if !params.iter().any(|(k, _)| k == "MessageSid") {
        params.push((
            "MessageSid".into(),
            format!("SM{}", uuid::Uuid::new_v4().simple()),
        ));
    }
    if what.starts_with("WhatsApp") {
        for (k, v) in &mut params {
            if (k == "From" || k == "To") && !v.starts_with("whatsapp:") {
                *v = format!("whatsapp:{v}");
            }
        }
    }
    let url = format!("{}{path}", w.base_url(&service)?);
    let mut out = Outgoing::new(reqwest::Method::POST, path);
    out.headers.push((
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    ));
    if let Some(key) = signing_key(w, how, "TWILIO_AUTH_TOKEN")? {
        out.headers.push((
            "x-twilio-signature".into(),
            signing::twilio_signature(&key, &url, &params),
        ));
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    out.body = Some(body.into_bytes());
    let resp = w.dispatch(&service, out).await?;
    w.response = Some(resp);
    Ok(())
}

/// When Stripe sends a (signed|unsigned|wrongly signed) "type" event to "path" with JSON: (data.object)
pub(crate) async fn stripe(w: &mut World, ctx: &Context) -> StepResult {
    let (how, kind, path) = (arg(ctx, 1), arg(ctx, 2), arg(ctx, 3));
    let service = w.selected_service()?;
    let path = w.interpolate(path)?.text;
    let doc = ctx.step.docstring.clone().unwrap_or_default();
    let object: Value = serde_json::from_str(&w.interpolate(&doc)?.text).map_err(|e| {
        StepError::config(format!(
            "the event's data.object below the step is not JSON: {e}"
        ))
    })?;
    let created = chrono::Utc::now().timestamp();
    let event = json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": false,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": object},
    });
    let payload = event.to_string().into_bytes();
    let mut out = Outgoing::new(reqwest::Method::POST, path);
    out.headers
        .push(("content-type".into(), "application/json".into()));
    if let Some(key) = signing_key(w, how, "STRIPE_WEBHOOK_SECRET")? {
        out.headers.push((
            "stripe-signature".into(),
            signing::stripe_signature(&key, created, &payload),
        ));
    }
    out.body = Some(payload);
    let resp = w.dispatch(&service, out).await?;
    w.response = Some(resp);
    Ok(())
}

/// When Postmark delivers an inbound email to "path" (with|without|with wrong) basic auth: (JSON)
pub(crate) async fn postmark(w: &mut World, ctx: &Context) -> StepResult {
    let (path, how) = (arg(ctx, 1), arg(ctx, 2));
    let service = w.selected_service()?;
    let path = w.interpolate(path)?.text;
    let doc = ctx.step.docstring.clone().unwrap_or_default();
    let body = w.interpolate(&doc)?.text;
    serde_json::from_str::<Value>(&body).map_err(|e| {
        StepError::config(format!("the inbound email below the step is not JSON: {e}"))
    })?;
    let mut out = Outgoing::new(reqwest::Method::POST, path);
    out.headers
        .push(("content-type".into(), "application/json".into()));
    if let Some(credentials) = signing_key(w, how, "POSTMARK_INBOUND_AUTH")? {
        out.headers
            .push(("authorization".into(), signing::basic_auth(&credentials)));
        out.secrets.push("POSTMARK_INBOUND_AUTH".into());
    }
    out.body = Some(body.into_bytes());
    let resp = w.dispatch(&service, out).await?;
    w.response = Some(resp);
    Ok(())
}

/// When the "engine" service is restarted — through Render's API shape
/// (`POST /v1/services/{id}/restart`, bearer key), then waits until the
/// service is healthy again and has really restarted.
pub(crate) async fn restart(w: &mut World, ctx: &Context) -> StepResult {
    let service = arg(ctx, 1).to_owned();
    let run = w.ctx()?;
    let env = &run.environment;
    if !env.allow_restart {
        return Err(StepError::config(format!(
            "environment '{}' does not allow restarts (environments.toml `restarts = false`)",
            env.name
        )));
    }
    let id = env.render_services.get(&service).cloned().ok_or_else(|| {
        StepError::config(format!(
            "no Render service id for \"{service}\": add `{service} = \"srv-…\"` under [environments.{}.render_services]",
            env.name
        ))
    })?;
    let before = health(w, &service)
        .await
        .ok()
        .and_then(|(s, v)| (s == 200).then_some(v))
        .and_then(|v| v["uptime_seconds"].as_f64());
    let mut out = Outgoing::new(reqwest::Method::POST, format!("/v1/services/{id}/restart"));
    out.headers.push((
        "authorization".into(),
        format!("Bearer {}", secret(w, "RENDER_API_KEY")?),
    ));
    out.headers
        .push(("accept".into(), "application/json".into()));
    out.secrets.push("RENDER_API_KEY".into());
    let resp = w.dispatch("render", out).await?;
    if !(200..300).contains(&resp.status) {
        return Err(StepError::assertion(format!(
            "Render refused the restart of {id}: status {}, body: {}",
            resp.status,
            resp.body_preview(200)
        )));
    }
    // Back when healthy and either seen down or younger than before.
    let started = Instant::now();
    let mut seen_down = false;
    loop {
        if w.time_left().is_zero() {
            return Err(StepError::new(
                ErrorKind::Timeout,
                format!(
                    "\"{service}\" did not come back healthy after the restart within the scenario timeout ({} waited)",
                    human(started.elapsed())
                ),
            ));
        }
        match health(w, &service).await {
            Ok((200, v)) => {
                let younger = match (before, v["uptime_seconds"].as_f64()) {
                    (Some(b), Some(now)) => now < b,
                    _ => false,
                };
                if seen_down || younger {
                    return Ok(());
                }
            }
            _ => seen_down = true,
        }
        tokio::time::sleep(Duration::from_millis(100).min(w.time_left())).await;
    }
}

async fn health(w: &mut World, service: &str) -> Result<(u16, Value), StepError> {
    let resp = w
        .dispatch(service, Outgoing::new(reqwest::Method::GET, "/health"))
        .await?;
    let v = resp.json().cloned().unwrap_or(Value::Null);
    Ok((resp.status, v))
}
