//! Reading `environments.toml` into a [`Config`]: the file's raw shape
//! (unknown keys refused), then each environment checked on its own, every
//! problem an error naming the file, the line and the key.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use probes::EnvStatus;
use probes::core::duration::parse as parse_duration;
use serde::Deserialize;

use super::config::{Config, ConfigError, EnvConfig, SecretSpec};
use super::maintenance::{RawWindows, windows};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    expected: BTreeMap<String, String>,
    /// Hosts never contacted by any environment, step or flag.
    #[serde(default)]
    forbidden_hosts: Vec<String>,
    /// The places probes may run from (`--location`): a bounded label.
    #[serde(default)]
    locations: Vec<String>,
    environments: BTreeMap<String, RawEnv>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    request_timeout: Option<String>,
    scenario_timeout: Option<String>,
    max_body_bytes: Option<usize>,
    max_requests_per_second: Option<f64>,
    circuit_threshold: Option<u32>,
    retry_backoff: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnv {
    description: Option<String>,
    status: EnvStatus,
    #[serde(default)]
    mutation: bool,
    #[serde(default)]
    restarts: bool,
    surfaces: BTreeMap<String, String>,
    #[serde(default)]
    expected: BTreeMap<String, String>,
    #[serde(default)]
    secrets: BTreeMap<String, RawSecret>,
    request_timeout: Option<String>,
    scenario_timeout: Option<String>,
    max_body_bytes: Option<usize>,
    /// A PEM file of extra CA certificates to trust, relative to this file.
    ca_file: Option<String>,
    /// Postgres databases: `name = "ENV_VAR"` or `name = { env = "ENV_VAR" }`.
    #[serde(default)]
    databases: BTreeMap<String, RawDatabase>,
    /// Render service ids by surface, for restarts: `engine = "srv-…"`.
    #[serde(default)]
    render_services: BTreeMap<String, String>,
    /// Requests a second at most (0: no limit, allowed for the sandbox only).
    max_requests_per_second: Option<f64>,
    /// Unanswered requests in a row that mark an origin unreachable (0: never).
    circuit_threshold: Option<u32>,
    /// First wait before retrying a `@retry(N)` scenario (doubles each retry).
    retry_backoff: Option<String>,
    /// The DNS server the DNS steps ask, `IP` or `IP:PORT` (the system's
    /// resolver when absent).
    dns_resolver: Option<String>,
    /// Recurring maintenance windows: one table, or an array of them.
    maintenance: Option<RawWindows>,
    /// Every request carries the scenario's trace (default true; a
    /// `future` environment must say).
    propagate_traces: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawDatabase {
    Var(String),
    Full(RawDatabaseFull),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabaseFull {
    env: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawSecret {
    /// `NAME = "ENV_VAR"`
    Var(String),
    /// `NAME = { env = "ENV_VAR", surfaces = ["engine"], default = "…" }`
    Full(RawSecretFull),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecretFull {
    env: String,
    #[serde(default)]
    surfaces: Vec<String>,
    /// Allowed only where every surface is on loopback (the sandbox).
    default: Option<String>,
    /// When the variable is unset, scenarios needing it are skipped with the
    /// reason instead of stopping the run.
    #[serde(default)]
    optional: bool,
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// 1-based line of `key` inside the table `[table]` (or its sub-tables), a
/// best effort for errors found after parsing.
fn locate(source: &str, table: &str, key: Option<&str>) -> Option<usize> {
    let lines: Vec<&str> = source.lines().collect();
    let header = lines.iter().position(|l| {
        let t = l.trim();
        t == format!("[{table}]") || t.starts_with(&format!("[{table}.")) && t.ends_with(']')
    });
    let Some(key) = key else {
        return header.map(|h| h + 1);
    };
    let start = header?;
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        let t = l.trim_start();
        if t.starts_with('[') && !t.starts_with(&format!("[{table}")) {
            break;
        }
        if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
            return Some(i + 1);
        }
    }
    header.map(|h| h + 1)
}

/// A CA file is a few kilobytes of PEM. Anything that is not a regular file
/// (`/dev/zero`, a FIFO) or is larger than [`MAX_CA_FILE`] is refused before
/// it is read: reading it would never end or exhaust memory.
const MAX_CA_FILE: u64 = 1024 * 1024;

fn read_ca_file(p: &Path) -> Result<String, String> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", p.display());
    let meta = std::fs::metadata(p).map_err(cannot)?;
    if !meta.is_file() {
        return Err(format!(
            "{} is not a regular file: give the path of a PEM file",
            p.display()
        ));
    }
    if meta.len() > MAX_CA_FILE {
        return Err(format!(
            "{} is {} bytes; a CA file of PEM certificates is at most {MAX_CA_FILE}",
            p.display(),
            meta.len()
        ));
    }
    let mut pem = String::new();
    std::fs::File::open(p)
        .and_then(|f| f.take(MAX_CA_FILE).read_to_string(&mut pem))
        .map_err(cannot)?;
    Ok(pem)
}

/// A live environment always has a limit: the harness must never load-test
/// one by accident. Only the sandbox may go unlimited.
const MAX_LIVE_RATE: f64 = 100.0;

/// The file being read, for locating errors.
struct Source<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Source<'_> {
    fn err(&self, table: &str, key: Option<&str>, message: String) -> ConfigError {
        ConfigError {
            file: self.path.to_owned(),
            line: locate(self.text, table, key),
            key: Some(match key {
                Some(k) => format!("{table}.{k}"),
                None => table.to_owned(),
            }),
            message,
        }
    }

    fn duration(
        &self,
        table: &str,
        key: &str,
        v: Option<&String>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(s) => parse_duration(s).filter(|d| !d.is_zero()).ok_or_else(|| {
                self.err(
                    table,
                    Some(key),
                    format!("{s:?} is not a duration: write it as 10s, 500ms or 2m"),
                )
            }),
        }
    }
}

