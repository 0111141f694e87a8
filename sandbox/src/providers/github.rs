//! GitHub's API: branch protection (`stage` of both repositories, Admin's
//! `dev` with its required CI), and repository contents (where the Canon
//! says the waitlist's runtime lives: `hello-lucia/lucia-marketing`,
//! `functions/api/waitlist.js`, a Cloudflare Pages Function).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use super::{authorized, unauthorized};
use crate::inject::Break;
use crate::state::AppState;

pub(crate) const MARKETING_REPO: &str = "lucia-marketing";
pub(crate) const WAITLIST_RUNTIME: &str = "functions/api/waitlist.js";

/// The waitlist function, as the sandbox's marketing site runs it.
const WAITLIST_JS: &str = r#"// POST /api/waitlist: record a sign-up and send the welcome email through Resend.
export async function onRequestPost({ request, env }) {
  const { email } = await request.json().catch(() => ({}));
  if (!email) return Response.json({ ok: false, error: "email is required" }, { status: 400 });
  const sent = await fetch("https://api.resend.com/emails", {
    method: "POST",
    headers: { Authorization: `Bearer ${env.RESEND_API_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ from: "Lucia <hello@send.hellolucia.ai>", to: [email], subject: "Welcome to Lucia" }),
  });
  const { id } = await sent.json();
  return Response.json({ ok: true, message_id: id, send_status: sent.ok ? "sent" : "failed" });
}
"#;

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content", "status": "404"})),
    )
        .into_response()
}

/// GET /repos/{owner}/{repo}/contents/{path}: a file's content object
/// (base64, wrapped at 60 characters as GitHub does), or 404.
///
/// Reference: https://docs.github.com/en/rest/repos/contents#get-repository-content
pub(crate) async fn contents(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((owner, repo, path)): Path<(String, String, String)>,
) -> Response {
    if !authorized(&headers, &s.config.credentials.github_token) {
        return unauthorized("Requires authentication");
    }
    let here = owner == "hello-lucia" && repo == MARKETING_REPO && path == WAITLIST_RUNTIME;
    if !here || s.broken(Break::WaitlistRuntimeMoved) {
        return not_found();
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(WAITLIST_JS);
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let sha = "3f1c2a9d8e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c";
    let api = format!("https://api.github.com/repos/{owner}/{repo}/contents/{path}?ref=main");
    let html = format!("https://github.com/{owner}/{repo}/blob/main/{path}");
    let git = format!("https://api.github.com/repos/{owner}/{repo}/git/blobs/{sha}");
    Json(json!({
        "type": "file",
        "encoding": "base64",
        "size": WAITLIST_JS.len(),
        "name": path.rsplit('/').next().unwrap_or_default(),
        "path": path,
        "content": wrapped.join("\n") + "\n",
        "sha": sha,
        "url": api,
        "git_url": git,
        "html_url": html,
        "download_url": format!("https://raw.githubusercontent.com/{owner}/{repo}/main/{path}"),
        "_links": {"self": api, "git": git, "html": html},
    }))
    .into_response()
}

/// GET /repos/{owner}/{repo}/branches/{branch}/protection: `stage` of both
/// repositories, and `dev` of lucia-admin ([`admin_dev_protection`]).
///
/// Reference: https://docs.github.com/en/rest/branches/branch-protection#get-branch-protection
pub(crate) async fn protection(
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
