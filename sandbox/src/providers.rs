//! The provider APIs the Canon's claims need, in their real shapes, behind
//! their real auth schemes: Render (the services, their auto-deploy,
//! restart), GitHub (branch protection), Supabase REST (what the anon key
//! reads), Sentry (the project exists), and where the intake and payment
//! providers deliver: Twilio's numbers and WhatsApp sender, Stripe's
//! webhook endpoint, Postmark's inbound hook; and Resend's sending domain.

mod github;
mod postmark;
pub(crate) mod resend;
mod stripe;
#[cfg(test)]
mod tests;
mod twilio;

use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::config::ENGINE_SERVICE_ID;
use crate::inject::Break;
use crate::state::{AppState, RESTART_WINDOW, bearer, constant_time_eq};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/render/v1/services", get(render_services))
        .route("/render/v1/services/{service_id}", get(render_service))
        .route(
            "/render/v1/services/{service_id}/restart",
            post(render_restart),
        )
        .route(
            "/github/repos/{owner}/{repo}/branches/{branch}/protection",
            get(github_protection),
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

/// GET /v1/services/{serviceId}: one service object (any of the four).
///
/// Reference: https://api-docs.render.com/reference/retrieve-service
async fn render_service(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&headers, &s.config.credentials.render_api_key) {
        return unauthorized("unauthorized");
    }
    match render_catalogue(&s)
        .into_iter()
        .find(|svc| svc["id"] == id.as_str())
    {
        Some(svc) => Json(svc).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "not found"}))).into_response(),
    }
}

/// One of the Lucia AI project's Render services, as the seed names them.
struct RenderService {
    id: &'static str,
    name: &'static str,
    environment: &'static str,
    repo: &'static str,
    branch: &'static str,
    runtime: &'static str,
    build: &'static str,
    start: &'static str,
    trigger: &'static str,
}

/// The seed's Render environment names. lucia-admin-dev deploys once its
/// checks pass ("Admin Development CI must pass before Admin dev deploy");
/// the seed says nothing of the others' trigger, so they deploy on commit
/// (Render's default), an assumption.
const RENDER_SERVICES: [RenderService; 4] = [
    RenderService {
        id: "srv-sandbox-admin-dev",
        name: "lucia-admin-dev",
        environment: "evm-sandbox-development",
        repo: "lucia-admin",
        branch: "dev",
        runtime: "node",
        build: "npm ci && npm run build",
        start: "npm run start",
        trigger: "checksPass",
    },
    RenderService {
        id: ENGINE_SERVICE_ID,
        name: "lucia-booking-engine",
        environment: "evm-sandbox-development",
        repo: "lucia-booking-engine",
        branch: "dev",
        runtime: "rust",
        build: "cargo build --release",
        start: "./target/release/lucia-booking-engine",
        trigger: "commit",
    },
    RenderService {
        id: "srv-sandbox-admin-staging",
        name: "lucia-admin-staging",
        environment: "evm-sandbox-staging",
        repo: "lucia-admin",
        branch: "stage",
        runtime: "node",
        build: "npm ci && npm run build",
        start: "npm run start",
        trigger: "commit",
    },
    RenderService {
        id: "srv-sandbox-engine-staging",
        name: "lucia-engine-staging",
        environment: "evm-sandbox-staging",
        repo: "lucia-booking-engine",
        branch: "stage",
        runtime: "rust",
        build: "cargo build --release",
        start: "./target/release/lucia-booking-engine",
        trigger: "commit",
    },
];

/// Every service as Render's API shows it (the service object).
fn render_catalogue(s: &AppState) -> Vec<Value> {
    RENDER_SERVICES
        .iter()
        .map(|svc| {
            let trigger = if svc.name == "lucia-admin-dev" && s.broken(Break::RenderDeploysOnCommit)
            {
                "commit"
            } else {
                svc.trigger
            };
            let name =
                if svc.name == "lucia-engine-staging" && s.broken(Break::RenderServiceRenamed) {
                    "lucia-engine-stage"
                } else {
                    svc.name
                };
            json!({
                "id": svc.id,
                "autoDeploy": if trigger == "off" { "no" } else { "yes" },
                "autoDeployTrigger": trigger,
                "branch": svc.branch,
                "buildFilter": {"paths": [], "ignoredPaths": []},
                "createdAt": "2025-01-14T17:48:02.512Z",
                "dashboardUrl": format!("https://dashboard.render.com/web/{}", svc.id),
                "environmentId": svc.environment,
                "imagePath": null,
                "name": name,
                "notifySetting": "default",
                "ownerId": "tea-sandboxluciaai0000",
                "registryCredential": null,
                "repo": format!("https://github.com/hello-lucia/{}", svc.repo),
                "rootDir": "",
                "serviceDetails": {
                    "env": svc.runtime,
                    "runtime": svc.runtime,
                    "region": "oregon",
                    "plan": "starter",
                    "numInstances": 1,
                    "healthCheckPath": "",
                    "pullRequestPreviewsEnabled": "no",
                    "url": format!("https://{name}.onrender.com"),
                    "envSpecificDetails": {"buildCommand": svc.build, "startCommand": svc.start},
                },
                "slug": name,
                "suspended": "not_suspended",
                "suspenders": [],
                "type": "web_service",
                "updatedAt": "2025-06-02T09:41:37.204Z",
            })
        })
        .collect()
}

