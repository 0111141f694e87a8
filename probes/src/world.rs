//! The cucumber World: one per scenario, holding the selected service, the
//! headers, the last response and what the scenario remembered; what every
//! scenario of a run shares ([`RunContext`]); and the seam through which
//! baseline steps reach the store that the binary keeps ([`Baselines`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::core::duration::human;
use crate::core::env::Environment;
use crate::core::error::{ErrorKind, StepError, StepResult};
use crate::core::normalise::Rules;
use crate::core::redact::Redactor;
use crate::core::template::{Interpolated, Interpolator};
use crate::core::timings::Timings;
use crate::probe::http::{HttpClient, HttpRequest, HttpResponse};

/// What every scenario of a run shares.
#[derive(Debug)]
pub struct RunContext {
    pub environment: Environment,
    pub http: HttpClient,
    pub run_id: String,
    pub redactor: Arc<Redactor>,
    pub rate_limit: Option<crate::probe::guard::RateLimit>,
    pub circuit: crate::probe::guard::Circuit,
    /// Where `the response matches the baseline` steps compare (or capture).
    pub baselines: Option<Arc<dyn Baselines>>,
    /// Keep every exchange in full ([`Exchange::evidence`]) for `exchanges.har`.
    pub evidence: bool,
    /// The DNS resolver, started by the first DNS step of the run (a run
    /// without one never reads the system's resolver configuration).
    dns: std::sync::OnceLock<Result<crate::probe::dns::DnsClient, StepError>>,
}

impl RunContext {
    pub fn new(environment: Environment, run_id: impl Into<String>) -> Result<Self, StepError> {
        let http = HttpClient::new(
            environment.max_body_bytes,
            environment.extra_ca_pem.as_deref(),
        )?
        .forbidding(environment.forbidden_hosts.clone());
        let redactor = Arc::new(Redactor::for_environment(
            &environment,
            Arc::new(Rules::builtin()),
        ));
        Ok(Self {
            rate_limit: crate::probe::guard::RateLimit::per_second(
                environment.max_requests_per_second,
            ),
            circuit: crate::probe::guard::Circuit::new(environment.circuit_threshold),
            environment,
            http,
            run_id: run_id.into(),
            redactor,
            baselines: None,
            evidence: false,
            dns: std::sync::OnceLock::new(),
        })
    }

    /// The run's DNS resolver: the environment's `dns_resolver`, or the
    /// system's (never for a sandbox, which asks only its own).
    pub fn dns(&self) -> Result<&crate::probe::dns::DnsClient, StepError> {
        self.dns
            .get_or_init(|| {
                let env = &self.environment;
                if env.status == crate::core::env::EnvStatus::Sandbox && env.dns_resolver.is_none() {
                    return Err(StepError::config(format!(
                        "environment '{}' is a sandbox: its DNS steps ask only a resolver on loopback; set dns_resolver (the sandbox answers DNS on its own port) or pass --origin",
                        env.name
                    )));
                }
                crate::probe::dns::DnsClient::new(
                    self.environment.dns_resolver,
                    self.environment.request_timeout,
                )
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// A response as the baseline step hands it over: not yet normalised.
#[derive(Debug)]
pub struct Observed<'a> {
    /// The service the request went to (`engine`).
    pub service: &'a str,
    /// The request's path under the service's base URL, secrets scrubbed.
    pub path: &'a str,
    pub response: &'a HttpResponse,
}

/// Where baseline steps send what they see. `observe` returns `Ok` when the
/// response matches (or was recorded), a `drift` error with the structural
/// diff when it does not, a `config` error when there is nothing to compare with.
pub trait Baselines: Debug + Send + Sync {
    fn observe(&self, name: &str, observed: &Observed<'_>, redactor: &Redactor) -> StepResult;
}

/// One HTTP exchange of a scenario, secrets already scrubbed: the evidence
/// reports and alert breadcrumbs show.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    pub service: String,
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub elapsed: Duration,
    pub error: Option<ErrorKind>,
    /// Where the time went (absent when the request was never sent).
    pub timings: Option<Timings>,
    /// This request's span of the scenario's trace (absent when the
    /// environment does not propagate traces).
    pub span_id: Option<String>,
    /// What was sent and answered, kept only when the run writes
    /// `exchanges.har` ([`RunContext::evidence`]); not yet redacted beyond
    /// secrets in the URL: the HAR writer redacts it as every output.
    pub evidence: Option<Box<Evidence>>,
}

/// The most of a response body an exchange's [`Evidence`] keeps: the HAR
/// shows no more, and a run of many large answers stays small.
pub const EVIDENCE_BODY_LIMIT: usize = 64 * 1024;

/// One exchange in full, for the HAR file.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<Vec<u8>>,
    pub response_headers: Vec<(String, String)>,
    /// The body's first [`EVIDENCE_BODY_LIMIT`] bytes.
    pub response_body: Vec<u8>,
    /// The body's whole size, in bytes.
    pub response_size: usize,
}

/// A request before the environment's rules are applied.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub method: reqwest::Method,
    /// Interpolated path, starting with `/`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Names of the secrets in path, headers or body.
    pub secrets: Vec<String>,
}

impl Outgoing {
    pub(crate) fn new(method: reqwest::Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: None,
            secrets: Vec::new(),
        }
    }

