//! What the sandbox serves and how: its constants, the credentials it
//! accepts, and [`SandboxConfig`] (drifts, faults, the claims it breaks).

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::inject::{Break, DnsFault, Drift, Fault, SpecError};

/// The durable ledger's schema with the Canon's access boundary (sql/ledger.sql).
pub const LEDGER_SQL: &str = include_str!("../sql/ledger.sql");

pub const ENGINE_VERSION: &str = "engine-v0.1.3.6";
pub const ADMIN_VERSION: &str = "admin-v0.1.3.6";
/// The operator token the sandbox accepts unless told another.
pub const DEFAULT_OPERATOR_TOKEN: &str = "sandbox-operator-token";
/// The default address, as in environments.toml's `local`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8700";
/// The Render service id of the sandbox's Engine.
pub const ENGINE_SERVICE_ID: &str = "srv-sandbox-engine";
/// Development's Engine, where the providers deliver (the seed's
/// "Development is currently the live intake surface for external providers").
pub const DEV_ENGINE_URL: &str = "https://api-dev.hellolucia.ai";
/// Staging's Engine: capable of intake, targeted only when manually switched.
pub const STAGING_ENGINE_URL: &str = "https://api-staging.hellolucia.ai";

/// The credentials the sandbox's surfaces and providers accept. The
/// defaults match environments.toml's `local` secrets; each can be replaced
/// from the same environment variable the harness reads.
#[derive(Clone)]
pub struct Credentials {
    pub operator_token: String,
    pub twilio_auth_token: String,
    pub stripe_webhook_secret: String,
    /// `user:password` in Postmark's inbound webhook URL.
    pub postmark_inbound_auth: String,
    pub clerk_session: String,
    pub render_api_key: String,
    pub github_token: String,
    pub supabase_anon_key: String,
    pub sentry_token: String,
    /// The account SID: with `twilio_auth_token`, Twilio's REST API basic auth.
    pub twilio_account_sid: String,
    /// Stripe's secret API key (bearer).
    pub stripe_secret_key: String,
    /// Postmark's `X-Postmark-Server-Token`.
    pub postmark_server_token: String,
    /// Resend's API key (bearer).
    pub resend_api_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { <redacted> }")
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            operator_token: DEFAULT_OPERATOR_TOKEN.into(),
            twilio_auth_token: "sandbox-twilio-auth-token".into(),
            stripe_webhook_secret: "whsec_sandbox".into(),
            postmark_inbound_auth: "postmark:sandbox-postmark-password".into(),
            clerk_session: "sandbox-clerk-session".into(),
            render_api_key: "rnd_sandbox".into(),
            github_token: "ghp_sandbox".into(),
            supabase_anon_key: "sandbox-anon-key".into(),
            sentry_token: "sntrys_sandbox".into(),
            twilio_account_sid: "ACd0c5a1b2e3f4a5b6c7d8e9f0a1b2c3d4".into(),
            stripe_secret_key: "sk_test_sandbox".into(),
            postmark_server_token: "sandbox-postmark-server-token".into(),
            resend_api_key: "re_sandbox".into(),
        }
    }
}

impl Credentials {
    /// The environment variable each credential is read from (the names the
    /// harness's `local` environment uses).
    pub const ENV_VARS: [&'static str; 13] = [
        "LUCIA_OPERATOR_TOKEN",
        "TWILIO_AUTH_TOKEN",
        "STRIPE_WEBHOOK_SECRET",
        "POSTMARK_INBOUND_AUTH",
        "CLERK_SESSION_TOKEN",
        "RENDER_API_KEY",
        "GITHUB_TOKEN",
        "SUPABASE_ANON_KEY",
        "SENTRY_AUTH_TOKEN",
        "TWILIO_ACCOUNT_SID",
        "STRIPE_SECRET_KEY",
        "POSTMARK_SERVER_TOKEN",
        "RESEND_API_KEY",
    ];

