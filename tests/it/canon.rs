//! Issue 3: the Canon's claims as features. Every named sandbox fault breaks
//! one claim and the scenario holding it must report a claim violation;
//! the Postgres access boundary is checked against a real database; the
//! environment's rules skip what may not run there, with the reason.

use serde_json::Value;

use crate::support::{
    NOT_BASELINE, Outcome, drop_database, ledger_database, repo, run_cmd, run_local, sandbox, write,
};

/// (named fault, scenario that holds the claim it breaks)
const BROKEN_CLAIMS: &[(&str, &str)] = &[
    ("accept-unsigned-webhooks", "A unsigned SMS is refused"),
    (
        "stripe-drops-events",
        "A signed payment_intent.succeeded lands in the payment truth",
    ),
    (
        "lose-truth-on-restart",
        "payment truth for #29110012 is the same after a restart",
    ),
    (
        "leak-ledger-to-anon",
        "the anon key reads no stripe_financial_records",
    ),
    (
        "ledger-memory-mode",
        "ledger runs in dual mode with durability required",
    ),
    (
        "expiring-certificate",
        "The certificate of engine is valid for at least 14 days",
    ),
    (
        "no-https-redirect",
        "Plain HTTP to engine redirects to HTTPS",
    ),
    (
        "csp-allows-supabase",
        "Content-Security-Policy never lets the browser reach Supabase",
    ),
    (
        "admin-own-payment-truth",
        "The payment page shows exactly Engine's payment truth",
    ),
    ("clerk-open", "An anonymous visitor is sent to sign in"),
    (
        "stage-unprotected",
        "The stage branch of lucia-admin is protected",
    ),
    (
        "no-cloudflare",
        "engine is served through Cloudflare's edge",
    ),
    ("not-netlify", "The lab is served by Netlify"),
    (
        "sentry-missing",
        "Engine's Sentry project exists and is active",
    ),
    (
        "providers-target-staging",
        "Stripe delivers the payment events to Development's Engine",
    ),
    (
        "providers-target-staging",
        "Postmark delivers inbound email to Development's Engine",
    ),
    (
        "providers-target-staging",
        "Twilio's intake number delivers SMS to Development's Engine",
    ),
    (
        "providers-target-staging",
        "Twilio's WhatsApp sender delivers to Development's Engine",
    ),
    (
        "stripe-endpoint-disabled",
        "Stripe delivers the payment events to Development's Engine",
    ),
    (
        "render-deploys-on-commit",
        "Admin dev deploys only after its CI checks pass",
    ),
    (
        "admin-ci-not-required",
        "Admin's dev branch requires its CI",
    ),
    (
        "resend-domain-unverified",
        "Resend reports the sending domain verified",
    ),
    (
        "guest-agent-renamed",
        "The guest lab runs the agent environments.toml expects",
    ),
    // The Staging variant of provider routing: switched, Staging is targeted.
    (
        "providers-target-staging",
        "Twilio's intake numbers do not deliver SMS to Staging",
    ),
    (
        "providers-target-staging",
        "Twilio's WhatsApp sender does not deliver to Staging",
    ),
    (
        "providers-target-staging",
        "No Stripe webhook endpoint delivers to Staging",
    ),
    (
        "providers-target-staging",
        "Postmark does not deliver inbound email to Staging",
    ),
    (
        "dns-not-cloudflare",
        "hellolucia.ai is delegated to Cloudflare's name servers",
    ),
    (
        "dkim-missing",
        "The sending domain publishes the DKIM key Resend lists for it",
    ),
    (
        "nxdomain:api-dev.hellolucia.ai",
        "api-dev.hellolucia.ai resolves",
    ),
    (
        "render-service-renamed",
        "Render runs lucia-engine-staging, as the Canon names it",
    ),
    (
        "render-wrong-environment",
        "lucia-booking-engine runs in the Lucia AI project's Development environment",
    ),
    (
        "waitlist-runtime-moved",
        "The waitlist runs from functions/api/waitlist.js of lucia-marketing",
    ),
];

