//! Render's API: the Lucia AI project, its Development and Staging
//! environments, the four services the seed names in them, and a restart.
//!
//! Render authenticates with an API key as a bearer token.

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{authorized, unauthorized};
use crate::config::ENGINE_SERVICE_ID;
use crate::inject::Break;
use crate::state::{AppState, RESTART_WINDOW};

const PROJECT_ID: &str = "prj-sandboxluciaai000";
const PROJECT_NAME: &str = "Lucia AI";
/// The project's environments: id and name, as the seed names them.
const ENVIRONMENTS: [(&str, &str); 2] = [
    ("evm-sandbox-development", "Development"),
    ("evm-sandbox-staging", "Staging"),
];
const OWNER: &str = "tea-sandboxluciaai0000";

/// GET /v1/services/{serviceId}: one service object (any of the four).
///
/// Reference: https://api-docs.render.com/reference/retrieve-service
pub(crate) async fn render_service(
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
        None => not_found(),
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
                "environmentId": environment_of(s, svc),
                "imagePath": null,
                "name": name,
                "notifySetting": "default",
                "ownerId": OWNER,
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
pub(crate) async fn render_services(
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
pub(crate) async fn render_restart(
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

/// The environment a service runs in; under [`Break::RenderWrongEnvironment`]
/// lucia-booking-engine has been moved to Staging.
fn environment_of(s: &AppState, svc: &RenderService) -> &'static str {
    if svc.name == "lucia-booking-engine" && s.broken(Break::RenderWrongEnvironment) {
        ENVIRONMENTS[1].0
    } else {
        svc.environment
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "not found"}))).into_response()
}

/// GET /v1/environments/{environmentId}: one environment of a project,
/// with the ids of the services in it.
///
/// Reference: https://api-docs.render.com/reference/retrieve-environment
pub(crate) async fn render_environment(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&headers, &s.config.credentials.render_api_key) {
        return unauthorized("unauthorized");
    }
    let Some((id, name)) = ENVIRONMENTS.iter().find(|(e, _)| *e == id) else {
        return not_found();
    };
    let services: Vec<&str> = RENDER_SERVICES
        .iter()
        .filter(|svc| environment_of(&s, svc) == *id)
        .map(|svc| svc.id)
        .collect();
    Json(json!({
        "id": id,
        "name": name,
        "projectId": PROJECT_ID,
        "databasesIds": [],
        "redisIds": [],
        "serviceIds": services,
        "envGroupIds": [],
        "protectedStatus": if *name == "Staging" { "protected" } else { "unprotected" },
        "networkIsolationEnabled": false,
    }))
    .into_response()
}

/// GET /v1/projects/{projectId}: the project and its environments' ids.
///
/// Reference: https://api-docs.render.com/reference/retrieve-project
pub(crate) async fn render_project(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&headers, &s.config.credentials.render_api_key) {
        return unauthorized("unauthorized");
    }
    if id != PROJECT_ID {
        return not_found();
    }
    Json(json!({
        "id": PROJECT_ID,
        "createdAt": "2025-01-14T17:40:11.904Z",
        "updatedAt": "2025-06-02T09:41:37.204Z",
        "name": PROJECT_NAME,
        "owner": {"id": OWNER, "name": "Lucia AI", "email": "ops@hellolucia.ai", "type": "team"},
        "environmentIds": ENVIRONMENTS.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
    }))
    .into_response()
}