    /// Replaces defaults with non-empty values from `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut c = Self::default();
        for var in Self::ENV_VARS {
            if let Some(v) = lookup(var).filter(|v| !v.is_empty()) {
                *c.slot(var) = v;
            }
        }
        c
    }

    /// The default value for one of [`Self::ENV_VARS`].
    pub fn default_for(var: &str) -> Option<String> {
        Self::ENV_VARS
            .contains(&var)
            .then(|| Self::default().slot(var).clone())
    }

    fn slot(&mut self, var: &str) -> &mut String {
        match var {
            "TWILIO_AUTH_TOKEN" => &mut self.twilio_auth_token,
            "STRIPE_WEBHOOK_SECRET" => &mut self.stripe_webhook_secret,
            "POSTMARK_INBOUND_AUTH" => &mut self.postmark_inbound_auth,
            "CLERK_SESSION_TOKEN" => &mut self.clerk_session,
            "RENDER_API_KEY" => &mut self.render_api_key,
            "GITHUB_TOKEN" => &mut self.github_token,
            "SUPABASE_ANON_KEY" => &mut self.supabase_anon_key,
            "SENTRY_AUTH_TOKEN" => &mut self.sentry_token,
            "TWILIO_ACCOUNT_SID" => &mut self.twilio_account_sid,
            "STRIPE_SECRET_KEY" => &mut self.stripe_secret_key,
            "POSTMARK_SERVER_TOKEN" => &mut self.postmark_server_token,
            "RESEND_API_KEY" => &mut self.resend_api_key,
            _ => &mut self.operator_token,
        }
    }
}

/// What the sandbox serves and how it misbehaves.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub credentials: Credentials,
    pub drifts: Vec<Drift>,
    pub faults: Vec<Fault>,
    pub breaks: BTreeSet<Break>,
    /// DNS faults by name (`nxdomain:HOST`, `servfail:HOST`, `dns-timeout:HOST`).
    pub dns_faults: Vec<DnsFault>,
    /// The durable ledger file; a temporary file when `None`.
    pub ledger_file: Option<PathBuf>,
    /// Another naming of the same answers (`--dialect renamed`).
    pub dialect: Option<crate::dialect::Dialect>,
    /// Development's Engine, the base URL the providers' webhooks (Twilio's
    /// numbers and WhatsApp sender, Stripe's endpoint, Postmark's inbound
    /// hook) point at. The real one by default: the sandbox stands in for
    /// the providers' configuration, which names the real host, not the
    /// sandbox's `/engine` prefix.
    pub dev_engine_url: String,
    /// Staging's Engine, where the providers point under
    /// [`Break::ProvidersTargetStaging`].
    pub staging_engine_url: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            credentials: Credentials::default(),
            drifts: Vec::new(),
            faults: Vec::new(),
            breaks: BTreeSet::new(),
            dns_faults: Vec::new(),
            ledger_file: None,
            dev_engine_url: DEV_ENGINE_URL.to_owned(),
            staging_engine_url: STAGING_ENGINE_URL.to_owned(),
            dialect: None,
        }
    }
}

impl SandboxConfig {
    /// Adds a `--fault` spec: a route fault (`ROUTE=KIND`), a DNS fault
    /// (`nxdomain:HOST`) or a named one.
    pub fn add_fault(&mut self, spec: &str) -> Result<(), SpecError> {
        if let Some(dns) = DnsFault::parse(spec) {
            self.dns_faults.push(dns?);
        } else if spec.contains('=') {
            self.faults.push(spec.parse()?);
        } else {
            self.breaks.insert(spec.parse()?);
        }
        Ok(())
    }

    /// Answers in `dialect` (`renamed`): its renames and moves run before
    /// any `--drift`, so a drift names the dialect's fields.
    pub fn set_dialect(&mut self, dialect: &str) -> Result<(), SpecError> {
        let d: crate::dialect::Dialect = dialect.parse()?;
        let mut drifts = d.drifts();
        drifts.append(&mut self.drifts);
        self.drifts = drifts;
        self.dialect = Some(d);
        Ok(())
    }

    pub fn add_drift(&mut self, spec: &str) -> Result<(), SpecError> {
        self.drifts.push(spec.parse()?);
        Ok(())
    }

    pub fn broken(&self, b: Break) -> bool {
        self.breaks.contains(&b)
    }

    /// The Engine the providers deliver intake and payment events to:
    /// Development's, or Staging's when switched ([`Break::ProvidersTargetStaging`]).
    pub fn intake_engine_url(&self) -> &str {
        let base = if self.broken(Break::ProvidersTargetStaging) {
            &self.staging_engine_url
        } else {
            &self.dev_engine_url
        };
        base.trim_end_matches('/')
    }
}
