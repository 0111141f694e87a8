//! The step table: every step the harness defines, in the order
//! `lucia-harness steps` lists them. The same table feeds cucumber's step
//! collection and the static `check`, so what `check` accepts is exactly what
//! `run` executes.

use std::sync::LazyLock;

use cucumber::gherkin::StepType;
use cucumber::step::Context;
use futures::future::LocalBoxFuture;

use super::def::{Block, Needs, StepDef, StepFn, def};
use super::{
    baseline, dns, json, memory, postgres, providers, requests, responses, tls, unchecked,
};
use crate::world::World;

/// Wraps `async fn(&mut World, &Context) -> StepResult` into cucumber's
/// step fn type, turning an `Err` into a recorded, unwinding failure.
macro_rules! step {
    ($f:path) => {{
        fn wrapper(w: &mut World, ctx: Context) -> LocalBoxFuture<'_, ()> {
            Box::pin(async move {
                let started = std::time::Instant::now();
                let result = $f(w, &ctx).await;
                w.record_step(started.elapsed());
                if let Err(e) = result {
                    w.fail(e);
                }
            })
        }
        wrapper as StepFn
    }};
}

static VOCABULARY: LazyLock<Vec<StepDef>> = LazyLock::new(|| {
    use Block::{JsonBody, JsonExpectation, Table};
    use StepType::{Given, Then, When};
    vec![
        // Requests
        def(Given, r#"the "{service}" service"#, r#"^the "([^"]+)" service$"#, step!(requests::given_service)).service(1),
        def(Given, r#"the header "{name}" is "{value}""#, r#"^the header "([^"]+)" is "(.*)"$"#, step!(requests::given_header)),
        def(Given, "redirects are followed", r"^redirects are followed$", step!(requests::given_follow)),
        def(When, r#"I {GET|HEAD|DELETE|OPTIONS} "{path}""#, r#"^I (GET|HEAD|DELETE|OPTIONS) "([^"]*)"$"#, step!(requests::when_request))
            .needs(Needs::MutationIfMethod(1)),
        def(When, r#"I {POST|PUT|PATCH} "{path}""#, r#"^I (POST|PUT|PATCH) "([^"]*)"$"#, step!(requests::when_request)).needs(Needs::Mutation),
        def(When, r#"I {POST|PUT|PATCH|DELETE} "{path}" with JSON:"#, r#"^I (POST|PUT|PATCH|DELETE) "([^"]*)" with JSON:?$"#, step!(requests::when_request_json))
            .block(JsonBody)
            .needs(Needs::Mutation),
        def(When, r#"I remember the JSON at "{path}" as "{name}""#, r#"^I remember the JSON at "([^"]+)" as "([^"]+)"$"#, step!(memory::when_remember)).path(1),
        // Providers
        def(
            When,
            r#"Twilio sends a {signed|unsigned|wrongly signed} {SMS|WhatsApp message} to "{path}" with:"#,
            r#"^Twilio sends an? (signed|unsigned|wrongly signed) (SMS|WhatsApp message) to "([^"]+)" with:?$"#,
            step!(providers::twilio),
        )
        .block(Table)
        .needs(Needs::Mutation)
        .secrets(&["TWILIO_AUTH_TOKEN"]),
        def(
            When,
            r#"Stripe sends a {signed|unsigned|wrongly signed} "{event type}" event to "{path}" with JSON:"#,
            r#"^Stripe sends an? (signed|unsigned|wrongly signed) "([^"]+)" event to "([^"]+)" with JSON:?$"#,
            step!(providers::stripe),
        )
        .block(JsonBody)
        .needs(Needs::Mutation)
        .secrets(&["STRIPE_WEBHOOK_SECRET"]),
        def(
            When,
            r#"Postmark delivers an inbound email to "{path}" {with|without|with wrong} basic auth:"#,
            r#"^Postmark delivers an inbound email to "([^"]+)" (with|without|with wrong) basic auth:?$"#,
            step!(providers::postmark),
        )
        .block(JsonBody)
        .needs(Needs::Mutation)
        .secrets(&["POSTMARK_INBOUND_AUTH"]),
        def(When, r#"the "{service}" service is restarted"#, r#"^the "([^"]+)" service is restarted$"#, step!(providers::restart))
            .needs(Needs::Restart(1))
            .service(1)
            .services(&["render"])
            .secrets(&["RENDER_API_KEY"]),
        def(Given, r#"the Postgres database "{name}""#, r#"^the Postgres database "([^"]+)"$"#, step!(postgres::database)).needs(Needs::Database(1)),
        // Checks
        def(Then, "the status is {code}", r"^the status is (\d{3})$", step!(responses::then_status)),
        def(Then, "the status is one of {code}, {code}…", r"^the status is one of (\d{3}(?:\s*(?:,|or)\s*\d{3})*)$", step!(responses::then_status_one_of)),
        def(Then, r#"the header "{name}" {is|contains|matches} "{value}""#, r#"^the header "([^"]+)" (is|contains|matches) "(.*)"$"#, step!(responses::then_header)),
        def(Then, r#"the header "{name}" is {present|absent}"#, r#"^the header "([^"]+)" is (present|absent)$"#, step!(responses::then_header_presence)),
        def(Then, r#"the JSON at "{path}" is {json value}"#, r#"^the JSON at "([^"]+)" is (.+)$"#, step!(json::then_json_at_is)).path(1),
        def(Then, r#"the JSON at "{path}" {matches|contains}:"#, r#"^the JSON at "([^"]+)" (matches|contains):?$"#, step!(json::then_json_at_block))
            .block(JsonExpectation)
            .path(1),
        def(Then, "the JSON {matches|contains}:", r"^the JSON (matches|contains):?$", step!(json::then_json_block)).block(JsonExpectation),
        def(Then, r#"the JSON at "{path}" equals the remembered "{name}""#, r#"^the JSON at "([^"]+)" equals the remembered "([^"]+)"$"#, step!(memory::then_equals_remembered))
            .path(1),
        def(Then, r#"the body contains "{text}""#, r#"^the body contains "(.*)"$"#, step!(responses::then_body_contains)),
        def(Then, r#"the body does not contain "{text}""#, r#"^the body does not contain "(.*)"$"#, step!(responses::then_body_lacks)),
        def(Then, "the response time is under {n} ms", r"^the response time is under (\d+) ?ms$", step!(responses::then_response_time)),
        def(Then, r#"the response matches the baseline "{area/name}""#, baseline::STEP_PATTERN, step!(baseline::then_matches_baseline)),
        def(
            Then,
            r#"the TLS certificate of the "{service}" service is valid for at least {n} days"#,
            r#"^the TLS certificate of the "([^"]+)" service is valid for at least (\d+) days?$"#,
            step!(tls::tls_valid),
        )
        .service(1),
        def(Then, r#"plain HTTP to the "{service}" service redirects to HTTPS"#, r#"^plain HTTP to the "([^"]+)" service redirects to HTTPS$"#, step!(tls::https_redirect)).service(1),
        def(
            Then,
            r#"the Content-Security-Policy does not let the browser connect to "{host}""#,
            r#"^the Content-Security-Policy does not let the browser connect to "([^"]+)"$"#,
            step!(responses::csp_blocks),
        ),
        def(
            Then,
            r#"the JSON embedded in the page as "{#id}" equals the remembered "{name}""#,
            r#"^the JSON embedded in the page as "([^"]+)" equals the remembered "([^"]+)"$"#,
            step!(memory::embedded_equals),
        ),
        def(Then, r#"row level security is enabled on table "{table}""#, r#"^row level security is enabled on table "([^"]+)"$"#, step!(postgres::rls_enabled)),
        def(Then, r#"no policy on table "{table}" lets "{role}" read"#, r#"^no policy on table "([^"]+)" lets "([^"]+)" read$"#, step!(postgres::no_read_policy)),
        def(Then, r#"the claim cannot be checked yet: "{reason}""#, r#"^the claim cannot be checked yet: "(.+)"$"#, step!(unchecked::unchecked)),
        // Added after the first release: appended, so the ids of the steps
        // before it (report formats name them) do not move.
        def(Given, r#"basic auth "{user}" and "{password}""#, r#"^basic auth "([^"]*)" and "([^"]*)"$"#, step!(requests::given_basic_auth)),
        // DNS
        def(
            When,
            r#"I look up the "{A|AAAA|CNAME|NS|TXT|MX}" records of "{name}""#,
            r#"^I look up the "(A|AAAA|CNAME|NS|TXT|MX)" records of "([^"]+)"$"#,
            step!(dns::look_up),
        ),
        def(Then, "at least one record is returned", r"^at least one record is returned$", step!(dns::exists)),
        def(Then, r#"every record ends with "{suffix}""#, r#"^every record ends with "([^"]+)"$"#, step!(dns::all_end_with)),
        def(Then, r#"a record contains "{text}""#, r#"^a record contains "(.+)"$"#, step!(dns::some_contains)),
        def(Then, r#"a record equals the remembered "{name}""#, r#"^a record equals the remembered "([^"]+)"$"#, step!(dns::some_equals_remembered)),
    ]
});

/// Every step the harness defines.
pub fn vocabulary() -> &'static [StepDef] {
    &VOCABULARY
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::def::literal_prefix;

    #[test]
    fn literal_prefixes_are_sound() {
        assert_eq!(literal_prefix("^the status is (\\d+)$"), "the status is ");
        assert_eq!(literal_prefix("^abc?d"), "ab");
        assert_eq!(literal_prefix("^ab*"), "a");
        assert_eq!(literal_prefix("^ab{2}"), "a");
        assert_eq!(literal_prefix("^abc|xyz"), "");
        assert_eq!(literal_prefix("^a(b|c)"), "a");
        assert_eq!(literal_prefix("no anchor"), "");
        // Every definition's prefix is literally the start of what it matches:
        // the prefix filter may never rule out a step its regex accepts.
        for d in vocabulary() {
            assert!(
                d.pattern.starts_with(&format!("^{}", d.prefix)),
                "{}: prefix {:?}",
                d.template,
                d.prefix
            );
            assert!(
                !d.prefix.contains(['\\', '(', '[', '|', '.', '*', '?', '+']),
                "{}: prefix {:?} holds regex syntax",
                d.template,
                d.prefix
            );
        }
    }
}
