//! The provider APIs the Canon's claims need, in their real shapes, behind
//! their real auth schemes: Render (the project, its environments, the
//! services, their auto-deploy, restart; `render.rs`), GitHub (branch
//! protection, repository contents; `github.rs`), Supabase REST (what the anon key
//! reads), Sentry (the project exists), and where the intake and payment
//! providers deliver: Twilio's numbers and WhatsApp sender, Stripe's
//! webhook endpoint, Postmark's inbound hook; and Resend's sending domain.

mod github;
mod postmark;
mod render;
pub(crate) mod resend;
mod stripe;
#[cfg(test)]
mod tests;
mod twilio;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::inject::Break;
use crate::state::{AppState, bearer, constant_time_eq};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/render/v1/services", get(render::render_services))
        .route(
            "/render/v1/services/{service_id}",
            get(render::render_service),
        )
        .route(
            "/render/v1/services/{service_id}/restart",
            post(render::render_restart),
        )
        .route(
            "/render/v1/environments/{environment_id}",
            get(render::render_environment),
        )
        .route(
            "/render/v1/projects/{project_id}",
            get(render::render_project),
        )
        .route(
            "/github/repos/{owner}/{repo}/branches/{branch}/protection",
            get(github::protection),
        )
        .route(
            "/github/repos/{owner}/{repo}/contents/{*path}",
            get(github::contents),
        )
        .route("/supabase/rest/v1/{table}", get(supabase_select))
        .route(
            "/sentry/api/0/projects/{org}/{project}/",
            get(sentry_project),
        )
        .route(
            "/sentry/api/0/projects/{org}/{project}",
            get(sentry_project),
        )
        .route(
            "/twilio/2010-04-01/Accounts/{account_sid}/{file}",
            get(twilio::incoming_phone_numbers),
        )
        .route(
            "/twilio-messaging/v2/Channels/Senders",
            get(twilio::channel_senders),
        )
        .route(
            "/stripe/v1/webhook_endpoints",
            get(stripe::webhook_endpoints),
        )
        .route("/postmark/server", get(postmark::server))
        .route("/resend/domains", get(resend::domains))
        .route("/resend/domains/{domain_id}", get(resend::domain))
}

/// The user and password of an HTTP basic `Authorization` header.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let encoded = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn authorized(headers: &HeaderMap, expected: &str) -> bool {
    bearer(headers).is_some_and(|t| constant_time_eq(t.as_bytes(), expected.as_bytes()))
}

fn unauthorized(message: &str) -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({"message": message}))).into_response()
}

/// Supabase REST with the anon key: row level security with no anon
/// policy means every ledger table reads empty.
async fn supabase_select(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(table): Path<String>,
    Query(_params): Query<Vec<(String, String)>>,
) -> Response {
    let key = headers.get("apikey").and_then(|v| v.to_str().ok());
    if !key.is_some_and(|k| {
        constant_time_eq(
            k.as_bytes(),
            s.config.credentials.supabase_anon_key.as_bytes(),
        )
    }) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."}))).into_response();
    }
    let leak = s.broken(Break::LeakLedgerToAnon);
    let data = s.ledger.snapshot();
    let rows: Vec<Value> = match table.as_str() {
        "stripe_financial_records" if leak => data.records.iter().map(|r| json!(r)).collect(),
        "stripe_financial_events" if leak => data.events.iter().map(|e| json!(e)).collect(),
        "stripe_financial_records" | "stripe_financial_events" => Vec::new(),
        _ => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"code": "42P01", "message": format!("relation \"public.{table}\" does not exist")})),
            )
                .into_response();
        }
    };
    Json(Value::Array(rows)).into_response()
}

async fn sentry_project(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
) -> Response {
    if !authorized(&headers, &s.config.credentials.sentry_token) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"detail": "Authentication credentials were not provided."})),
        )
            .into_response();
    }
    if s.broken(Break::SentryMissing) || org != "hello-lucia" {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"detail": "The requested resource does not exist"})),
        )
            .into_response();
    }
    Json(json!({
        "id": "4507000000000001",
        "slug": project,
        "name": project,
        "platform": "rust",
        "status": "active",
        "organization": {"slug": org},
        "isBookmarked": false,
        "hasAccess": true,
    }))
    .into_response()
}
