//! Drift and fault injection, per route, so tests can show the harness
//! catches each way a live surface can go wrong.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;

/// A route spec: a sandbox path without the leading slash
/// (`engine/health`), or a prefix ending in `*` (`engine/*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route(String);

impl Route {
    fn parse(s: &str) -> Result<Self, SpecError> {
        let s = s.trim().trim_start_matches('/').trim_end_matches('/');
        if s.is_empty() {
            return Err(SpecError(
                "the route is empty: write it as the sandbox path, e.g. engine/health".into(),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// Whether a request path (`/engine/health/`) is this route.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.trim_start_matches('/').trim_end_matches('/');
        match self.0.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.0,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

/// How a response's JSON drifts from the contract.
#[derive(Clone, Debug, PartialEq)]
pub enum DriftKind {
    /// Set an existing field to another value.
    Change(FieldPath, Value),
    /// Remove a field.
    Remove(FieldPath),
    /// Change a field's type (number → string, string → number, bool → string, …).
    Type(FieldPath),
    /// Add a field.
    Add(FieldPath, Value),
    /// Move a field to another path (creating the objects on the way):
    /// a rename (`uptime_seconds` → `uptime`), a wrapper (`version` →
    /// `build.version`).
    Move(FieldPath, FieldPath),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub route: Route,
    pub kind: DriftKind,
}

const DRIFT_HELP: &str = "drift is ROUTE=change:FIELD=VALUE, ROUTE=remove:FIELD, ROUTE=type:FIELD, ROUTE=add:FIELD=VALUE \
or ROUTE=move:FIELD=FIELD (e.g. engine/version=change:version=\"engine-v0.1.3.7\", engine/health=remove:status, \
engine/version=move:version=build.version)";

impl FromStr for Drift {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (route, rest) = s
            .split_once('=')
            .ok_or_else(|| SpecError(format!("bad drift {s:?}: {DRIFT_HELP}")))?;
        let (op, arg) = rest
            .split_once(':')
            .ok_or_else(|| SpecError(format!("bad drift {s:?}: {DRIFT_HELP}")))?;
        let with_value = |arg: &str| -> Result<(FieldPath, Value), SpecError> {
            let (field, value) = arg
                .split_once('=')
                .ok_or_else(|| SpecError(format!("bad drift {s:?}: `{op}` needs FIELD=VALUE")))?;
            let value =
                serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
            Ok((field.parse()?, value))
        };
        let kind = match op {
            "change" => {
                let (f, v) = with_value(arg)?;
                DriftKind::Change(f, v)
            }
            "add" => {
                let (f, v) = with_value(arg)?;
                DriftKind::Add(f, v)
            }
            "remove" => DriftKind::Remove(arg.parse()?),
            "move" => {
                let (from, to) = arg.split_once('=').ok_or_else(|| {
                    SpecError(format!("bad drift {s:?}: `move` needs FIELD=FIELD"))
                })?;
                DriftKind::Move(from.parse()?, to.parse()?)
            }
            "type" => DriftKind::Type(arg.parse()?),
            other => {
                return Err(SpecError(format!(
                    "unknown drift kind {other:?}: {DRIFT_HELP}"
                )));
            }
        };
        Ok(Self {
            route: Route::parse(route)?,
            kind,
        })
    }
}

impl Drift {
    /// Applies the drift to a JSON body. A field that is not there is left
    /// alone (the drift describes a response that does not have it).
    pub fn apply(&self, body: &mut Value) {
        match &self.kind {
            DriftKind::Change(p, v) => {
                if let Some(slot) = p.get_mut(body) {
                    *slot = v.clone();
                }
            }
            DriftKind::Remove(p) => p.remove(body),
            DriftKind::Type(p) => {
                if let Some(slot) = p.get_mut(body) {
                    *slot = match slot.take() {
                        Value::Number(n) => Value::String(n.to_string()),
                        Value::String(s) => s
                            .parse::<f64>()
                            .ok()
                            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                            .unwrap_or(Value::from(0)),
                        Value::Bool(b) => Value::String(b.to_string()),
                        Value::Null => Value::from(0),
                        Value::Array(a) => Value::from(a.len()),
                        Value::Object(o) => Value::String(Value::Object(o).to_string()),
                    };
                }
            }
            DriftKind::Add(p, v) => p.insert(body, v.clone()),
            DriftKind::Move(from, to) => {
                if let Some(v) = from.get_mut(body).map(Value::take) {
                    from.remove(body);
                    to.insert_creating(body, v);
                }
            }
        }
    }
}

/// How a route misbehaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer this status with a JSON error body.
    Status(u16),
    /// Wait this long before answering.
    Latency(Duration),
    /// Never answer.
    Hang,
    /// Send the headers and part of the body, then break the connection.
    Reset,
    /// Answer a complete HTTP response whose JSON is cut in half.
    Truncate,
    /// Answer a body that is not JSON at all.
    Malformed,
    /// Redirect to itself, forever.
    RedirectLoop,
    /// Send the body a byte at a time, 100 ms apart.
    Drip,
    /// Answer a JSON body of this many bytes, streamed.
    Big(u64),
    /// Answer bytes that are not UTF-8.
    NonUtf8,
    /// Answer with this content-type instead.
    ContentType(String),
}

#[derive(Debug)]
pub struct Fault {
    pub route: Route,
    pub kind: FaultKind,
    /// Only the first N requests fail (`@N`); then the route recovers.
    pub times: Option<u32>,
    hits: AtomicU32,
}

impl Clone for Fault {
    fn clone(&self) -> Self {
        Self {
            route: self.route.clone(),
            kind: self.kind.clone(),
            times: self.times,
            hits: AtomicU32::new(self.hits.load(Ordering::Relaxed)),
        }
    }
}

impl PartialEq for Fault {
    fn eq(&self, other: &Self) -> bool {
        self.route == other.route && self.kind == other.kind && self.times == other.times
    }
}

const FAULT_HELP: &str = "fault is ROUTE=KIND[@N] with KIND one of status:CODE (or just CODE), latency:DURATION, hang, reset, truncate, \
malformed, redirect-loop, drip, big:SIZE (e.g. big:50MB), non-utf8, content-type:TYPE; \
@N limits it to the first N requests (e.g. engine/health=500, engine/health=latency:2s, marketing/api/waitlist=reset@1); \
or a DNS fault on one name: nxdomain:HOST, servfail:HOST, dns-timeout:HOST";

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("MB") {
        (n, 1024 * 1024)
    } else if let Some(n) = s.strip_suffix("KB") {
        (n, 1024)
    } else {
        (s.strip_suffix('B').unwrap_or(s), 1)
    };
    num.trim().parse::<u64>().ok().map(|n| n * mult)
}

pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.trim().parse::<u64>().ok().map(Duration::from_millis);
    }
    if let Some(m) = s.strip_suffix('m') {
        return m
            .trim()
            .parse::<u64>()
            .ok()
            .map(|m| Duration::from_secs(m * 60));
    }
    let secs = s.strip_suffix('s').unwrap_or(s);
    secs.trim()
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && *f >= 0.0)
        .map(Duration::from_secs_f64)
}

