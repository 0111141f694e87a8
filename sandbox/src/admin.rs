//! Admin UI (lucia-admin): its version, and the payment page behind Clerk
//! that renders Engine's payment truth only, under a Content-Security-Policy
//! that never lets the browser reach Supabase.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::config::ADMIN_VERSION;
use crate::inject::Break;
use crate::state::{AppState, bearer, constant_time_eq, json_error};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/version", get(version))
        .route("/reservations/{reservation_id}/payment", get(payment_page))
        .route("/sign-in", get(sign_in))
}

async fn version() -> Json<Value> {
    Json(json!({
        "app": "lucia-admin",
        "version": ADMIN_VERSION,
        "render_service": "lucia-admin-dev",
        "engine_api": "https://api-dev.hellolucia.ai",
    }))
}

fn csp(s: &AppState) -> HeaderValue {
    let supabase = if s.broken(Break::CspAllowsSupabase) {
        " https://*.supabase.co"
    } else {
        ""
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' https://clerk.hellolucia.ai https://*.clerk.accounts.dev; \
connect-src 'self' https://api-dev.hellolucia.ai https://clerk.hellolucia.ai https://*.clerk.accounts.dev{supabase}; \
img-src 'self' data: https://img.clerk.com; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// Clerk's session: the `__session` cookie (or a bearer token for API callers).
fn signed_in(s: &AppState, headers: &HeaderMap) -> bool {
    if s.broken(Break::ClerkOpen) {
        return true;
    }
    let expected = s.config.credentials.clerk_session.as_bytes();
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("__session="))
        .any(|v| constant_time_eq(v.as_bytes(), expected));
    cookie || bearer(headers).is_some_and(|b| constant_time_eq(b.as_bytes(), expected))
}

fn html(s: &AppState, body: String) -> Response {
    let mut r = Html(body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, csp(s));
    r
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn payment_page(
    State(s): State<AppState>,
    Path(reservation_id): Path<String>,
    req: Request,
) -> Response {
    if !signed_in(&s, req.headers()) {
        let back = req.uri().path_and_query().map_or("/admin", |p| p.as_str());
        let location = format!("/admin/sign-in?redirect_url={}", urlencode(back));
        let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    }
    let Ok(id) = reservation_id.parse::<u64>() else {
        return json_error(StatusCode::BAD_REQUEST, "reservation ids are numbers");
    };
    let Some(mut truth) = s.ledger.truth(id) else {
        return json_error(StatusCode::NOT_FOUND, "no such reservation");
    };
    if s.broken(Break::AdminOwnPaymentTruth) {
        // A page that keeps its own figures instead of rendering Engine's.
        truth["amount_paid_cents"] = json!(60_000);
        truth["status"] = json!("pending");
    }
    let paid = truth["amount_paid_cents"].as_u64().unwrap_or(0);
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Reservation {id} · Payment — Lucia Admin</title></head>\n\
<body><main><h1>Payment for reservation {id}</h1>\n<dl><dt>Guest</dt><dd>{guest}</dd><dt>Paid</dt><dd>{dollars}.{cents:02} {currency}</dd><dt>Status</dt><dd>{status}</dd></dl>\n\
<p class=\"source\">Payment truth from Engine</p>\n\
<script type=\"application/json\" id=\"payment-truth\">{json}</script>\n</main></body></html>\n",
        guest = escape(truth["guest_name"].as_str().unwrap_or_default()),
        dollars = paid / 100,
        cents = paid % 100,
        currency = escape(
            &truth["currency"]
                .as_str()
                .unwrap_or_default()
                .to_uppercase()
        ),
        status = escape(truth["status"].as_str().unwrap_or_default()),
        json = truth.to_string().replace("</", "<\\/"),
    );
    html(&s, page)
}

async fn sign_in(State(s): State<AppState>) -> Response {
    html(
        &s,
        "<!doctype html><html><head><title>Sign in — Lucia Admin</title></head><body><div id=\"clerk-sign-in\">Sign in to Lucia Admin</div></body></html>\n".to_owned(),
    )
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
