//! What every handler shares: the configuration, the injections, the
//! ledger, the request log, and small helpers of the HTTP edge.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::config::SandboxConfig;
use crate::inject::{Break, Injections};
use crate::ledger;

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
    /// Names of the request's headers (values are not kept, but for
    /// the trace context below).
    pub headers: Vec<String>,
    /// The trace context the request carried, as received: the values of
    /// `traceparent`, `sentry-trace` and `baggage` (never secret), by name.
    pub trace: Vec<(String, String)>,
}

/// The headers whose values the log keeps.
pub const TRACE_HEADERS: [&str; 3] = ["traceparent", "sentry-trace", "baggage"];

pub(crate) type AppState = Arc<Shared>;

impl Shared {
    pub(crate) fn broken(&self, b: Break) -> bool {
        self.config.broken(b)
    }

    /// Adds a request (HTTP, or a DNS query) to the log, received now.
    pub(crate) fn log_request(
        &self,
        method: String,
        path: String,
        headers: Vec<String>,
        trace: Vec<(String, String)>,
    ) {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Received {
                at: Instant::now(),
                method,
                path,
                headers,
                trace,
            });
    }
}

pub(crate) fn scheme_of(req_ext: &axum::http::Extensions) -> Scheme {
    req_ext.get::<Scheme>().copied().unwrap_or(Scheme::Http)
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

/// How long a restart keeps Engine unavailable.
pub(crate) const RESTART_WINDOW: Duration = Duration::from_millis(250);
