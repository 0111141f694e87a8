//! Typed step errors. The *kind* decides how a failure is reported and counted:
//! an assertion failure means the environment is wrong, a timeout or a refused
//! connection means the harness could not look, a config error means the
//! feature or the environment file is wrong.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What went wrong, as reports and exit codes need to tell it apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The environment answered, but not what the feature expects.
    Assertion,
    /// No answer within the request or scenario timeout.
    Timeout,
    /// The answer started but its body did not finish in time (a slow drip).
    BodyTimeout,
    /// The host name did not resolve (a request's own lookup, or a DNS
    /// lookup that failed another way than the three below).
    Dns,
    /// The DNS answered that the name does not exist (NXDOMAIN): an answer
    /// about the environment, not a failure to look.
    Nxdomain,
    /// The DNS server failed to answer for the name (SERVFAIL).
    Servfail,
    /// No DNS answer within the request timeout.
    DnsTimeout,
    /// The TCP connection could not be made (refused, unreachable).
    Connect,
    /// The connection was reset or closed before the response was complete.
    Reset,
    /// The TLS handshake failed (not a TLS server, protocol error).
    Tls,
    /// The server's certificate was refused (expired, unknown issuer, wrong name).
    Certificate,
    /// An HTTP protocol failure (a malformed response).
    Http,
    /// The service answered 5xx where the feature expected otherwise.
    ServerError,
    /// Redirects went round in a loop (or past the limit).
    RedirectLoop,
    /// The body was not valid JSON.
    InvalidJson,
    /// The body was JSON cut short.
    TruncatedJson,
    /// The body's content type is not what the step reads (JSON expected, HTML found).
    ContentType,
    /// The body is not valid UTF-8 text.
    Encoding,
    /// The body exceeded the configured size limit.
    BodyTooLarge,
    /// The response differs from the approved baseline.
    Drift,
    /// The feature or the environment configuration is wrong.
    Config,
    /// A probe outside HTTP (database, TLS inspection) failed to run.
    Probe,
    /// The claim cannot be checked yet (a known gap says why).
    Unchecked,
    /// Not attempted: the environment was already found unreachable in this run.
    Unreachable,
    /// A bug in the harness itself (a panic in a step).
    Internal,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 25] = [
        Self::Assertion,
        Self::Timeout,
        Self::BodyTimeout,
        Self::Dns,
        Self::Nxdomain,
        Self::Servfail,
        Self::DnsTimeout,
        Self::Connect,
        Self::Reset,
        Self::Tls,
        Self::Certificate,
        Self::Http,
        Self::ServerError,
        Self::RedirectLoop,
        Self::InvalidJson,
        Self::TruncatedJson,
        Self::ContentType,
        Self::Encoding,
        Self::BodyTooLarge,
        Self::Drift,
        Self::Config,
        Self::Probe,
        Self::Unchecked,
        Self::Unreachable,
        Self::Internal,
    ];

    /// The snake_case name used in report.json.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assertion => "assertion",
            Self::Timeout => "timeout",
            Self::BodyTimeout => "body_timeout",
            Self::Dns => "dns",
            Self::Nxdomain => "nxdomain",
            Self::Servfail => "servfail",
            Self::DnsTimeout => "dns_timeout",
            Self::Connect => "connect",
            Self::Reset => "reset",
            Self::Tls => "tls",
            Self::Certificate => "certificate",
            Self::Http => "http",
            Self::ServerError => "server_error",
            Self::RedirectLoop => "redirect_loop",
            Self::InvalidJson => "invalid_json",
            Self::TruncatedJson => "truncated_json",
            Self::ContentType => "content_type",
            Self::Encoding => "encoding",
            Self::BodyTooLarge => "body_too_large",
            Self::Drift => "drift",
            Self::Config => "config",
            Self::Probe => "probe",
            Self::Unchecked => "unchecked",
            Self::Unreachable => "unreachable",
            Self::Internal => "internal",
        }
    }

    /// True when the failure says the harness could not look, rather than
    /// that the environment is wrong: the gate reads these as "could not
    /// tell", never as "not ready" nor "ready".
    pub fn is_reachability(self) -> bool {
        matches!(
            self,
            Self::Timeout
                | Self::Dns
                | Self::Servfail
                | Self::DnsTimeout
                | Self::Connect
                | Self::Reset
                | Self::Tls
                | Self::Unreachable
        )
    }

    /// Failures that count towards opening an origin's circuit: nothing
    /// came back from it at all.
    pub fn opens_circuit(self) -> bool {
        matches!(self, Self::Timeout | Self::Dns | Self::Connect | Self::Tls)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed step: its kind and a message a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    pub kind: ErrorKind,
    pub message: String,
}

impl StepError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn assertion(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Assertion, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
}

pub type StepResult = Result<(), StepError>;