/// Named faults whose claim is proved elsewhere: an expired certificate
/// fails the TLS scenarios as `certificate` (faults.rs), a persisted
/// payment policy makes a deferred claim outdated (below).
const TESTED_ELSEWHERE: &[&str] = &["expired-certificate", "payment-policy-persisted"];

#[test]
fn every_named_fault_breaks_a_claim_here_or_is_tested_elsewhere() {
    for (_, name) in sandbox::Break::ALL {
        assert!(
            BROKEN_CLAIMS.iter().any(|(f, _)| *f == name) || TESTED_ELSEWHERE.contains(&name),
            "the named fault {name} breaks no claim in BROKEN_CLAIMS"
        );
    }
}

fn claim_violation(o: &Outcome, what: &str, scenario: &str) {
    assert_eq!(o.code, 1, "{what}: exit {}\n{}", o.code, o.stdout);
    let s = o.scenario(scenario);
    assert_eq!(s["status"], "failed", "{what}: {s}");
    let claim = s["claim"].as_str().expect("a claim tag");
    assert!(
        ["implemented", "configured", "tested"].contains(&claim),
        "{what}: {claim}"
    );
    let ledger = o.report()["claims"].as_array().expect("claims");
    let entry = ledger
        .iter()
        .find(|c| c["scenario"] == s["scenario"])
        .unwrap_or_else(|| panic!("{what}: not in the claim ledger"));
    assert_eq!(entry["verdict"], "violated", "{what}: {entry}");
    assert!(
        o.report()["summary"]["claim_violations"]
            .as_u64()
            .expect("count")
            >= 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_broken_claim_is_a_claim_violation() {
    // A few sandboxes and runs at a time: each run is a separate process.
    for chunk in BROKEN_CLAIMS.chunks(5) {
        let mut runs = tokio::task::JoinSet::new();
        for (fault, scenario) in chunk {
            runs.spawn(async move {
                let sb = sandbox(&[], &[fault]).await;
                (run_local(&sb.origin(), &[]).await, *fault, *scenario)
            });
        }
        while let Some(done) = runs.join_next().await {
            let (o, fault, scenario) = done.expect("run task");
            claim_violation(&o, fault, scenario);
        }
    }
    // Admin version drift breaks "Admin runs admin-v0.1.3.6".
    let sb = sandbox(
        &["admin/api/version=change:version=\"admin-v0.1.3.5\""],
        &[],
    )
    .await;
    let o = run_local(&sb.origin(), &[]).await;
    claim_violation(&o, "admin version drift", "Admin runs the expected version");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_claim_that_passes_is_outdated() {
    let sb = sandbox(&[], &["payment-policy-persisted"]).await;
    let o = run_local(&sb.origin(), &[]).await;
    assert_eq!(o.code, 1, "{}", o.stdout);
    let s = o.scenario("payment policy is persisted durably");
    assert_eq!(s["status"], "claim_outdated");
    assert!(
        o.stdout.contains("update the claim (no pretending)"),
        "{}",
        o.stdout
    );
    // Without the fault it is a known gap, and the run passes.
    let sb = sandbox(&[], &[]).await;
    let o = run_local(&sb.origin(), &[]).await;
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert_eq!(
        o.scenario("payment policy is persisted durably")["status"],
        "known_gap"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_checked_in_both_directions() {
    // The harness signs right (accepted) and the sandbox verifies (a wrong key is refused).
    let sb = sandbox(&[], &[]).await;
    let o = run_local(&sb.origin(), &["--tags", "@gating"]).await;
    assert_eq!(o.code, 0, "{}", o.stdout);
    for name in [
        "A signed SMS is accepted",
        "A signed WhatsApp message is accepted",
        "A wrongly signed SMS is refused",
        "A wrongly signed WhatsApp message is refused",
        "A signed payment_intent.succeeded lands",
        "A wrongly signed event is refused",
        "Inbound email with the right basic auth is accepted",
        "Inbound email with wrong basic auth is refused",
    ] {
        assert_eq!(o.scenario(name)["status"], "passed", "{name}");
    }
    // Replace the sandbox's Twilio token: now the harness's "signed" requests carry a wrong signature.
    let mut config = sandbox::SandboxConfig::default();
    config.credentials.twilio_auth_token = "another-token".into();
    let sb = sandbox::start("127.0.0.1:0", config)
        .await
        .expect("sandbox");
    let o = run_local(&sb.origin(), &["--tags", "@gating"]).await;
    assert_eq!(o.scenario("A signed SMS is accepted")["status"], "failed");
    assert!(
        o.scenario("A signed SMS is accepted")["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("actual 403")
    );
}

fn boundary(o: &Outcome) -> Vec<(String, String)> {
    o.report()["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter(|s| {
            s["steps"].as_array().is_some_and(|st| {
                st.iter().any(|x| {
                    x["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("Postgres database"))
                })
            })
        })
        .map(|s| {
            (
                s["scenario"].as_str().expect("name").to_owned(),
                s["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_access_boundary_is_checked_in_postgres() {
    let sb = sandbox(&[], &[]).await;
    let (good, dsn) = ledger_database(false).await;
    let o = run_cmd(
        &[
            "run",
            "--env",
            "local",
            "--origin",
            &sb.origin(),
            NOT_BASELINE[0],
            NOT_BASELINE[1],
        ],
        &[("LUCIA_CORE_DATABASE_URL", &dsn)],
    )
    .await;
    drop_database(&good).await;
    assert_eq!(o.code, 0, "{}", o.stdout);
    let checks = boundary(&o);
    assert_eq!(checks.len(), 6, "{checks:?}");
    assert!(checks.iter().all(|(_, s)| s == "passed"), "{checks:?}");
    assert!(!o.all_output().contains(&dsn), "the DSN leaked");

    let (bad, dsn) = ledger_database(true).await;
    let o = run_cmd(
        &["run", "--env", "local", "--origin", &sb.origin()],
        &[("LUCIA_CORE_DATABASE_URL", &dsn)],
    )
    .await;
    drop_database(&bad).await;
    assert_eq!(o.code, 1, "{}", o.stdout);
    let failed = |name: &str| -> String {
        let s = o.scenario(name);
        assert_eq!(s["status"], "failed", "{name}: {s}");
        s["error"]["message"].as_str().expect("msg").to_owned()
    };
    assert!(
        failed("Row level security is enabled on stripe_financial_events").contains("NOT enabled")
    );
    assert!(
        failed("No policy lets anon read stripe_financial_records")
            .contains("anon_can_read_records")
    );
    assert!(
        failed("No policy lets anon read stripe_financial_events")
            .contains("row level security is off")
    );
    assert_eq!(
        o.scenario("Row level security is enabled on stripe_financial_records")["status"],
        "passed"
    );
    assert_eq!(
        o.scenario("No policy lets authenticated read stripe_financial_records")["status"],
        "passed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_database_the_boundary_is_skipped_not_passed() {
    let sb = sandbox(&[], &[]).await;
    let o = run_local(&sb.origin(), &[]).await;
    let checks = boundary(&o);
    assert_eq!(checks.len(), 6);
    for (name, status) in checks {
        assert_eq!(status, "skipped", "{name}");
        assert!(
            o.scenario(&name)["skip_reason"]
                .as_str()
                .expect("reason")
                .contains("LUCIA_CORE_DATABASE_URL is not set")
        );
    }
}

/// A copy of the repository's config with the `local` block changed.
fn local_config(dir: &std::path::Path, from: &str, to: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo().join("environments.toml")).expect("config");
    let start = text.find("[environments.local]").expect("local block");
    let (head, tail) = text.split_at(start);
    assert!(tail.contains(from), "{from} not in the local block");
    let ca = repo().join("sandbox/certs/sandbox-ca.pem");
    let tail = tail.replacen(from, to, 1).replace(
        "ca_file = \"sandbox/certs/sandbox-ca.pem\"",
        &format!("ca_file = {:?}", ca.display().to_string()),
    );
    write(dir, "environments.toml", &format!("{head}{tail}"))
}

fn skip_reason(o: &Outcome, name: &str) -> String {
    let s: &Value = o.scenario(name);
    assert_eq!(s["status"], "skipped", "{name}: {s}");
    s["skip_reason"].as_str().expect("reason").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_an_environment_forbids_is_skipped_with_the_reason() {
    let sb = sandbox(&[], &[]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = local_config(
        dir.path(),
        "mutation = true\nrestarts = true",
        "mutation = false\nrestarts = false",
    );
    let o = run_cmd(
        &[
            "run",
            "--env",
            "local",
            "--origin",
            &sb.origin(),
            "--config",
            cfg.to_str().expect("utf8"),
            NOT_BASELINE[0],
            NOT_BASELINE[1],
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(
        skip_reason(&o, "Joining the waitlist")
            .contains("@mutating, and environment 'local' (sandbox) does not allow mutation")
    );
    // Not tagged @mutating, but it sends a signed webhook: the step says it mutates.
    assert!(
        skip_reason(&o, "A signed SMS is accepted").contains("mutates, and environment 'local'")
    );
    assert!(skip_reason(&o, "is the same after a restart").contains("does not allow restarts"));
    // Nothing mutating reached the sandbox: its ledger still holds only the seed.
    assert_eq!(o.report()["summary"]["failed"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_lists_every_claim_with_status_and_evidence() {
    let sb = sandbox(&[], &[]).await;
    let o = run_cmd(&["claims", "--env", "local", "--origin", &sb.origin()], &[]).await;
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let ledger = o.report()["claims"].as_array().expect("claims").clone();
    let tagged = o.report()["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter(|s| s["claim"].is_string())
        .count();
    assert_eq!(
        ledger.len(),
        tagged,
        "every claim-tagged scenario is in the ledger"
    );
    assert!(ledger.len() >= 40, "{} claims", ledger.len());
    for c in &ledger {
        let line = c["scenario"].as_str().expect("scenario");
        assert!(o.stdout.contains(line), "{line} missing from\n{}", o.stdout);
        assert!(!c["evidence"].as_str().expect("evidence").is_empty());
    }
    for claim in ["implemented", "configured", "tested", "deferred", "future"] {
        assert!(
            ledger.iter().any(|c| c["claim"] == claim),
            "no {claim} claim"
        );
    }
    assert!(o.stdout.contains("known gaps"), "{}", o.stdout);
    // The seed's own words are claims here.
    for seed in [
        "Harper Quinn",
        "dual mode",
        "Row level security",
        "Admin renders Engine payment truth only",
    ] {
        assert!(
            o.stdout.contains(seed) || o.report().to_string().contains(seed),
            "{seed}"
        );
    }
    // And from a saved report, without running anything.
    let saved = o.dir.path().join("report.json");
    let again = crate::support::plain(
        &["claims", "--from-report", saved.to_str().expect("utf8")],
        &[],
    )
    .await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.stdout.lines().skip(1).collect::<Vec<_>>(),
        o.stdout.lines().skip(1).collect::<Vec<_>>()
    );
}

/// Provider routing reads the providers with optional, least-privilege
/// keys: in Development without them, each scenario is skipped naming the
/// secret it needs, never passed and never failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_routing_without_its_keys_is_skipped_with_the_reason() {
    let sb = sandbox(&[], &[]).await;
    let features = repo().join("features/intake/routing.feature");
    let o = run_cmd(
        &[
            "run",
            "--env",
            "dev",
            "--origin",
            &sb.https_origin(),
            "--features",
            features.to_str().expect("utf8"),
        ],
        &[],
    )
    .await;
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    for (scenario, secret) in [
        ("Twilio's intake number delivers SMS", "TWILIO_ACCOUNT_SID"),
        ("Twilio's WhatsApp sender delivers", "TWILIO_ACCOUNT_SID"),
        ("Stripe delivers the payment events", "STRIPE_SECRET_KEY"),
        ("Postmark delivers inbound email", "POSTMARK_SERVER_TOKEN"),
    ] {
        let reason = skip_reason(&o, scenario);
        assert!(
            reason.contains(&format!(
                "optional secret ${{{secret}}} is not set for 'dev'"
            )),
            "{scenario}: {reason}"
        );
    }
    assert!(
        sb.received().iter().all(|r| r.method == "DNS"),
        "a skipped scenario sent a request"
    );
}
