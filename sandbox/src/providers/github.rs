//! GitHub's repository contents: where the Canon says the waitlist's
//! runtime lives (`hello-lucia/lucia-marketing`, `functions/api/waitlist.js`,
//! a Cloudflare Pages Function).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

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
