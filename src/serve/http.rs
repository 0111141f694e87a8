//! The HTTP API of `serve`.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the readiness dashboard (HTML, no script) |
//! | `GET /readiness` | the promotion verdict (JSON; `?format=md`) |
//! | `GET /runs/latest?env=NAME` | the last run's report (JSON; `?format=md\|html`) |
//! | `GET /runs?env=NAME&limit=N` | recent runs with their counts |
//! | `GET /runs/{id}` | one run's report from the history (HTML; `?format=json\|md`) |
//! | `GET /badge/{env}.svg` | the environment's state as a badge (passing, failing; ready, not ready for a promotion's source) |
//! | `GET /badge/{env}/uptime/{24h\|7d\|30d}.svg` | its uptime over the window |
//! | `POST /runs?env=NAME` | start a run now (bearer token) |
//! | `GET /silences` | the silences in force (`?all=true`: past ones too) |
//! | `POST /silences` | silence an environment: `{"env", "for", "reason"}` (bearer token) |
//! | `DELETE /silences/{id}` | end a silence now (bearer token) |
//! | `GET /metrics` | Prometheus |
//! | `GET /healthz` | the scheduler and the state database (503 when not healthy) |
//!
//! With `LUCIA_HARNESS_READ_TOKEN` set, every route but `/healthz` (which
//! load balancers and Kubernetes probe) answers 401 without it, as a bearer
//! token or a basic-auth password; `POST /runs` takes its own, stronger,
//! token instead.

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::harness::{Harness, RequestOutcome, TOKEN_VAR};
use super::{badge, dashboard};

/// The HTTP API over `state` (the scheduler runs separately: [`super::serve`]).
pub fn app(state: Harness) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/readiness", get(readiness))
        .route("/runs/latest", get(latest))
        .route("/runs", get(history).post(start_run))
        .route("/runs/{id}", get(one_run))
        .route("/silences", get(list_silences).post(add_silence))
        .route("/silences/{id}", axum::routing::delete(end_silence))
        .route("/badge/{file}", get(state_badge))
        .route("/badge/{env}/uptime/{file}", get(uptime_badge))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), read_access))
        .with_state(state)
}

/// The read token, when one is set: a bearer token, or the password of
/// basic auth (any user name, so a browser can ask for it).
async fn read_access(State(h): State<Harness>, req: Request, next: Next) -> Response {
    let Some(token) = h.settings().read_token.as_deref() else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    if path == "/healthz" || (path == "/runs" && req.method() == axum::http::Method::POST) {
        return next.run(req).await;
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            if let Some(t) = v.strip_prefix("Bearer ") {
                return Some(t.trim().to_owned());
            }
            use base64::Engine as _;
            let basic = v.strip_prefix("Basic ")?;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(basic.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            text.split_once(':')
                .map(|(_, password)| password.to_owned())
        });
    if given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
        return next.run(req).await;
    }
    let mut r = error(
        StatusCode::UNAUTHORIZED,
        format!(
            "this serve needs its read token (the value of {}): send `Authorization: Bearer <token>`, or give it as the password in the browser's prompt; /healthz needs none",
            super::harness::READ_TOKEN_VAR
        ),
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"lucia-harness\", charset=\"UTF-8\""),
    );
    r
}

#[derive(Debug, Deserialize)]
struct Params {
    env: Option<String>,
    format: Option<String>,
    limit: Option<usize>,
    location: Option<String>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn body(content_type: &'static str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}

const HTML: &str = "text/html; charset=utf-8";
const MARKDOWN: &str = "text/markdown; charset=utf-8";
const JSON: &str = "application/json";

/// The page allows no script and nothing from elsewhere: it is text and CSS.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[derive(Debug, Deserialize)]
struct PageParams {
    /// `on`: the page reloads itself every `--refresh` (a wall display).
    refresh: Option<String>,
}

async fn index(State(h): State<Harness>, Query(refresh): Query<PageParams>) -> Response {
    let html = dashboard::render(&dashboard::View::gather(
        &h,
        refresh.refresh.as_deref() == Some("on"),
    ));
    let mut r = body(HTML, html.into_bytes());
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    r.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "no such page: try / (dashboard), /readiness, /runs/latest?env=NAME, /runs?env=NAME, /metrics, /healthz",
    )
}

/// The environment a request names; with one environment served, it may be left out.
fn environment(h: &Harness, p: &Params) -> Result<String, Box<Response>> {
    let served: Vec<&str> = h.environments().collect();
    match &p.env {
        Some(e) if served.contains(&e.as_str()) => Ok(e.clone()),
        Some(e) => Err(Box::new(error(
            StatusCode::NOT_FOUND,
            format!(
                "environment {e:?} is not served here (served: {})",
                served.join(", ")
            ),
        ))),
        None if served.len() == 1 => Ok(served[0].to_owned()),
        None => Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("say which environment: ?env= one of {}", served.join(", ")),
        ))),
    }
}

