//! Issue 7's canary: a distinct canary secret in every place a secret can
//! come from (the operator token header, the Twilio, Stripe and Postmark
//! signing secrets, Clerk's session, the Render, GitHub, Supabase and
//! Sentry API keys, the database URL's password, the Sentry DSN's key,
//! serve's own bearer token) and canary personal data in the sandbox's
//! answers; then every command, and every byte they produce is read:
//! terminal, report files of every format, snapshots, the state databases
//! (with their WAL), every HTTP answer of `serve`, every Sentry envelope.
//! Zero hits, and proof that each canary was really used.
//!
//! And the simplest case first written: a secret given through `${VAR}`
//! never appears in terminal output or report.json, even when the server
//! echoes it back.

use base64::Engine as _;

use crate::support::serve::{SentryReceiver, Serve, http, state_file};
use crate::support::{
    Outcome, copy_dir, drop_database, files, ledger_database, plain, postgres_admin, repo,
    run_feature, sandbox, write,
};

/// Every canary contains this tag, so a canary cut short by a truncation
/// (a message's "…") is found too.
const TAG: &str = "c4n4ry";

/// The secrets of `local`, by the variable the harness reads them from.
const SECRETS: [(&str, &str); 13] = [
    ("LUCIA_OPERATOR_TOKEN", "c4n4ry-operator-token-3f9d1e"),
    ("TWILIO_AUTH_TOKEN", "c4n4ry-twilio-auth-8b2c47"),
    ("STRIPE_WEBHOOK_SECRET", "whsec_c4n4ry-stripe-5a0e93"),
    ("POSTMARK_INBOUND_AUTH", "postmark:c4n4ry-postmark-d71b08"),
    ("CLERK_SESSION_TOKEN", "c4n4ry-clerk-session-6e4f21"),
    ("RENDER_API_KEY", "rnd_c4n4ry-render-92ad5c"),
    ("GITHUB_TOKEN", "ghp_c4n4ry-github-1c7e3b"),
    ("SUPABASE_ANON_KEY", "c4n4ry-supabase-anon-4b8d60"),
    ("SENTRY_AUTH_TOKEN", "sntrys_c4n4ry-sentry-api-0f3a7c"),
    ("STRIPE_SECRET_KEY", "sk_test_c4n4ry-stripe-read-7e21aa"),
    ("POSTMARK_SERVER_TOKEN", "c4n4ry-postmark-server-3b9f04"),
    ("RESEND_API_KEY", "re_c4n4ry-resend-58cd12"),
    ("TWILIO_ACCOUNT_SID", "ACc4n4ry0twilio0account0sid0e61b"),
];
const DB_PASSWORD: &str = "c4n4ry-pg-password-a83e5d";
const DSN_KEY: &str = "c4n4rysentrydsnkey51e0";
const HARNESS_TOKEN: &str = "c4n4ry-harness-token-77c2e9";

/// Personal data only the sandbox's answers carry (never a feature file):
/// what must never be found, in any case.
const PERSONAL: [&str; 7] = [
    "rowan",
    "ellery",
    "guest.example",
    "7946 0958",
    "+44 20 79",
    "marisol",
    "vantongeren",
];

/// 110 characters: a value longer than a message quotes, so what follows
/// it is cut in the middle by the quoting ("…").
const PAD: &str = "padding-padding-padding-padding-padding-padding-padding-padding-padding-padding-padding-padding-padding-padd";

fn secret(var: &str) -> &'static str {
    SECRETS
        .iter()
        .find(|(v, _)| *v == var)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("no canary for {var}"))
}

/// Answers carrying every secret, the database URL, and a guest's personal
/// data: whole, under a personal key, and cut by a message's truncation.
fn planted(dsn: &str) -> Vec<String> {
    let all: Vec<&str> = SECRETS.iter().map(|(_, v)| *v).collect();
    vec![
        "engine/health=add:contact=Call Rowan Ellery (rowan.ellery@guest.example) on +44 20 7946 0958"
            .to_owned(),
        format!("engine/health=add:echo={}", all.join(" ")),
        format!("engine/health=add:cut_secret={PAD}{}", secret("LUCIA_OPERATOR_TOKEN")),
        format!("engine/health=add:cut_email={PAD}rowan.ellery@guest.example"),
        format!("engine/health=add:cut_name={PAD} Rowan Ellery"),
        "engine/version=add:guest_name=Marisol Vantongeren".to_owned(),
        format!("engine/version=add:database_url={dsn}"),
        "admin/api/version=add:owner=ROWAN ellery".to_owned(),
    ]
}

