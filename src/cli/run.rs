//! `lucia-harness run`: the features against one environment, optionally
//! recorded in the history and alerted on (`--state`, `--alert`), through
//! the same `Recording` as `serve`.

use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use lucia_harness::record::alert::DEFAULT_THRESHOLD;
use lucia_harness::record::history::{self, History, RunResult, Trigger};
use lucia_harness::record::recording::{Alerting, Recording, Sent};
use lucia_harness::record::sentry::Sentry;
use lucia_harness::record::state;
use lucia_harness::run;
use reporters::RunReport;
use sentry::protocol::MonitorSchedule;

use super::args::{Globals, RunArgs};
use super::output::{error, finish, load, note, progress_printer, run_error, warn};

// `run`'s own flags.
#[derive(Debug, clap::Args)]
pub struct RunCommand {
    /// The environment: dev, staging, production, marketing, guest-lab, local, …
    #[arg(long, short = 'e', value_name = "NAME")]
    pub env: String,
    /// Move every surface of the environment to this origin, keeping path prefixes
    /// (e.g. a sandbox on another port: http://127.0.0.1:9000).
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// Where the probes run from, one of environments.toml's locations (e.g. frankfurt): the report
    /// carries it, and --state keeps this location's runs and alert streaks apart from the others'.
    #[arg(long, value_name = "NAME")]
    pub location: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub record: RecordArgs,
}

/// `run --state/--alert`.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// After the run, alert through Sentry (SENTRY_DSN) on a change of state: an error event when a
    /// scenario starts failing (after --alert-after failed runs in a row), an info event when it
    /// recovers, a Crons check-in (lucia-synthetic-<env>). The previous state is read from --state.
    #[arg(long)]
    alert: bool,
    /// Record the run in this state (history, alert state): a SQLite file or a postgres:// URL; with
    /// --alert, default state/harness.db.
    #[arg(long, env = "LUCIA_HARNESS_STATE_URL", value_name = "FILE|URL")]
    state: Option<String>,
    /// Failed runs in a row before a scenario alerts.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_name = "N")]
    alert_after: u32,
    /// Page only when at least N locations (--location, sharing --state) see the same scenario
    /// failing: one region's network blip pages nobody.
    #[arg(long, default_value_t = 1, value_name = "N")]
    alert_min_locations: u32,
    /// The crontab this run is scheduled with (e.g. "*/15 * * * *"), so Sentry can create the monitor
    /// and notice a missed run.
    #[arg(long, value_name = "CRONTAB", requires = "alert")]
    cron: Option<String>,
}

/// A one-shot run being recorded: the history it goes to, and how it alerts.
struct OneShot {
    history: Box<dyn History>,
    recording: Recording,
    alerting: Alerting,
}

impl RecordArgs {
    /// Opens the history and records the run's start (before anything runs,
    /// so bad flags cost nothing and a killed run is seen as abandoned).
    fn start(
        &self,
        series: &str,
        windows: Vec<lucia_harness::input::maintenance::MaintenanceWindow>,
    ) -> Result<Option<OneShot>, String> {
        if !self.alert && self.state.is_none() {
            return Ok(None);
        }
        let sentry = if self.alert {
            match Sentry::from_env(&|n| std::env::var(n).ok()).map_err(|e| e.to_string())? {
                Some(s) => Some(s),
                None => {
                    return Err(
                        "--alert needs SENTRY_DSN (the DSN of the Sentry project to alert): set it, or drop --alert and keep --state to only record"
                            .to_owned(),
                    );
                }
            }
        } else {
            None
        };
        let schedule = self
            .cron
            .as_deref()
            .map(|c| {
                MonitorSchedule::from_crontab(c).map_err(|_| {
                    format!("--cron {c:?} is not a crontab (five fields, e.g. \"*/15 * * * *\")")
                })
            })
            .transpose()?;
        let path = self
            .state
            .clone()
            .unwrap_or_else(|| history::DEFAULT_PATH.to_owned());
        let history = state::open(&path).map_err(|e| e.to_string())?;
        // A shared history's `running` runs may be a live serve's.
        if !history.shared() {
            history
                .recover_interrupted(Utc::now())
                .map_err(|e| e.to_string())?;
        }
        let mut recording = Recording::begin(&*history, series, Trigger::Cli, Utc::now())
            .map_err(|e| e.to_string())?;
        if let Some(s) = &sentry {
            recording.check_in(s, schedule);
        }
        Ok(Some(OneShot {
            history,
            recording,
            alerting: Alerting {
                threshold: self.alert_after.max(1),
                sentry,
                min_locations: self.alert_min_locations.max(1),
                windows,
            },
        }))
    }
}

impl OneShot {
    /// Records the report (its claims' last passes filled in), alerts on
    /// transitions, closes the check-in.
    fn finish(mut self, version: Option<&str>, report: &mut RunReport) -> Result<(), String> {
        let sent = self
            .recording
            .finish(&mut *self.history, report, &self.alerting, version)
            .map_err(|e| e.to_string());
        flush(&self.alerting);
        for (t, _) in sent.as_ref().into_iter().flatten() {
            note(format!(
                "alert: {} › {} {} in {}",
                t.scenario.feature,
                t.scenario.scenario,
                t.kind.as_str(),
                report.environment
            ));
        }
        sent.map(|_: Vec<Sent>| ())
    }

    /// The run could not run: recorded as an error, checked in as one.
    fn failed(self, why: &str) {
        let _ = self
            .recording
            .abandon(&*self.history, RunResult::Error, Utc::now(), why);
        flush(&self.alerting);
    }
}

/// Waits (10 s at most) until what was queued for Sentry was sent.
fn flush(alerting: &Alerting) {
    if let Some(s) = &alerting.sentry
        && !s.flush(Duration::from_secs(10))
    {
        warn("some Sentry events could not be sent in 10 s");
    }
}

pub async fn run(g: &Globals, cmd: &RunCommand) -> ExitCode {
    let (config, suite) = match load(g) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let mut opts = cmd.run.options(&cmd.env, cmd.origin.clone());
    if let Some(l) = &cmd.location {
        if let Err(e) = config.location(l) {
            return error(e);
        }
        opts.location = Some(l.clone());
    }
    match lucia_harness::baseline::for_run(&g.snapshots, &config, &opts.environment) {
        Ok((store, privacy)) => {
            opts.baselines = Some(store);
            opts.privacy = Some(privacy);
        }
        Err(e) => return error(e),
    }
    let series = reporters::model::run::series(&opts.environment, opts.location.as_deref());
    let windows = config
        .environment(&opts.environment)
        .map(|c| c.maintenance.clone())
        .unwrap_or_default();
    let recording = match cmd.record.start(&series, windows) {
        Err(e) => return error(e),
        Ok(r) => r,
    };
    let lookup = |name: &str| std::env::var(name).ok();
    let mut report = match run::run(&config, &suite, &opts, &lookup, progress_printer()).await {
        Ok(r) => r,
        Err(e) => {
            if let Some(r) = recording {
                r.failed(&e.to_string());
            }
            return run_error(e, Some("nothing was run"));
        }
    };
    // Recorded before the reports are written, so they carry when each
    // claim that fails now last passed.
    let recorded = recording.map(|r| r.finish(config.release(&report.environment), &mut report));
    let code = finish(g, cmd.run.verbose, cmd.run.report_dir.as_deref(), &report);
    if let Some(Err(e)) = recorded {
        return error(format!("the run finished but was not recorded: {e}"));
    }
    code
}
