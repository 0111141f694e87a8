//! environments.toml: Lucia's environments, their surfaces, what is expected
//! of them, which secrets they use (by environment variable, never stored)
//! and what may be done there. A bad file is an error naming the file, the
//! line, the key and what is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use probes::core::duration::parse as parse_duration;
use probes::{EnvStatus, Environment, Secret};
use serde::Deserialize;

/// A configuration problem, located as precisely as the file allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        f.write_str(": ")?;
        if let Some(k) = &self.key {
            write!(f, "{k}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    expected: BTreeMap<String, String>,
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

/// How a secret is obtained.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretSpec {
    pub name: String,
    pub env_var: String,
    pub surfaces: Vec<String>,
    pub optional: bool,
    default: Option<String>,
}

impl fmt::Debug for SecretSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretSpec")
            .field("name", &self.name)
            .field("env_var", &self.env_var)
            .field("surfaces", &self.surfaces)
            .field("optional", &self.optional)
            .field("default", &self.default.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// One environment as configured (secrets not yet read).
#[derive(Clone, Debug)]
pub struct EnvConfig {
    pub name: String,
    pub description: String,
    pub status: EnvStatus,
    pub mutation: bool,
    pub restarts: bool,
    pub surfaces: BTreeMap<String, String>,
    pub expected: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, SecretSpec>,
    pub request_timeout: Duration,
    pub scenario_timeout: Duration,
    pub max_body_bytes: usize,
    /// Extra CA certificates (PEM text) to trust.
    pub extra_ca_pem: Option<String>,
    /// Database name → the environment variable holding its DSN.
    pub databases: BTreeMap<String, String>,
    pub render_services: BTreeMap<String, String>,
    pub max_requests_per_second: Option<f64>,
    pub circuit_threshold: u32,
    pub retry_backoff: Duration,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub path: PathBuf,
    pub environments: BTreeMap<String, EnvConfig>,
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
        let err = |table: &str, key: Option<&str>, message: String| ConfigError {
            file: path.to_owned(),
            line: locate(text, table, key),
            key: Some(match key {
                Some(k) => format!("{table}.{k}"),
                None => table.to_owned(),
            }),
            message,
        };
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
        let dur = |table: &str,
                   key: &str,
                   v: &Option<String>,
                   default: Duration|
         -> Result<Duration, ConfigError> {
            match v {
                None => Ok(default),
                Some(s) => parse_duration(s).filter(|d| !d.is_zero()).ok_or_else(|| {
                    err(
                        table,
                        Some(key),
                        format!("{s:?} is not a duration: write it as 10s, 500ms or 2m"),
                    )
                }),
            }
        };
        let d_req = dur(
            "defaults",
            "request_timeout",
            &raw.defaults.request_timeout,
            Duration::from_secs(10),
        )?;
        let d_scn = dur(
            "defaults",
            "scenario_timeout",
            &raw.defaults.scenario_timeout,
            Duration::from_secs(60),
        )?;
        let d_body = raw.defaults.max_body_bytes.unwrap_or(10 * 1024 * 1024);
        if raw.environments.is_empty() {
            return Err(err(
                "environments",
                None,
                "no environment is defined".into(),
            ));
        }

        let mut environments = BTreeMap::new();
        for (name, env) in raw.environments {
            let table = format!("environments.{name}");
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(err(
                    &table,
                    None,
                    "environment names use letters, digits, `-` and `_` (they are tags: @name)"
                        .into(),
                ));
            }
            if env.status == EnvStatus::Future && env.mutation {
                return Err(err(
                    &table,
                    Some("mutation"),
                    format!(
                        "'{name}' is `future`: nothing mutating may ever run there; remove `mutation = true`"
                    ),
                ));
            }
            if env.surfaces.is_empty() {
                return Err(err(
                    &table,
                    Some("surfaces"),
                    "at least one surface is needed".into(),
                ));
            }
            let mut surfaces = BTreeMap::new();
            let mut all_loopback = true;
            for (surface, url) in &env.surfaces {
                let parsed = url::Url::parse(url).map_err(|e| {
                    err(
                        &format!("{table}.surfaces"),
                        Some(surface),
                        format!("{url:?} is not a URL: {e}"),
                    )
                })?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    return Err(err(
                        &format!("{table}.surfaces"),
                        Some(surface),
                        format!("{url:?} must be an http(s) URL with a host"),
                    ));
                }
                if parsed.query().is_some() || parsed.fragment().is_some() {
                    return Err(err(
                        &format!("{table}.surfaces"),
                        Some(surface),
                        format!("{url:?}: a base URL takes no query or fragment"),
                    ));
                }
                all_loopback &= is_loopback(&parsed);
                surfaces.insert(surface.clone(), url.trim_end_matches('/').to_owned());
            }
            if env.status == EnvStatus::Sandbox && !all_loopback {
                return Err(err(
                    &table,
                    Some("status"),
                    "a `sandbox` environment must be on loopback (127.0.0.1 or localhost)".into(),
                ));
            }
            let mut secrets = BTreeMap::new();
            for (sname, spec) in env.secrets {
                let stable = format!("{table}.secrets");
                let (env_var, surfaces_allowed, default, optional) = match spec {
                    RawSecret::Var(v) => (v, Vec::new(), None, false),
                    RawSecret::Full(f) => (f.env, f.surfaces, f.default, f.optional),
                };
                if env_var.is_empty()
                    || !env_var
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(err(
                        &stable,
                        Some(&sname),
                        format!("{env_var:?} is not an environment variable name"),
                    ));
                }
                for s in &surfaces_allowed {
                    if !surfaces.contains_key(s) {
                        return Err(err(
                            &stable,
                            Some(&sname),
                            format!("surface {s:?} is not a surface of '{name}'"),
                        ));
                    }
                }
                if default.is_some() && !all_loopback {
                    return Err(err(
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
            let mut databases = BTreeMap::new();
            for (db, spec) in env.databases {
                let var = match spec {
                    RawDatabase::Var(v) => v,
                    RawDatabase::Full(f) => f.env,
                };
                if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(err(
                        &format!("{table}.databases"),
                        Some(&db),
                        format!("{var:?} is not an environment variable name"),
                    ));
                }
                databases.insert(db, var);
            }
            for surface in env.render_services.keys() {
                if !surfaces.contains_key(surface) {
                    return Err(err(
                        &format!("{table}.render_services"),
                        Some(surface),
                        format!("{surface:?} is not a surface of '{name}'"),
                    ));
                }
            }
            if !env.render_services.is_empty() && !surfaces.contains_key("render") {
                return Err(err(&table, Some("render_services"), "restarts go through Render's API: add a `render` surface (https://api.render.com)".into()));
            }
            let extra_ca_pem = match &env.ca_file {
                None => None,
                Some(f) => {
                    let p = path.parent().unwrap_or(Path::new(".")).join(f);
                    let pem = read_ca_file(&p).map_err(|m| err(&table, Some("ca_file"), m))?;
                    if !pem.contains("-----BEGIN CERTIFICATE-----") {
                        return Err(err(
                            &table,
                            Some("ca_file"),
                            format!("{} holds no PEM certificate", p.display()),
                        ));
                    }
                    Some(pem)
                }
            };
            // A live environment always has a limit: the harness must never
            // load-test one by accident. Only the sandbox may go unlimited.
            const MAX_LIVE_RATE: f64 = 100.0;
            let rate = env
                .max_requests_per_second
                .or(raw.defaults.max_requests_per_second);
            let rate = match (rate, env.status) {
                (Some(r), _) if !r.is_finite() || r < 0.0 => {
                    return Err(err(
                        &table,
                        Some("max_requests_per_second"),
                        format!("{r} is not a rate: write requests a second, e.g. 20"),
                    ));
                }
                (Some(0.0), EnvStatus::Sandbox) => None,
                (None, EnvStatus::Sandbox) => None,
                (Some(r), EnvStatus::Live | EnvStatus::Future) if r == 0.0 || r > MAX_LIVE_RATE => {
                    return Err(err(
                        &table,
                        Some("max_requests_per_second"),
                        format!(
                            "'{name}' is {}: its rate must be between 0 and {MAX_LIVE_RATE} requests a second (0, no limit, is for the sandbox only)",
                            env.status.as_str()
                        ),
                    ));
                }
                (Some(r), _) => Some(r),
                (None, _) => Some(20.0),
            };
            let retry_backoff = dur(
                &table,
                "retry_backoff",
                &env.retry_backoff.or(raw.defaults.retry_backoff.clone()),
                Duration::from_millis(250),
            )?;
            let circuit_threshold = env
                .circuit_threshold
                .or(raw.defaults.circuit_threshold)
                .unwrap_or(3);
            let mut expected = raw.expected.clone();
            expected.extend(env.expected);
            environments.insert(
                name.clone(),
                EnvConfig {
                    request_timeout: dur(&table, "request_timeout", &env.request_timeout, d_req)?,
                    scenario_timeout: dur(
                        &table,
                        "scenario_timeout",
                        &env.scenario_timeout,
                        d_scn,
                    )?,
                    max_body_bytes: env.max_body_bytes.unwrap_or(d_body),
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
                },
            );
        }
        Ok(Self {
            path: path.to_owned(),
            environments,
        })
    }

    pub fn environment(&self, name: &str) -> Result<&EnvConfig, ConfigError> {
        self.environments.get(name).ok_or_else(|| ConfigError {
            file: self.path.clone(),
            line: None,
            key: None,
            message: format!(
                "unknown environment '{name}'; it defines: {}",
                self.environments
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }

    /// Every surface name any environment has.
    pub fn all_surfaces(&self) -> BTreeSet<&str> {
        self.environments
            .values()
            .flat_map(|e| e.surfaces.keys().map(String::as_str))
            .collect()
    }
}

impl EnvConfig {
    /// Reads the secrets from the process environment (through `lookup`) and
    /// builds the probes' view of the environment. Every secret in `needed`
    /// must be available; the others are read when present, so redaction
    /// knows them too.
    pub fn resolve(
        &self,
        config_path: &Path,
        needed: &BTreeMap<String, String>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Environment, ConfigError> {
        let mut env = Environment::new(&self.name, self.status);
        env.surfaces = self.surfaces.clone();
        env.expected = self.expected.clone();
        env.allow_mutation = self.mutation;
        env.allow_restart = self.restarts;
        env.request_timeout = self.request_timeout;
        env.scenario_timeout = self.scenario_timeout;
        env.max_body_bytes = self.max_body_bytes;
        env.extra_ca_pem = self.extra_ca_pem.clone();
        env.max_requests_per_second = self.max_requests_per_second;
        env.circuit_threshold = self.circuit_threshold;
        env.retry_backoff = self.retry_backoff;
        env.render_services = self.render_services.clone();
        for (name, var) in &self.databases {
            env.databases.insert(
                name.clone(),
                probes::core::env::Database {
                    env_var: var.clone(),
                    dsn: lookup(var).filter(|v| !v.is_empty()),
                },
            );
        }
        for (name, used_at) in needed {
            if !self.secrets.contains_key(name) {
                return Err(ConfigError {
                    file: config_path.to_owned(),
                    line: None,
                    key: Some(format!("environments.{}.secrets", self.name)),
                    message: format!(
                        "{used_at} uses ${{{name}}}, which environment '{}' does not declare: add `{name} = \"ENV_VAR\"`",
                        self.name
                    ),
                });
            }
        }
        for spec in self.secrets.values() {
            let value = lookup(&spec.env_var)
                .filter(|v| !v.is_empty())
                .or_else(|| spec.default.clone());
            match value {
                Some(value) => {
                    env.secrets.insert(
                        spec.name.clone(),
                        Secret {
                            name: spec.name.clone(),
                            env_var: spec.env_var.clone(),
                            value,
                            surfaces: spec.surfaces.clone(),
                        },
                    );
                }
                None => {
                    if let Some(used_at) = needed.get(&spec.name).filter(|_| !spec.optional) {
                        return Err(ConfigError {
                            file: config_path.to_owned(),
                            line: None,
                            key: Some(format!("environments.{}.secrets.{}", self.name, spec.name)),
                            message: format!(
                                "the environment variable {} is not set; {used_at} needs it as ${{{}}} (export {}=… and run again)",
                                spec.env_var, spec.name, spec.env_var
                            ),
                        });
                    }
                }
            }
        }
        Ok(env)
    }

    /// The same environment with every surface moved to another host and
    /// port, keeping each surface's scheme and path prefix: how `demo` and
    /// tests point `local` at a sandbox on a free port.
    pub fn with_origin(&self, origin: &str) -> Result<Self, String> {
        let with_scheme = if origin.contains("://") {
            origin.to_owned()
        } else {
            format!("http://{origin}")
        };
        let origin =
            url::Url::parse(&with_scheme).map_err(|e| format!("{origin:?} is not a URL: {e}"))?;
        let mut out = self.clone();
        for url in out.surfaces.values_mut() {
            let mut u = url::Url::parse(url).map_err(|e| e.to_string())?;
            u.set_host(origin.host_str()).map_err(|e| e.to_string())?;
            u.set_port(origin.port())
                .map_err(|()| "bad port".to_owned())?;
            *url = u.as_str().trim_end_matches('/').to_owned();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[defaults]
request_timeout = "5s"

[expected]
engine_version = "engine-v0.1.3.6"

[environments.dev]
status = "live"
mutation = true
[environments.dev.surfaces]
engine = "https://api-dev.hellolucia.ai/"
[environments.dev.secrets]
TOKEN = { env = "LUCIA_DEV_TOKEN", surfaces = ["engine"] }

[environments.local]
status = "sandbox"
[environments.local.surfaces]
engine = "http://127.0.0.1:8700/engine"
[environments.local.secrets]
TOKEN = { env = "LUCIA_TOKEN", default = "sandbox" }
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("environments.toml"))
    }

    #[test]
    fn parses_a_good_file() {
        let c = parse(GOOD).expect("good");
        let dev = c.environment("dev").expect("dev");
        assert_eq!(dev.surfaces["engine"], "https://api-dev.hellolucia.ai");
        assert_eq!(dev.request_timeout, Duration::from_secs(5));
        assert_eq!(dev.expected["engine_version"], "engine-v0.1.3.6");
        let err = c.environment("prod").expect_err("unknown");
        assert!(
            err.message.contains("unknown environment 'prod'")
                && err.message.contains("dev, local")
        );
    }

    #[test]
    fn errors_name_line_and_key() {
        let bad = GOOD.replace("mutation = true", "mutaton = true");
        let e = parse(&bad).expect_err("unknown field");
        assert_eq!(e.line, Some(10));
        assert!(e.message.contains("unknown field `mutaton`"), "{e}");

        let e = parse("[environments.x\nstatus = 1").expect_err("malformed");
        assert_eq!(e.line, Some(1));

        let bad = GOOD.replace(
            "status = \"live\"\nmutation = true",
            "status = \"future\"\nmutation = true",
        );
        let e = parse(&bad).expect_err("future mutation");
        assert_eq!(e.key.as_deref(), Some("environments.dev.mutation"));
        assert_eq!(e.line, Some(10));
        assert_eq!(
            e.to_string().split(": ").next(),
            Some("environments.toml:10")
        );

        let bad = GOOD.replace("request_timeout = \"5s\"", "request_timeout = \"soon\"");
        let e = parse(&bad).expect_err("duration");
        assert_eq!(
            (e.key.as_deref(), e.line),
            (Some("defaults.request_timeout"), Some(3))
        );

        let bad = GOOD.replace("https://api-dev.hellolucia.ai/", "ftp://x");
        assert!(
            parse(&bad)
                .expect_err("scheme")
                .to_string()
                .contains("http(s)")
        );

        let bad = GOOD.replace(
            "env = \"LUCIA_DEV_TOKEN\", surfaces = [\"engine\"]",
            "env = \"LUCIA_DEV_TOKEN\", default = \"x\"",
        );
        assert!(
            parse(&bad)
                .expect_err("default on live")
                .message
                .contains("only allowed where every surface is on loopback")
        );

        let bad = GOOD.replace("127.0.0.1:8700", "example.com");
        assert!(
            parse(&bad)
                .expect_err("sandbox off loopback")
                .message
                .contains("loopback")
        );
    }

    #[test]
    fn resolves_secrets_from_the_environment() {
        let c = parse(GOOD).expect("good");
        let dev = c.environment("dev").expect("dev");
        let needed = BTreeMap::from([("TOKEN".to_owned(), "features/a.feature:3".to_owned())]);
        let e = dev
            .resolve(&c.path, &needed, &|_| None)
            .expect_err("missing");
        assert!(
            e.message.contains("LUCIA_DEV_TOKEN is not set")
                && e.message.contains("features/a.feature:3"),
            "{e}"
        );
        let env = dev
            .resolve(&c.path, &needed, &|v| {
                (v == "LUCIA_DEV_TOKEN").then(|| "t0k".to_owned())
            })
            .expect("set");
        assert_eq!(env.secrets["TOKEN"].value, "t0k");
        assert!(!format!("{env:?}").contains("t0k"));
        let local = c.environment("local").expect("local");
        assert_eq!(
            local
                .resolve(&c.path, &needed, &|_| None)
                .expect("default")
                .secrets["TOKEN"]
                .value,
            "sandbox"
        );
        let undeclared = BTreeMap::from([("OTHER".to_owned(), "features/b.feature:9".to_owned())]);
        assert!(
            dev.resolve(&c.path, &undeclared, &|_| None)
                .expect_err("undeclared")
                .message
                .contains("does not declare")
        );
    }

    #[test]
    fn moves_an_environment_to_another_origin() {
        let c = parse(GOOD).expect("good");
        let local = c
            .environment("local")
            .expect("local")
            .with_origin("http://127.0.0.1:40001")
            .expect("origin");
        assert_eq!(local.surfaces["engine"], "http://127.0.0.1:40001/engine");
        let tls = GOOD.replace(
            "http://127.0.0.1:8700/engine",
            "https://127.0.0.1:8700/engine",
        );
        let c = parse(&tls).expect("good");
        let local = c
            .environment("local")
            .expect("local")
            .with_origin("127.0.0.1:40002")
            .expect("origin");
        assert_eq!(
            local.surfaces["engine"], "https://127.0.0.1:40002/engine",
            "the scheme is kept"
        );
    }

    /// Found writing the fuzz target `config`: a `ca_file` naming a device
    /// or a FIFO was read to its end, which never comes.
    #[test]
    fn ca_file_must_be_a_small_regular_file() {
        let with_ca = |f: &str| {
            GOOD.replace(
                "[environments.local.surfaces]",
                &format!("ca_file = {f:?}\n[environments.local.surfaces]"),
            )
        };
        let e = parse(&with_ca("/dev/zero")).expect_err("a device");
        assert_eq!(e.key.as_deref(), Some("environments.local.ca_file"));
        assert!(e.message.contains("is not a regular file"), "{e}");
        let dir = tempfile::tempdir().expect("tempdir");
        let big = dir.path().join("big.pem");
        let mut text = String::from("-----BEGIN CERTIFICATE-----\n");
        text.push_str(&"A".repeat(2 * 1024 * 1024));
        std::fs::write(&big, text).expect("write");
        let e = parse(&with_ca(&big.display().to_string())).expect_err("too big");
        assert!(e.message.contains("at most 1048576"), "{e}");
        let cert = concat!(env!("CARGO_MANIFEST_DIR"), "/sandbox/certs/sandbox-ca.pem");
        let c = parse(&with_ca(cert)).expect("a real CA file");
        assert!(c.environments["local"].extra_ca_pem.is_some());
    }

    /// Found by fuzzing (fuzz target `config`): a duration past
    /// `Duration::MAX` panicked instead of being refused.
    #[test]
    fn durations_too_long_are_errors_not_panics() {
        for huge in ["1e300s", "1e308h", "18446744073709551616s", "1e20m"] {
            assert_eq!(parse_duration(huge), None, "{huge}");
        }
        let bad = GOOD.replace("request_timeout = \"5s\"", "request_timeout = \"1e300s\"");
        let e = parse(&bad).expect_err("too long");
        assert_eq!(e.key.as_deref(), Some("defaults.request_timeout"));
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("is not a duration"), "{e}");
    }
}
