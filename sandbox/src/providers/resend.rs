//! Resend: the sending domain of the waitlist's and guest verification's
//! outbound email (`send.hellolucia.ai`), and its DNS records.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::inject::Break;
use crate::state::{AppState, bearer, constant_time_eq};

pub(crate) const DOMAIN: &str = "send.hellolucia.ai";
pub(crate) const DOMAIN_ID: &str = "4dd369bc-aa82-4ff3-97de-514ae3000ee0";
const CREATED_AT: &str = "2025-03-11 16:20:45.183911+00";
pub(crate) const REGION: &str = "us-east-1";
/// The SPF record Resend asks for on the return path (`send.<domain>`).
pub(crate) const SPF: &str = "v=spf1 include:amazonses.com ~all";
/// The DKIM public key Resend signs with, published at `resend._domainkey.<domain>`.
pub(crate) const DKIM: &str = "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDC4xq8e1N3xv0yV2Rz9kq7Wm5uT0JbXc3aHfLpQe8sYd6nK2gBvR4tZ1oI7wMEjU9cFh5lXr0sNa3bPy6dGq8TkVf2Wz4iOu7mCe1YxL9pRb3nHs5gJt0AvKqD2wXeIlM6oZyUj8rSfN4cTb1QdP7hGwIDAQAB";

fn error(status: StatusCode, name: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"statusCode": status.as_u16(), "message": message, "name": name})),
    )
        .into_response()
}

/// `None` when the API key is right, else Resend's refusal: 401 without a
/// key, 403 with a wrong one.
fn refusal(s: &AppState, headers: &HeaderMap) -> Option<Response> {
    match bearer(headers) {
        None => Some(error(
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            "Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY",
        )),
        Some(k)
            if constant_time_eq(k.as_bytes(), s.config.credentials.resend_api_key.as_bytes()) =>
        {
            None
        }
        Some(_) => Some(error(
            StatusCode::FORBIDDEN,
            "invalid_api_key",
            "API key is invalid",
        )),
    }
}

/// The domain's status and its DKIM record's: verified, or (under
/// [`Break::ResendDomainUnverified`]) still pending.
fn statuses(s: &AppState) -> (&'static str, &'static str) {
    if s.broken(Break::ResendDomainUnverified) {
        ("pending", "pending")
    } else {
        ("verified", "verified")
    }
}

fn summary(s: &AppState) -> Value {
    json!({
        "id": DOMAIN_ID,
        "name": DOMAIN,
        "status": statuses(s).0,
        "created_at": CREATED_AT,
        "region": REGION,
    })
}

/// GET /domains: every domain of the account.
///
/// Reference: https://resend.com/docs/api-reference/domains/list-domains
pub(crate) async fn domains(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(r) = refusal(&s, &headers) {
        return r;
    }
    Json(json!({"object": "list", "has_more": false, "data": [summary(&s)]})).into_response()
}

/// GET /domains/{id}: one domain with the DNS records Resend verifies:
/// the return path's MX and SPF TXT on `send.send` and the DKIM TXT on
/// `resend._domainkey.send`, named relative to the zone (`hellolucia.ai`),
/// as Resend shows them for a subdomain.
///
/// Reference: https://resend.com/docs/api-reference/domains/get-domain
pub(crate) async fn domain(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = refusal(&s, &headers) {
        return r;
    }
    if id != DOMAIN_ID {
        return error(StatusCode::NOT_FOUND, "not_found", "Domain not found");
    }
    let (_, dkim) = statuses(&s);
    let mut body = summary(&s);
    body["object"] = json!("domain");
    body["records"] = json!([
        {
            "record": "SPF",
            "name": "send.send",
            "type": "MX",
            "ttl": "Auto",
            "status": "verified",
            "value": format!("feedback-smtp.{REGION}.amazonses.com"),
            "priority": 10,
        },
        {
            "record": "SPF",
            "name": "send.send",
            "type": "TXT",
            "ttl": "Auto",
            "status": "verified",
            "value": format!("\"{SPF}\""),
        },
        {
            "record": "DKIM",
            "name": "resend._domainkey.send",
            "type": "TXT",
            "ttl": "Auto",
            "status": dkim,
            "value": DKIM,
        },
    ]);
    Json(body).into_response()
}
