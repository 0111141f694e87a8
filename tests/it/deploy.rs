//! The deployment artifacts, checked against their ecosystem's documented
//! shapes: the Render Blueprint's fields (https://render.com/docs/blueprint-spec).
//! (The Dockerfile is linted by hadolint in `.ci/run`.)

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::repo;

/// Fields the Blueprint spec documents, by where they may appear.
const ROOT: &[&str] = &[
    "services",
    "databases",
    "envVarGroups",
    "previews",
    "projects",
    "ungrouped",
];
const SERVICE: &[&str] = &[
    "type",
    "name",
    "runtime",
    "repo",
    "branch",
    "rootDir",
    "plan",
    "region",
    "numInstances",
    "scaling",
    "buildCommand",
    "startCommand",
    "preDeployCommand",
    "dockerfilePath",
    "dockerContext",
    "dockerCommand",
    "image",
    "healthCheckPath",
    "envVars",
    "autoDeploy",
    "autoDeployTrigger",
    "buildFilter",
    "disk",
    "domains",
    "previews",
    "maxShutdownDelaySeconds",
    "registryCredential",
    "initialDeployHook",
];
const SERVICE_TYPES: &[&str] = &["web", "pserv", "worker", "cron", "keyvalue", "redis"];
const RUNTIMES: &[&str] = &[
    "docker", "image", "node", "python", "ruby", "go", "rust", "elixir", "static",
];
const DATABASE: &[&str] = &[
    "name",
    "databaseName",
    "user",
    "plan",
    "region",
    "postgresMajorVersion",
    "ipAllowList",
    "diskSizeGB",
    "readReplicas",
    "highAvailability",
];
const DATABASE_PROPERTIES: &[&str] = &[
    "connectionString",
    "host",
    "port",
    "user",
    "password",
    "database",
];

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Whether an environment variable holds a secret: a token, key, DSN or password.
fn secret(key: &str) -> bool {
    ["TOKEN", "KEY", "DSN", "SID", "SECRET", "PASSWORD"]
        .iter()
        .any(|w| key.contains(w))
}

#[test]
fn the_render_blueprint_uses_only_documented_fields_and_no_secret_value() {
    let text = std::fs::read_to_string(repo().join("render.yaml")).expect("render.yaml");
    let bp: Value = serde_yaml_ng::from_str(&text).expect("render.yaml is YAML");
    for k in keys(&bp) {
        assert!(
            ROOT.contains(&k),
            "render.yaml: {k:?} is not a Blueprint field"
        );
    }
    let databases: Vec<&Value> = bp["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .collect();
    let db_names: BTreeSet<&str> = databases
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    for d in &databases {
        for k in keys(d) {
            assert!(
                DATABASE.contains(&k),
                "databases: {k:?} is not a Blueprint field"
            );
        }
    }
    let services = bp["services"].as_array().expect("services");
    let web = services
        .iter()
        .find(|s| s["type"] == "web")
        .expect("a web service");
    assert_eq!(web["healthCheckPath"], "/healthz");
    assert!(
        web["dockerCommand"]
            .as_str()
            .is_some_and(|c| c.contains("serve")),
        "the web service runs serve"
    );
    for s in services {
        for k in keys(s) {
            assert!(
                SERVICE.contains(&k),
                "services: {k:?} is not a Blueprint field"
            );
        }
        assert!(
            SERVICE_TYPES.contains(&s["type"].as_str().unwrap_or("")),
            "{s}"
        );
        assert!(
            RUNTIMES.contains(&s["runtime"].as_str().unwrap_or("")),
            "{s}"
        );
        for e in s["envVars"].as_array().expect("envVars") {
            let key = e["key"].as_str().expect("key");
            let sources: Vec<&str> = [
                "value",
                "fromDatabase",
                "fromService",
                "fromGroup",
                "generateValue",
                "sync",
            ]
            .into_iter()
            .filter(|f| e.get(f).is_some())
            .collect();
            assert_eq!(
                sources.len(),
                1,
                "{key}: exactly one of value, fromDatabase, … ({sources:?})"
            );
            if let Some(db) = e.get("fromDatabase") {
                assert!(
                    db_names.contains(db["name"].as_str().unwrap_or("")),
                    "{key}: no database {db}"
                );
                assert!(
                    DATABASE_PROPERTIES.contains(&db["property"].as_str().unwrap_or("")),
                    "{key}: {db}"
                );
            }
            if secret(key) && key != "LUCIA_HARNESS_STATE_URL" {
                assert_eq!(
                    e["sync"], false,
                    "{key} is a secret: `sync: false`, never a value"
                );
            }
        }
    }
    // The history is the Render database; reading needs the read token.
    let env: BTreeSet<&str> = web["envVars"]
        .as_array()
        .expect("envVars")
        .iter()
        .filter_map(|e| e["key"].as_str())
        .collect();
    for k in ["LUCIA_HARNESS_STATE_URL", "LUCIA_HARNESS_READ_TOKEN"] {
        assert!(env.contains(k), "the web service sets {k}");
    }
    let state = web["envVars"]
        .as_array()
        .expect("envVars")
        .iter()
        .find(|e| e["key"] == "LUCIA_HARNESS_STATE_URL")
        .expect("state");
    assert_eq!(state["fromDatabase"]["property"], "connectionString");
}
