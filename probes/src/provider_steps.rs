//! Steps that play Lucia's providers and inspect what HTTP alone cannot:
//! signed Twilio, Stripe and Postmark webhooks, a Render restart, TLS
//! certificates, HTTPS redirects, Content-Security-Policy, embedded page
//! data, and the Postgres access boundary.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cucumber::step::Context;
use serde_json::{Value, json};

use crate::core::duration::human;
use crate::core::error::{ErrorKind, StepError, StepResult};
use crate::core::signing;
use crate::probe::http::HttpRequest;
use crate::steps::arg;
use crate::world::{Exchange, Outgoing, World};

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

fn host_port(url: &str) -> Result<(url::Url, String, u16), StepError> {
    let u = url::Url::parse(url)
        .map_err(|e| StepError::config(format!("{url:?} is not a URL: {e}")))?;
    let host = u
        .host_str()
        .ok_or_else(|| StepError::config(format!("{url:?} has no host")))?
        .trim_matches(['[', ']'])
        .to_owned();
    let port = u.port_or_known_default().unwrap_or(443);
    Ok((u, host, port))
}

fn record(
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
    });
}

/// Then the TLS certificate of the "engine" service is valid for at least N days
pub(crate) async fn tls_valid(w: &mut World, ctx: &Context) -> StepResult {
    let service = arg(ctx, 1);
    let days: i64 = arg(ctx, 2)
        .parse()
        .map_err(|_| StepError::config("bad number of days"))?;
    let (u, host, port) = host_port(&w.base_url(service)?)?;
    if u.scheme() != "https" {
        return Err(StepError::config(format!(
            "the \"{service}\" service is not served over https in this environment ({u})"
        )));
    }
    let run = w.ctx()?;
    let timeout = run.environment.request_timeout.min(w.time_left());
    let started = Instant::now();
    let result = w
        .guarded(
            &format!("https://{host}:{port}"),
            crate::probe::tls::inspect(
                &host,
                port,
                run.environment.extra_ca_pem.as_deref(),
                timeout,
            ),
        )
        .await;
    record(
        w,
        service,
        "TLS",
        format!("{host}:{port}"),
        None,
        started,
        result.as_ref().err().map(|e| e.kind),
    );
    let info = result?;
    let left = info.days_left();
    if left < days {
        return Err(StepError::assertion(format!(
            "the certificate of {host} expires {} (in {left} days), less than the {days} days required (issuer: {})",
            info.not_after.format("%Y-%m-%d"),
            info.issuer
        )));
    }
    Ok(())
}

