//! `lucia-harness sandbox`: the local Lucia stand-in, with drift and faults.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::output::{EXIT_OK, error, note};

// `sandbox`'s flags.
#[derive(Debug, clap::Args)]
pub struct SandboxCommand {
    /// Address to listen on: HTTPS and HTTP on TCP, DNS for hellolucia.ai on UDP (one port).
    #[arg(long, default_value = sandbox::DEFAULT_ADDR)]
    addr: String,
    /// Change a response's JSON on a route: ROUTE=change:FIELD=VALUE, ROUTE=remove:FIELD,
    /// ROUTE=type:FIELD, ROUTE=add:FIELD=VALUE, ROUTE=move:FIELD=FIELD (e.g.
    /// engine/health=remove:status).
    #[arg(long, value_name = "SPEC")]
    drift: Vec<String>,
    /// Break a route: ROUTE=500, ROUTE=latency:2s, ROUTE=hang, ROUTE=reset, ROUTE=truncate
    /// (add @N to fail only the first N requests); break DNS for one name: nxdomain:HOST,
    /// servfail:HOST, dns-timeout:HOST; or break a claim by name:
    /// accept-unsigned-webhooks, stripe-drops-events, lose-truth-on-restart, leak-ledger-to-anon,
    /// ledger-memory-mode, expiring-certificate, expired-certificate, no-https-redirect, csp-allows-supabase,
    /// admin-own-payment-truth, clerk-open, stage-unprotected, no-cloudflare, not-netlify,
    /// sentry-missing, payment-policy-persisted, providers-target-staging, stripe-endpoint-disabled,
    /// render-deploys-on-commit, admin-ci-not-required, resend-domain-unverified, guest-agent-renamed,
    /// dns-not-cloudflare, dkim-missing, waitlist-runtime-moved, render-service-renamed,
    /// render-wrong-environment.
    #[arg(long, value_name = "SPEC")]
    fault: Vec<String>,
    /// Answer in another dialect: `renamed` serves the same behaviour under other field
    /// names and paths (uptime for uptime_seconds, build.version for version, resend.id for
    /// message_id, …), what `lucia-harness adapt` is proved against. Drifts then name the
    /// dialect's fields.
    #[arg(long, value_name = "NAME")]
    dialect: Option<String>,
    /// The durable payment ledger file (created with the seed's reservation when missing);
    /// a temporary file by default.
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
}

pub async fn sandbox(cmd: &SandboxCommand) -> ExitCode {
    let mut config = sandbox::SandboxConfig {
        credentials: sandbox::Credentials::from_lookup(|v| std::env::var(v).ok()),
        ledger_file: cmd.ledger.as_deref().map(Path::to_path_buf),
        ..sandbox::SandboxConfig::default()
    };
    if let Some(d) = &cmd.dialect
        && let Err(e) = config.set_dialect(d)
    {
        return error(format!("--dialect: {e}"));
    }
    for d in &cmd.drift {
        if let Err(e) = config.add_drift(d) {
            return error(format!("--drift: {e}"));
        }
    }
    for f in &cmd.fault {
        if let Err(e) = config.add_fault(f) {
            return error(format!("--fault: {e}"));
        }
    }
    let addr = &cmd.addr;
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => return error(format!("cannot listen on {addr}: {e}")),
    };
    let local = listener
        .local_addr()
        .map_or_else(|_| addr.to_owned(), |a| a.to_string());
    let named: Vec<&str> = config.breaks.iter().map(|b| b.name()).collect();
    note(format!(
        "sandbox listening on https://{local} (and http://, redirected; DNS for hellolucia.ai on udp/{local}) — engine, admin, marketing, guest, netlify, \
render, github, supabase, sentry, twilio, twilio-messaging, stripe, postmark, resend; {} drift(s), {} route fault(s), {} DNS fault(s){}; Ctrl-C stops",
        config.drifts.len(),
        config.faults.len(),
        config.dns_faults.len(),
        if named.is_empty() {
            String::new()
        } else {
            format!(", broken: {}", named.join(", "))
        }
    ));
    tokio::select! {
        r = sandbox::serve(listener, config) => match r {
            Ok(()) => ExitCode::from(EXIT_OK),
            Err(e) => error(format!("sandbox stopped: {e}")),
        },
        _ = tokio::signal::ctrl_c() => ExitCode::from(EXIT_OK),
    }
}