impl FromStr for Fault {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (route, rest) = s.split_once('=').ok_or_else(|| {
            SpecError(format!(
                "bad fault {s:?}: {FAULT_HELP}; or one of the named faults: {}",
                Break::ALL
                    .iter()
                    .map(|(_, n)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let (kind, times) = match rest.rsplit_once('@') {
            Some((k, n)) => (
                k,
                Some(
                    n.parse::<u32>()
                        .map_err(|_| SpecError(format!("bad fault {s:?}: @N needs a number")))?,
                ),
            ),
            None => (rest, None),
        };
        let bad = || SpecError(format!("bad fault {s:?}: {FAULT_HELP}"));
        let kind = match kind.split_once(':') {
            Some(("status", code)) => FaultKind::Status(
                code.parse()
                    .ok()
                    .filter(|c| (100..=599).contains(c))
                    .ok_or_else(bad)?,
            ),
            Some(("latency", d)) => FaultKind::Latency(parse_duration(d).ok_or_else(bad)?),
            Some(("big", size)) => FaultKind::Big(parse_size(size).ok_or_else(bad)?),
            Some(("content-type", ct)) if !ct.is_empty() => FaultKind::ContentType(ct.to_owned()),
            Some(_) => return Err(bad()),
            None => match kind {
                "hang" => FaultKind::Hang,
                "reset" => FaultKind::Reset,
                "truncate" => FaultKind::Truncate,
                "malformed" => FaultKind::Malformed,
                "redirect-loop" => FaultKind::RedirectLoop,
                "drip" => FaultKind::Drip,
                "non-utf8" => FaultKind::NonUtf8,
                code => FaultKind::Status(
                    code.parse()
                        .ok()
                        .filter(|c| (100..=599).contains(c))
                        .ok_or_else(bad)?,
                ),
            },
        };
        Ok(Self {
            route: Route::parse(route)?,
            kind,
            times,
            hits: AtomicU32::new(0),
        })
    }
}

impl Fault {
    /// Whether this fault fires for a request to `path` (and counts it).
    pub fn fires(&self, path: &str) -> bool {
        if !self.route.matches(path) {
            return false;
        }
        match self.times {
            None => true,
            Some(n) => self.hits.fetch_add(1, Ordering::Relaxed) < n,
        }
    }
}

/// A field path inside a response: `status`, `ledger.mode`, `items[0].id`
/// (a leading `$.` is accepted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath(Vec<Seg>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

impl FromStr for FieldPath {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s
            .strip_prefix("$.")
            .or_else(|| s.strip_prefix('$'))
            .unwrap_or(s);
        let mut segs = Vec::new();
        for part in body.split('.') {
            let (key, mut idx) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if !key.is_empty() {
                segs.push(Seg::Key(key.to_owned()));
            }
            while let Some(rest) = idx.strip_prefix('[') {
                let end = rest
                    .find(']')
                    .ok_or_else(|| SpecError(format!("bad field path {s:?}")))?;
                let n = rest[..end]
                    .parse()
                    .map_err(|_| SpecError(format!("bad index in field path {s:?}")))?;
                segs.push(Seg::Index(n));
                idx = &rest[end + 1..];
            }
        }
        if segs.is_empty() {
            return Err(SpecError(format!("empty field path {s:?}")));
        }
        Ok(Self(segs))
    }
}

impl FieldPath {
    fn get_mut<'a>(&self, mut v: &'a mut Value) -> Option<&'a mut Value> {
        for seg in &self.0 {
            v = match seg {
                Seg::Key(k) => v.as_object_mut()?.get_mut(k)?,
                Seg::Index(i) => v.as_array_mut()?.get_mut(*i)?,
            };
        }
        Some(v)
    }

    fn split(&self) -> (FieldPath, &Seg) {
        let (last, parent) = self
            .0
            .split_last()
            .unwrap_or_else(|| unreachable!("paths are never empty"));
        (FieldPath(parent.to_vec()), last)
    }

    fn parent_mut<'a>(&self, v: &'a mut Value) -> Option<(&'a mut Value, Seg)> {
        let (parent, last) = self.split();
        let last = last.clone();
        let p = if parent.0.is_empty() {
            Some(v)
        } else {
            parent.get_mut(v)
        };
        p.map(|p| (p, last))
    }

