//! A faithful local stand-in for Lucia's surfaces (the README's "The
//! sandbox") and the provider APIs the Canon's claims need, one port, a
//! path prefix per surface:
//!
//! | prefix       | stands for                                                   |
//! |--------------|--------------------------------------------------------------|
//! | `/engine`    | Engine (api-dev.hellolucia.ai): health, version, operator focus, ledger, webhooks |
//! | `/admin`     | Admin UI (dev.hellolucia.ai): version, payment page behind Clerk, CSP |
//! | `/marketing` | marketing and waitlist (hellolucia.ai)                       |
//! | `/guest`     | guest lab (guest.hellolucia.ai)                              |
//! | `/netlify`   | guest lab on Netlify (lucia-guest-agent.netlify.app)         |
//! | `/render`    | Render's API (services, their auto-deploy, restart)          |
//! | `/github`    | GitHub's API (branch protection of `stage` and Admin's `dev`) |
//! | `/supabase`  | Supabase REST (what the anon key can read)                   |
//! | `/sentry`    | Sentry's API (the project exists)                            |
//! | `/twilio`    | Twilio's REST API (api.twilio.com: incoming phone numbers)   |
//! | `/twilio-messaging` | Twilio's Messaging API (messaging.twilio.com: WhatsApp senders) |
//! | `/stripe`    | Stripe's API (webhook endpoints)                             |
//! | `/postmark`  | Postmark's API (the server and its inbound hook)             |
//! | `/resend`    | Resend's API (sending domains and their DNS records)         |
//!
//! The providers' configuration points at Development's Engine
//! ([`SandboxConfig::dev_engine_url`]), as the seed says: "Development is
//! currently the live intake surface for external providers."
//!
//! The port speaks HTTPS (a certificate from the committed loopback test CA)
//! and plain HTTP, which it redirects to HTTPS as Cloudflare's edge does.
//! Signatures are checked for real; the payment ledger lives in a file, so
//! a restart through the Render-shaped API really drops memory and reloads.
//! Drift, faults and broken claims are injected per route by one middleware.
//! This crate depends on nothing of the harness: it is what the harness is
//! tested against.

mod admin;
mod engine;
pub mod inject;
pub mod ledger;
mod providers;
pub mod signatures;
mod site;
pub mod tls;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tower::Service as _;

pub use inject::{Break, Drift, Fault, FaultKind, Injections, SpecError};

/// The durable ledger's schema with the Canon's access boundary (sql/ledger.sql).
pub const LEDGER_SQL: &str = include_str!("../sql/ledger.sql");

pub const ENGINE_VERSION: &str = "engine-v0.1.3.6";
pub const ADMIN_VERSION: &str = "admin-v0.1.3.6";
/// The operator token the sandbox accepts unless told another.
pub const DEFAULT_OPERATOR_TOKEN: &str = "sandbox-operator-token";
/// The default address, as in environments.toml's `local`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8700";
/// The Render service id of the sandbox's Engine.
pub const ENGINE_SERVICE_ID: &str = "srv-sandbox-engine";
/// Development's Engine, where the providers deliver (the seed's
/// "Development is currently the live intake surface for external providers").
pub const DEV_ENGINE_URL: &str = "https://api-dev.hellolucia.ai";
/// Staging's Engine: capable of intake, targeted only when manually switched.
pub const STAGING_ENGINE_URL: &str = "https://api-staging.hellolucia.ai";

/// The credentials the sandbox's surfaces and providers accept. The
/// defaults match environments.toml's `local` secrets; each can be replaced
/// from the same environment variable the harness reads.
#[derive(Clone)]
pub struct Credentials {
    pub operator_token: String,
    pub twilio_auth_token: String,
    pub stripe_webhook_secret: String,
    /// `user:password` in Postmark's inbound webhook URL.
    pub postmark_inbound_auth: String,
    pub clerk_session: String,
    pub render_api_key: String,
    pub github_token: String,
    pub supabase_anon_key: String,
    pub sentry_token: String,
    /// The account SID: with `twilio_auth_token`, Twilio's REST API basic auth.
    pub twilio_account_sid: String,
    /// Stripe's secret API key (bearer).
    pub stripe_secret_key: String,
    /// Postmark's `X-Postmark-Server-Token`.
    pub postmark_server_token: String,
    /// Resend's API key (bearer).
    pub resend_api_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { <redacted> }")
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            operator_token: DEFAULT_OPERATOR_TOKEN.into(),
            twilio_auth_token: "sandbox-twilio-auth-token".into(),
            stripe_webhook_secret: "whsec_sandbox".into(),
            postmark_inbound_auth: "postmark:sandbox-postmark-password".into(),
            clerk_session: "sandbox-clerk-session".into(),
            render_api_key: "rnd_sandbox".into(),
            github_token: "ghp_sandbox".into(),
            supabase_anon_key: "sandbox-anon-key".into(),
            sentry_token: "sntrys_sandbox".into(),
            twilio_account_sid: "ACd0c5a1b2e3f4a5b6c7d8e9f0a1b2c3d4".into(),
            stripe_secret_key: "sk_test_sandbox".into(),
            postmark_server_token: "sandbox-postmark-server-token".into(),
            resend_api_key: "re_sandbox".into(),
        }
    }
}

