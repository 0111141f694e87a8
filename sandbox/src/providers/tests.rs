//! The provider endpoints through the whole app (edge, injection, routes):
//! each refuses a request without its credentials, answers its real shape,
//! and each named fault flips what it should.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use serde_json::Value;
use tower::ServiceExt as _;

use crate::config::{Credentials, SandboxConfig};
use crate::inject::Break;
use crate::state::Scheme;

fn config(breaks: &[Break]) -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.breaks.extend(breaks.iter().copied());
    c
}

/// Sends a GET over "HTTPS" (the edge redirects plain HTTP) with `headers`.
async fn get(config: SandboxConfig, path: &str, headers: &[(&str, String)]) -> (StatusCode, Value) {
    let app = crate::app(config).expect("the sandbox app");
    let mut req = Request::get(path);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let mut req = req.body(Body::empty()).expect("a request");
    req.extensions_mut().insert(Scheme::Https);
    let resp = app.oneshot(req).await.expect("an answer");
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("a body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

fn basic(user: &str, password: &str) -> (&'static str, String) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    ("authorization", format!("Basic {encoded}"))
}

fn creds() -> Credentials {
    Credentials::default()
}

const DEV: &str = "https://api-dev.hellolucia.ai";
const STAGING: &str = "https://api-staging.hellolucia.ai";

fn numbers_path() -> String {
    format!(
        "/twilio/2010-04-01/Accounts/{}/IncomingPhoneNumbers.json",
        creds().twilio_account_sid
    )
}

fn twilio_auth() -> (&'static str, String) {
    let c = creds();
    basic(&c.twilio_account_sid, &c.twilio_auth_token)
}

#[tokio::test]
async fn twilio_numbers_need_basic_auth() {
    let (status, body) = get(config(&[]), &numbers_path(), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], 20003);
    let c = creds();
    let wrong = basic(&c.twilio_account_sid, "not-the-token");
    let (status, _) = get(config(&[]), &numbers_path(), &[wrong]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Another account's numbers are not found, even with good credentials.
    let other =
        "/twilio/2010-04-01/Accounts/AC00000000000000000000000000000000/IncomingPhoneNumbers.json";
    let (status, body) = get(config(&[]), other, &[twilio_auth()]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], 20404);
}

#[tokio::test]
async fn twilio_numbers_point_at_dev_engine() {
    let (status, body) = get(config(&[]), &numbers_path(), &[twilio_auth()]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for field in [
        "page",
        "page_size",
        "uri",
        "first_page_uri",
        "next_page_uri",
    ] {
        assert!(body.get(field).is_some(), "{field} in {body}");
    }
    let n = &body["incoming_phone_numbers"][0];
    assert!(n["sid"].as_str().is_some_and(|s| s.starts_with("PN")));
    assert_eq!(n["phone_number"], "+14155550142");
    assert_eq!(n["sms_url"], format!("{DEV}/webhooks/twilio/sms"));
    assert_eq!(n["sms_method"], "POST");
    assert!(n.get("voice_url").is_some());
    assert_eq!(n["account_sid"], creds().twilio_account_sid);
    // The PhoneNumber filter.
    let path = format!("{}?PhoneNumber=%2B1999", numbers_path());
    let (_, body) = get(config(&[]), &path, &[twilio_auth()]).await;
    assert_eq!(body["incoming_phone_numbers"], serde_json::json!([]));
}

#[tokio::test]
async fn twilio_whatsapp_sender_points_at_dev_engine() {
    let path = "/twilio-messaging/v2/Channels/Senders?Channel=whatsapp";
    let (status, _) = get(config(&[]), path, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = get(config(&[]), path, &[twilio_auth()]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sender = &body["senders"][0];
    assert_eq!(sender["sender_id"], "whatsapp:+14155550142");
    assert_eq!(sender["status"], "ONLINE");
    assert_eq!(
        sender["webhook"]["callback_url"],
        format!("{DEV}/webhooks/twilio/whatsapp")
    );
    assert_eq!(body["meta"]["key"], "senders");
    let (status, _) = get(
        config(&[]),
        "/twilio-messaging/v2/Channels/Senders",
        &[twilio_auth()],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn stripe_endpoint_needs_the_secret_key() {
    let path = "/stripe/v1/webhook_endpoints";
    let (status, body) = get(config(&[]), path, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, _) = get(config(&[]), path, &[bearer("sk_test_wrong")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Basic auth with the key as the user works as on Stripe.
    let (status, _) = get(config(&[]), path, &[basic(&creds().stripe_secret_key, "")]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn stripe_endpoint_is_enabled_for_dev() {
    let auth = [bearer(&creds().stripe_secret_key)];
    let (status, body) = get(config(&[]), "/stripe/v1/webhook_endpoints", &auth).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["object"], "list");
    assert_eq!(body["has_more"], false);
    assert_eq!(body["url"], "/v1/webhook_endpoints");
    let e = &body["data"][0];
    assert_eq!(e["object"], "webhook_endpoint");
    assert!(e["id"].as_str().is_some_and(|s| s.starts_with("we_")));
    assert_eq!(e["status"], "enabled");
    assert_eq!(e["url"], format!("{DEV}/webhooks/stripe"));
    assert_eq!(
        e["enabled_events"],
        serde_json::json!(["payment_intent.succeeded"])
    );

    let (_, body) = get(
        config(&[Break::StripeEndpointDisabled]),
        "/stripe/v1/webhook_endpoints",
        &auth,
    )
    .await;
    assert_eq!(body["data"][0]["status"], "disabled");
    assert_eq!(body["data"][0]["url"], format!("{DEV}/webhooks/stripe"));
}

#[tokio::test]
async fn postmark_server_hook_points_at_dev() {
    let (status, body) = get(config(&[]), "/postmark/server", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["ErrorCode"], 10);
    let wrong = [("x-postmark-server-token", "wrong".to_owned())];
    let (status, _) = get(config(&[]), "/postmark/server", &wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let auth = [("x-postmark-server-token", creds().postmark_server_token)];
    let (status, body) = get(config(&[]), "/postmark/server", &auth).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["ID"].is_u64());
    assert!(body["Name"].is_string());
    assert!(
        body["InboundAddress"]
            .as_str()
            .is_some_and(|a| a.ends_with("@inbound.postmarkapp.com"))
    );
    assert_eq!(
        body["InboundHookUrl"],
        format!(
            "https://{}@api-dev.hellolucia.ai/webhooks/postmark/inbound",
            creds().postmark_inbound_auth
        )
    );
}

#[tokio::test]
async fn providers_target_staging_moves_every_hook() {
    let c = config(&[Break::ProvidersTargetStaging]);
    let (_, body) = get(c.clone(), &numbers_path(), &[twilio_auth()]).await;
    assert_eq!(
        body["incoming_phone_numbers"][0]["sms_url"],
        format!("{STAGING}/webhooks/twilio/sms")
    );
    let (_, body) = get(
        c.clone(),
        "/twilio-messaging/v2/Channels/Senders?Channel=whatsapp",
        &[twilio_auth()],
    )
    .await;
    assert_eq!(
        body["senders"][0]["webhook"]["callback_url"],
        format!("{STAGING}/webhooks/twilio/whatsapp")
    );
    let (_, body) = get(
        c.clone(),
        "/stripe/v1/webhook_endpoints",
        &[bearer(&creds().stripe_secret_key)],
    )
    .await;
    assert_eq!(body["data"][0]["url"], format!("{STAGING}/webhooks/stripe"));
    assert_eq!(body["data"][0]["status"], "enabled");
    let (_, body) = get(
        c,
        "/postmark/server",
        &[("x-postmark-server-token", creds().postmark_server_token)],
    )
    .await;
    assert!(
        body["InboundHookUrl"]
            .as_str()
            .is_some_and(|u| u.ends_with("@api-staging.hellolucia.ai/webhooks/postmark/inbound")),
        "{body}"
    );
}

#[tokio::test]
async fn the_dev_engine_url_is_configurable() {
    let mut c = config(&[]);
    c.dev_engine_url = "https://127.0.0.1:8700/engine/".to_owned();
    let (_, body) = get(c, &numbers_path(), &[twilio_auth()]).await;
    assert_eq!(
        body["incoming_phone_numbers"][0]["sms_url"],
        "https://127.0.0.1:8700/engine/webhooks/twilio/sms"
    );
}

#[tokio::test]
async fn render_lists_the_four_services() {
    let (status, _) = get(config(&[]), "/render/v1/services", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let auth = [bearer(&creds().render_api_key)];
    let (status, body) = get(config(&[]), "/render/v1/services", &auth).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body
        .as_array()
        .expect("an array")
        .iter()
        .map(|e| {
            assert!(e["cursor"].is_string());
            e["service"]["name"].as_str().expect("a name")
        })
        .collect();
    assert_eq!(
        names,
        [
            "lucia-admin-dev",
            "lucia-booking-engine",
            "lucia-admin-staging",
            "lucia-engine-staging"
        ]
    );
    let (_, body) = get(
        config(&[]),
        "/render/v1/services?name=lucia-admin-dev",
        &auth,
    )
    .await;
    let list = body.as_array().expect("an array");
    assert_eq!(list.len(), 1);
    let svc = &list[0]["service"];
    assert_eq!(svc["autoDeploy"], "yes");
    assert_eq!(svc["autoDeployTrigger"], "checksPass");
    assert_eq!(svc["branch"], "dev");
    assert_eq!(svc["repo"], "https://github.com/hello-lucia/lucia-admin");

    let (_, body) = get(
        config(&[Break::RenderDeploysOnCommit]),
        "/render/v1/services?name=lucia-admin-dev&name=lucia-booking-engine",
        &auth,
    )
    .await;
    let list = body.as_array().expect("an array");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["service"]["autoDeployTrigger"], "commit");

    // The single service keeps answering the Engine the restart scenario uses.
    let (status, body) = get(
        config(&[]),
        &format!("/render/v1/services/{}", crate::ENGINE_SERVICE_ID),
        &auth,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "lucia-booking-engine");
}

#[tokio::test]
async fn admin_dev_requires_its_ci() {
    let path = "/github/repos/hello-lucia/lucia-admin/branches/dev/protection";
    let (status, _) = get(config(&[]), path, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let auth = [bearer(&creds().github_token)];
    let (status, body) = get(config(&[]), path, &auth).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["required_status_checks"]["contexts"],
        serde_json::json!(["lint", "build"])
    );
    assert_eq!(
        body["required_status_checks"]["checks"][0]["context"],
        "lint"
    );
    assert_eq!(body["allow_force_pushes"]["enabled"], false);

    let (status, body) = get(config(&[Break::AdminCiNotRequired]), path, &auth).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("required_status_checks").is_none(), "{body}");
    // Stage's protection is untouched by it.
    let stage = "/github/repos/hello-lucia/lucia-admin/branches/stage/protection";
    let (status, body) = get(config(&[Break::AdminCiNotRequired]), stage, &auth).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["required_status_checks"].is_object());
}

#[tokio::test]
async fn resend_domain_is_verified() {
    let (status, body) = get(config(&[]), "/resend/domains", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["name"], "missing_api_key");
    let (status, _) = get(config(&[]), "/resend/domains", &[bearer("re_wrong")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let auth = [bearer(&creds().resend_api_key)];
    let (status, body) = get(config(&[]), "/resend/domains", &auth).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d = &body["data"][0];
    assert_eq!(d["name"], "send.hellolucia.ai");
    assert_eq!(d["status"], "verified");
    assert!(d["region"].is_string());
    let id = d["id"].as_str().expect("an id").to_owned();

    let (status, _) = get(config(&[]), &format!("/resend/domains/{id}"), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = get(config(&[]), &format!("/resend/domains/{id}"), &auth).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["object"], "domain");
    let records = body["records"].as_array().expect("records");
    let kinds: Vec<(&str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["record"].as_str().unwrap_or(""),
                r["type"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(kinds, [("SPF", "MX"), ("SPF", "TXT"), ("DKIM", "TXT")]);
    assert!(records.iter().all(|r| r["status"] == "verified"));
    let (status, _) = get(config(&[]), "/resend/domains/nope", &auth).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let broken = || config(&[Break::ResendDomainUnverified]);
    let (_, body) = get(broken(), "/resend/domains", &auth).await;
    assert_eq!(body["data"][0]["status"], "pending");
    let (_, body) = get(broken(), &format!("/resend/domains/{id}"), &auth).await;
    assert_eq!(body["status"], "pending");
    assert_eq!(body["records"][2]["status"], "pending");
}

#[test]
fn new_faults_and_credentials_are_named() {
    for name in [
        "providers-target-staging",
        "stripe-endpoint-disabled",
        "render-deploys-on-commit",
        "admin-ci-not-required",
        "resend-domain-unverified",
    ] {
        let b: Break = name.parse().expect(name);
        assert_eq!(b.name(), name);
    }
    let c = Credentials::default();
    for (var, value) in [
        ("TWILIO_ACCOUNT_SID", c.twilio_account_sid.clone()),
        ("STRIPE_SECRET_KEY", c.stripe_secret_key.clone()),
        ("POSTMARK_SERVER_TOKEN", c.postmark_server_token.clone()),
        ("RESEND_API_KEY", c.resend_api_key.clone()),
    ] {
        assert_eq!(Credentials::default_for(var), Some(value), "{var}");
        let replaced = Credentials::from_lookup(|v| (v == var).then(|| "replaced".to_owned()));
        let all = [
            replaced.twilio_account_sid,
            replaced.stripe_secret_key,
            replaced.postmark_server_token,
            replaced.resend_api_key,
        ];
        assert_eq!(all.iter().filter(|v| *v == "replaced").count(), 1, "{var}");
    }
}