    fn remove(&self, v: &mut Value) {
        if let Some((parent, last)) = self.parent_mut(v) {
            match (parent, last) {
                (Value::Object(m), Seg::Key(k)) => {
                    m.shift_remove(&k);
                }
                (Value::Array(a), Seg::Index(i)) if i < a.len() => {
                    a.remove(i);
                }
                _ => {}
            }
        }
    }

    /// [`Self::insert`], creating the objects the path goes through.
    fn insert_creating(&self, v: &mut Value, value: Value) {
        let mut at = &mut *v;
        for seg in &self.0[..self.0.len() - 1] {
            let Seg::Key(k) = seg else { return };
            let Some(m) = at.as_object_mut() else { return };
            at = m
                .entry(k.clone())
                .or_insert_with(|| Value::Object(Default::default()));
        }
        if let (Some(m), Some(Seg::Key(k))) = (at.as_object_mut(), self.0.last()) {
            m.insert(k.clone(), value);
        }
    }

    fn insert(&self, v: &mut Value, value: Value) {
        if let Some((parent, last)) = self.parent_mut(v) {
            match (parent, last) {
                (Value::Object(m), Seg::Key(k)) => {
                    m.insert(k, value);
                }
                (Value::Array(a), Seg::Index(i)) => {
                    a.insert(i.min(a.len()), value);
                }
                _ => {}
            }
        }
    }
}