/// GET /v1/services: a list of `{"cursor", "service"}`, filtered by `name`
/// (repeated, or comma-separated), `type` and `environmentId`; `limit`
/// (1–100, default 20).
///
/// Reference: https://api-docs.render.com/reference/list-services
async fn render_services(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    if !authorized(&headers, &s.config.credentials.render_api_key) {
        return unauthorized("unauthorized");
    }
    let values = |key: &str| -> Vec<String> {
        params
            .iter()
            .filter(|(n, _)| n == key)
            .flat_map(|(_, v)| v.split(',').map(|p| p.trim().to_owned()))
            .filter(|v| !v.is_empty())
            .collect()
    };
    let filters = [
        ("name", values("name")),
        ("type", values("type")),
        ("environmentId", values("environmentId")),
    ];
    let limit = params
        .iter()
        .find(|(n, _)| n == "limit")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let list: Vec<Value> = render_catalogue(&s)
        .into_iter()
        .filter(|svc| {
            filters.iter().all(|(field, wanted)| {
                wanted.is_empty() || wanted.iter().any(|w| svc[*field] == w.as_str())
            })
        })
        .take(limit)
        .map(|svc| {
            let cursor = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                svc["id"].as_str().unwrap_or_default(),
            );
            json!({"cursor": cursor, "service": svc})
        })
        .collect();
    Json(Value::Array(list)).into_response()
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

/// GET /repos/{owner}/{repo}/branches/{branch}/protection: `stage` of both
/// repositories, and `dev` of lucia-admin ([`admin_dev_protection`]).
///
/// Reference: https://docs.github.com/en/rest/branches/branch-protection#get-branch-protection
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
    let url = format!("https://api.github.com/repos/{owner}/{repo}/branches/{branch}/protection");
    if branch == "dev" && repo == "lucia-admin" {
        return Json(admin_dev_protection(&s, &url)).into_response();
    }
    if branch != "stage" || s.broken(Break::StageUnprotected) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "Branch not protected", "documentation_url": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection", "status": "404"})),
        )
            .into_response();
    }
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

/// The check runs of Admin's CI ("Admin Development CI must pass before
/// Admin dev deploy: npm ci / npm run lint / npm run build"): the same
/// `lint` and `build` contexts `stage` requires, here bound to GitHub
/// Actions (app 15368), the app that reports them.
pub(crate) const ADMIN_CI_CHECKS: [&str; 2] = ["lint", "build"];
const GITHUB_ACTIONS_APP_ID: u64 = 15368;

/// Admin's `dev` under classic branch protection: its CI is a required
/// status check (development, so no reviews and no admin enforcement).
/// Without a required check ([`Break::AdminCiNotRequired`]) GitHub leaves
/// `required_status_checks` out of the answer.
///
/// Why branch protection and not `GET /repos/{owner}/{repo}/rules/branches/{branch}`:
/// the rules endpoint returns the active rules of *rulesets* (repository or
/// organisation level) only, not classic branch protection ("Returns all
/// active rules that apply to the specified branch … regardless of the
/// level at which they are configured (e.g. repository or organization)",
/// https://docs.github.com/en/rest/repos/rules#get-rules-for-a-branch).
/// Lucia's branches are held by branch protection (as `stage` is), so that
/// is where a probe finds the required checks; a probe of a repository
/// that also uses rulesets must read both.
///
/// Reference: https://docs.github.com/en/rest/branches/branch-protection#get-branch-protection
fn admin_dev_protection(s: &AppState, url: &str) -> Value {
    let mut body = json!({
        "url": url,
        "required_status_checks": {
            "url": format!("{url}/required_status_checks"),
            "strict": true,
            "contexts": ADMIN_CI_CHECKS,
            "contexts_url": format!("{url}/required_status_checks/contexts"),
            "checks": ADMIN_CI_CHECKS.iter().map(|c| json!({"context": c, "app_id": GITHUB_ACTIONS_APP_ID})).collect::<Vec<_>>(),
        },
        "enforce_admins": {"url": format!("{url}/enforce_admins"), "enabled": false},
        "required_linear_history": {"enabled": false},
        "allow_force_pushes": {"enabled": false},
        "allow_deletions": {"enabled": false},
        "required_conversation_resolution": {"enabled": false},
    });
    if s.broken(Break::AdminCiNotRequired)
        && let Some(o) = body.as_object_mut()
    {
        o.shift_remove("required_status_checks");
    }
    body
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
