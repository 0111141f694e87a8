//! The public sites: marketing with the waitlist, and the guest lab.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::inject::Break;
use crate::state::{AppState, request_id};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/marketing/api/waitlist", post(waitlist))
        .route("/marketing", get(marketing_home))
        .route("/marketing/", get(marketing_home))
        .route("/guest", get(guest_lab))
        .route("/guest/", get(guest_lab))
        .route("/netlify/lucia-lab", get(guest_lab))
        .route("/netlify/lucia-lab/", get(guest_lab))
}

/// POST /api/waitlist: sends the welcome email through Resend and answers
/// Resend's message id and send status (not persisted: the Canon's known gap).
async fn waitlist(body: Option<Json<Value>>) -> Response {
    let email = body
        .as_ref()
        .and_then(|Json(b)| b.get("email"))
        .and_then(Value::as_str);
    match email {
        Some(e) if e.contains('@') && e.len() <= 254 => (
            StatusCode::OK,
            Json(json!({
                "ok": true,
                "message_id": request_id(),
                "send_status": "sent",
                "sender": "welcome@send.hellolucia.ai",
            })),
        )
            .into_response(),
        _ => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"ok": false, "error": "a valid email is required"})),
        )
            .into_response(),
    }
}

async fn marketing_home() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Lucia — your AI hospitality concierge</title></head>\
<body><h1>Lucia</h1><form action=\"/api/waitlist\" method=\"post\"><input name=\"email\" type=\"email\"><button>Join the waitlist</button></form></body></html>\n",
    )
}

const LAB_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lucia — Guest Agent lab</title></head>
<body><main><h1>Hi, I'm Lucia.</h1><p>Your AI concierge for stays, bookings and everything in between.</p>
<p class="build">lucia-guest-agent</p></main></body></html>
"#;

async fn guest_lab(State(s): State<AppState>) -> Html<String> {
    if s.broken(Break::GuestAgentRenamed) {
        return Html(LAB_PAGE.replace("lucia-guest-agent", "lucia-lab-prototype"));
    }
    Html(LAB_PAGE.to_owned())
}
