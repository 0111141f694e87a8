//! Ad-hoc silences, made the same way by `lucia-harness silence` and by
//! `POST /silences`: checked here, kept by the history.

use std::time::Duration;

use chrono::Utc;

use super::history::Silence;
use crate::input::config::Config;

/// The longest silence: a week (a longer pause is a window in environments.toml).
pub const MAX_SILENCE: Duration = Duration::from_secs(7 * 24 * 3600);

/// A new silence of `environment` from now, checked (the CLI and POST
/// /silences make them the same way).
pub fn new_silence(
    config: &Config,
    environment: &str,
    length: Duration,
    reason: &str,
    by: &str,
) -> Result<Silence, String> {
    config.environment(environment).map_err(|e| e.to_string())?;
    if length.is_zero() || length > MAX_SILENCE {
        return Err(format!(
            "a silence lasts more than nothing and at most 7 days (got {}); recurring windows go in [environments.{environment}.maintenance]",
            probes::core::duration::human(length)
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("say why (--reason \"deploy\"): the dashboard shows it".to_owned());
    }
    let now = Utc::now();
    Ok(Silence {
        id: 0,
        environment: environment.to_owned(),
        starts_at: now,
        ends_at: now + chrono::Duration::from_std(length).unwrap_or(chrono::Duration::zero()),
        reason: reason.chars().take(200).collect(),
        created_by: by.to_owned(),
        ended_at: None,
    })
}