/// What `[defaults]` (and the top-level `[expected]`) give every environment.
struct Defaults {
    request_timeout: Duration,
    scenario_timeout: Duration,
    max_body_bytes: usize,
    raw: RawDefaults,
    expected: BTreeMap<String, String>,
    forbidden_hosts: Vec<String>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_owned(),
            line: None,
            key: None,
            message: format!(
                "cannot read the environments file: {e} (pass --config FILE to use another)"
            ),
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let src = Source { text, path };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            ConfigError {
                file: path.to_owned(),
                line,
                key: None,
                message: e.message().trim().to_owned(),
            }
        })?;
        let defaults = Defaults {
            request_timeout: src.duration(
                "defaults",
                "request_timeout",
                raw.defaults.request_timeout.as_ref(),
                Duration::from_secs(10),
            )?,
            scenario_timeout: src.duration(
                "defaults",
                "scenario_timeout",
                raw.defaults.scenario_timeout.as_ref(),
                Duration::from_secs(60),
            )?,
            max_body_bytes: raw.defaults.max_body_bytes.unwrap_or(10 * 1024 * 1024),
            raw: raw.defaults,
            expected: raw.expected,
            forbidden_hosts: raw.forbidden_hosts,
        };
        if raw.environments.is_empty() {
            return Err(src.err("environments", None, "no environment is defined".into()));
        }
        for l in &raw.locations {
            if !is_location_name(l) {
                return Err(src.err(
                    "locations",
                    None,
                    format!("{l:?}: a location is lower-case letters, digits and `-` (frankfurt, us-east-1)"),
                ));
            }
        }
        let mut environments = BTreeMap::new();
        for (name, env) in raw.environments {
            let checked = environment(&src, &defaults, name.clone(), env)?;
            environments.insert(name, checked);
        }
        Ok(Self {
            path: path.to_owned(),
            environments,
            locations: raw.locations,
        })
    }

    /// Checks a `--location`: one of `locations` when the file lists them,
    /// else any name of the same shape (one per process: still bounded).
    pub fn location(&self, name: &str) -> Result<(), ConfigError> {
        let err = |message: String| ConfigError {
            file: self.path.clone(),
            line: None,
            key: Some("locations".into()),
            message,
        };
        if !is_location_name(name) {
            return Err(err(format!(
                "--location {name:?}: a location is lower-case letters, digits and `-` (frankfurt, us-east-1)"
            )));
        }
        if !self.locations.is_empty() && !self.locations.iter().any(|l| l == name) {
            return Err(err(format!(
                "--location {name:?} is not one of the locations environments.toml names: {}",
                self.locations.join(", ")
            )));
        }
        Ok(())
    }
}

