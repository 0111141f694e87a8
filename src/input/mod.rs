//! What a run is given: `environments.toml` ([`config`]: environments,
//! surfaces, expected values, secrets by variable, limits) and the Gherkin
//! features ([`features`]: loaded, linted and checked against the step
//! vocabulary and the config, with every problem's file and line).

pub mod config;
mod config_file;
pub mod features;
pub mod maintenance;

/// A path as people read it: relative to the working directory when possible.
pub fn display_path(p: &std::path::Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf());
    rel.to_string_lossy().trim_start_matches("./").to_owned()
}