fn render<T: ?Sized>(r: &dyn reporters::Reporter<T>, value: &T, ct: &'static str) -> Response {
    let mut out = Vec::new();
    match r.write(value, &mut out) {
        Ok(()) => body(ct, out),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot render: {e}"),
        ),
    }
}

async fn readiness(State(h): State<Harness>, Query(p): Query<Params>) -> Response {
    let (verdict, baseline) = h.evidence();
    let format = p.format.as_deref().unwrap_or("json");
    match (verdict, format) {
        (Ok(r), "json") => render(&reporters::format::readiness::ReadinessJson, &r, JSON),
        (Ok(r), "md") => render(
            &reporters::format::readiness::ReadinessMarkdown,
            &r,
            MARKDOWN,
        ),
        (Ok(r), "html") => render(&reporters::format::readiness::ReadinessHtml, &r, HTML),
        (Err(why), "json") => Json(json!({
            "ready": false,
            "verdict": "not_evaluated",
            "detail": why,
            "promotion": h.settings().promotion,
            "baseline": baseline.to_json(),
        }))
        .into_response(),
        (Err(why), "md") => body(
            MARKDOWN,
            format!(
                "## ❔ No readiness evaluated yet\n\n{}\n\nBaseline: {}\n",
                reporters::text::escape::md_inline(&why),
                reporters::text::escape::md_inline(&baseline.describe())
            )
            .into_bytes(),
        ),
        (Err(_), "html") => index(State(h), Query(PageParams { refresh: None })).await,
        (_, other) => error(
            StatusCode::BAD_REQUEST,
            format!("unknown format {other:?}: json, md or html"),
        ),
    }
}

async fn latest(State(h): State<Harness>, Query(p): Query<Params>) -> Response {
    let env = match environment(&h, &p) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let Some(report) = h.env_state(&env).and_then(|s| s.latest) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no finished run of {env} yet"),
        );
    };
    match p.format.as_deref().unwrap_or("json") {
        "json" => render(&reporters::Json, &*report, JSON),
        "md" => render(&reporters::Markdown, &*report, MARKDOWN),
        "html" => render(&reporters::Html, &*report, HTML),
        other => error(
            StatusCode::BAD_REQUEST,
            format!("unknown format {other:?}: json, md or html"),
        ),
    }
}

/// One run's report, from the history (the strip bars and links point here).
async fn one_run(
    State(h): State<Harness>,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no run {id:?}: runs are numbered (see /runs?env=NAME)"),
        );
    };
    let report = match h.read_store(|s| s.run_report(id)) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return error(
                StatusCode::NOT_FOUND,
                format!("no finished run {id} in the history (it did not finish, or was pruned)"),
            );
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    if !h.environments().any(|e| e == report.environment) {
        return error(
            StatusCode::NOT_FOUND,
            format!("no run {id} of an environment served here"),
        );
    }
    match p.format.as_deref().unwrap_or("html") {
        "json" => render(&reporters::Json, &report, JSON),
        "md" => render(&reporters::Markdown, &report, MARKDOWN),
        "html" => render(&reporters::Html, &report, HTML),
        other => error(
            StatusCode::BAD_REQUEST,
            format!("unknown format {other:?}: html, json or md"),
        ),
    }
}

