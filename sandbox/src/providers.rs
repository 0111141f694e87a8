//! The provider APIs the Canon's claims need, in their real shapes:
//! Render (restart a service), GitHub (branch protection), Supabase REST
//! (what the anon key reads) and Sentry (the project exists).

use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::{AppState, Break, ENGINE_SERVICE_ID, RESTART_WINDOW, bearer, constant_time_eq};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/render/v1/services/{service_id}", get(render_service))
        .route(
            "/render/v1/services/{service_id}/restart",
            post(render_restart),
        )
        .route(
            "/github/repos/{owner}/{repo}/branches/{branch}/protection",
            get(github_protection),
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
}

fn authorized(headers: &HeaderMap, expected: &str) -> bool {
    bearer(headers).is_some_and(|t| constant_time_eq(t.as_bytes(), expected.as_bytes()))
}

fn unauthorized(message: &str) -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({"message": message}))).into_response()
}

async fn render_service(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&headers, &s.config.credentials.render_api_key) {
        return unauthorized("unauthorized");
    }
    if id != ENGINE_SERVICE_ID {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "not found"}))).into_response();
    }
    Json(json!({
        "id": id,
        "name": "lucia-booking-engine",
        "type": "web_service",
        "suspended": "not_suspended",
        "serviceDetails": {"env": "rust", "region": "oregon"},
    }))
    .into_response()
}

/// POST /v1/services/{id}/restart: Engine drops its memory, is unavailable
/// for a moment, then reloads the durable ledger (unless told to lose it).
async fn render_restart(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&headers, &s.config.credentials.render_api_key) {
        return unauthorized("unauthorized");
    }
    if id != ENGINE_SERVICE_ID {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "not found"}))).into_response();
    }
    let now = Instant::now();
    *s.engine_restarting_until
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(now + RESTART_WINDOW);
    *s.engine_started
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = now + RESTART_WINDOW;
    s.ledger.forget();
    if !s.broken(Break::LoseTruthOnRestart) {
        // The new process loads the durable ledger before it serves.
        if let Err(e) = s.ledger.reload() {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"message": e.to_string()})),
            )
                .into_response();
        }
    }
    StatusCode::ACCEPTED.into_response()
}

async fn github_protection(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((owner, repo, branch)): Path<(String, String, String)>,
) -> Response {
    if !authorized(&headers, &s.config.credentials.github_token) {
        return unauthorized("Requires authentication");
    }
    let known =
        owner == "hello-lucia" && matches!(repo.as_str(), "lucia-admin" | "lucia-booking-engine");
    if !known {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    }
    if branch != "stage" || s.broken(Break::StageUnprotected) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "Branch not protected", "documentation_url": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection", "status": "404"})),
        )
            .into_response();
    }
    let url = format!("https://api.github.com/repos/{owner}/{repo}/branches/{branch}/protection");
    Json(json!({
        "url": url,
        "required_status_checks": {"strict": true, "contexts": ["lint", "build"], "checks": [{"context": "lint", "app_id": null}, {"context": "build", "app_id": null}]},
        "required_pull_request_reviews": {"dismiss_stale_reviews": true, "require_code_owner_reviews": false, "required_approving_review_count": 1},
        "enforce_admins": {"url": format!("{url}/enforce_admins"), "enabled": true},
        "required_linear_history": {"enabled": true},
        "allow_force_pushes": {"enabled": false},
        "allow_deletions": {"enabled": false},
        "required_conversation_resolution": {"enabled": true},
    }))
    .into_response()
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
