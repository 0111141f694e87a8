//! Twilio: the incoming phone numbers (api.twilio.com, `/twilio`) and the
//! WhatsApp sender (messaging.twilio.com, `/twilio-messaging`), each with
//! the webhook Twilio calls when a message comes in.
//!
//! Twilio's REST API authenticates with HTTP basic auth, the account SID as
//! the user and the auth token as the password: the same auth token that
//! signs the webhooks (`X-Twilio-Signature`) Engine checks.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::basic_credentials;
use crate::state::{AppState, constant_time_eq};

/// Lucia's Twilio number (a 555-01xx number, reserved for fiction), which
/// takes SMS and is also the WhatsApp sender.
pub(crate) const PHONE_NUMBER: &str = "+14155550142";
const PHONE_NUMBER_SID: &str = "PN3f1e6a9c2b7d4e8f9a0b1c2d3e4f5a6b";
const SENDER_SID: &str = "XE7c2a9e1f4b6d8a0c3e5f7a9b1d3f5e7a";
const WABA_ID: &str = "104839202755117";

/// Twilio's answer to a request without the right account SID and auth token.
fn unauthorized() -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        Json(json!({
            "code": 20003,
            "message": "Authenticate",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401,
        })),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Twilio API\""),
    );
    r
}

fn not_found(path: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({
            "code": 20404,
            "message": format!("The requested resource {path} was not found"),
            "more_info": "https://www.twilio.com/docs/errors/20404",
            "status": 404,
        })),
    )
        .into_response()
}

/// Basic auth with the sandbox's account SID and auth token.
fn authorized(s: &AppState, headers: &HeaderMap) -> bool {
    let c = &s.config.credentials;
    basic_credentials(headers).is_some_and(|(user, password)| {
        constant_time_eq(user.as_bytes(), c.twilio_account_sid.as_bytes())
            & constant_time_eq(password.as_bytes(), c.twilio_auth_token.as_bytes())
    })
}

/// The `Page`/`PageSize` query, Twilio's paging of the 2010-04-01 API.
fn paging(params: &[(String, String)]) -> (u64, u64) {
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    (
        get("Page").unwrap_or(0),
        get("PageSize").unwrap_or(50).clamp(1, 1000),
    )
}

/// GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json: the
/// account's numbers, each with `sms_url`, the webhook of an incoming message.
/// Filters `PhoneNumber` (a substring, as Twilio matches it) and `FriendlyName`.
///
/// Reference: https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource#read-multiple-incomingphonenumber-resources
pub(crate) async fn incoming_phone_numbers(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((account, file)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let path = format!("/2010-04-01/Accounts/{account}/{file}");
    if !authorized(&s, &headers) {
        return unauthorized();
    }
    if file != "IncomingPhoneNumbers.json" || account != s.config.credentials.twilio_account_sid {
        return not_found(&path);
    }
    let engine = s.config.intake_engine_url();
    let base = format!("/2010-04-01/Accounts/{account}/IncomingPhoneNumbers");
    let number = json!({
        "account_sid": account,
        "address_requirements": "none",
        "address_sid": null,
        "api_version": "2010-04-01",
        "beta": false,
        "bundle_sid": null,
        "capabilities": {"voice": true, "sms": true, "mms": true, "fax": false},
        "date_created": "Tue, 14 Jan 2025 18:02:11 +0000",
        "date_updated": "Mon, 02 Jun 2025 09:41:37 +0000",
        "emergency_address_sid": null,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": "Lucia intake",
        "identity_sid": null,
        "origin": "twilio",
        "phone_number": PHONE_NUMBER,
        "sid": PHONE_NUMBER_SID,
        "sms_application_sid": "",
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": format!("{engine}/webhooks/twilio/sms"),
        "status": "in-use",
        "status_callback": "",
        "status_callback_method": "POST",
        "subresource_uris": {
            "assigned_add_ons": format!("{base}/{PHONE_NUMBER_SID}/AssignedAddOns.json"),
        },
        "trunk_sid": null,
        "uri": format!("{base}/{PHONE_NUMBER_SID}.json"),
        "voice_application_sid": "",
        "voice_caller_id_lookup": false,
        "voice_fallback_method": "POST",
        "voice_fallback_url": "",
        "voice_method": "POST",
        "voice_receive_mode": "voice",
        "voice_url": "",
    });
    let wanted = |key: &str, field: &str| {
        params.iter().filter(|(n, _)| n == key).all(|(_, v)| {
            number[field]
                .as_str()
                .is_some_and(|f| f.contains(v.as_str()))
        })
    };
    let numbers: Vec<Value> =
        if wanted("PhoneNumber", "phone_number") && wanted("FriendlyName", "friendly_name") {
            vec![number]
        } else {
            Vec::new()
        };
    let (page, page_size) = paging(&params);
    let numbers: Vec<Value> = if page == 0 { numbers } else { Vec::new() };
    let uri = |p: u64| format!("{base}.json?PageSize={page_size}&Page={p}");
    Json(json!({
        "end": numbers.len().saturating_sub(1),
        "first_page_uri": uri(0),
        "incoming_phone_numbers": numbers,
        "next_page_uri": null,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": if page == 0 { Value::Null } else { Value::String(uri(page - 1)) },
        "start": 0,
        "uri": uri(page),
    }))
    .into_response()
}

/// GET /v2/Channels/Senders?Channel=whatsapp: the WhatsApp senders, each
/// with `webhook.callback_url`, where Twilio posts a message that comes in.
///
/// Why the Senders API and not the Messaging Services API: the Senders API
/// is the one Twilio documents for a WhatsApp sender, and its webhook is
/// the sender's own inbound URL. A Messaging Service's
/// `inbound_request_url` applies only to senders added to a Messaging
/// Service (and not even then with `use_inbound_webhook_on_number`);
/// Lucia's sender is not in one, and what decides where a WhatsApp message
/// lands for a sender on its own is the sender's webhook.
///
/// Reference: https://www.twilio.com/docs/whatsapp/api/senders#read-multiple-whatsapp-sender-resources
pub(crate) async fn channel_senders(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    if !authorized(&s, &headers) {
        return unauthorized();
    }
    let Some(channel) = params
        .iter()
        .find(|(n, _)| n == "Channel")
        .map(|(_, v)| v.as_str())
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "code": 20001,
                "message": "Missing required parameter Channel",
                "more_info": "https://www.twilio.com/docs/errors/20001",
                "status": 400,
            })),
        )
            .into_response();
    };
    let engine = s.config.intake_engine_url();
    let senders: Vec<Value> = if channel.eq_ignore_ascii_case("whatsapp") {
        vec![json!({
            "sid": SENDER_SID,
            "status": "ONLINE",
            "sender_id": format!("whatsapp:{PHONE_NUMBER}"),
            "configuration": {
                "waba_id": WABA_ID,
                "verification_method": "sms",
                "verification_code": null,
                "voice_application_sid": null,
            },
            "webhook": {
                "callback_url": format!("{engine}/webhooks/twilio/whatsapp"),
                "callback_method": "POST",
                "fallback_url": null,
                "fallback_method": "POST",
                "status_callback_url": null,
                "status_callback_method": "POST",
            },
            "profile": {
                "name": "Lucia",
                "about": "Your stay, handled.",
                "address": null,
                "emails": [],
                "logo_url": null,
                "vertical": "Travel",
                "websites": [{"website": "https://hellolucia.ai", "label": "Website"}],
            },
            "properties": {"quality_rating": "HIGH", "messaging_limit": "1K Customers/24hr"},
            "offline_reasons": null,
            "url": format!("https://messaging.twilio.com/v2/Channels/Senders/{SENDER_SID}"),
        })]
    } else {
        Vec::new()
    };
    let page_size = params
        .iter()
        .find(|(n, _)| n == "PageSize")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .unwrap_or(20);
    let url = format!(
        "https://messaging.twilio.com/v2/Channels/Senders?Channel={channel}&PageSize={page_size}&Page=0"
    );
    Json(json!({
        "senders": senders,
        "meta": {
            "page": 0,
            "page_size": page_size,
            "first_page_url": url,
            "previous_page_url": null,
            "url": url,
            "next_page_url": null,
            "key": "senders",
        },
    }))
    .into_response()
}
