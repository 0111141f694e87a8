//! The middleware every request passes: the request log, the HTTPS
//! redirect and Cloudflare's headers (the edge), and injected faults.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::inject::{Break, Drift, FaultKind};
use crate::state::{AppState, Scheme, scheme_of};

/// The edge in front of every surface: plain HTTP is redirected to HTTPS
/// (Cloudflare's "always use HTTPS"), and responses carry the edge's headers.
/// Records every request, before anything else can answer it.
pub(crate) async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    state.log_request(
        req.method().to_string(),
        req.uri().path().to_owned(),
        req.headers()
            .keys()
            .map(|k| k.as_str().to_owned())
            .collect(),
        crate::state::TRACE_HEADERS
            .iter()
            .filter_map(|n| {
                let v = req.headers().get(*n)?.to_str().ok()?;
                Some(((*n).to_owned(), v.to_owned()))
            })
            .collect(),
    );
    next.run(req).await
}

pub(crate) async fn edge(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let scheme = scheme_of(req.extensions());
    let path = req.uri().path().to_owned();

    if scheme == Scheme::Http && !state.broken(Break::NoHttpsRedirect) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let pq = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let location = format!("https://{host}{pq}");
        let mut resp = StatusCode::PERMANENT_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        return resp;
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let cloudflare = ["/engine", "/admin", "/marketing", "/guest"]
        .iter()
        .any(|p| path.starts_with(p));
    if cloudflare && !state.broken(Break::NoCloudflare) {
        h.insert(header::SERVER, HeaderValue::from_static("cloudflare"));
        let ray = format!("{}-SJC", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        if let Ok(v) = HeaderValue::from_str(&ray) {
            h.insert("cf-ray", v);
        }
    }
    if path.starts_with("/netlify") && !state.broken(Break::NotNetlify) {
        h.insert(
            crate::dialect::Dialect::host_header(state.config.dialect),
            HeaderValue::from_static("Netlify"),
        );
        if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().simple().to_string()) {
            h.insert("x-nf-request-id", v);
        }
    }
    resp
}

/// Waits `d`, to well under a millisecond. tokio's timer has millisecond
/// ticks and rounds up, so a plain 50 ms sleep lasts 50–51 ms; injected
/// latency should be what was asked for (the benchmark's ideal assumes it).
/// Sleeps to a millisecond short, then yields until due.
async fn precise_sleep(d: Duration) {
    let due = Instant::now() + d;
    if let Some(coarse) = d.checked_sub(Duration::from_millis(1)) {
        tokio::time::sleep(coarse).await;
    }
    while Instant::now() < due {
        tokio::task::yield_now().await;
    }
}

pub(crate) async fn inject(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut truncate = false;
    let mut content_type: Option<String> = None;
    for fault in state.injections.faults.iter() {
        if !fault.fires(&path) {
            continue;
        }
        match &fault.kind {
            FaultKind::Latency(d) => precise_sleep(*d).await,
            FaultKind::Hang => std::future::pending::<()>().await,
            FaultKind::Status(code) => {
                let status =
                    StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return (
                    status,
                    Json(json!({"error": "sandbox fault", "status": code})),
                )
                    .into_response();
            }
            FaultKind::Reset => return reset_response(),
            FaultKind::Truncate => truncate = true,
            FaultKind::Malformed => {
                return (
                    [(header::CONTENT_TYPE, "application/json")],
                    "{\"status\": ok, 'version': }",
                )
                    .into_response();
            }
            FaultKind::RedirectLoop => {
                let mut r = StatusCode::FOUND.into_response();
                if let Ok(v) = HeaderValue::from_str(&path) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                return r;
            }
            FaultKind::Drip => return drip_response(),
            FaultKind::Big(n) => return big_response(*n),
            FaultKind::NonUtf8 => {
                return (
                    [(header::CONTENT_TYPE, "application/json")],
                    Bytes::from_static(b"{\"status\": \"\xff\xfe\xfd\"}"),
                )
                    .into_response();
            }
            FaultKind::ContentType(ct) => content_type = Some(ct.clone()),
        }
    }
    let drifts: Vec<&Drift> = state
        .injections
        .drifts
        .iter()
        .filter(|d| d.route.matches(&path))
        .collect();
    let mut resp = next.run(req).await;
    if let Some(ct) = content_type
        && let Ok(v) = HeaderValue::from_str(&ct)
    {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if drifts.is_empty() && !truncate {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut bytes = bytes.to_vec();
    if !drifts.is_empty()
        && let Ok(mut value) = serde_json::from_slice::<Value>(&bytes)
    {
        for d in drifts {
            d.apply(&mut value);
        }
        bytes = value.to_string().into_bytes();
    }
    if truncate {
        bytes.truncate(bytes.len() / 2);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// Headers and the start of a body, then the stream fails: hyper aborts the
/// connection mid-body, as a reset or a crashed upstream does.
fn reset_response() -> Response {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"{\"status\":\"o")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: reset",
        )),
    ];
    let mut resp = Response::new(Body::from_stream(futures::stream::iter(chunks)));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("512"));
    resp
}

/// A JSON body sent a byte every 100 ms: an answer that never finishes in time.
fn drip_response() -> Response {
    let body = b"{\"status\":\"ok\",\"padding\":\"..............................\"}".to_vec();
    let len = body.len();
    let stream = futures::stream::unfold(0usize, move |i| {
        let body = body.clone();
        async move {
            if i >= body.len() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            Some((
                Ok::<_, std::io::Error>(Bytes::copy_from_slice(&body[i..=i])),
                i + 1,
            ))
        }
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        resp.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    resp
}

/// A JSON array of `n` bytes, streamed in 64 KB chunks without a
/// Content-Length, so only reading it shows how big it is.
fn big_response(n: u64) -> Response {
    const CHUNK: usize = 64 * 1024;
    let stream = futures::stream::unfold(0u64, move |sent| async move {
        if sent >= n {
            return None;
        }
        let size = (n - sent).min(CHUNK as u64) as usize;
        let mut chunk = vec![b' '; size];
        if sent == 0 {
            chunk[0] = b'[';
        }
        if sent + size as u64 >= n {
            chunk[size - 1] = b']';
        }
        Some((
            Ok::<_, std::io::Error>(Bytes::from(chunk)),
            sent + size as u64,
        ))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
