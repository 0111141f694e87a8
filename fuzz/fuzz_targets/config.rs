//! The environments.toml loader: `Config::parse` on any text, and on
//! well-formed TOML built from the file's own keys with odd values.
//!
//! Asserts: no panic, only `Ok` or an error (whose message renders); a parsed
//! configuration keeps its promises (every environment has a surface,
//! timeouts are not zero, a live environment is rate limited) and can be
//! resolved and moved to another origin without panicking.

#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use lucia_harness::input::config::Config;
use lucia_harness_fuzz::{Input, string};
use probes::EnvStatus;
use toml::{Table, Value};

/// The repository's own file, so that `ca_file` resolves as it does there
/// (it may name any file: the loader refuses devices and big files).
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../environments.toml");

const DURATIONS: &[&str] = &[
    "10s",
    "500ms",
    "2m",
    "1.5s",
    "1h",
    "3min",
    "0s",
    "-1s",
    "1e300s",
    "1e308h",
    "inf",
    "NaN",
    "18446744073709551616s",
    "1e-300ms",
    "5 s",
    "s",
    "",
];
const URLS: &[&str] = &[
    "https://api-dev.hellolucia.ai/",
    "http://127.0.0.1:8700/engine",
    "http://localhost:1/",
    "http://[::1]:8700",
    "https://api.render.com",
    "ftp://example.com",
    "http://h/?q=1",
    "http://h/#f",
    "not a url",
    "http://",
];
const NAMES: &[&str] = &["dev", "staging", "local", "guest-lab", "bad name", "", "é"];
const SURFACES: &[&str] = &["engine", "admin", "render", "marketing", ""];
const STATUSES: &[&str] = &["live", "sandbox", "future", "retired"];
const VARS: &[&str] = &["LUCIA_TOKEN", "LUCIA_DEV_TOKEN", "", "BAD-VAR", "X_1"];

fuzz_target!(|data: &[u8]| {
    let text = match Input::new(data) {
        Input::Text(parts) => parts.join("\0"),
        Input::Structured(mut u) => match document(&mut u) {
            Ok(t) => t,
            Err(_) => return,
        },
    };
    check(&text);
});

fn check(text: &str) {
    let config = match Config::parse(text, Path::new(PATH)) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.message.is_empty(), "an error with no message");
            let _ = e.to_string();
            return;
        }
    };
    assert!(!config.environments.is_empty());
    for env in config.environments.values() {
        assert!(!env.surfaces.is_empty(), "{}: no surface", env.name);
        assert!(!env.request_timeout.is_zero() && !env.scenario_timeout.is_zero());
        if env.status != EnvStatus::Sandbox {
            assert!(
                env.max_requests_per_second.is_some_and(|r| r > 0.0),
                "{}: a live environment without a rate limit",
                env.name
            );
        }
        let needed: BTreeMap<String, String> = env
            .secrets
            .keys()
            .map(|k| (k.clone(), "fuzz:1".to_owned()))
            .collect();
        let _ = env.resolve(Path::new(PATH), &needed, &|var| {
            (var.len() % 2 == 0).then(|| format!("value-of-{var}"))
        });
        let _ = env.with_origin("127.0.0.1:9");
    }
    let _ = config.environment("dev").map_err(|e| e.to_string());
    let _ = config.all_surfaces();
}

fn value(u: &mut Unstructured, pool: &[&str]) -> Result<Value> {
    Ok(match u.int_in_range(0u8..=9)? {
        0 => Value::Integer(i64::arbitrary(u)?),
        1 => Value::Float(f64::arbitrary(u)?),
        2 => Value::Boolean(bool::arbitrary(u)?),
        3 => Value::Array(vec![Value::String(string(u, pool)?)]),
        _ => Value::String(string(u, pool)?),
    })
}

