//! `lucia-harness silence`: pause alerts for an environment during a deploy.
//! Its runs still execute and are recorded, as `maintenance`; no alert is
//! sent and uptime leaves them out. Kept in the state database, so `serve`
//! (every replica) and `run --alert` see the same silences; `POST
//! /silences` makes the same ones over HTTP.

use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use lucia_harness::input::config::Config;
use lucia_harness::record::history::{self, Silence};
use lucia_harness::record::silences::new_silence;
use lucia_harness::record::state;

use super::args::{Globals, duration};
use super::output::{EXIT_OK, emit, error};

#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "\
Examples:
  lucia-harness silence --env dev --for 30m --reason \"deploy of engine v0.1.3.7\"
  lucia-harness silence list
  lucia-harness silence list --env dev --all --json
  lucia-harness silence end 3

Recurring windows (every Tuesday 02:00 Berlin time, say) belong in
environments.toml under [environments.NAME.maintenance]."
)]
pub struct SilenceCommand {
    #[command(subcommand)]
    action: Option<SilenceAction>,
    /// The environment to silence.
    #[arg(long, short = 'e', value_name = "NAME")]
    env: Option<String>,
    /// How long, from now (30m, 2h; at most 7 days).
    #[arg(long = "for", value_name = "DURATION", value_parser = duration)]
    for_: Option<Duration>,
    /// Why: shown on the dashboard and in the runs it covers.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    state: StateArg,
}

#[derive(Debug, clap::Args)]
struct StateArg {
    /// The state: a SQLite file or a postgres:// URL (the one serve uses).
    #[arg(long, env = "LUCIA_HARNESS_STATE_URL", default_value = history::DEFAULT_PATH, value_name = "FILE|URL", global = true)]
    state: String,
}

#[derive(Debug, clap::Subcommand)]
enum SilenceAction {
    /// The silences in force (and, with --all, the past ones).
    List {
        #[arg(long, short = 'e', value_name = "NAME")]
        env: Option<String>,
        /// The ended and expired ones too.
        #[arg(long)]
        all: bool,
        /// One JSON object per silence.
        #[arg(long)]
        json: bool,
    },
    /// Ends a silence now (its id, from `silence list`).
    End { id: i64 },
}

pub fn silence(g: &Globals, cmd: &SilenceCommand) -> ExitCode {
    let store = match state::open(&cmd.state.state) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let now = Utc::now();
    match &cmd.action {
        Some(SilenceAction::List { env, all, json }) => {
            let list = match store.silences(env.as_deref(), now, *all) {
                Ok(l) => l,
                Err(e) => return error(e),
            };
            let mut out = String::new();
            if *json {
                for s in &list {
                    out.push_str(&serde_json::to_string(s).unwrap_or_default());
                    out.push('\n');
                }
            } else if list.is_empty() {
                out.push_str("no silence in force\n");
            } else {
                for s in &list {
                    out.push_str(&line(s, now));
                }
            }
            emit(out.as_bytes());
            ExitCode::from(EXIT_OK)
        }
        Some(SilenceAction::End { id }) => match store.end_silence(*id, now) {
            Ok(Some(s)) => {
                emit(format!("ended {}", line(&s, now)).as_bytes());
                ExitCode::from(EXIT_OK)
            }
            Ok(None) => error(format!(
                "no silence #{id} in {} (`lucia-harness silence list --all` shows them)",
                store.location().display()
            )),
            Err(e) => error(e),
        },
        None => {
            let (Some(env), Some(length), Some(reason)) = (&cmd.env, cmd.for_, &cmd.reason) else {
                return error(
                    "a silence needs --env, --for and --reason (lucia-harness silence --env dev --for 30m --reason \"deploy\"); see --help",
                );
            };
            let config = match Config::load(&g.config) {
                Ok(c) => c,
                Err(e) => return error(e),
            };
            let by =
                std::env::var("USER").map_or_else(|_| "cli".to_owned(), |u| format!("cli ({u})"));
            let mut s = match new_silence(&config, env, length, reason, &by) {
                Ok(s) => s,
                Err(e) => return error(e),
            };
            match store.add_silence(&s) {
                Ok(id) => {
                    s.id = id;
                    emit(format!("silenced {}", line(&s, s.starts_at)).as_bytes());
                    ExitCode::from(EXIT_OK)
                }
                Err(e) => error(e),
            }
        }
    }
}

/// `#3 dev until 2026-12-02 14:30 UTC (in 30 min): deploy (by cli (ana))`.
fn line(s: &Silence, now: chrono::DateTime<Utc>) -> String {
    let state = if s.covers(now) {
        let left = (s.until() - now).num_minutes().max(1);
        format!(
            "until {} (in {left} min)",
            s.until().format("%Y-%m-%d %H:%M UTC")
        )
    } else if s.ended_at.is_some() {
        format!("ended {}", s.until().format("%Y-%m-%d %H:%M UTC"))
    } else {
        format!("expired {}", s.ends_at.format("%Y-%m-%d %H:%M UTC"))
    };
    format!(
        "#{} {} {state}: {} (by {})\n",
        s.id, s.environment, s.reason, s.created_by
    )
}