fn svg(body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

fn served(h: &Harness, file: &str) -> Result<String, Box<Response>> {
    let env = file.strip_suffix(".svg").unwrap_or(file);
    if h.environments().any(|e| e == env) {
        Ok(env.to_owned())
    } else {
        Err(Box::new(error(
            StatusCode::NOT_FOUND,
            format!("{env} is not served here"),
        )))
    }
}

/// `/badge/{env}.svg`: ready / not ready for the promotion's source, else
/// the last run's passing / failing.
async fn state_badge(State(h): State<Harness>, Path(file): Path<String>) -> Response {
    let env = match served(&h, &file) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let label = format!("lucia {env}");
    if let (Some(p), Ok(r)) = (&h.settings().promotion, h.evidence().0)
        && p.from == env
    {
        let (msg, color) = if r.ready {
            (format!("ready for {}", p.to), badge::GREEN)
        } else {
            (format!("not ready for {}", p.to), badge::RED)
        };
        return svg(badge::svg(&label, &msg, color));
    }
    let (msg, color) = match h.env_state(&env).and_then(|s| s.latest) {
        None => ("no runs", badge::GREY),
        Some(r) if r.passed() => ("passing", badge::GREEN),
        Some(_) => ("failing", badge::RED),
    };
    svg(badge::svg(&label, msg, color))
}

/// `/badge/{env}/uptime/{24h|7d|30d}.svg`: passed runs over runs that
/// passed or failed in the window (runs that could not run, were abandoned
/// or still run count neither way).
async fn uptime_badge(
    State(h): State<Harness>,
    Path((env, file)): Path<(String, String)>,
) -> Response {
    let env = match served(&h, &env) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let name = file.strip_suffix(".svg").unwrap_or(&file);
    let Some(window) = badge::window(name) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no uptime window {name:?}: 24h, 7d or 30d"),
        );
    };
    let key = h.series(&env);
    let since = chrono::Utc::now() - window;
    match h.read_store(|s| s.uptime(&key, since)) {
        Ok((passed, counted)) => {
            let (msg, color) = badge::uptime(passed, counted);
            svg(badge::svg(&format!("{env} uptime {name}"), &msg, color))
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn history(State(h): State<Harness>, Query(p): Query<Params>) -> Response {
    let env = match environment(&h, &p) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let limit = p.limit.unwrap_or(20).clamp(1, 1000);
    // Another location's runs, from a shared history: `&location=NAME`.
    let key = match p.location.as_deref() {
        Some(l) if h.settings().config.location(l).is_err() => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("{l:?} is not a location environments.toml names"),
            );
        }
        Some(l) => reporters::model::run::series(&env, Some(l)),
        None => h.series(&env),
    };
    match h.read_store(|s| s.history(&key, limit)) {
        Ok(rows) => {
            Json(json!({ "environment": env, "series": key, "runs": rows })).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Compares in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The write token's check, for `what` (`POST /runs`): 403 while none is
/// set, 401 without the right one.
fn require_token(h: &Harness, headers: &HeaderMap, what: &str) -> Result<(), Box<Response>> {
    let Some(token) = h.settings().token.as_deref() else {
        return Err(Box::new(error(
            StatusCode::FORBIDDEN,
            format!(
                "{what} is disabled: {TOKEN_VAR} is not set where serve runs. Set it to a long random value and send it as `Authorization: Bearer <token>`"
            ),
        )));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
        return Ok(());
    }
    let mut r = error(
        StatusCode::UNAUTHORIZED,
        format!("{what} needs `Authorization: Bearer <token>` with the value of {TOKEN_VAR}"),
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"lucia-harness\""),
    );
    Err(Box::new(r))
}

#[derive(Debug, Deserialize)]
struct SilenceParams {
    #[serde(default)]
    all: bool,
    env: Option<String>,
}

async fn list_silences(State(h): State<Harness>, Query(p): Query<SilenceParams>) -> Response {
    match h.read_store(|s| s.silences(p.env.as_deref(), chrono::Utc::now(), p.all)) {
        Ok(list) => Json(json!({ "silences": list })).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSilence {
    env: String,
    /// `30m`, `2h`.
    #[serde(rename = "for")]
    length: String,
    reason: String,
}

async fn add_silence(
    State(h): State<Harness>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = require_token(&h, &headers, "POST /silences") {
        return *r;
    }
    let asked: NewSilence = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "the body is {{\"env\": \"dev\", \"for\": \"30m\", \"reason\": \"deploy\"}}: {e}"
                ),
            );
        }
    };
    let Some(length) = probes::core::duration::parse(&asked.length) else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("\"for\": {:?} is not a duration (30m, 2h)", asked.length),
        );
    };
    let silence = crate::record::silences::new_silence(
        &h.settings().config,
        &asked.env,
        length,
        &asked.reason,
        "http",
    );
    let mut silence = match silence {
        Ok(s) => s,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    match h.read_store(|s| s.add_silence(&silence)) {
        Ok(id) => {
            silence.id = id;
            tracing::info!(environment = %silence.environment, id, until = %silence.ends_at, reason = %silence.reason, "silenced");
            (StatusCode::CREATED, Json(json!({ "silence": silence }))).into_response()
        }
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn end_silence(
    State(h): State<Harness>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_token(&h, &headers, "DELETE /silences") {
        return *r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::NOT_FOUND, format!("{id:?} is not a silence id"));
    };
    match h.read_store(|s| s.end_silence(id, chrono::Utc::now())) {
        Ok(Some(s)) => Json(json!({ "silence": s })).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no silence #{id}")),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn start_run(
    State(h): State<Harness>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = require_token(&h, &headers, "POST /runs") {
        return *r;
    }
    let env = match environment(&h, &p) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    match h.request_run(&env) {
        RequestOutcome::Accepted => (
            StatusCode::ACCEPTED,
            Json(json!({
                "environment": env,
                "status": "accepted",
                "detail": "the run starts now; its report will be at /runs/latest",
                "latest": format!("/runs/latest?env={env}"),
            })),
        )
            .into_response(),
        RequestOutcome::AlreadyRunning(r) => (
            StatusCode::CONFLICT,
            Json(json!({
                "error": format!("a run of {env} is already in progress"),
                "running": r,
            })),
        )
            .into_response(),
        RequestOutcome::AlreadyRequested => error(
            StatusCode::CONFLICT,
            format!("a run of {env} was already requested and is about to start"),
        ),
        RequestOutcome::UnknownEnvironment => {
            error(StatusCode::NOT_FOUND, format!("{env} is not served"))
        }
        RequestOutcome::NotLeader => error(
            StatusCode::CONFLICT,
            format!(
                "this replica ({}) does not run {env}: another replica holds its schedule's lease; ask the one whose /healthz lists {env} under \"leads\"",
                h.settings().replica
            ),
        ),
        RequestOutcome::ShuttingDown => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "serve is shutting down: no new runs",
        ),
    }
}

async fn metrics(State(h): State<Harness>) -> Response {
    match h.metrics().encode() {
        Ok((content_type, bytes)) => {
            let mut r = bytes.into_response();
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            r
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("metrics: {e}")),
    }
}

async fn healthz(State(h): State<Harness>) -> Response {
    let health = h.health();
    let envs: serde_json::Map<String, Value> = health
        .environments
        .iter()
        .map(|(name, e)| {
            let s = &e.state;
            (
                name.clone(),
                json!({
                    "scheduler": s.loop_state,
                    "interval_seconds": s.interval.as_secs_f64(),
                    "next_run_at": s.next_due,
                    "running": s.running,
                    "requested": s.requested,
                    "overdue": e.overdue,
                    "runs_this_process": s.runs,
                    "leader": s.leading,
                    "last_run": {
                        "result": s.last_result,
                        "started_at": s.last_started,
                        "finished_at": s.last_finished,
                        "error": s.last_error,
                    },
                }),
            )
        })
        .collect();
    let status = if health.ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if health.ok { "ok" } else { "unhealthy" },
            "phase": health.phase,
            "problems": health.problems,
            "version": crate::run::HARNESS_VERSION,
            "started_at": health.started_at,
            "replica": h.settings().replica,
            "leads": h.leads(),
            "environments": envs,
        })),
    )
        .into_response()
}
