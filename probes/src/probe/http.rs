//! The HTTP probe: one shared client, per-request deadlines, a body size cap,
//! and errors classified by what actually failed.

use std::error::Error as _;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::core::duration::human;
use crate::core::env::is_forbidden;
use crate::core::error::{ErrorKind, StepError};
use crate::core::timings::Timings;
use crate::probe::phases::{Clock, TimedConnectLayer, TimedResolver, TimedSessions, timed};

/// What the redirect policy says when it refuses a forbidden host.
const FORBIDDEN_REDIRECT: &str = "redirect to a forbidden host";

/// Clients shared by every scenario of a run (connection pooling matters:
/// a new client per request costs a TLS handshake each time).
#[derive(Clone, Debug)]
pub struct HttpClient {
    direct: reqwest::Client,
    following: OnceLock<reqwest::Client>,
    tls: std::sync::Arc<rustls::ClientConfig>,
    max_body_bytes: usize,
    /// Hosts never contacted, nor redirected to.
    forbidden: std::sync::Arc<Vec<String>>,
}

fn build_client(
    tls: &rustls::ClientConfig,
    policy: reqwest::redirect::Policy,
) -> Result<reqwest::Client, StepError> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls.clone())
        .redirect(policy)
        .user_agent(concat!("lucia-harness/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .dns_resolver(TimedResolver)
        .connector_layer(TimedConnectLayer)
        .build()
        .map_err(|e| {
            StepError::new(
                ErrorKind::Internal,
                format!("cannot build the HTTP client: {e}"),
            )
        })
}

/// A request, already interpolated.
#[derive(Debug)]
pub struct HttpRequest {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub follow_redirects: bool,
}

/// A complete response (the body was read within the deadline and the cap).
#[derive(Debug)]
pub struct HttpResponse {
    pub method: String,
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// From sending the request to the last byte of the body.
    pub elapsed: Duration,
    /// What messages quoting the body scrub it with (the run's redactor).
    pub redactor: Option<std::sync::Arc<crate::core::redact::Redactor>>,
    json: OnceLock<Result<Value, StepError>>,
}

impl HttpResponse {
    pub fn new(
        method: &str,
        url: &str,
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
        elapsed: Duration,
    ) -> Self {
        Self {
            method: method.to_owned(),
            url: url.to_owned(),
            status,
            headers,
            body,
            elapsed,
            redactor: None,
            json: OnceLock::new(),
        }
    }

    /// The body parsed as JSON, parsed once however many steps read it.
    /// A body announced as something other than JSON, a body that is not
    /// UTF-8, JSON cut short and malformed JSON are each their own kind.
    pub fn json(&self) -> Result<&Value, StepError> {
        self.json
            .get_or_init(|| {
                let ct = self.header("content-type").unwrap_or("no content-type");
                let what = format!("{} {}", self.method, self.url);
                if self.headers.contains_key("content-type") && !ct.to_ascii_lowercase().contains("json") {
                    return Err(StepError::new(
                        ErrorKind::ContentType,
                        format!("{what}: expected a JSON body, the content-type is {ct:?} ({} bytes): {}", self.body.len(), self.body_preview(120)),
                    ));
                }
                if let Err(e) = std::str::from_utf8(&self.body) {
                    return Err(StepError::new(
                        ErrorKind::Encoding,
                        format!("{what}: the body is not UTF-8 (invalid byte at offset {}; {} bytes, {ct})", e.valid_up_to(), self.body.len()),
                    ));
                }
                serde_json::from_slice(&self.body).map_err(|e| {
                    let kind = if e.is_eof() { ErrorKind::TruncatedJson } else { ErrorKind::InvalidJson };
                    let how = if e.is_eof() { "cut short" } else { "malformed" };
                    StepError::new(
                        kind,
                        format!("{what}: the body is not valid JSON ({how}: {e}; {} bytes, {ct}): {}", self.body.len(), self.body_preview(160)),
                    )
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The body as UTF-8 text, for steps that read text.
    pub fn text_strict(&self) -> Result<&str, StepError> {
        std::str::from_utf8(&self.body).map_err(|e| {
            StepError::new(
                ErrorKind::Encoding,
                format!(
                    "{} {}: the body is not UTF-8 (invalid byte at offset {}; {} bytes)",
                    self.method,
                    self.url,
                    e.valid_up_to(),
                    self.body.len()
                ),
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The start of the body for messages, lossily decoded, with secrets
    /// and personal data redacted before it is cut.
    pub fn body_preview(&self, max_chars: usize) -> String {
        let text = self.text();
        let s = match &self.redactor {
            Some(r) => r.preview(&text, max_chars),
            None => {
                let mut s: String = text.chars().take(max_chars).collect();
                if text.chars().count() > max_chars {
                    s.push('…');
                }
                s
            }
        };
        s.replace('\n', " ")
    }
}

impl HttpClient {
    /// `extra_ca_pem`: CA certificates to trust besides the platform's roots
    /// (the sandbox's loopback CA for `local`).
    pub fn new(max_body_bytes: usize, extra_ca_pem: Option<&str>) -> Result<Self, StepError> {
        // One TLS configuration (roots loaded once) for every client.
        let mut tls = crate::probe::tls::client_config(extra_ca_pem)?;
        // The session cache that tells when a handshake starts (phases).
        tls.resumption =
            rustls::client::Resumption::store(std::sync::Arc::new(TimedSessions::new()));
        Ok(Self {
            direct: build_client(&tls, reqwest::redirect::Policy::none())?,
            following: OnceLock::new(),
            tls: std::sync::Arc::new(tls),
            max_body_bytes,
            forbidden: std::sync::Arc::default(),
        })
    }

    /// Never contacts these hosts (nor follows a redirect to one).
    #[must_use]
    pub fn forbidding(mut self, hosts: Vec<String>) -> Self {
        self.forbidden = std::sync::Arc::new(hosts);
        self
    }

    /// The refusal of a request to a forbidden host, if `url` is on one.
    fn refused(&self, what: &str, url: &str) -> Option<StepError> {
        let host = url::Url::parse(url).ok()?.host_str()?.to_owned();
        is_forbidden(&host, &self.forbidden).then(|| {
            StepError::config(format!(
                "{what}: {host} is a forbidden host (environments.toml forbidden_hosts): it is never contacted, whatever a feature says"
            ))
        })
    }

    /// The client that follows redirects, built the first time a scenario asks.
    fn following(&self) -> Result<&reqwest::Client, StepError> {
        if let Some(c) = self.following.get() {
            return Ok(c);
        }
        let forbidden = std::sync::Arc::clone(&self.forbidden);
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt
                .url()
                .host_str()
                .is_some_and(|h| is_forbidden(h, &forbidden))
            {
                attempt.error(FORBIDDEN_REDIRECT)
            } else if attempt.previous().len() >= 10 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let c = build_client(&self.tls, policy)?;
        Ok(self.following.get_or_init(|| c))
    }

    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Sends `req` and reads the whole body, all within `timeout`, with
    /// where the time went (absent when the request was refused before
    /// being sent: a forbidden host, a bad header).
    pub async fn send(
        &self,
        req: HttpRequest,
        timeout: Duration,
    ) -> (Result<HttpResponse, StepError>, Option<Timings>) {
        let clock = Clock::start();
        let mut first_byte = None;
        let result = timed(
            std::sync::Arc::clone(&clock),
            self.send_untimed(req, timeout, &mut first_byte),
        )
        .await;
        let sent = match &result {
            Ok(_) => true,
            Err(e) => !matches!(e.kind, ErrorKind::Config | ErrorKind::Internal),
        };
        (result, sent.then(|| clock.timings(first_byte)))
    }

    async fn send_untimed(
        &self,
        req: HttpRequest,
        timeout: Duration,
        first_byte: &mut Option<Instant>,
    ) -> Result<HttpResponse, StepError> {
        let method = req.method.to_string();
        let url = req.url.clone();
        let what = format!("{method} {url}");
        if let Some(refused) = self.refused(&what, &url) {
            return Err(refused);
        }
        let client = if req.follow_redirects {
            self.following()?
        } else {
            &self.direct
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &req.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| StepError::config(format!("invalid header name {name:?}")))?;
            let v = HeaderValue::from_str(value)
                .map_err(|_| StepError::config(format!("invalid value for header {name:?}")))?;
            headers.append(n, v);
        }
        let mut builder = client.request(req.method, &req.url).headers(headers);
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let start = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        let max = self.max_body_bytes;
        // Headers first: no answer at all is a timeout.
        let mut resp = match tokio::time::timeout_at(deadline, builder.send()).await {
            Ok(r) => r.map_err(|e| classify(&e, &what))?,
            Err(_) => {
                return Err(StepError::new(
                    ErrorKind::Timeout,
                    format!("{what}: no answer within {}", human(timeout)),
                ));
            }
        };
        *first_byte = Some(Instant::now());
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if let Some(len) = resp.content_length()
            && len > max as u64
        {
            return Err(too_large(&what, max, Some(len)));
        }
        // Then the body, within what is left: an answer that never finishes
        // (a slow drip) is a body timeout. Memory stays bounded by `max`.
        let mut body =
            Vec::with_capacity(resp.content_length().map_or(0, |l| (l as usize).min(max)));
        loop {
            match tokio::time::timeout_at(deadline, resp.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    if body.len() + chunk.len() > max {
                        return Err(too_large(&what, max, None));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Ok(None)) => break,
                Ok(Err(e)) => return Err(classify(&e, &what)),
                Err(_) => {
                    return Err(StepError::new(
                        ErrorKind::BodyTimeout,
                        format!(
                            "{what}: answered {status}, but the body was still arriving after {} ({} bytes so far)",
                            human(timeout),
                            body.len()
                        ),
                    ));
                }
            }
        }
        Ok(HttpResponse::new(
            &method,
            &url,
            status,
            headers,
            body,
            start.elapsed(),
        ))
    }
}

fn too_large(what: &str, max: usize, announced: Option<u64>) -> StepError {
    let announced = announced
        .map(|l| format!(" (Content-Length {l})"))
        .unwrap_or_default();
    StepError::new(
        ErrorKind::BodyTooLarge,
        format!(
            "{what}: the body exceeds the {max}-byte limit{announced}; reading stopped (raise max_body_bytes in environments.toml if this is expected)"
        ),
    )
}

/// Turns a reqwest error into the kind a report needs, looking through the
/// whole source chain (hyper, io, rustls) rather than the top-level text.
fn classify(e: &reqwest::Error, what: &str) -> StepError {
    let mut chain = Vec::new();
    let mut io_kind = None;
    let mut src: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(s) = src {
        chain.push(s.to_string());
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        src = s.source();
    }
    let text = chain.join(": ").to_lowercase();
    if e.is_redirect() && text.contains(FORBIDDEN_REDIRECT) {
        return StepError::config(format!(
            "{what}: a redirect led to a forbidden host (environments.toml forbidden_hosts); it was not followed: {}",
            e.url()
                .map(|u| u.host_str().unwrap_or_default().to_owned())
                .unwrap_or_default()
        ));
    }
    let detail = chain.last().cloned().unwrap_or_else(|| e.to_string());
    let (kind, msg) = if e.is_timeout() {
        (ErrorKind::Timeout, "timed out".to_owned())
    } else if text.contains("dns error")
        || text.contains("failed to lookup address")
        || text.contains("name or service not known")
    {
        (
            ErrorKind::Dns,
            format!("the host name did not resolve ({detail})"),
        )
    } else if text.contains("close_notify")
        || matches!(
            io_kind,
            Some(
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::UnexpectedEof
            )
        ) && !text.contains("handshake")
    {
        // Over TLS a connection cut mid-response is an EOF without close_notify.
        (
            ErrorKind::Reset,
            format!(
                "the connection was reset or closed before the response was complete ({detail})"
            ),
        )
    } else if text.contains("invalid peer certificate")
        || text.contains("certificate expired")
        || text.contains("unknownissuer")
        || text.contains("notvalidforname")
        || text.contains("expired")
    {
        (
            ErrorKind::Certificate,
            format!("the certificate was refused: {detail}"),
        )
    } else if text.contains("certificate")
        || text.contains("tls")
        || text.contains("handshake")
        || text.contains("corrupt message")
        || text.contains("invaliddata") && text.contains("ssl")
    {
        (ErrorKind::Tls, format!("TLS failed: {detail}"))
    } else if e.is_redirect() {
        (
            ErrorKind::RedirectLoop,
            format!("too many redirects (a redirect loop?): {detail}"),
        )
    } else if matches!(io_kind, Some(std::io::ErrorKind::ConnectionRefused)) {
        (
            ErrorKind::Connect,
            "connection refused (is the service running?)".to_owned(),
        )
    } else if matches!(
        io_kind,
        Some(
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof
        )
    ) || text.contains("connection closed before message completed")
        || text.contains("incomplete")
        || text.contains("end of file before message length reached")
        || e.is_body()
        || e.is_decode()
    {
        (
            ErrorKind::Reset,
            format!(
                "the connection was reset or closed before the response was complete ({detail})"
            ),
        )
    } else if e.is_connect() {
        (ErrorKind::Connect, format!("could not connect: {detail}"))
    } else {
        (ErrorKind::Http, detail)
    };
    StepError::new(kind, format!("{what}: {msg}"))
}
