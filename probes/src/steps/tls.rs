//! What HTTP alone cannot see of a service's transport: its TLS
//! certificate, and whether plain HTTP redirects to HTTPS.

use std::time::Instant;

use cucumber::step::Context;

use super::def::{arg, record};
use crate::core::error::{StepError, StepResult};
use crate::probe::http::HttpRequest;
use crate::world::World;

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
    let result = w
        .guarded(&url, async { run.http.send(request, timeout).await.0 })
        .await;
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