impl Credentials {
    /// The environment variable each credential is read from (the names the
    /// harness's `local` environment uses).
    pub const ENV_VARS: [&'static str; 13] = [
        "LUCIA_OPERATOR_TOKEN",
        "TWILIO_AUTH_TOKEN",
        "STRIPE_WEBHOOK_SECRET",
        "POSTMARK_INBOUND_AUTH",
        "CLERK_SESSION_TOKEN",
        "RENDER_API_KEY",
        "GITHUB_TOKEN",
        "SUPABASE_ANON_KEY",
        "SENTRY_AUTH_TOKEN",
        "TWILIO_ACCOUNT_SID",
        "STRIPE_SECRET_KEY",
        "POSTMARK_SERVER_TOKEN",
        "RESEND_API_KEY",
    ];

    /// Replaces defaults with non-empty values from `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut c = Self::default();
        for var in Self::ENV_VARS {
            if let Some(v) = lookup(var).filter(|v| !v.is_empty()) {
                *c.slot(var) = v;
            }
        }
        c
    }

    /// The default value for one of [`Self::ENV_VARS`].
    pub fn default_for(var: &str) -> Option<String> {
        Self::ENV_VARS
            .contains(&var)
            .then(|| Self::default().slot(var).clone())
    }

    fn slot(&mut self, var: &str) -> &mut String {
        match var {
            "TWILIO_AUTH_TOKEN" => &mut self.twilio_auth_token,
            "STRIPE_WEBHOOK_SECRET" => &mut self.stripe_webhook_secret,
            "POSTMARK_INBOUND_AUTH" => &mut self.postmark_inbound_auth,
            "CLERK_SESSION_TOKEN" => &mut self.clerk_session,
            "RENDER_API_KEY" => &mut self.render_api_key,
            "GITHUB_TOKEN" => &mut self.github_token,
            "SUPABASE_ANON_KEY" => &mut self.supabase_anon_key,
            "SENTRY_AUTH_TOKEN" => &mut self.sentry_token,
            "TWILIO_ACCOUNT_SID" => &mut self.twilio_account_sid,
            "STRIPE_SECRET_KEY" => &mut self.stripe_secret_key,
            "POSTMARK_SERVER_TOKEN" => &mut self.postmark_server_token,
            "RESEND_API_KEY" => &mut self.resend_api_key,
            _ => &mut self.operator_token,
        }
    }
}

/// What the sandbox serves and how it misbehaves.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub credentials: Credentials,
    pub drifts: Vec<Drift>,
    pub faults: Vec<Fault>,
    pub breaks: BTreeSet<Break>,
    /// The durable ledger file; a temporary file when `None`.
    pub ledger_file: Option<PathBuf>,
    /// Development's Engine, the base URL the providers' webhooks (Twilio's
    /// numbers and WhatsApp sender, Stripe's endpoint, Postmark's inbound
    /// hook) point at. The real one by default: the sandbox stands in for
    /// the providers' configuration, which names the real host, not the
    /// sandbox's `/engine` prefix.
    pub dev_engine_url: String,
    /// Staging's Engine, where the providers point under
    /// [`Break::ProvidersTargetStaging`].
    pub staging_engine_url: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            credentials: Credentials::default(),
            drifts: Vec::new(),
            faults: Vec::new(),
            breaks: BTreeSet::new(),
            ledger_file: None,
            dev_engine_url: DEV_ENGINE_URL.to_owned(),
            staging_engine_url: STAGING_ENGINE_URL.to_owned(),
        }
    }
}

impl SandboxConfig {
    /// Adds a `--fault` spec: a route fault (`ROUTE=KIND`) or a named one.
    pub fn add_fault(&mut self, spec: &str) -> Result<(), SpecError> {
        if spec.contains('=') {
            self.faults.push(spec.parse()?);
        } else {
            self.breaks.insert(spec.parse()?);
        }
        Ok(())
    }

    pub fn add_drift(&mut self, spec: &str) -> Result<(), SpecError> {
        self.drifts.push(spec.parse()?);
        Ok(())
    }

    pub fn broken(&self, b: Break) -> bool {
        self.breaks.contains(&b)
    }

    /// The Engine the providers deliver intake and payment events to:
    /// Development's, or Staging's when switched ([`Break::ProvidersTargetStaging`]).
    pub fn intake_engine_url(&self) -> &str {
        let base = if self.broken(Break::ProvidersTargetStaging) {
            &self.staging_engine_url
        } else {
            &self.dev_engine_url
        };
        base.trim_end_matches('/')
    }
}

/// Whether the request came over TLS (set per connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) injections: Injections,
    pub(crate) ledger: ledger::Ledger,
    /// When Engine (re)started.
    pub(crate) engine_started: Mutex<Instant>,
    /// Engine answers 503 until then (a restart in progress).
    pub(crate) engine_restarting_until: Mutex<Option<Instant>>,
    /// Counts operator-focus requests: a value that changes on every
    /// request without a recognisable format (noise for baselines).
    pub(crate) sequence: std::sync::atomic::AtomicU64,
    /// Every request received: what tests read to prove what reached the sandbox.
    pub(crate) log: Mutex<Vec<Received>>,
}

