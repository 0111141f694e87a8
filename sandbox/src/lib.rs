//! A faithful local stand-in for Lucia's surfaces (DESIGN.md "Assumed Lucia
//! surfaces"), one port, a path prefix per surface:
//!
//! | prefix         | stands for                                   |
//! |----------------|----------------------------------------------|
//! | `/engine`      | Engine (api-dev.hellolucia.ai)               |
//! | `/admin`       | Admin UI (dev.hellolucia.ai)                 |
//! | `/marketing`   | marketing and waitlist (hellolucia.ai)       |
//! | `/guest`       | guest lab (guest.hellolucia.ai)              |
//! | `/netlify`     | guest lab on Netlify (lucia-guest-agent.netlify.app) |
//!
//! Drift and faults are injected per route by one middleware, so every
//! handler stays a plain description of the contract. This crate depends on
//! nothing of the harness: it is what the harness is tested against.

pub mod inject;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;

pub use inject::{Drift, Fault, FaultKind, Injections, SpecError};

pub const ENGINE_VERSION: &str = "engine-v0.1.3.6";
pub const ADMIN_VERSION: &str = "admin-v0.1.3.6";
/// The operator token the sandbox accepts unless told another.
pub const DEFAULT_OPERATOR_TOKEN: &str = "sandbox-operator-token";
/// The default address, as in environments.toml's `local`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8700";

/// What the sandbox serves and how it misbehaves.
#[derive(Clone, Debug)]
pub struct Config {
    pub operator_token: String,
    pub drifts: Vec<Drift>,
    pub faults: Vec<Fault>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            operator_token: DEFAULT_OPERATOR_TOKEN.to_owned(),
            drifts: Vec::new(),
            faults: Vec::new(),
        }
    }
}

#[derive(Debug)]
struct Shared {
    config: Config,
    injections: Injections,
    started: Instant,
    /// Operator-focus answers served: a value that changes on every request
    /// and has no recognisable format (baseline noise detection needs one).
    focus_served: AtomicU64,
}

type AppState = Arc<Shared>;

/// The sandbox as an axum app.
pub fn app(config: Config) -> Router {
    let injections = Injections {
        drifts: Arc::new(config.drifts.clone()),
        faults: Arc::new(config.faults.clone()),
    };
    let state = Arc::new(Shared {
        config,
        injections,
        started: Instant::now(),
        focus_served: AtomicU64::new(0),
    });
    Router::new()
        .route("/engine/health", get(engine_health))
        .route("/engine/version", get(engine_version))
        .route("/engine/admin/operator-focus", get(operator_focus))
        .route("/admin/api/version", get(admin_version))
        .route("/marketing/api/waitlist", post(waitlist))
        .route("/guest", get(guest_lab))
        .route("/guest/", get(guest_lab))
        .route("/netlify/lucia-lab", get(netlify_lab))
        .route("/netlify/lucia-lab/", get(netlify_lab))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), inject))
        .with_state(state)
}