/// A sandbox that knows the canaries as its credentials (so scenarios pass
/// only when the harness really used them), with `drifts` planted.
async fn sandbox_with(drifts: &[String]) -> sandbox::Running {
    let mut config = sandbox::SandboxConfig {
        credentials: sandbox::Credentials::from_lookup(|v| {
            SECRETS
                .iter()
                .find(|(k, _)| *k == v)
                .map(|(_, s)| (*s).to_owned())
        }),
        ..sandbox::SandboxConfig::default()
    };
    for d in drifts {
        config.add_drift(d).expect("drift");
    }
    sandbox::start("127.0.0.1:0", config)
        .await
        .expect("sandbox")
}

/// A login role whose password is the canary, and a database with the
/// ledger schema it can read: the DSN works.
async fn canary_database() -> (String, String, String) {
    let (db, _) = ledger_database(false).await;
    let role = format!("lucia_canary_{}", std::process::id());
    // Roles are cluster-wide: serialised as ledger_database does.
    let lock = lucia_harness::demo::database::ROLE_LOCK;
    postgres_admin()
        .await
        .batch_execute(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({lock}); DROP ROLE IF EXISTS {role}; \
             CREATE ROLE {role} LOGIN PASSWORD '{DB_PASSWORD}'; COMMIT;"
        ))
        .await
        .expect("role");
    let dsn = format!("postgres://{role}:{DB_PASSWORD}@127.0.0.1:5432/{db}");
    (db, role, dsn)
}

async fn drop_role(db: &str, role: &str) {
    drop_database(db).await;
    postgres_admin()
        .await
        .batch_execute(&format!("DROP ROLE IF EXISTS {role}"))
        .await
        .expect("drop role");
}

/// Everything produced, labelled by where it came from.
#[derive(Default)]
struct Haystack(Vec<(String, Vec<u8>)>);

impl Haystack {
    fn add(&mut self, label: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.0.push((label.into(), bytes.into()));
    }

    fn outcome(&mut self, label: &str, o: &Outcome) {
        self.add(format!("{label}: stdout"), o.stdout.clone());
        self.add(format!("{label}: stderr"), o.stderr.clone());
    }

    fn text(&self) -> String {
        self.0
            .iter()
            .map(|(l, b)| format!("=== {l}\n{}\n", String::from_utf8_lossy(b)))
            .collect()
    }

