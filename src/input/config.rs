//! environments.toml: Lucia's environments, their surfaces, what is expected
//! of them, which secrets they use (by environment variable, never stored)
//! and what may be done there. A bad file is an error naming the file, the
//! line, the key and what is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use probes::{EnvStatus, Environment, Secret};

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

/// How a secret is obtained.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretSpec {
    pub name: String,
    pub env_var: String,
    pub surfaces: Vec<String>,
    pub optional: bool,
    pub(super) default: Option<String>,
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
    /// Hosts never contacted (`forbidden_hosts`): Eval Labs' Supabase first.
    pub forbidden_hosts: Vec<String>,
    /// The DNS server the DNS steps ask (`dns_resolver`); the system's when `None`.
    pub dns_resolver: Option<std::net::SocketAddr>,
    /// Recurring maintenance windows (`[environments.NAME.maintenance]`).
    pub maintenance: Vec<super::maintenance::MaintenanceWindow>,
    /// Every request carries the scenario's trace (`propagate_traces`).
    pub propagate_traces: bool,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub path: PathBuf,
    pub environments: BTreeMap<String, EnvConfig>,
    /// Where probes may run from (`locations`), for `--location`.
    pub locations: Vec<String>,
}

impl Config {
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

    /// The version expected in `env` (`expected.release`), if it sets one.
    pub fn release(&self, env: &str) -> Option<&str> {
        self.environments
            .get(env)
            .and_then(|e| e.expected.get("release"))
            .map(String::as_str)
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
        env.forbidden_hosts = self.forbidden_hosts.clone();
        env.dns_resolver = self.dns_resolver;
        env.propagate_traces = self.propagate_traces;
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
    /// tests point `local` at a sandbox on a free port. An origin on an IP
    /// (or `localhost`) moves the DNS resolver there too, to the same port
    /// (the sandbox answers DNS on UDP beside its HTTP): a moved run asks
    /// nothing of the system's resolver.
    pub fn with_origin(&self, origin: &str) -> Result<Self, String> {
        let with_scheme = if origin.contains("://") {
            origin.to_owned()
        } else {
            format!("http://{origin}")
        };
        let origin =
            url::Url::parse(&with_scheme).map_err(|e| format!("{origin:?} is not a URL: {e}"))?;
        if let Some(host) = origin.host_str()
            && probes::core::env::is_forbidden(host, &self.forbidden_hosts)
        {
            return Err(format!(
                "{host} is a forbidden host (environments.toml forbidden_hosts): it is never contacted"
            ));
        }
        let mut out = self.clone();
        for url in out.surfaces.values_mut() {
            let mut u = url::Url::parse(url).map_err(|e| e.to_string())?;
            u.set_host(origin.host_str()).map_err(|e| e.to_string())?;
            u.set_port(origin.port())
                .map_err(|()| "bad port".to_owned())?;
            *url = u.as_str().trim_end_matches('/').to_owned();
        }
        let ip = match origin.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            Some(url::Host::Domain("localhost")) => Some(std::net::Ipv4Addr::LOCALHOST.into()),
            _ => None,
        };
        if let (Some(ip), Some(port)) = (ip, origin.port_or_known_default()) {
            out.dns_resolver = Some(std::net::SocketAddr::new(ip, port));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use probes::core::duration::parse as parse_duration;

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
    fn maintenance_windows_are_read_and_each_field_checked() {
        let with = |table: &str| format!("{GOOD}\n[environments.dev.maintenance]\n{table}\n");
        let c = parse(&with(
            "days = [\"tue\", \"thu\"]\nstart = \"02:00\"\nduration = \"1h\"\ntime_zone = \"Europe/Berlin\"\nreason = \"weekly deploy\"",
        ))
        .expect("good");
        let w = &c.environment("dev").expect("dev").maintenance;
        assert_eq!(w.len(), 1);
        assert_eq!(
            w[0].to_string(),
            "weekly deploy (tue, thu 02:00 Europe/Berlin for 1h)"
        );
        let every_day = parse(&with("start = \"23:30\"\nduration = \"45m\"")).expect("good");
        let w = &every_day.environment("dev").expect("dev").maintenance[0];
        assert_eq!((w.days.len(), w.time_zone), (7, chrono_tz::UTC));
        for (table, key, says) in [
            (
                "start = \"02:00\"\nduration = \"1h\"\ntime_zone = \"Mars/Olympus\"",
                "time_zone",
                "not a time zone",
            ),
            (
                "start = \"2am\"\nduration = \"1h\"",
                "start",
                "not a time of day",
            ),
            (
                "days = [\"someday\"]\nstart = \"02:00\"\nduration = \"1h\"",
                "days",
                "not a day",
            ),
            (
                "start = \"02:00\"\nduration = \"169h\"",
                "duration",
                "at most 7 days",
            ),
        ] {
            let text = with(table);
            let e = parse(&text).expect_err(table);
            assert_eq!(
                e.key.as_deref(),
                Some(format!("environments.dev.maintenance.{key}").as_str()),
                "{e}"
            );
            assert!(e.message.contains(says), "{e}");
            let line = text.lines().position(|l| l.starts_with(key)).map(|i| i + 1);
            assert_eq!(e.line, line, "{e}");
        }
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
        assert_eq!(
            local.dns_resolver,
            Some("127.0.0.1:40002".parse().expect("addr")),
            "the DNS moves with the surfaces"
        );
    }

    #[test]
    fn dns_resolver_is_an_address_and_on_loopback_in_a_sandbox() {
        let with = |r: &str| {
            GOOD.replace(
                "[environments.local.surfaces]",
                &format!("dns_resolver = {r:?}\n[environments.local.surfaces]"),
            )
        };
        let c = parse(&with("127.0.0.1:8700")).expect("good");
        assert_eq!(
            c.environments["local"].dns_resolver,
            Some("127.0.0.1:8700".parse().expect("addr"))
        );
        let c = parse(&with("::1")).expect("good");
        assert_eq!(
            c.environments["local"].dns_resolver,
            Some("[::1]:53".parse().expect("addr"))
        );
        let e = parse(&with("resolver.example")).expect_err("not an address");
        assert_eq!(e.key.as_deref(), Some("environments.local.dns_resolver"));
        assert!(e.message.contains("IP:PORT"), "{e}");
        let e = parse(&with("1.1.1.1")).expect_err("not loopback");
        assert!(e.message.contains("loopback"), "{e}");
        assert!(e.line.is_some(), "{e}");
    }

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

    /// The Canon's "Eval Labs Supabase → separate and untouched", as the
    /// repository's environments.toml keeps it: every Supabase project but
    /// Lucia Core's dev project is forbidden, in every environment.
    #[test]
    fn the_real_file_forbids_every_supabase_project_but_lucia_cores() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/environments.toml"));
        let c = Config::load(path).expect("environments.toml loads");
        for env in c.environments.values() {
            let forbidden = &env.forbidden_hosts;
            assert!(
                probes::core::env::is_forbidden("evallabsprojectref.supabase.co", forbidden),
                "{}: an Eval Labs project ref would be reachable",
                env.name
            );
            assert!(
                !probes::core::env::is_forbidden("jgnxomyzqotnqsmlxlsz.supabase.co", forbidden),
                "{}: Lucia Core's dev project must stay reachable",
                env.name
            );
        }
        assert_eq!(
            c.environments["dev"].surfaces["supabase"],
            "https://jgnxomyzqotnqsmlxlsz.supabase.co"
        );
    }
}
