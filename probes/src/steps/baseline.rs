//! The baseline step, `Then the response matches the baseline "area/name"`.
//! The store (files under `snapshots/`) lives in the binary, behind the seam
//! [`crate::world::Baselines`]; the step hands it the response and the run's
//! redactor, and the store either records it (capture) or compares it with
//! the approved snapshot (run), returning a `drift` error.

use std::sync::LazyLock;

use cucumber::step::Context;
use regex::Regex;

use crate::core::error::{StepError, StepResult};
use crate::world::{Observed, World};

/// The step's pattern; group 1 is the baseline name.
pub const STEP_PATTERN: &str = r#"^the response matches the baseline "([^"]*)"$"#;

static STEP_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(STEP_PATTERN).unwrap_or_else(|e| unreachable!("{e}")));

/// The baseline a step's text names, if it is the baseline step.
pub fn step_baseline(step_text: &str) -> Option<&str> {
    STEP_RE
        .captures(step_text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

/// Whether `name` is a usable baseline name: `area/name`, each part made of
/// letters, digits, `_`, `-` or `.`, none starting with a dot (it becomes a
/// file path under `snapshots/`).
pub fn validate_name(name: &str) -> Result<(), String> {
    let parts: Vec<&str> = name.split('/').collect();
    let ok = parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && !p.starts_with('.')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad baseline name {name:?}: write it as \"area/name\" (letters, digits, _ - .), e.g. \"engine/health\""
        ))
    }
}

pub(crate) async fn then_matches_baseline(w: &mut World, ctx: &Context) -> StepResult {
    let name = ctx.matches.get(1).map_or("", |(_, v)| v.as_str());
    validate_name(name).map_err(StepError::config)?;
    let run = w.ctx()?;
    let store = run.baselines.as_ref().ok_or_else(|| {
        StepError::config(
            "no baseline store in this run: baselines are compared by `lucia-harness run` and captured by `lucia-harness baseline capture`",
        )
    })?;
    let response = w.response()?;
    let service = w.service.as_deref().unwrap_or("");
    let base = run
        .environment
        .surfaces
        .get(service)
        .map(|b| run.redactor.scrub(b).into_owned())
        .unwrap_or_default();
    let path = response.url.strip_prefix(&base).unwrap_or(&response.url);
    let observed = Observed {
        service,
        path: if path.is_empty() { "/" } else { path },
        response,
    };
    store.observe(name, &observed, &run.redactor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_baseline_of_a_step() {
        assert_eq!(
            step_baseline(r#"the response matches the baseline "engine/health""#),
            Some("engine/health")
        );
        assert_eq!(step_baseline("the status is 200"), None);
        for good in ["engine/health", "eval_labs/operator-focus", "a/b/c.v2"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in [
            "health",
            "../etc/passwd",
            "engine/",
            "/engine",
            "engine/.hidden",
            "a b/c",
            "",
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }
}