/// Then plain HTTP to the "engine" service redirects to HTTPS
pub(crate) async fn https_redirect(w: &mut World, ctx: &Context) -> StepResult {
    let service = arg(ctx, 1);
    let (mut u, _, _) = host_port(&w.base_url(service)?)?;
    let explicit_port = u.port();
    u.set_scheme("http")
        .map_err(|()| StepError::config("cannot build the plain-HTTP URL"))?;
    if explicit_port.is_none() {
        let _ = u.set_port(None);
    }
    let url = format!("{}/", u.as_str().trim_end_matches('/'));
    let run = w.ctx()?;
    let timeout = run.environment.request_timeout.min(w.time_left());
    let started = Instant::now();
    let request = HttpRequest {
        method: reqwest::Method::GET,
        url: url.clone(),
        headers: Vec::new(),
        body: None,
        follow_redirects: false,
    };
    let result = w.guarded(&url, run.http.send(request, timeout)).await;
    record(
        w,
        service,
        "GET",
        url.clone(),
        result.as_ref().ok().map(|r| r.status),
        started,
        result.as_ref().err().map(|e| e.kind),
    );
    let resp = result?;
    let location = resp.header("location").unwrap_or_default().to_owned();
    let redirect = matches!(resp.status, 301 | 302 | 303 | 307 | 308);
    if redirect && location.starts_with("https://") {
        return Ok(());
    }
    Err(StepError::assertion(format!(
        "GET {url} answered {}{} instead of redirecting to https://",
        resp.status,
        if location.is_empty() {
            String::new()
        } else {
            format!(" (Location: {location})")
        }
    )))
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

/// The JSON inside `<script type="application/json" id="…">` of an HTML page.
pub fn embedded_json(html: &str, id: &str) -> Result<Value, String> {
    let id = id.trim_start_matches('#');
    let marker = [format!("id=\"{id}\""), format!("id='{id}'")];
    let at = marker
        .iter()
        .find_map(|m| html.find(m.as_str()))
        .ok_or_else(|| format!("the page has no element with id \"{id}\""))?;
    let open_end = html[at..]
        .find('>')
        .map(|i| at + i + 1)
        .ok_or("unterminated tag")?;
    let close = html[open_end..]
        .find("</script>")
        .map(|i| open_end + i)
        .ok_or("no </script> after the element")?;
    serde_json::from_str(html[open_end..close].trim())
        .map_err(|e| format!("the element \"{id}\" does not hold JSON: {e}"))
}

/// Then the JSON embedded in the page as "#id" equals the remembered "name"
pub(crate) async fn embedded_equals(w: &mut World, ctx: &Context) -> StepResult {
    let (id, name) = (arg(ctx, 1), arg(ctx, 2));
    let remembered = w.remembered.get(name).cloned().ok_or_else(|| {
        StepError::config(format!(
            "nothing was remembered as \"{name}\" in this scenario"
        ))
    })?;
    let r = w.response()?;
    let page = embedded_json(r.text_strict()?, id)
        .map_err(|m| StepError::assertion(format!("{} {}: {m}", r.method, r.url)))?;
    if page == remembered {
        return Ok(());
    }
    let run = w.ctx()?;
    let redact = |path: &str, key: &str, v: &Value| run.redactor.value(v, key, path);
    let diff = crate::core::matcher::match_redacted(
        "$",
        &remembered,
        Some(&page),
        crate::core::matcher::Mode::Exact,
        &redact,
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    Err(StepError::assertion(format!(
        "{} {}: the page's \"{id}\" differs from the remembered \"{name}\" (the page must render exactly that):\n{diff}",
        r.method, r.url
    )))
}

/// Given the Postgres database "name"
pub(crate) async fn database(w: &mut World, ctx: &Context) -> StepResult {
    let name = arg(ctx, 1);
    let run = w.ctx()?;
    let env = &run.environment;
    let db = env.databases.get(name).ok_or_else(|| {
        StepError::config(format!(
            "environment '{}' names no database \"{name}\" ([environments.{}.databases])",
            env.name, env.name
        ))
    })?;
    let dsn = db.dsn.as_deref().ok_or_else(|| {
        StepError::config(format!(
            "database \"{name}\": the environment variable {} is not set",
            db.env_var
        ))
    })?;
    let timeout = env.request_timeout.min(w.time_left());
    let started = Instant::now();
    let result =
        crate::probe::postgres::Db::connect(name, dsn, env.extra_ca_pem.as_deref(), timeout).await;
    record(
        w,
        name,
        "CONNECT",
        format!("postgres:{name}"),
        None,
        started,
        result.as_ref().err().map(|e| e.kind),
    );
    w.db = Some(Arc::new(result?));
    Ok(())
}

fn db(w: &World) -> Result<crate::probe::postgres::SharedDb, StepError> {
    w.db.clone().ok_or_else(|| {
        StepError::config("no database selected: start with `Given the Postgres database \"…\"`")
    })
}

/// Then row level security is enabled on table "t"
pub(crate) async fn rls_enabled(w: &mut World, ctx: &Context) -> StepResult {
    let table = arg(ctx, 1);
    let db = db(w)?;
    let (enabled, _forced) = db.row_security(table).await?;
    if enabled {
        Ok(())
    } else {
        Err(StepError::assertion(format!(
            "database \"{}\": row level security is NOT enabled on {table}: every role with a SELECT grant reads every row",
            db.name
        )))
    }
}

/// Then no policy on table "t" lets "role" read
pub(crate) async fn no_read_policy(w: &mut World, ctx: &Context) -> StepResult {
    let (table, role) = (arg(ctx, 1), arg(ctx, 2));
    let db = db(w)?;
    let policies = db.read_policies(table, role).await?;
    if !policies.is_empty() {
        let list = policies
            .iter()
            .map(|(n, q)| format!("\"{n}\" (USING {q})"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(StepError::assertion(format!(
            "database \"{}\": {table} has read policies for {role}: {list}",
            db.name
        )));
    }
    let (rls, _) = db.row_security(table).await?;
    if !rls && db.can_select(table, role).await? {
        return Err(StepError::assertion(format!(
            "database \"{}\": {role} may SELECT from {table} and row level security is off, so {role} reads every row",
            db.name
        )));
    }
    Ok(())
}

/// Then the claim cannot be checked yet: "reason"
pub(crate) async fn unchecked(_w: &mut World, ctx: &Context) -> StepResult {
    Err(StepError::new(
        ErrorKind::Unchecked,
        format!("cannot be checked yet: {}", arg(ctx, 1)),
    ))
}