/// A claim of the Canon the sandbox can be told to break (`--fault NAME`),
/// so a test can show the scenario holding that claim catches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Break {
    /// Twilio, Stripe and Postmark webhooks are accepted without a valid signature or auth.
    AcceptUnsignedWebhooks,
    /// Signed Stripe events are acknowledged but never reach the ledger.
    StripeDropsEvents,
    /// A restart does not reload the durable ledger: payment truth is lost.
    LoseTruthOnRestart,
    /// The Supabase REST surface returns ledger rows to the anon key.
    LeakLedgerToAnon,
    /// The ledger diagnostics report memory mode, durability not required.
    LedgerMemoryMode,
    /// The TLS certificate expires in three days.
    ExpiringCertificate,
    /// The TLS certificate expired yesterday.
    ExpiredCertificate,
    /// Plain HTTP is served instead of redirected to HTTPS.
    NoHttpsRedirect,
    /// Admin's Content-Security-Policy lets the browser reach Supabase.
    CspAllowsSupabase,
    /// Admin renders its own (stale) payment figures, not Engine's truth.
    AdminOwnPaymentTruth,
    /// Admin pages are served to anonymous visitors (no Clerk sign-in).
    ClerkOpen,
    /// The `stage` branch of the repositories is not protected.
    StageUnprotected,
    /// Responses no longer come through Cloudflare's edge.
    NoCloudflare,
    /// The guest lab is no longer served by Netlify.
    NotNetlify,
    /// The Sentry project is missing.
    SentryMissing,
    /// Property payment policies are persisted (resolves a gap the Canon calls deferred).
    PaymentPolicyPersisted,
    /// The providers were switched to Staging: Twilio's numbers and WhatsApp
    /// sender, Stripe's enabled webhook endpoint and Postmark's inbound hook
    /// point at Staging's Engine, not Development's.
    ProvidersTargetStaging,
    /// Stripe's webhook endpoint for Development's Engine is `disabled`.
    StripeEndpointDisabled,
    /// Render deploys lucia-admin-dev on every commit (`autoDeployTrigger`
    /// `commit`), not once its checks pass.
    RenderDeploysOnCommit,
    /// Admin's CI is not a required status check on its `dev` branch.
    AdminCiNotRequired,
    /// Resend's sending domain is not verified (`pending`, its DKIM record not yet found).
    ResendDomainUnverified,
    /// The guest lab serves another agent's build than `lucia-guest-agent`.
    GuestAgentRenamed,
    /// `hellolucia.ai` is delegated to a registrar's name servers, not Cloudflare's.
    DnsNotCloudflare,
    /// The DKIM record Resend signs with is not published (`resend._domainkey.send…` does not exist).
    DkimMissing,
    /// The waitlist's runtime is no longer at `functions/api/waitlist.js` of `hello-lucia/lucia-marketing`.
    WaitlistRuntimeMoved,
    /// Render's Staging Engine runs under another name (`lucia-engine-stage`).
    RenderServiceRenamed,
    /// lucia-booking-engine runs in the Lucia AI project's Staging environment, not Development.
    RenderWrongEnvironment,
}

impl Break {
    pub const ALL: [(Self, &'static str); 27] = [
        (Self::AcceptUnsignedWebhooks, "accept-unsigned-webhooks"),
        (Self::StripeDropsEvents, "stripe-drops-events"),
        (Self::LoseTruthOnRestart, "lose-truth-on-restart"),
        (Self::LeakLedgerToAnon, "leak-ledger-to-anon"),
        (Self::LedgerMemoryMode, "ledger-memory-mode"),
        (Self::ExpiringCertificate, "expiring-certificate"),
        (Self::ExpiredCertificate, "expired-certificate"),
        (Self::NoHttpsRedirect, "no-https-redirect"),
        (Self::CspAllowsSupabase, "csp-allows-supabase"),
        (Self::AdminOwnPaymentTruth, "admin-own-payment-truth"),
        (Self::ClerkOpen, "clerk-open"),
        (Self::StageUnprotected, "stage-unprotected"),
        (Self::NoCloudflare, "no-cloudflare"),
        (Self::NotNetlify, "not-netlify"),
        (Self::SentryMissing, "sentry-missing"),
        (Self::PaymentPolicyPersisted, "payment-policy-persisted"),
        (Self::ProvidersTargetStaging, "providers-target-staging"),
        (Self::StripeEndpointDisabled, "stripe-endpoint-disabled"),
        (Self::RenderDeploysOnCommit, "render-deploys-on-commit"),
        (Self::AdminCiNotRequired, "admin-ci-not-required"),
        (Self::ResendDomainUnverified, "resend-domain-unverified"),
        (Self::GuestAgentRenamed, "guest-agent-renamed"),
        (Self::DnsNotCloudflare, "dns-not-cloudflare"),
        (Self::DkimMissing, "dkim-missing"),
        (Self::WaitlistRuntimeMoved, "waitlist-runtime-moved"),
        (Self::RenderServiceRenamed, "render-service-renamed"),
        (Self::RenderWrongEnvironment, "render-wrong-environment"),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(b, _)| *b == self)
            .map_or("?", |(_, n)| n)
    }
}