fn is_location_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn environment(
    src: &Source<'_>,
    defaults: &Defaults,
    name: String,
    env: RawEnv,
) -> Result<EnvConfig, ConfigError> {
    let table = format!("environments.{name}");
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(src.err(
            &table,
            None,
            "environment names use letters, digits, `-` and `_` (they are tags: @name)".into(),
        ));
    }
    if env.status == EnvStatus::Future && env.mutation {
        return Err(src.err(
            &table,
            Some("mutation"),
            format!(
                "'{name}' is `future`: nothing mutating may ever run there; remove `mutation = true`"
            ),
        ));
    }
    if env.status == EnvStatus::Future && env.propagate_traces.is_none() {
        return Err(src.err(
            &table,
            None,
            format!(
                "'{name}' is `future` (production): say `propagate_traces = true` or `false`; production decides for itself whether its Sentry links the harness's requests to its own traces"
            ),
        ));
    }
    let (surfaces, all_loopback) = surfaces(src, &table, &env, &defaults.forbidden_hosts)?;
    if env.status == EnvStatus::Sandbox && !all_loopback {
        return Err(src.err(
            &table,
            Some("status"),
            "a `sandbox` environment must be on loopback (127.0.0.1 or localhost)".into(),
        ));
    }
    let rate = rate(src, &table, &name, &env, &defaults.raw)?;
    let secrets = secrets(src, &table, &name, &surfaces, all_loopback, env.secrets)?;
    let databases = databases(src, &table, env.databases)?;
    for surface in env.render_services.keys() {
        if !surfaces.contains_key(surface) {
            return Err(src.err(
                &format!("{table}.render_services"),
                Some(surface),
                format!("{surface:?} is not a surface of '{name}'"),
            ));
        }
    }
    if !env.render_services.is_empty() && !surfaces.contains_key("render") {
        return Err(src.err(
            &table,
            Some("render_services"),
            "restarts go through Render's API: add a `render` surface (https://api.render.com)"
                .into(),
        ));
    }
    let extra_ca_pem = match &env.ca_file {
        None => None,
        Some(f) => Some(ca_file(src, &table, f)?),
    };
    let dns_resolver = match &env.dns_resolver {
        None => None,
        Some(r) => Some(dns_resolver(src, &table, r, env.status)?),
    };
    let retry_backoff = src.duration(
        &table,
        "retry_backoff",
        env.retry_backoff
            .as_ref()
            .or(defaults.raw.retry_backoff.as_ref()),
        Duration::from_millis(250),
    )?;
    let circuit_threshold = env
        .circuit_threshold
        .or(defaults.raw.circuit_threshold)
        .unwrap_or(3);
    let maintenance = windows(env.maintenance)
        .map_err(|(key, m)| src.err(&format!("{table}.maintenance"), Some(key), m))?;
    let mut expected = defaults.expected.clone();
    expected.extend(env.expected);
    Ok(EnvConfig {
        request_timeout: src.duration(
            &table,
            "request_timeout",
            env.request_timeout.as_ref(),
            defaults.request_timeout,
        )?,
        scenario_timeout: src.duration(
            &table,
            "scenario_timeout",
            env.scenario_timeout.as_ref(),
            defaults.scenario_timeout,
        )?,
        max_body_bytes: env.max_body_bytes.unwrap_or(defaults.max_body_bytes),
        name,
        description: env.description.unwrap_or_default(),
        status: env.status,
        mutation: env.mutation,
        restarts: env.restarts,
        surfaces,
        expected,
        secrets,
        extra_ca_pem,
        databases,
        render_services: env.render_services,
        max_requests_per_second: rate,
        circuit_threshold,
        retry_backoff,
        forbidden_hosts: defaults.forbidden_hosts.clone(),
        dns_resolver,
        maintenance,
        propagate_traces: env.propagate_traces.unwrap_or(true),
    })
}

/// `dns_resolver`: an address, the port 53 unless given; on loopback in a
/// `sandbox` environment.
fn dns_resolver(
    src: &Source<'_>,
    table: &str,
    text: &str,
    status: EnvStatus,
) -> Result<std::net::SocketAddr, ConfigError> {
    let bad = |m: String| src.err(table, Some("dns_resolver"), m);
    let addr = text
        .parse::<std::net::SocketAddr>()
        .or_else(|_| {
            text.parse::<std::net::IpAddr>()
                .map(|ip| std::net::SocketAddr::new(ip, 53))
        })
        .map_err(|_| {
            bad(format!(
                "{text:?} is not an address: write an IP, or IP:PORT (\"127.0.0.1:8700\", \"[::1]:53\", \"1.1.1.1\")"
            ))
        })?;
    if status == EnvStatus::Sandbox && !addr.ip().is_loopback() {
        return Err(bad(format!(
            "{addr} is not on loopback: a `sandbox` environment asks only a resolver on this machine"
        )));
    }
    Ok(addr)
}