/// A sandbox serving on a bound listener.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Base URL of the sandbox, e.g. `http://127.0.0.1:8700`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving now, dropping open connections (hanging requests
    /// included: there is nothing graceful to wait for in a fault).
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` (use port 0 for a free port) and serves in the background
/// on the current tokio runtime.
pub async fn start(addr: &str, config: Config) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let router = app(config);
    let task = tokio::spawn(async move {
        // Serving ends only when the task is aborted.
        let _ = axum::serve(listener, router).await;
    });
    Ok(Running { addr, task })
}

/// Serves until the process is stopped (for `lucia-harness sandbox`).
pub async fn serve(listener: TcpListener, config: Config) -> std::io::Result<()> {
    axum::serve(listener, app(config)).await
}

async fn inject(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut truncate = false;
    for fault in state.injections.faults.iter() {
        if !fault.fires(&path) {
            continue;
        }
        match &fault.kind {
            FaultKind::Latency(d) => tokio::time::sleep(*d).await,
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
        }
    }
    let drifts: Vec<&Drift> = state
        .injections
        .drifts
        .iter()
        .filter(|d| d.route.matches(&path))
        .collect();
    let resp = next.run(req).await;
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

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn engine_health(State(s): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "service": "lucia-booking-engine",
        "version": ENGINE_VERSION,
        "time": now(),
        "request_id": request_id(),
        "uptime_seconds": s.started.elapsed().as_secs(),
    }))
}

async fn engine_version() -> Json<Value> {
    Json(json!({
        "service": "lucia-booking-engine",
        "version": ENGINE_VERSION,
        "render_service": "lucia-booking-engine",
        "branch": "dev",
        "commit": "5f3c2a1d9e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c",
    }))
}

/// `None` when the operator token is right, else the refusal to send.
fn operator_refusal(headers: &HeaderMap, expected: &str) -> Option<Response> {
    let (status, error) = match headers.get("x-operator-token").map(HeaderValue::to_str) {
        None => (StatusCode::UNAUTHORIZED, "operator token required"),
        Some(Ok(t)) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => return None,
        Some(_) => (StatusCode::FORBIDDEN, "operator token rejected"),
    };
    Some(
        (
            status,
            Json(json!({"error": error, "header": "X-Operator-Token"})),
        )
            .into_response(),
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The Eval Labs v0.1.3.6 target: what an operator is focused on, about
/// 5 KB and 40 fields, with the seed's guest (Harper Quinn, #29110012) in it
/// so redaction is exercised by every baseline.
async fn operator_focus(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refusal) = operator_refusal(&headers, &s.config.operator_token) {
        return refusal;
    }
    let sequence = s.focus_served.fetch_add(1, Ordering::Relaxed) + 1;
    let providers: Vec<Value> = [
        ("render", "hosting", "configured"),
        ("cloudflare", "dns-edge", "configured"),
        ("github", "source", "configured"),
        ("openai", "model", "configured"),
        ("twilio", "sms-whatsapp", "implemented"),
        ("postmark", "email-inbound", "implemented"),
        ("resend", "email-outbound", "tested"),
        ("bunny", "media-cdn", "configured"),
        ("sentry", "observability", "configured"),
        ("supabase", "data", "implemented"),
        ("clerk", "auth", "configured"),
        ("netlify", "guest-lab", "configured"),
        ("stripe", "payments", "implemented"),
    ]
    .iter()
    .map(|(name, role, claim)| json!({"name": name, "role": role, "claim": claim, "reachable": true}))
    .collect();
    let queues: Vec<Value> = ["sms", "whatsapp", "email", "waitlist", "payments", "eval"]
        .iter()
        .enumerate()
        .map(|(i, q)| json!({"name": q, "depth": i % 3, "oldest_seconds": i * 7, "paused": false}))
        .collect();
    Json(json!({
        "target": "eval-labs",
        "surface": "engine",
        "environment": "development",
        "engine_version": ENGINE_VERSION,
        "admin_version": ADMIN_VERSION,
        "baseline": "v0.1.3.6",
        "generated_at": now(),
        "request_id": request_id(),
        "focus_sequence": sequence,
        "operator": {
            "focus": "dev-baseline-validation",
            "mode": "live-intake",
            "promotion_hold": true,
            "hold_reason": "Eval Labs has not reviewed the Development baseline",
        },
        "focus_reservation": {
            "reservation_id": 29110012,
            "guest_name": "Harper Quinn",
            "guest_email": "harper.quinn@example.com",
            "guest_phone": "+15005550006",
            "property": "Lucia Demo Residences",
            "check_in": "2026-12-04",
            "nights": 3,
            "payment_status": "succeeded",
            "amount_cents": 64200,
            "currency": "usd",
        },
        "ledger": {
            "mode": "dual",
            "durable_required": true,
            "tables": ["stripe_financial_records", "stripe_financial_events"],
            "project_ref": "jgnxomyzqotnqsmlxlsz",
        },
        "intake": {
            "sms": {"provider": "twilio", "live": true, "target": "development"},
            "whatsapp": {"provider": "twilio", "live": true, "target": "development"},
            "email": {"provider": "postmark", "live": true, "target": "development"},
        },
        "queues": queues,
        "providers": providers,
        "render": {"project": "Lucia AI", "services": ["lucia-admin-dev", "lucia-booking-engine"]},
        "branches": {"active": "dev", "promotion": "stage", "stage_protected": true},
        "deferred": ["durable property payment policy persistence"],
        "not_implemented": ["admin payment writes", "policy persistence", "charge/refund/mark-paid UI"],
    }))
    .into_response()
}

async fn admin_version() -> Json<Value> {
    Json(json!({
        "app": "lucia-admin",
        "version": ADMIN_VERSION,
        "render_service": "lucia-admin-dev",
        "engine_api": "https://api-dev.hellolucia.ai",
    }))
}

async fn waitlist(body: Option<Json<Value>>) -> Response {
    let email = body
        .as_ref()
        .and_then(|Json(b)| b.get("email"))
        .and_then(Value::as_str);
    match email {
        Some(e) if e.contains('@') && e.len() <= 254 => (
            StatusCode::OK,
            Json(json!({
                "ok": true,
                "message_id": request_id(),
                "send_status": "sent",
                "sender": "welcome@send.hellolucia.ai",
            })),
        )
            .into_response(),
        _ => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"ok": false, "error": "a valid email is required"})),
        )
            .into_response(),
    }
}

const LAB_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lucia — Guest Agent lab</title></head>
<body><main><h1>Hi, I'm Lucia.</h1><p>Your AI concierge for stays, bookings and everything in between.</p>
<p class="build">lucia-guest-agent</p></main></body></html>
"#;

async fn guest_lab() -> Html<&'static str> {
    Html(LAB_PAGE)
}

async fn netlify_lab() -> Html<&'static str> {
    Html(LAB_PAGE)
}

async fn not_found(req: Request) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not found", "path": req.uri().path()})),
    )
        .into_response()
}