/// A table of `key = value` with keys from `keys` and values from `values`.
fn table(u: &mut Unstructured, keys: &[&str], values: &[&str]) -> Result<Table> {
    let mut t = Table::new();
    for _ in 0..u.int_in_range(0usize..=3)? {
        t.insert(string(u, keys)?, value(u, values)?);
    }
    Ok(t)
}

fn maybe(t: &mut Table, u: &mut Unstructured, key: &str, v: Value) -> Result<()> {
    if u.arbitrary()? {
        t.insert(key.to_owned(), v);
    }
    Ok(())
}

/// The keys `[defaults]` and an environment share, some of them.
fn timeouts_and_limits(t: &mut Table, u: &mut Unstructured) -> Result<()> {
    for key in ["request_timeout", "scenario_timeout", "retry_backoff"] {
        let v = value(u, DURATIONS)?;
        maybe(t, u, key, v)?;
    }
    for key in [
        "max_body_bytes",
        "max_requests_per_second",
        "circuit_threshold",
    ] {
        let v = if u.arbitrary()? {
            Value::Float(*u.choose(&[0.0, 20.0, 100.0, 100.5, -1.0, f64::NAN, f64::INFINITY])?)
        } else {
            value(u, &["0", "20"])?
        };
        maybe(t, u, key, v)?;
    }
    Ok(())
}

fn document(u: &mut Unstructured) -> Result<String> {
    let mut root = Table::new();
    let mut defaults = Table::new();
    timeouts_and_limits(&mut defaults, u)?;
    maybe(&mut root, u, "defaults", Value::Table(defaults))?;
    let expected = table(u, &["engine_version"], &["engine-v0.1.3.6"])?;
    maybe(&mut root, u, "expected", Value::Table(expected))?;

    let mut envs = Table::new();
    for _ in 0..u.int_in_range(0usize..=3)? {
        let mut env = Table::new();
        env.insert("status".into(), value(u, STATUSES)?);
        for key in ["mutation", "restarts"] {
            let b = Value::Boolean(u.arbitrary()?);
            maybe(&mut env, u, key, b)?;
        }
        let mut surfaces = Table::new();
        for _ in 0..u.int_in_range(0usize..=3)? {
            surfaces.insert(string(u, SURFACES)?, value(u, URLS)?);
        }
        env.insert("surfaces".into(), Value::Table(surfaces));
        let mut secrets = Table::new();
        for _ in 0..u.int_in_range(0usize..=2)? {
            let spec = if u.arbitrary()? {
                value(u, VARS)?
            } else {
                let mut full = Table::new();
                full.insert("env".into(), value(u, VARS)?);
                let s = value(u, SURFACES)?;
                maybe(&mut full, u, "surfaces", s)?;
                let d = value(u, &["sandbox-token"])?;
                maybe(&mut full, u, "default", d)?;
                let b = Value::Boolean(u.arbitrary()?);
                maybe(&mut full, u, "optional", b)?;
                Value::Table(full)
            };
            secrets.insert(string(u, &["TOKEN", "KEY"])?, spec);
        }
        maybe(&mut env, u, "secrets", Value::Table(secrets))?;
        let dbs = table(u, &["lucia-core"], VARS)?;
        maybe(&mut env, u, "databases", Value::Table(dbs))?;
        let render = table(u, SURFACES, &["srv-123"])?;
        maybe(&mut env, u, "render_services", Value::Table(render))?;
        timeouts_and_limits(&mut env, u)?;
        let e = value(u, &["engine-v0.1.3.6"])?;
        maybe(&mut env, u, "description", e)?;
        let ca = value(
            u,
            &[
                "sandbox/certs/sandbox-ca.pem",
                "README.md",
                "/dev/zero",
                "sandbox",
                "",
            ],
        )?;
        maybe(&mut env, u, "ca_file", ca)?;
        envs.insert(string(u, NAMES)?, Value::Table(env));
    }
    root.insert("environments".into(), Value::Table(envs));
    toml::to_string(&root).map_err(|_| arbitrary::Error::IncorrectFormat)
}
