//! Engine (lucia-booking-engine): health, version, the Eval Labs operator
//! focus, ledger diagnostics, payment truth, and the intake and payment
//! webhooks, with real signature checks.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::config::{ADMIN_VERSION, ENGINE_VERSION};
use crate::inject::Break;
use crate::ledger::{LedgerEvent, Record};
use crate::signatures;
use crate::state::{
    AppState, Scheme, constant_time_eq, json_error, now_rfc3339, request_id, scheme_of,
};

pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/version", get(version))
        .route("/admin/operator-focus", get(operator_focus))
        .route("/diagnostics/ledger", get(ledger_diagnostics))
        .route("/payments/truth/{reservation_id}", get(payment_truth))
        .route("/properties/{property}/payment-policy", get(payment_policy))
        .route("/webhooks/twilio/sms", post(twilio))
        .route("/webhooks/twilio/whatsapp", post(twilio))
        .route("/webhooks/postmark/inbound", post(postmark))
        .route("/webhooks/stripe", post(stripe))
        .route_layer(middleware::from_fn_with_state(state, restart_gate))
}

/// Engine answers 503 while a restart is in progress.
async fn restart_gate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let until = *s
        .engine_restarting_until
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if until.is_some_and(|u| Instant::now() < u) {
        let mut r = json_error(StatusCode::SERVICE_UNAVAILABLE, "engine is restarting");
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    }
    next.run(req).await
}

async fn health(State(s): State<AppState>) -> Json<Value> {
    let started = *s
        .engine_started
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Json(json!({
        "status": "ok",
        "service": "lucia-booking-engine",
        "version": ENGINE_VERSION,
        "time": now_rfc3339(),
        "request_id": request_id(),
        "uptime_seconds": started.elapsed().as_secs(),
    }))
}

async fn version() -> Json<Value> {
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

fn ledger_mode(s: &AppState) -> (&'static str, bool) {
    if s.broken(Break::LedgerMemoryMode) {
        ("memory", false)
    } else {
        ("dual", true)
    }
}

/// The Eval Labs v0.1.3.6 target: what an operator is focused on, about
/// 5 KB and 40 fields, with the seed's guest (Harper Quinn, #29110012) in it
/// so redaction is exercised by every baseline.
async fn operator_focus(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refusal) = operator_refusal(&headers, &s.config.credentials.operator_token) {
        return refusal;
    }
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
    let (mode, durable) = ledger_mode(&s);
    Json(json!({
        "target": "eval-labs",
        "surface": "engine",
        "environment": "development",
        "engine_version": ENGINE_VERSION,
        "admin_version": ADMIN_VERSION,
        "baseline": "v0.1.3.6",
        "generated_at": now_rfc3339(),
        "request_id": request_id(),
        "sequence": s.sequence.fetch_add(1, Ordering::Relaxed),
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
            "mode": mode,
            "durable_required": durable,
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

async fn ledger_diagnostics(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refusal) = operator_refusal(&headers, &s.config.credentials.operator_token) {
        return refusal;
    }
    let (mode, durable) = ledger_mode(&s);
    let data = s.ledger.snapshot();
    Json(json!({
        "mode": mode,
        "durable_required": durable,
        "access": "service_role",
        "project": "lucia-core-dev",
        "project_ref": "jgnxomyzqotnqsmlxlsz",
        "tables": {
            "stripe_financial_records": {"rows": data.records.len()},
            "stripe_financial_events": {"rows": data.events.len()},
        },
        "checked_at": now_rfc3339(),
    }))
    .into_response()
}

async fn payment_truth(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(reservation_id): Path<String>,
) -> Response {
    if let Some(refusal) = operator_refusal(&headers, &s.config.credentials.operator_token) {
        return refusal;
    }
    let Ok(id) = reservation_id.parse::<u64>() else {
        return json_error(StatusCode::BAD_REQUEST, "reservation ids are numbers");
    };
    match s.ledger.truth(id) {
        Some(t) => Json(t).into_response(),
        None => json_error(
            StatusCode::NOT_FOUND,
            "no payment truth for this reservation",
        ),
    }
}

/// Durable property payment policy persistence is deferred in the Canon.
async fn payment_policy(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(property): Path<String>,
) -> Response {
    if let Some(refusal) = operator_refusal(&headers, &s.config.credentials.operator_token) {
        return refusal;
    }
    if s.broken(Break::PaymentPolicyPersisted) {
        return Json(json!({"property": property, "persisted": true, "deposit_percent": 30}))
            .into_response();
    }
    Json(json!({"property": property, "persisted": false, "source": "defaults"})).into_response()
}

/// The URL a provider called, as the provider signed it.
fn called_url(scheme: Scheme, headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = if scheme == Scheme::Https {
        "https"
    } else {
        "http"
    };
    format!(
        "{scheme}://{host}{}",
        uri.path_and_query().map_or("/", |p| p.as_str())
    )
}

async fn twilio(State(s): State<AppState>, req: Request) -> Response {
    // Nested routes see their path without the /engine prefix: sign against
    // the URI the client really called.
    let uri = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| req.uri().clone(), |o| o.0.clone());
    let url = called_url(scheme_of(req.extensions()), req.headers(), &uri);

    let signature = req
        .headers()
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Ok(bytes) = axum::body::to_bytes(req.into_body(), 1 << 20).await else {
        return json_error(StatusCode::BAD_REQUEST, "unreadable body");
    };
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) else {
        return json_error(StatusCode::BAD_REQUEST, "expected a form-encoded body");
    };
    let valid = signature.as_deref().is_some_and(|sig| {
        signatures::twilio_valid(&s.config.credentials.twilio_auth_token, &url, &params, sig)
    });
    if !valid && !s.broken(Break::AcceptUnsignedWebhooks) {
        return (StatusCode::FORBIDDEN, "invalid X-Twilio-Signature").into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/xml")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    )
        .into_response()
}

async fn postmark(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (user, password) = s
        .config
        .credentials
        .postmark_inbound_auth
        .split_once(':')
        .unwrap_or(("postmark", ""));
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !signatures::basic_auth_valid(auth, user, password)
        && !s.broken(Break::AcceptUnsignedWebhooks)
    {
        let mut r = json_error(StatusCode::UNAUTHORIZED, "basic auth required");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"postmark-inbound\""),
        );
        return r;
    }
    let Ok(msg) = serde_json::from_slice::<Value>(&body) else {
        return json_error(StatusCode::BAD_REQUEST, "expected Postmark's inbound JSON");
    };
    let Some(id) = msg.get("MessageID").and_then(Value::as_str) else {
        return json_error(StatusCode::UNPROCESSABLE_ENTITY, "MessageID is required");
    };
    Json(json!({"status": "received", "message_id": id})).into_response()
}

