//! Dialects: the same behaviour under other field names and paths, the
//! way a real Lucia may answer where the features guessed (`uptime` for
//! `uptime_seconds`, `build.version` for `version`, `resend.id` for
//! `message_id`). `lucia-harness sandbox --dialect renamed`; what
//! `lucia-harness adapt` is proved against. A dialect only renames and
//! moves: every value, status and check stays what it was, so a broken
//! claim (`--fault`, `--drift`) stays broken under any dialect.

use std::str::FromStr;

use crate::inject::{Drift, SpecError};

/// A way of naming the same answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Renamed keys, wrapper objects and a renamed header, in every area.
    Renamed,
}

/// `renamed`, as drifts (ROUTE=move:FROM=TO), one area at a time.
const RENAMED: &[&str] = &[
    // engine: health and version
    "engine/health=move:uptime_seconds=uptime",
    "engine/health=move:version=build.version",
    "engine/version=move:version=build.version",
    // platform: the Render service the Engine names
    "engine/version=move:render_service=deploy.render_service",
    // engine: the ledger's mode
    "engine/diagnostics/ledger=move:mode=ledger_mode",
    // payment truth: the policy's persistence
    "engine/properties/*=move:persisted=durable.persisted",
    // intake: Postmark's inbound message
    "engine/webhooks/postmark/inbound=move:message_id=inbound_id",
    // admin: its version
    "admin/api/version=move:app=application",
    // waitlist: the Resend message
    "marketing/api/waitlist=move:message_id=resend.id",
    // Eval Labs: operator focus names its target
    "engine/admin/operator-focus=move:target=focus.target",
];

impl FromStr for Dialect {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "renamed" => Ok(Self::Renamed),
            other => Err(SpecError(format!(
                "unknown dialect {other:?}: the sandbox knows `renamed`"
            ))),
        }
    }
}

impl Dialect {
    /// The renames and moves, as drifts applied to every response.
    pub fn drifts(self) -> Vec<Drift> {
        match self {
            Self::Renamed => RENAMED
                .iter()
                .map(|s| {
                    s.parse()
                        .unwrap_or_else(|e| panic!("dialect rule {s}: {e}"))
                })
                .collect(),
        }
    }

    /// The header the guest lab's host names itself in (`server` by default).
    pub fn host_header(dialect: Option<Self>) -> &'static str {
        match dialect {
            Some(Self::Renamed) => "x-served-by",
            None => "server",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_parses_and_moves_a_field() {
        let drifts = Dialect::Renamed.drifts();
        assert_eq!(drifts.len(), RENAMED.len());
        let mut v = serde_json::json!({"status": "ok", "version": "v1", "uptime_seconds": 3});
        for d in drifts.iter().take(2) {
            d.apply(&mut v);
        }
        assert_eq!(
            v,
            serde_json::json!({"status": "ok", "build": {"version": "v1"}, "uptime": 3})
        );
        assert!("other".parse::<Dialect>().is_err());
    }
}