/// One request the sandbox received.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub method: String,
    pub path: String,
    /// Names of the request's headers (values are not kept).
    pub headers: Vec<String>,
}

pub(crate) type AppState = Arc<Shared>;

impl Shared {
    pub(crate) fn broken(&self, b: Break) -> bool {
        self.config.broken(b)
    }
}

/// The sandbox as an axum app, with its ledger opened.
pub fn app(config: SandboxConfig) -> std::io::Result<Router> {
    Ok(router(state(config)?))
}

fn state(config: SandboxConfig) -> std::io::Result<AppState> {
    let injections = Injections {
        drifts: Arc::new(config.drifts.clone()),
        faults: Arc::new(config.faults.clone()),
    };
    let ledger = ledger::Ledger::open(config.ledger_file.as_deref())?;
    Ok(Arc::new(Shared {
        config,
        injections,
        ledger,
        engine_started: Mutex::new(Instant::now()),
        engine_restarting_until: Mutex::new(None),
        sequence: std::sync::atomic::AtomicU64::new(0),
        log: Mutex::new(Vec::new()),
    }))
}

fn router(state: AppState) -> Router {
    Router::new()
        .nest("/engine", engine::routes(state.clone()))
        .nest("/admin", admin::routes())
        .merge(site::routes())
        .merge(providers::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), edge))
        .layer(middleware::from_fn_with_state(state.clone(), inject))
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

/// A sandbox serving on a bound listener.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    state: AppState,
}

impl Running {
    /// Base URL of the sandbox, e.g. `http://127.0.0.1:8700`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The same, over TLS.
    pub fn https_origin(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
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
pub async fn start(addr: &str, config: SandboxConfig) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let prepared = Prepared::new(config)?;
    let state = prepared.state.clone();
    let task = tokio::spawn(async move {
        // Serving ends only when the task is aborted.
        let _ = prepared.serve(listener).await;
    });
    Ok(Running { addr, task, state })
}

/// Serves until the process is stopped (for `lucia-harness sandbox`).
pub async fn serve(listener: TcpListener, config: SandboxConfig) -> std::io::Result<()> {
    Prepared::new(config)?.serve(listener).await
}

/// The router, its state and the TLS acceptor, ready to accept connections.
struct Prepared {
    router: Router,
    tls: tokio_rustls::TlsAcceptor,
    // Kept alive for as long as the server runs (the ledger file's owner, the request log).
    state: AppState,
}

impl Prepared {
    fn new(config: SandboxConfig) -> std::io::Result<Self> {
        let days = if config.broken(Break::ExpiredCertificate) {
            -1
        } else if config.broken(Break::ExpiringCertificate) {
            3
        } else {
            tls::LEAF_DAYS
        };
        let tls = tls::acceptor(days)?;
        let state = state(config)?;
        Ok(Self {
            router: router(state.clone()),
            tls,
            state,
        })
    }

    /// Accepts connections; each speaks TLS or plain HTTP, told apart by its
    /// first byte (0x16 opens a TLS handshake).
    async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(c) => c,
                // Out of file descriptors or a connection reset before accept: keep serving.
                Err(_) => continue,
            };
            let router = self.router.clone();
            let tls = self.tls.clone();
            tokio::spawn(async move {
                let mut first = [0u8; 1];
                let is_tls = matches!(stream.peek(&mut first).await, Ok(1) if first[0] == 0x16);
                if is_tls {
                    if let Ok(s) = tls.accept(stream).await {
                        serve_connection(s, router, Scheme::Https).await;
                    }
                } else {
                    serve_connection(stream, router, Scheme::Http).await;
                }
            });
        }
    }
}

async fn serve_connection<S>(stream: S, router: Router, scheme: Scheme)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(scheme);
        router.clone().call(req)
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

pub(crate) fn scheme_of(req_ext: &axum::http::Extensions) -> Scheme {
    req_ext.get::<Scheme>().copied().unwrap_or(Scheme::Http)
}

/// The edge in front of every surface: plain HTTP is redirected to HTTPS
/// (Cloudflare's "always use HTTPS"), and responses carry the edge's headers.
/// Records every request, before anything else can answer it.
async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    state
        .log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Received {
            at: Instant::now(),
            method: req.method().to_string(),
            path: req.uri().path().to_owned(),
            headers: req
                .headers()
                .keys()
                .map(|k| k.as_str().to_owned())
                .collect(),
        });
    next.run(req).await
}

async fn edge(State(state): State<AppState>, req: Request, next: Next) -> Response {
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
        h.insert(header::SERVER, HeaderValue::from_static("Netlify"));
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

async fn inject(State(state): State<AppState>, req: Request, next: Next) -> Response {
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

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

async fn not_found(req: Request) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not found", "path": req.uri().path()})),
    )
        .into_response()
}

/// How long a restart keeps Engine unavailable.
pub(crate) const RESTART_WINDOW: Duration = Duration::from_millis(250);