async fn stripe(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(why) = signatures::stripe_check(
        &s.config.credentials.stripe_webhook_secret,
        header,
        &body,
        now,
        300,
    ) && !s.broken(Break::AcceptUnsignedWebhooks)
    {
        return json_error(
            StatusCode::BAD_REQUEST,
            &format!("invalid Stripe-Signature: {why:?}"),
        );
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return json_error(StatusCode::BAD_REQUEST, "expected a Stripe event");
    };
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != "payment_intent.succeeded" {
        return Json(json!({"received": true, "ignored": kind})).into_response();
    }
    let object = &event["data"]["object"];
    let reservation_id = object["metadata"]["reservation_id"]
        .as_str()
        .and_then(|r| r.parse::<u64>().ok())
        .or_else(|| object["metadata"]["reservation_id"].as_u64());
    let (Some(pi), Some(reservation_id)) = (object["id"].as_str(), reservation_id) else {
        return json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "payment_intent id and metadata.reservation_id are required",
        );
    };
    if s.broken(Break::StripeDropsEvents) {
        return Json(json!({"received": true})).into_response();
    }
    let created = event["created"].as_i64().unwrap_or(now);
    let record = Record {
        payment_intent: pi.to_owned(),
        reservation_id,
        guest_name: object["metadata"]["guest_name"]
            .as_str()
            .unwrap_or("Guest")
            .to_owned(),
        amount_cents: object["amount_received"]
            .as_u64()
            .or_else(|| object["amount"].as_u64())
            .unwrap_or(0),
        currency: object["currency"].as_str().unwrap_or("usd").to_owned(),
        status: "succeeded".to_owned(),
        created,
    };
    let ev = LedgerEvent {
        event_id: event["id"].as_str().unwrap_or_default().to_owned(),
        event_type: kind.to_owned(),
        payment_intent: pi.to_owned(),
        reservation_id,
        created,
    };
    match s.ledger.record(record, ev) {
        Ok(_) => Json(json!({"received": true})).into_response(),
        Err(e) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("durable ledger write failed: {e}"),
        ),
    }
}