impl FromStr for Break {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(b, _)| *b)
            .ok_or_else(|| {
                SpecError(format!(
                    "unknown fault {s:?}: {FAULT_HELP}; or one of the named faults: {}",
                    Self::ALL
                        .iter()
                        .map(|(_, n)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

/// A DNS fault on one name (`--fault nxdomain:HOST`, `servfail:HOST`,
/// `dns-timeout:HOST`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsFault {
    pub kind: DnsFaultKind,
    /// The name, lower case, without a final dot.
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsFaultKind {
    /// The name does not exist.
    Nxdomain,
    /// The server fails for the name.
    Servfail,
    /// Queries for the name are never answered.
    Timeout,
}

impl DnsFault {
    pub const KINDS: [(DnsFaultKind, &'static str); 3] = [
        (DnsFaultKind::Nxdomain, "nxdomain"),
        (DnsFaultKind::Servfail, "servfail"),
        (DnsFaultKind::Timeout, "dns-timeout"),
    ];

    /// `nxdomain:HOST` and the like; `None` when `spec` is not a DNS fault.
    pub fn parse(spec: &str) -> Option<Result<Self, SpecError>> {
        let (kind, name) = spec.split_once(':')?;
        let kind = Self::KINDS.iter().find(|(_, n)| *n == kind)?.0;
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        Some(if name.is_empty() || !is_host_name(&name) {
            Err(SpecError(format!(
                "{spec:?}: a DNS fault names a host, e.g. nxdomain:api-dev.hellolucia.ai"
            )))
        } else {
            Ok(Self { kind, name })
        })
    }
}

/// Letters, digits, `-` and `_` in dot-separated labels of 1 to 63 bytes.
fn is_host_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// What the sandbox injects, shared by every request.
#[derive(Clone, Debug, Default)]
pub struct Injections {
    pub drifts: Arc<Vec<Drift>>,
    pub faults: Arc<Vec<Fault>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_drifts_and_applies_them() {
        let mut body = json!({"status": "ok", "version": "engine-v0.1.3.6", "uptime": 5, "ledger": {"mode": "dual"}});
        for spec in [
            "engine/version=change:version=\"engine-v0.1.3.7\"",
            "engine/health=remove:status",
            "engine/health=type:uptime",
            "engine/health=add:ledger.region=eu",
        ] {
            spec.parse::<Drift>().expect(spec).apply(&mut body);
        }
        assert_eq!(
            body,
            json!({"version": "engine-v0.1.3.7", "uptime": "5", "ledger": {"mode": "dual", "region": "eu"}})
        );
    }

    #[test]
    fn parses_faults() {
        let f: Fault = "engine/health=500".parse().expect("status");
        assert_eq!(f.kind, FaultKind::Status(500));
        let f: Fault = "engine/health=latency:1500ms".parse().expect("latency");
        assert_eq!(f.kind, FaultKind::Latency(Duration::from_millis(1500)));
        let f: Fault = "engine/*=reset@2".parse().expect("reset");
        assert!(f.fires("/engine/health") && f.fires("/engine/version") && !f.fires("/engine/x"));
        assert!(!f.fires("/admin/api/version"));
        for bad in [
            "engine/health",
            "engine/health=explode",
            "=hang",
            "engine/health=status:99",
            "engine/health=hang@x",
        ] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
        for bad in [
            "engine/health",
            "engine/health=remove",
            "engine/health=grow:x",
            "engine/health=change:x",
        ] {
            assert!(bad.parse::<Drift>().is_err(), "{bad}");
        }
    }
}
