//! Stripe: the webhook endpoints of the (test-mode) account, the one that
//! delivers payment events to Engine's `/webhooks/stripe`.
//!
//! Stripe authenticates with the secret key as a bearer token, or as the
//! user of HTTP basic auth with an empty password (`curl -u sk_test_…:`).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::basic_credentials;
use crate::inject::Break;
use crate::state::{AppState, bearer, constant_time_eq};

const ENDPOINT_ID: &str = "we_1QhT7kLucIaDev0WebhookPay1";

/// The events Engine's `/webhooks/stripe` acts on (engine.rs records
/// `payment_intent.succeeded`; every other type is acknowledged and ignored).
pub(crate) const ENGINE_EVENTS: [&str; 1] = ["payment_intent.succeeded"];

fn error(message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": {"message": message, "type": "invalid_request_error"}})),
    )
        .into_response()
}

/// GET /v1/webhook_endpoints: a list object of webhook endpoints. `limit`
/// is honoured (1–100, default 10); there is one endpoint, so never more.
///
/// Reference: https://docs.stripe.com/api/webhook_endpoints/list
pub(crate) async fn webhook_endpoints(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let key = bearer(&headers)
        .map(str::to_owned)
        .or_else(|| basic_credentials(&headers).map(|(user, _)| user));
    let Some(key) = key else {
        return error(
            "You did not provide an API key. You need to provide your API key in the Authorization header, \
using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication \
for details, or we can help at https://support.stripe.com/.",
        );
    };
    if !constant_time_eq(
        key.as_bytes(),
        s.config.credentials.stripe_secret_key.as_bytes(),
    ) {
        // Stripe quotes the key masked; the sandbox quotes none of it.
        return error("Invalid API Key provided: sk_test_********");
    }
    let limit = params
        .iter()
        .find(|(n, _)| n == "limit")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let status = if s.broken(Break::StripeEndpointDisabled) {
        "disabled"
    } else {
        "enabled"
    };
    let endpoint = json!({
        "id": ENDPOINT_ID,
        "object": "webhook_endpoint",
        "api_version": "2024-06-20",
        "application": null,
        "created": 1_736_877_731,
        "description": "Lucia Engine: payment truth",
        "enabled_events": ENGINE_EVENTS,
        "livemode": false,
        "metadata": {},
        "status": status,
        "url": format!("{}/webhooks/stripe", s.config.intake_engine_url()),
    });
    let data: Vec<_> = std::iter::once(endpoint).take(limit).collect();
    Json(json!({
        "object": "list",
        "data": data,
        "has_more": false,
        "url": "/v1/webhook_endpoints",
    }))
    .into_response()
}