    /// Where `needle` occurs (ASCII case-insensitive), with some context.
    fn hits(&self, needle: &str) -> Vec<String> {
        let needle = needle.to_ascii_lowercase();
        let mut out = Vec::new();
        for (label, bytes) in &self.0 {
            let lower = bytes.to_ascii_lowercase();
            let mut from = 0;
            while let Some(i) = find(&lower[from..], needle.as_bytes()) {
                let at = from + i;
                let ctx = &bytes[at.saturating_sub(60)..(at + needle.len() + 60).min(bytes.len())];
                out.push(format!("{label}: …{}…", String::from_utf8_lossy(ctx)));
                from = at + needle.len();
            }
        }
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The harness with every canary in its environment, the work directory's
/// features and snapshots, and the database URL set.
struct Canaried {
    global: Vec<String>,
    dsn: String,
}

impl Canaried {
    /// `lucia-harness ARGS` (plus `extra` variables); must exit `code`.
    async fn run(&self, args: &[&str], extra: &[(&str, &str)], code: i32) -> Outcome {
        let mut all: Vec<&str> = self.global.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        let mut envs: Vec<(&str, &str)> = SECRETS.to_vec();
        envs.push(("LUCIA_CORE_DATABASE_URL", &self.dsn));
        envs.extend_from_slice(extra);
        let o = plain(&all, &envs).await;
        assert_eq!(
            o.code, code,
            "{args:?} exited {}:\n{}\n{}",
            o.code, o.stdout, o.stderr
        );
        o
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_canary_secret_or_personal_data_leaves_any_command() {
    let (db, role, dsn) = canary_database().await;
    let clean = sandbox_with(&[]).await;
    let leaky = sandbox_with(&planted(&dsn)).await;
    let (co, lo) = (clean.origin(), leaky.origin());
    let rx = SentryReceiver::start().await;
    let sentry_dsn = rx.dsn.replace("//public@", &format!("//{DSN_KEY}@"));
    let work = tempfile::tempdir().expect("tmp");
    let w = |rel: &str| work.path().join(rel).to_str().expect("utf8").to_owned();

    // The repository's features, and one that puts secrets in a URL the
    // sandbox echoes back (its 404 body quotes the path).
    copy_dir(&repo().join("features"), &work.path().join("features"));
    write(
        work.path(),
        "features/canary/echo.feature",
        "@local\nFeature: Canary echo\n  @implemented\n  Scenario: The operator token is echoed back\n    Given the \"engine\" service\n    \
And the header \"X-Operator-Token\" is \"${LUCIA_OPERATOR_TOKEN}\"\n    When I GET \"/echo/${LUCIA_OPERATOR_TOKEN}/${TWILIO_AUTH_TOKEN}\"\n    \
Then the status is 200\n",
    );
    // The planted guest joins the seed's in the rules (knowledge in files);
    // the other one is known only by the key she is under.
    let rules = std::fs::read_to_string(repo().join("snapshots/normalise.toml"))
        .expect("rules")
        .replace(
            "personal_names = [\"Harper Quinn\"]",
            "personal_names = [\"Harper Quinn\", \"Rowan Ellery\"]",
        );
    assert!(rules.contains("Rowan Ellery"));
    write(work.path(), "snapshots/normalise.toml", &rules);
    let h = Canaried {
        global: vec![
            "--features".into(),
            w("features"),
            "--snapshots".into(),
            w("snapshots"),
        ],
        dsn: dsn.clone(),
    };
    let mut hay = Haystack::default();

    // Baselines: capture (clean, then the planted answers as the next
    // version), approve, status, diff live and stored in every format.
    for (origin, version) in [(&co, "v0.1.3.6"), (&lo, "v0.1.3.7")] {
        let capture = ["capture", "--env", "local", "--origin", origin];
        let o = h
            .run(
                &[&["baseline"], &capture[..], &["--version", version]].concat(),
                &[],
                0,
            )
            .await;
        hay.outcome(&format!("baseline capture {version}"), &o);
    }
    let approve = [
        "approve",
        "--version",
        "v0.1.3.6",
        "--reviewer",
        "Eval Labs",
    ];
    let o = h.run(&[&["baseline"], &approve[..]].concat(), &[], 0).await;
    hay.outcome("baseline approve", &o);
    let o = h.run(&["baseline", "status"], &[], 0).await;
    hay.outcome("baseline status", &o);
    for format in ["terminal", "markdown", "json"] {
        let live = ["--env", "local", "--origin", &lo];
        let stored = ["--from", "v0.1.3.6", "--to", "v0.1.3.7"];
        for (what, which) in [("live", &live), ("stored", &stored)] {
            let args = [&["baseline", "diff", "--format", format], &which[..]].concat();
            let o = h.run(&args, &[], 1).await;
            hay.outcome(&format!("baseline diff {what} {format}"), &o);
        }
    }

    // `run`, every report format, as on GitHub Actions (annotations, job summary).
    let summary = w("step_summary.md");
    let reports = w("reports");
    let local = ["--env", "local", "--origin", &lo];
    let o = h
        .run(
            &[
                &["run"],
                &local[..],
                &["--report-dir", &reports, "--verbose"],
            ]
            .concat(),
            &[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_STEP_SUMMARY", summary.as_str()),
            ],
            1,
        )
        .await;
    hay.outcome("run", &o);
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(work.path().join("reports/report.json")).expect("report"),
    )
    .expect("json");

    // `adapt`: its diff quotes what the responses said.
    let o = h.run(&[&["adapt"], &local[..]].concat(), &[], 1).await;
    assert!(o.stdout.contains("failing scenario(s)"), "{}", o.stdout);
    hay.outcome("adapt", &o);

    // `claims`, live and from the report.
    let o = h.run(&[&["claims"], &local[..]].concat(), &[], 1).await;
    hay.outcome("claims", &o);
    let from = format!("{reports}/report.json");
    let o = h.run(&["claims", "--from-report", &from], &[], 1).await;
    hay.outcome("claims --from-report", &o);

    // The gate, the planted source against the clean target.
    let gate = ["gate", "--from", "local", "--to", "local", "--report-dir"];
    let origins = ["--from-origin", &lo, "--to-origin", &co];
    let o = h
        .run(&[&gate[..], &[&w("gate")], &origins[..]].concat(), &[], 1)
        .await;
    hay.outcome("gate", &o);

    // `run --alert` to the loopback Sentry, twice (the second sends nothing new).
    let alert_state = w("alert/harness.db");
    let alert = ["--alert", "--alert-after", "1", "--cron", "*/15 * * * *"];
    for i in 0..2 {
        let args = [&["run"], &local[..], &alert[..], &["--state", &alert_state]].concat();
        let o = h.run(&args, &[("SENTRY_DSN", &sentry_dsn)], 1).await;
        hay.outcome(&format!("run --alert #{i}"), &o);
    }
    let history = ["history", "--env", "local", "--json", "--state"];
    let o = h
        .run(&[&history[..], &[&alert_state]].concat(), &[], 0)
        .await;
    hay.outcome("history (run --alert)", &o);
    let events_from_run = rx.events().len();
    assert!(events_from_run >= 1, "run --alert sent no event");

    // The same into a Postgres state: every byte of it, dumped.
    let pg_state = crate::support::StateDatabase::create().await;
    let args = [&["run"], &local[..], &["--state", &pg_state.url]].concat();
    let o = h.run(&args, &[], 1).await;
    hay.outcome("run --state postgres", &o);
    let dump = std::process::Command::new("pg_dump")
        .args(["--data-only", "--no-owner", &pg_state.url])
        .output()
        .expect("pg_dump (postgresql-client)");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert!(
        String::from_utf8_lossy(&dump.stdout).contains("scenario_results"),
        "the run was recorded"
    );
    hay.add("postgres state (pg_dump)", dump.stdout);
    pg_state.drop().await;

    // `serve`: scheduled runs, alerts, every endpoint scraped, POST /runs.
    let serve_state = state_file(&work.path().join("serve"));
    let serve_state = serve_state.to_str().expect("utf8");
    let mut args: Vec<&str> = h.global.iter().map(String::as_str).collect();
    args.extend_from_slice(&local);
    args.extend([
        "--state",
        serve_state,
        "--schedule",
        "1s",
        "--alert-after",
        "1",
    ]);
    args.extend(["--gate", "local:local"]);
    let mut envs: Vec<(&str, &str)> = SECRETS.to_vec();
    envs.extend([
        ("LUCIA_CORE_DATABASE_URL", dsn.as_str()),
        ("SENTRY_DSN", sentry_dsn.as_str()),
        ("LUCIA_HARNESS_TOKEN", HARNESS_TOKEN),
    ]);
    let s = Serve::start(&args, &envs).await;
    s.runs("local", 2).await;
    for path in [
        "/",
        "/metrics",
        "/readiness",
        "/readiness?format=md",
        "/runs/latest?env=local",
        "/runs/latest?env=local&format=md",
        "/runs/latest?env=local&format=html",
        "/runs?env=local&limit=50",
        "/healthz",
        "/badge/local.svg",
        "/badge/local/uptime/24h.svg",
        "/?refresh=on",
    ] {
        let resp = s.get(path).await;
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        let body = resp.bytes().await.expect("body").to_vec();
        hay.add(format!("serve GET {path}"), body);
    }
    // Every run's own page, from the history.
    let listed = s.json("/runs?env=local&limit=50").await;
    for run in listed["runs"].as_array().expect("runs") {
        if run["run_id"].is_null() {
            continue;
        }
        for format in ["html", "json", "md"] {
            let path = format!("/runs/{}?format={format}", run["id"]);
            let resp = s.get(&path).await;
            assert!(resp.status().is_success(), "{path}: {}", resp.status());
            let body = resp.bytes().await.expect("body").to_vec();
            hay.add(format!("serve GET {path}"), body);
        }
    }
    for (token, want) in [
        (HARNESS_TOKEN, [202, 409]),
        ("c4n4ry-wrong-token", [401, 401]),
    ] {
        let resp = http()
            .post(s.url("/runs?env=local"))
            .bearer_auth(token)
            .send()
            .await
            .expect("POST");
        let status = resp.status().as_u16();
        assert!(want.contains(&status), "POST /runs with {token}: {status}");
        let body = resp.bytes().await.expect("body").to_vec();
        hay.add(format!("serve POST /runs ({status})"), body);
    }
    // A silence over HTTP, its list, its end: the answers join the hay.
    let made = http()
        .post(s.url("/silences"))
        .bearer_auth(HARNESS_TOKEN)
        .body(r#"{"env": "local", "for": "5m", "reason": "canary deploy"}"#)
        .send()
        .await
        .expect("POST /silences");
    assert_eq!(made.status(), 201);
    let made: serde_json::Value = made.json().await.expect("json");
    hay.add("serve POST /silences", made.to_string().into_bytes());
    let listed = s
        .get("/silences?all=true")
        .await
        .bytes()
        .await
        .expect("body");
    hay.add("serve GET /silences", listed.to_vec());
    let ended = http()
        .delete(s.url(&format!("/silences/{}", made["silence"]["id"])))
        .bearer_auth(HARNESS_TOKEN)
        .send()
        .await
        .expect("DELETE")
        .bytes()
        .await
        .expect("body");
    hay.add("serve DELETE /silences", ended.to_vec());
    s.runs("local", 3).await;
    let (status, log, stdout) = s.stop().await;
    assert!(status.success(), "{log}");
    hay.add("serve: stderr", log);
    hay.add("serve: stdout", stdout);
    let o = h
        .run(&[&history[..], &[serve_state]].concat(), &[], 0)
        .await;
    hay.outcome("history (serve)", &o);

    // The demo: its own sandbox, with the canaries as its credentials (the
    // echo scenario fails there too).
    let o = h.run(&["demo", "--report-dir", &w("demo")], &[], 1).await;
    hay.outcome("demo", &o);

    // Every file written: reports, snapshots (but the rules file, an input
    // naming whom to redact), the state databases with their WAL, the job summary.
    for (rel, bytes) in files(work.path()) {
        let r = rel.to_string_lossy();
        if r.starts_with("features/") || r == "snapshots/normalise.toml" {
            continue;
        }
        hay.add(format!("file {r}"), bytes);
    }
    let read: Vec<&str> = hay.0.iter().map(|(l, _)| l.as_str()).collect();
    for f in [
        "file alert/harness.db",
        "file serve/state/harness.db",
        "postgres state (pg_dump)",
        "file reports/junit.xml",
        "file reports/cucumber.json",
        "file reports/messages.ndjson",
        "file reports/report.html",
        "file reports/report.md",
        "file reports/exchanges.har",
        "file demo/exchanges.har",
        "file gate/readiness.html",
        "file snapshots/v0.1.3.7/local/engine/health.snap",
        "file step_summary.md",
        "file demo/report.json",
    ] {
        assert!(read.contains(&f), "{f} was not read: {read:#?}");
    }
    drop_role(&db, &role).await;

    // Sentry: every envelope. The DSN's key belongs to Sentry's own
    // surface (its auth header); nothing else may reach it.
    let sentry = rx.all();
    assert!(
        sentry
            .iter()
            .all(|r| r.auth.contains(&format!("sentry_key={DSN_KEY}"))),
        "the DSN was used"
    );
    let mut sentry_hay = Haystack::default();
    for (i, r) in sentry.iter().enumerate() {
        let body = String::from_utf8_lossy(&r.body).replace(DSN_KEY, "[the DSN's key]");
        sentry_hay.add(format!("sentry envelope #{i}"), body);
    }

    // Zero hits: whole canaries, any canary cut short, encoded forms.
    let postmark_b64 =
        base64::engine::general_purpose::STANDARD.encode(secret("POSTMARK_INBOUND_AUTH"));
    let mut needles: Vec<String> = SECRETS.iter().map(|(_, v)| (*v).to_owned()).collect();
    needles.extend([
        DB_PASSWORD.to_owned(),
        DSN_KEY.to_owned(),
        HARNESS_TOKEN.to_owned(),
        TAG.to_owned(),
        postmark_b64,
    ]);
    needles.extend(PERSONAL.iter().map(|p| (*p).to_owned()));
    let mut leaks = Vec::new();
    for n in &needles {
        leaks.extend(hay.hits(n));
        leaks.extend(sentry_hay.hits(n));
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );

    // Not vacuous: each canary was used, each planted value went through.
    let passed = |name: &str| {
        let s = report["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .find(|s| s["scenario"].as_str().is_some_and(|n| n.contains(name)))
            .unwrap_or_else(|| panic!("no scenario {name}"));
        assert_eq!(s["status"], "passed", "{name} (its canary was used): {s}");
    };
    // Signatures and credentials the sandbox checks against the canaries.
    for name in [
        "A signed SMS is accepted",                                  // Twilio
        "A signed payment_intent.succeeded lands",                   // Stripe + operator token
        "Inbound email with the right basic auth",                   // Postmark
        "The payment page shows exactly Engine's",                   // Clerk + operator token
        "the same after a restart",                                  // Render
        "The stage branch of",                                       // GitHub
        "Engine's Sentry project exists",                            // Sentry API
        "Through Supabase REST the anon key reads no",               // Supabase
        "Row level security is enabled on stripe_financial_records", // the database URL
    ] {
        passed(name);
    }
    let everything = hay.text() + &sentry_hay.text();
    for marker in [
        "${LUCIA_OPERATOR_TOKEN}",
        "${TWILIO_AUTH_TOKEN}",
        "${STRIPE_WEBHOOK_SECRET}",
        "${POSTMARK_INBOUND_AUTH}",
        "${CLERK_SESSION_TOKEN}",
        "${RENDER_API_KEY}",
        "${GITHUB_TOKEN}",
        "${SUPABASE_ANON_KEY}",
        "${SENTRY_AUTH_TOKEN}",
        "<dsn of lucia-core>",
        "[name]",
        "[email]",
        "[phone]",
    ] {
        assert!(everything.contains(marker), "{marker} was never shown");
    }
    let sentry_text = sentry_hay.text();
    assert!(
        sentry_text.contains("${LUCIA_OPERATOR_TOKEN}") && sentry_text.contains("[email]"),
        "the alerts carried the scrubbed evidence"
    );
    assert!(
        rx.events().len() > events_from_run && !rx.check_ins().is_empty(),
        "serve alerted too"
    );
}

const CANARY: &str = "canary-7d1f0c9e-secret-value";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_never_appears_in_output_or_reports() {
    let sb = sandbox(&[], &[]).await;
    // The sandbox echoes unknown paths in its 404 body, so the secret comes
    // back in the response, the URL, the error message and the HTTP evidence.
    let o = run_feature(
        &sb.origin(),
        "@local\nFeature: echo\n  Scenario: the secret is echoed back\n    Given the \"engine\" service\n    \
And the header \"X-Operator-Token\" is \"${LUCIA_OPERATOR_TOKEN}\"\n    When I GET \"/echo/${LUCIA_OPERATOR_TOKEN}\"\n    \
Then the status is 200\n  Scenario: a failing JSON check quotes the body\n    Given the \"engine\" service\n    \
When I GET \"/echo/${LUCIA_OPERATOR_TOKEN}\"\n    Then the JSON matches:\n      \"\"\"\n      {\"error\": \"x\"}\n      \"\"\"\n",
        &[("LUCIA_OPERATOR_TOKEN", CANARY)],
    )
    .await;
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    let all = o.all_output();
    assert!(
        all.contains("${LUCIA_OPERATOR_TOKEN}"),
        "the redaction marker shows where the secret was:\n{all}"
    );
    assert!(!all.contains(CANARY), "the secret leaked:\n{all}");
    // The canary really went out (the echo proves the check is not vacuous).
    let msg = o.scenario("echoed back")["error"]["message"]
        .as_str()
        .expect("msg")
        .to_owned();
    assert!(msg.contains("/echo/${LUCIA_OPERATOR_TOKEN}"), "{msg}");
}
