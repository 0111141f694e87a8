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

fn yaml(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The kustomization assembled as kustomize would (its resources, the
/// namespace and labels applied), then held to what the deployment needs:
/// every resource there, names unique, every selector choosing the serve
/// pods, two replicas with probes on /healthz, limits, non-root and a
/// read-only root, secrets only by reference. (No kustomize binary is
/// installable here; `kubernetes-validate --strict` checks each kind's
/// schema in `.ci/run`.)
#[test]
fn the_kustomization_assembles_into_a_sound_deployment() {
    let dir = repo().join("deploy/kubernetes");
    let k = yaml(&dir.join("kustomization.yaml"));
    assert_eq!(k["kind"], "Kustomization");
    let namespace = k["namespace"].as_str().expect("namespace");
    let mut objects = Vec::new();
    for r in k["resources"].as_array().expect("resources") {
        let mut o = yaml(&dir.join(r.as_str().expect("a file")));
        if o["kind"] != "Namespace" {
            o["metadata"]["namespace"] = Value::from(namespace);
        }
        objects.push(o);
    }
    let kinds: BTreeSet<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    for kind in [
        "Namespace",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceMonitor",
        "CronJob",
    ] {
        assert!(kinds.contains(kind), "no {kind}");
    }
    assert!(
        !kinds.contains("Secret"),
        "secrets are referenced, never written"
    );
    let names: BTreeSet<(String, String)> = objects
        .iter()
        .map(|o| (o["kind"].to_string(), o["metadata"]["name"].to_string()))
        .collect();
    assert_eq!(names.len(), objects.len(), "names are unique per kind");
    let of = |kind: &str| objects.iter().find(|o| o["kind"] == kind).expect(kind);

    let d = of("Deployment");
    assert_eq!(d["spec"]["replicas"], 2);
    let pod_labels = &d["spec"]["template"]["metadata"]["labels"];
    let chooses = |selector: &Value| {
        selector
            .as_object()
            .is_some_and(|m| !m.is_empty() && m.iter().all(|(k, v)| &pod_labels[k] == v))
    };
    assert!(chooses(&d["spec"]["selector"]["matchLabels"]));
    assert!(
        chooses(&of("Service")["spec"]["selector"]),
        "the Service selects the pods"
    );
    assert!(chooses(
        &of("PodDisruptionBudget")["spec"]["selector"]["matchLabels"]
    ));
    assert!(chooses(
        &of("ServiceMonitor")["spec"]["selector"]["matchLabels"]
    ));
    assert!(chooses(
        &of("NetworkPolicy")["spec"]["podSelector"]["matchLabels"]
    ));
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let c = &pod["containers"][0];
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(c[probe]["httpGet"]["path"], "/healthz", "{probe}");
    }
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert!(c["resources"]["requests"].is_object() && c["resources"]["limits"].is_object());
    assert_eq!(c["envFrom"][0]["secretRef"]["name"], "lucia-harness");
    let args: Vec<&str> = c["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(args.first(), Some(&"serve"));
    // The port the probes and the Service use is the one serve listens on.
    let listen = args
        .iter()
        .position(|a| *a == "--addr")
        .map(|i| args[i + 1])
        .expect("--addr");
    assert!(
        listen.ends_with(&format!(":{}", c["ports"][0]["containerPort"])),
        "{listen}"
    );
    // The Service monitor scrapes with the read token, from the same Secret.
    assert_eq!(
        of("ServiceMonitor")["spec"]["endpoints"][0]["bearerTokenSecret"]["key"],
        "LUCIA_HARNESS_READ_TOKEN"
    );
    let cron = of("CronJob");
    let job = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert!(
        job["args"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "--alert"))
    );
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
}
