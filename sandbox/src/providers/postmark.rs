//! Postmark: the server whose inbound stream delivers email to Engine's
//! `/webhooks/postmark/inbound`, behind the server API token.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::{AppState, constant_time_eq};

const SERVER_ID: u64 = 13_847_202;
const INBOUND_HASH: &str = "7f3c9a1e5b2d4f6a8c0e2b4d6f8a0c2e";

fn error(message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"ErrorCode": 10, "Message": message})),
    )
        .into_response()
}

/// GET /server: the server the token belongs to. `InboundHookUrl` is where
/// Postmark posts inbound email; it carries the basic-auth credentials
/// Engine checks, in the URL, as Postmark stores and returns it (Postmark's
/// way of authenticating its webhooks).
///
/// `ApiTokens` (the server's own tokens) is left out: no probe needs it.
///
/// Reference: https://postmarkapp.com/developer/api/server-api#get-server
pub(crate) async fn server(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = headers
        .get("x-postmark-server-token")
        .and_then(|v| v.to_str().ok())
    else {
        return error(
            "No Account or Server API tokens were supplied in the HTTP headers. \
Please add a header for either X-Postmark-Server-Token or X-Postmark-Account-Token.",
        );
    };
    if !constant_time_eq(
        token.trim().as_bytes(),
        s.config.credentials.postmark_server_token.as_bytes(),
    ) {
        return error("Bad or missing Server API token.");
    }
    let engine = s.config.intake_engine_url();
    let auth = &s.config.credentials.postmark_inbound_auth;
    let hook = match engine.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{auth}@{rest}/webhooks/postmark/inbound"),
        None => format!("{engine}/webhooks/postmark/inbound"),
    };
    Json(json!({
        "ID": SERVER_ID,
        "Name": "Lucia Engine",
        "Color": "purple",
        "SmtpApiActivated": false,
        "RawEmailEnabled": false,
        "DeliveryType": "Live",
        "ServerLink": format!("https://account.postmarkapp.com/servers/{SERVER_ID}/streams"),
        "InboundAddress": format!("{INBOUND_HASH}@inbound.postmarkapp.com"),
        "InboundHookUrl": hook,
        "BounceHookUrl": "",
        "OpenHookUrl": "",
        "DeliveryHookUrl": "",
        "PostFirstOpenOnly": false,
        "InboundDomain": "",
        "InboundHash": INBOUND_HASH,
        "InboundSpamThreshold": 0,
        "TrackOpens": false,
        "TrackLinks": "None",
        "IncludeBounceContentInHook": true,
        "ClickHookUrl": "",
        "EnableSmtpApiErrorHooks": false,
    }))
    .into_response()
}