    pub(crate) fn set_default_header(&mut self, name: &str, value: &str) {
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            self.headers.push((name.to_owned(), value.to_owned()));
        }
    }
}

#[derive(Debug, Default)]
pub struct World {
    ctx: Option<Arc<RunContext>>,
    tags: Vec<String>,
    pub(crate) service: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    /// User and password (as written, secrets not yet interpolated) for an
    /// `Authorization: Basic` header built when the request is.
    pub(crate) basic_auth: Option<(String, String)>,
    pub(crate) follow_redirects: bool,
    pub(crate) response: Option<HttpResponse>,
    pub(crate) remembered: HashMap<String, Value>,
    pub(crate) db: Option<crate::probe::postgres::SharedDb>,
    /// The last DNS answer (`When I look up the "NS" records of "…"`).
    pub(crate) dns: Option<crate::probe::dns::Answer>,
    failure: Option<StepError>,
    deadline: Option<Instant>,
    started: Option<Instant>,
    exchanges: Vec<Exchange>,
    step_durations: Vec<Duration>,
    /// The trace every request of this scenario carries, when the
    /// environment propagates traces.
    trace_id: Option<String>,
}

impl cucumber::World for World {
    type Error = Infallible;

    async fn new() -> Result<Self, Infallible> {
        Ok(Self::default())
    }
}

impl World {
    /// Called by the runner's before-hook: gives the scenario its run and
    /// starts the scenario clock.
    pub fn prepare(&mut self, ctx: Arc<RunContext>, tags: Vec<String>) {
        let now = Instant::now();
        self.started = Some(now);
        self.deadline = Some(now + ctx.environment.scenario_timeout);
        self.trace_id = ctx
            .environment
            .propagate_traces
            .then(crate::core::trace::new_trace_id);
        self.ctx = Some(ctx);
        self.tags = tags;
    }

    /// The error of the step that failed, if one did.
    pub fn failure(&self) -> Option<&StepError> {
        self.failure.as_ref()
    }

    /// How long each executed step took, in execution order (background first).
    pub fn step_durations(&self) -> &[Duration] {
        &self.step_durations
    }

    /// Time since the scenario started.
    pub fn elapsed(&self) -> Duration {
        self.started.map(|s| s.elapsed()).unwrap_or_default()
    }

    pub(crate) fn push_exchange(&mut self, e: Exchange) {
        self.exchanges.push(e);
    }

    pub(crate) fn record_step(&mut self, d: Duration) {
        self.step_durations.push(d);
    }

    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// The exchanges, for the after-hook to take (with their evidence)
    /// rather than copy.
    pub fn exchanges_mut(&mut self) -> &mut Vec<Exchange> {
        &mut self.exchanges
    }

