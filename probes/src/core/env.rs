//! The environment a run targets, as the step library sees it: surfaces and
//! their base URLs, expected values, resolved secrets and what may be done
//! there. The binary builds it from environments.toml.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// The Canon's state of an environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvStatus {
    /// Running and reachable (dev, staging, marketing, guest lab).
    Live,
    /// Planned (production): read-only checks only, nothing mutating ever.
    Future,
    /// The local sandbox.
    Sandbox,
}

impl EnvStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Future => "future",
            Self::Sandbox => "sandbox",
        }
    }
}

/// A resolved secret: the value never appears in `Debug` or `Display`.
#[derive(Clone)]
pub struct Secret {
    /// The name features use (`${LUCIA_OPERATOR_TOKEN}`).
    pub name: String,
    /// The environment variable it was read from.
    pub env_var: String,
    pub value: String,
    /// Surfaces this secret may be sent to; empty means any surface of the environment.
    pub surfaces: Vec<String>,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("name", &self.name)
            .field("env_var", &self.env_var)
            .field("value", &"<redacted>")
            .field("surfaces", &self.surfaces)
            .finish()
    }
}

impl Secret {
    pub fn allowed_for(&self, surface: &str) -> bool {
        self.surfaces.is_empty() || self.surfaces.iter().any(|s| s == surface)
    }
}

/// A database an environment names, with its DSN when the variable is set.
#[derive(Clone)]
pub struct Database {
    pub env_var: String,
    pub dsn: Option<String>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("env_var", &self.env_var)
            .field("dsn", &self.dsn.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct Environment {
    pub name: String,
    pub status: EnvStatus,
    /// Surface name → base URL (no trailing slash).
    pub surfaces: BTreeMap<String, String>,
    /// Values features read as `{{expected.key}}`.
    pub expected: BTreeMap<String, String>,
    /// Secrets by the name features use.
    pub secrets: BTreeMap<String, Secret>,
    pub allow_mutation: bool,
    pub allow_restart: bool,
    pub request_timeout: Duration,
    pub scenario_timeout: Duration,
    pub max_body_bytes: usize,
    /// Extra CA certificates (PEM) to trust besides the platform's roots.
    pub extra_ca_pem: Option<String>,
    /// Postgres databases by the name features use.
    pub databases: BTreeMap<String, Database>,
    /// Render service ids by surface, for restarts.
    pub render_services: BTreeMap<String, String>,
    /// At most this many requests a second to the environment (`None`: no limit, sandbox only).
    pub max_requests_per_second: Option<f64>,
    /// Consecutive unanswered requests that mark an origin unreachable (0: never).
    pub circuit_threshold: u32,
    /// The first retry of a `@retry(N)` scenario waits this long, doubling each time.
    pub retry_backoff: Duration,
    /// Hosts never contacted, whatever a feature says (environments.toml
    /// `forbidden_hosts`): a request to one, or a redirect to one, fails as
    /// `config` before a byte leaves.
    pub forbidden_hosts: Vec<String>,
    /// The DNS server the DNS steps ask (`dns_resolver`); the system's
    /// resolver when `None`.
    pub dns_resolver: Option<std::net::SocketAddr>,
    /// Every request carries the scenario's trace (`traceparent`,
    /// `sentry-trace`, `baggage`): environments.toml `propagate_traces`.
    pub propagate_traces: bool,
}

impl Environment {
    /// A minimal environment, for tests and embedders.
    pub fn new(name: impl Into<String>, status: EnvStatus) -> Self {
        Self {
            name: name.into(),
            status,
            surfaces: BTreeMap::new(),
            expected: BTreeMap::new(),
            secrets: BTreeMap::new(),
            allow_mutation: false,
            allow_restart: false,
            request_timeout: Duration::from_secs(10),
            scenario_timeout: Duration::from_secs(60),
            max_body_bytes: 10 * 1024 * 1024,
            extra_ca_pem: None,
            databases: BTreeMap::new(),
            render_services: BTreeMap::new(),
            max_requests_per_second: Some(20.0),
            circuit_threshold: 3,
            retry_backoff: Duration::from_millis(250),
            forbidden_hosts: Vec::new(),
            dns_resolver: None,
            propagate_traces: true,
        }
    }

    /// Whether mutating requests may go to this environment. Production
    /// (`future`) never allows it, whatever the file says.
    pub fn mutation_allowed(&self) -> bool {
        self.allow_mutation && self.status != EnvStatus::Future
    }
}

/// Whether `host` is one of `forbidden` or under one of them
/// (`db.evallabs.example` is under `evallabs.example`), unless an entry
/// `!HOST` excepts it: `["supabase.co", "!jgnxomyzqotnqsmlxlsz.supabase.co"]`
/// forbids every Supabase project but Lucia Core's. Case-insensitive; a
/// trailing dot is ignored.
pub fn is_forbidden(host: &str, forbidden: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let covers = |f: &str| {
        let f = f.trim_end_matches('.').to_ascii_lowercase();
        !f.is_empty() && (host == f || host.ends_with(&format!(".{f}")))
    };
    let (excepted, denied): (Vec<&String>, Vec<&String>) =
        forbidden.iter().partition(|f| f.starts_with('!'));
    denied.iter().any(|f| covers(f)) && !excepted.iter().any(|f| covers(f.trim_start_matches('!')))
}

#[cfg(test)]
mod tests {
    use super::is_forbidden;

    #[test]
    fn a_forbidden_host_covers_its_subdomains_unless_excepted() {
        let list: Vec<String> = [
            "supabase.co",
            "!jgnxomyzqotnqsmlxlsz.supabase.co",
            "evallabs.example",
        ]
        .map(String::from)
        .to_vec();
        assert!(is_forbidden("abcdefevallabsref.supabase.co", &list));
        assert!(is_forbidden("SUPABASE.CO.", &list));
        assert!(is_forbidden("db.evallabs.example", &list));
        assert!(!is_forbidden("jgnxomyzqotnqsmlxlsz.supabase.co", &list));
        assert!(!is_forbidden("db.jgnxomyzqotnqsmlxlsz.supabase.co", &list));
        assert!(
            !is_forbidden("notsupabase.co", &list),
            "a suffix is not a subdomain"
        );
        assert!(!is_forbidden("api-dev.hellolucia.ai", &list));
        // An exception alone forbids nothing.
        assert!(!is_forbidden(
            "x.supabase.co",
            &["!x.supabase.co".to_owned()]
        ));
        assert!(!is_forbidden("anything", &["".to_owned(), "!".to_owned()]));
    }
}