/// The base URLs, without a trailing slash, and whether all are on loopback.
fn surfaces(
    src: &Source<'_>,
    table: &str,
    env: &RawEnv,
    forbidden: &[String],
) -> Result<(BTreeMap<String, String>, bool), ConfigError> {
    if env.surfaces.is_empty() {
        return Err(src.err(
            table,
            Some("surfaces"),
            "at least one surface is needed".into(),
        ));
    }
    let stable = format!("{table}.surfaces");
    let mut surfaces = BTreeMap::new();
    let mut all_loopback = true;
    for (surface, url) in &env.surfaces {
        let parsed = url::Url::parse(url)
            .map_err(|e| src.err(&stable, Some(surface), format!("{url:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(src.err(
                &stable,
                Some(surface),
                format!("{url:?} must be an http(s) URL with a host"),
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(src.err(
                &stable,
                Some(surface),
                format!("{url:?}: a base URL takes no query or fragment"),
            ));
        }
        if let Some(host) = parsed.host_str()
            && probes::core::env::is_forbidden(host, forbidden)
        {
            return Err(src.err(
                &stable,
                Some(surface),
                format!("{url:?} is on {host}, a forbidden host (forbidden_hosts): it is never contacted"),
            ));
        }
        all_loopback &= is_loopback(&parsed);
        surfaces.insert(surface.clone(), url.trim_end_matches('/').to_owned());
    }
    Ok((surfaces, all_loopback))
}

fn is_env_var_name(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn secrets(
    src: &Source<'_>,
    table: &str,
    name: &str,
    surfaces: &BTreeMap<String, String>,
    all_loopback: bool,
    raw: BTreeMap<String, RawSecret>,
) -> Result<BTreeMap<String, SecretSpec>, ConfigError> {
    let stable = format!("{table}.secrets");
    let mut secrets = BTreeMap::new();
    for (sname, spec) in raw {
        let (env_var, surfaces_allowed, default, optional) = match spec {
            RawSecret::Var(v) => (v, Vec::new(), None, false),
            RawSecret::Full(f) => (f.env, f.surfaces, f.default, f.optional),
        };
        if !is_env_var_name(&env_var) {
            return Err(src.err(
                &stable,
                Some(&sname),
                format!("{env_var:?} is not an environment variable name"),
            ));
        }
        for s in &surfaces_allowed {
            if !surfaces.contains_key(s) {
                return Err(src.err(
                    &stable,
                    Some(&sname),
                    format!("surface {s:?} is not a surface of '{name}'"),
                ));
            }
        }
        if default.is_some() && !all_loopback {
            return Err(src.err(
                &stable,
                Some(&sname),
                format!(
                    "a default value is only allowed where every surface is on loopback; '{name}' is not: set {env_var} in the environment instead"
                ),
            ));
        }
        secrets.insert(
            sname.clone(),
            SecretSpec {
                name: sname,
                env_var,
                surfaces: surfaces_allowed,
                optional,
                default,
            },
        );
    }
    Ok(secrets)
}

fn databases(
    src: &Source<'_>,
    table: &str,
    raw: BTreeMap<String, RawDatabase>,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut databases = BTreeMap::new();
    for (db, spec) in raw {
        let var = match spec {
            RawDatabase::Var(v) => v,
            RawDatabase::Full(f) => f.env,
        };
        if !is_env_var_name(&var) {
            return Err(src.err(
                &format!("{table}.databases"),
                Some(&db),
                format!("{var:?} is not an environment variable name"),
            ));
        }
        databases.insert(db, var);
    }
    Ok(databases)
}

/// The PEM text of `ca_file`, relative to the environments file.
fn ca_file(src: &Source<'_>, table: &str, f: &str) -> Result<String, ConfigError> {
    let p = src.path.parent().unwrap_or(Path::new(".")).join(f);
    let pem = read_ca_file(&p).map_err(|m| src.err(table, Some("ca_file"), m))?;
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(src.err(
            table,
            Some("ca_file"),
            format!("{} holds no PEM certificate", p.display()),
        ));
    }
    Ok(pem)
}

/// Requests a second at most: a live environment always has a limit.
fn rate(
    src: &Source<'_>,
    table: &str,
    name: &str,
    env: &RawEnv,
    defaults: &RawDefaults,
) -> Result<Option<f64>, ConfigError> {
    let rate = env
        .max_requests_per_second
        .or(defaults.max_requests_per_second);
    Ok(match (rate, env.status) {
        (Some(r), _) if !r.is_finite() || r < 0.0 => {
            return Err(src.err(
                table,
                Some("max_requests_per_second"),
                format!("{r} is not a rate: write requests a second, e.g. 20"),
            ));
        }
        (Some(0.0), EnvStatus::Sandbox) | (None, EnvStatus::Sandbox) => None,
        (Some(r), EnvStatus::Live | EnvStatus::Future) if r == 0.0 || r > MAX_LIVE_RATE => {
            return Err(src.err(
                table,
                Some("max_requests_per_second"),
                format!(
                    "'{name}' is {}: its rate must be between 0 and {MAX_LIVE_RATE} requests a second (0, no limit, is for the sandbox only)",
                    env.status.as_str()
                ),
            ));
        }
        (Some(r), _) => Some(r),
        (None, _) => Some(20.0),
    })
}