    /// The trace this scenario's requests carried, if they carried one.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    pub fn last_response(&self) -> Option<&HttpResponse> {
        self.response.as_ref()
    }

    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    pub(crate) fn ctx(&self) -> Result<Arc<RunContext>, StepError> {
        self.ctx.clone().ok_or_else(|| {
            StepError::new(
                ErrorKind::Internal,
                "the scenario was not prepared with a run context",
            )
        })
    }

    /// Records the failure and unwinds: cucumber reports a step as failed
    /// when it panics. `resume_unwind` skips the panic hook, so nothing is
    /// printed behind the harness's back.
    pub(crate) fn fail(&mut self, mut e: StepError) -> ! {
        if let Some(ctx) = &self.ctx {
            e.message = ctx.redactor.scrub(&e.message).into_owned();
        }
        let msg = e.message.clone();
        self.failure = Some(e);
        std::panic::resume_unwind(Box::new(msg))
    }

    pub(crate) fn interpolate(&self, text: &str) -> Result<Interpolated, StepError> {
        let ctx = self.ctx()?;
        Interpolator {
            env: &ctx.environment,
            run_id: &ctx.run_id,
            remembered: &self.remembered,
        }
        .interpolate(text)
    }

    pub(crate) fn response(&self) -> Result<&HttpResponse, StepError> {
        self.response.as_ref().ok_or_else(|| {
            StepError::config(
                "there is no response yet: a `When I GET \"…\"` step must come before this one",
            )
        })
    }

    pub(crate) fn json(&self) -> Result<&Value, StepError> {
        self.response()?.json()
    }

    /// The base URL of a service in this environment.
    pub(crate) fn base_url(&self, service: &str) -> Result<String, StepError> {
        let ctx = self.ctx()?;
        let env = &ctx.environment;
        env.surfaces.get(service).cloned().ok_or_else(|| {
            StepError::config(format!(
                "environment '{}' has no \"{service}\" service (it has: {})",
                env.name,
                env.surfaces.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }

    pub(crate) fn selected_service(&self) -> Result<String, StepError> {
        self.service.clone().ok_or_else(|| {
            StepError::config(
                "no service selected: start the scenario with `Given the \"engine\" service`",
            )
        })
    }

    /// Sends a request to the selected service with the scenario's headers;
    /// the response becomes the one later steps check.
    pub(crate) async fn send(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<&str>,
    ) -> Result<(), StepError> {
        let service = self.selected_service()?;
        let path = self.interpolate(path)?;
        let mut out = Outgoing {
            method,
            path: path.text,
            headers: Vec::with_capacity(self.headers.len() + 1),
            body: None,
            secrets: path.secrets,
        };
        for (name, value) in &self.headers {
            let v = self.interpolate(value)?;
            out.secrets.extend(v.secrets);
            out.headers.push((name.clone(), v.text));
        }
        if let Some((user, password)) = &self.basic_auth {
            use base64::Engine as _;
            let (user, password) = (self.interpolate(user)?, self.interpolate(password)?);
            out.secrets.extend(user.secrets);
            out.secrets.extend(password.secrets);
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", user.text, password.text));
            out.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
            out.headers
                .push(("Authorization".to_owned(), format!("Basic {token}")));
        }
        if let Some(b) = body {
            let b = self.interpolate(b)?;
            out.secrets.extend(b.secrets);
            out.set_default_header("content-type", "application/json");
            out.body = Some(b.text.into_bytes());
        }
        let resp = self.dispatch(&service, out).await;
        self.response = None;
        self.response = Some(resp?);
        Ok(())
    }

    /// Sends one request to `service`, enforcing the environment's rules:
    /// secrets only to their own surfaces, nothing mutating where mutation is
    /// not allowed, the request and scenario deadlines. Every exchange is
    /// recorded (secrets scrubbed) as evidence.
    pub(crate) async fn dispatch(
        &mut self,
        service: &str,
        out: Outgoing,
    ) -> Result<HttpResponse, StepError> {
        let ctx = self.ctx()?;
        let env = &ctx.environment;
        let base = self.base_url(service)?;
        let method = out.method;
        let safe = matches!(
            method,
            reqwest::Method::GET | reqwest::Method::HEAD | reqwest::Method::OPTIONS
        );
        if !safe && !env.mutation_allowed() {
            return Err(StepError::config(format!(
                "refusing {method} {}: environment '{}' ({}) does not allow mutating requests",
                ctx.redactor.scrub(&out.path),
                env.name,
                env.status.as_str()
            )));
        }
        if !out.path.starts_with('/') {
            return Err(StepError::config(format!(
                "the path {:?} must start with `/`: it is appended to the \"{service}\" service's base URL",
                ctx.redactor.scrub(&out.path)
            )));
        }
        for name in &out.secrets {
            if let Some(secret) = env.secrets.get(name)
                && !secret.allowed_for(service)
            {
                return Err(StepError::config(format!(
                    "refusing to send secret ${{{name}}} to the \"{service}\" service: environments.toml allows it only for {}",
                    secret.surfaces.join(", ")
                )));
            }
        }
        let now = Instant::now();
        let deadline = self.deadline.unwrap_or(now + env.scenario_timeout);
        let left = deadline.saturating_duration_since(now);
        let url = format!("{base}{}", out.path);
        // Secrets out now; personal data when the report is assembled (and
        // in every failure message, by `fail`).
        let display_url = ctx.redactor.scrub_secrets(&url).into_owned();
        if left.is_zero() {
            return Err(StepError::new(
                ErrorKind::Timeout,
                format!(
                    "{method} {display_url}: the scenario timeout ({}) was reached before the request",
                    human(env.scenario_timeout)
                ),
            ));
        }
        let timeout = env.request_timeout.min(left);
        let mut headers = out.headers;
        // The scenario's trace, unless the feature set a header of its own.
        let span_id = self.trace_id.as_deref().map(|trace| {
            let span = crate::core::trace::new_span_id();
            for (name, value) in crate::core::trace::headers(trace, &span, &env.name) {
                if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    headers.push((name.to_owned(), value));
                }
            }
            span
        });
        let sent = ctx.evidence.then(|| (headers.clone(), out.body.clone()));
        let request = HttpRequest {
            method: method.clone(),
            url,
            headers,
            body: out.body,
            follow_redirects: self.follow_redirects,
        };
        let origin = crate::probe::guard::origin_of(&request.url);
        ctx.circuit.check(&env.name, &origin)?;
        if let Some(limit) = &ctx.rate_limit {
            limit.wait().await;
        }
        let started = Instant::now();
        let started_at = chrono::Utc::now();
        let (result, timings) = ctx.http.send(request, timeout).await;
        ctx.circuit.record(&origin, result.as_ref().err());
        let mut exchange = Exchange {
            service: service.to_owned(),
            method: method.to_string(),
            url: display_url,
            status: None,
            elapsed: started.elapsed(),
            error: None,
            timings,
            span_id,
            evidence: None,
        };
        let evidence = |response_headers, body: &[u8]| {
            sent.map(|(request_headers, request_body)| {
                Box::new(Evidence {
                    started_at,
                    request_headers,
                    request_body,
                    response_headers,
                    response_body: body[..body.len().min(EVIDENCE_BODY_LIMIT)].to_vec(),
                    response_size: body.len(),
                })
            })
        };
        match result {
            Ok(mut resp) => {
                exchange.status = Some(resp.status);
                exchange.evidence = evidence(header_pairs(&resp.headers), &resp.body);
                resp.url = exchange.url.clone();
                resp.redactor = Some(Arc::clone(&ctx.redactor));
                self.exchanges.push(exchange);
                Ok(resp)
            }
            Err(mut e) => {
                exchange.error = Some(e.kind);
                exchange.evidence = evidence(Vec::new(), &[]);
                self.exchanges.push(exchange);
                if e.kind == ErrorKind::Timeout && timeout < env.request_timeout {
                    e.message.push_str(&format!(
                        " (the scenario timeout of {} was reached)",
                        human(env.scenario_timeout)
                    ));
                }
                Err(e)
            }
        }
    }

    /// Runs a probe of `url` (outside [`Self::dispatch`]: a TLS handshake, a
    /// plain-HTTP request) under the same guards: the circuit and the rate limit.
    pub(crate) async fn guarded<T>(
        &self,
        url: &str,
        probe: impl Future<Output = Result<T, StepError>>,
    ) -> Result<T, StepError> {
        let ctx = self.ctx()?;
        let origin = crate::probe::guard::origin_of(url);
        ctx.circuit.check(&ctx.environment.name, &origin)?;
        if let Some(limit) = &ctx.rate_limit {
            limit.wait().await;
        }
        let result = probe.await;
        ctx.circuit.record(&origin, result.as_ref().err());
        result
    }

    /// Time left before the scenario's deadline.
    pub(crate) fn time_left(&self) -> Duration {
        self.deadline.map_or(Duration::from_secs(60), |d| {
            d.saturating_duration_since(Instant::now())
        })
    }
}

/// Response headers as (name, value) pairs, values that are not text shown lossily.
fn header_pairs(h: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::env::EnvStatus;

    /// Even a step that skipped selection cannot mutate production: the
    /// World refuses before anything is sent.
    #[tokio::test]
    async fn production_refuses_a_mutating_request_whatever_the_flags() {
        let mut env = Environment::new("production", EnvStatus::Future);
        env.allow_mutation = true; // as if a flag or a bad file said so
        env.surfaces
            .insert("engine".into(), "https://127.0.0.1:9/engine".into());
        let ctx = Arc::new(RunContext::new(env, "r").expect("context"));
        let mut w = World::default();
        w.prepare(ctx, Vec::new());
        w.service = Some("engine".into());
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
            reqwest::Method::DELETE,
        ] {
            let e = w
                .send(method.clone(), "/webhooks/stripe", Some("{}"))
                .await
                .expect_err("refused");
            assert_eq!(e.kind, ErrorKind::Config, "{method}");
            assert!(
                e.message.contains("does not allow mutating requests"),
                "{}",
                e.message
            );
        }
        assert!(w.exchanges().is_empty(), "nothing was sent");
    }
}
